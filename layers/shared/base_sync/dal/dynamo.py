"""DynamoDB helpers shared by the data-access modules: item conversions (Decimal in and out), paging,
and the AWS error codes they act on (Secrets Manager's too)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError


def plain(value: Any) -> Any:
    """DynamoDB returns every number as Decimal; models and JSON want int or float."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, set):
        return {plain(v) for v in value}
    return value


def dynamo(value: Any) -> Any:
    """Floats are not allowed in DynamoDB items; store them as Decimal."""
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: dynamo(v) for k, v in value.items()}
    if isinstance(value, list):
        return [dynamo(v) for v in value]
    return value


def error_code(exc: ClientError) -> str:
    """The AWS error code of a failed call (e.g. ``ConditionalCheckFailedException``)."""
    return str(exc.response.get("Error", {}).get("Code", ""))


CONDITION_FAILED = "ConditionalCheckFailedException"
NOT_FOUND = "ResourceNotFoundException"


def response_pages(call: Callable[..., Any], **kwargs: Any) -> Iterator[Any]:
    """Every page of a DynamoDB ``query`` or ``scan`` (``call``), following ``LastEvaluatedKey``."""
    while True:
        page = call(**kwargs)
        yield page
        if "LastEvaluatedKey" not in page:
            return
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
