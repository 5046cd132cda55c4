"""The one place that sets up logging and metrics, so every function reports alike.

No powertools Tracer: it imports the X-Ray SDK and patches botocore at import, which made every
handler's cold start about 2x ``import boto3`` and put a second botocore into the layer
(bench/, figure 5). Lambda's own X-Ray tracing (``Tracing: Active`` in template.yaml) still
traces every invocation.
"""

from aws_lambda_powertools import Logger, Metrics

SERVICE = "base-order-sync"
METRICS_NAMESPACE = "BaseOrderSync"

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=METRICS_NAMESPACE, service=SERVICE)
