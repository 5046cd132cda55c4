"""Count the AWS API calls code makes, by ``service.Operation``, whichever client or resource makes them.

Wraps botocore's one entry point for every call (``BaseClient._make_api_call``) for the duration of
a ``with`` block; the calls themselves go out unchanged. Used by tests and benchmarks that assert or
report call counts.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from botocore.client import BaseClient


@dataclass
class AwsCalls:
    calls: Counter[str] = field(default_factory=Counter)
    scanned: Counter[str] = field(default_factory=Counter)
    """Items DynamoDB read (``ScannedCount``) per ``dynamodb.Query`` / ``dynamodb.Scan``, by table/index."""
    messages_sent: int = 0
    """Messages SQS accepted through SendMessage and SendMessageBatch."""

    def total(self) -> int:
        return sum(self.calls.values())


@contextmanager
def count_aws_calls() -> Iterator[AwsCalls]:
    seen = AwsCalls()
    lock = threading.Lock()
    original = getattr(BaseClient, "_make_api_call")  # noqa: B009 - private to botocore, untyped

    def counting(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        answer: Any = original(client, operation, params)
        service = client.meta.service_model.service_name
        with lock:
            seen.calls[f"{service}.{operation}"] += 1
            if operation in ("Query", "Scan"):
                where = params.get("TableName", "?") + (
                    f"/{params['IndexName']}" if "IndexName" in params else ""
                )
                seen.scanned[where] += int(answer.get("ScannedCount", 0))
            if operation == "SendMessage":
                seen.messages_sent += 1
            elif operation == "SendMessageBatch":
                seen.messages_sent += len(answer.get("Successful", []))
        return answer

    setattr(BaseClient, "_make_api_call", counting)  # noqa: B010
    try:
        yield seen
    finally:
        setattr(BaseClient, "_make_api_call", original)  # noqa: B010
