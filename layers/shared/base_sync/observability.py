"""The one place that sets up logging, tracing and metrics, so every function reports alike."""

from aws_lambda_powertools import Logger, Metrics, Tracer

SERVICE = "base-order-sync"
METRICS_NAMESPACE = "BaseOrderSync"

logger = Logger(service=SERVICE)
tracer = Tracer(service=SERVICE)
metrics = Metrics(namespace=METRICS_NAMESPACE, service=SERVICE)
