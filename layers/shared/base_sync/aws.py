"""The one place that creates AWS clients: shared per process (Lambda reuses them across invocations).

boto3 honours AWS_ENDPOINT_URL by itself, which is how tests and the local run reach moto.
"""

from __future__ import annotations

import threading
from functools import cache
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config as BotoConfig

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import DynamoDBServiceResource, Table
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient

_BOTO_CONFIG = BotoConfig(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=3, read_timeout=10)


_local = threading.local()


def dynamodb() -> DynamoDBServiceResource:
    """One resource per thread: boto3 resources, unlike clients, are not thread-safe."""
    resource: DynamoDBServiceResource | None = getattr(_local, "dynamodb", None)
    if resource is None or getattr(_local, "generation", None) != _generation[0]:
        resource = boto3.resource("dynamodb", config=_BOTO_CONFIG)
        _local.dynamodb = resource
        _local.generation = _generation[0]
    return resource


_generation = [0]


def table(name: str) -> Table:
    return dynamodb().Table(name)


@cache
def secretsmanager() -> SecretsManagerClient:
    return boto3.client("secretsmanager", config=_BOTO_CONFIG)


@cache
def sqs() -> SQSClient:
    return boto3.client("sqs", config=_BOTO_CONFIG)


@cache
def sns() -> SNSClient:
    return boto3.client("sns", config=_BOTO_CONFIG)


def reset_clients() -> None:
    """Forget cached clients (tests switch endpoints and credentials between sessions)."""
    _generation[0] += 1
    for factory in (secretsmanager, sqs, sns):
        factory.cache_clear()
