"""Leases in DynamoDB: at most one holder per lock id across every Lambda invocation.

A lease expires by itself, so a holder that dies (timeout, crash) blocks others only until
``expires_at``; holders must finish their critical work well within the lease.

Markers live in the same table: a holder records that it started something that cannot be
undone (a token refresh: BASE rotates the pair) and clears the marker once its result is safe.
A marker found later belongs to a holder that never finished.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from botocore.exceptions import ClientError

from base_sync.aws import table
from base_sync.dal.dynamo import CONDITION_FAILED, error_code, plain

MARKER_TTL_SECONDS = 40 * 24 * 3600  # longer than a BASE refresh token lives (30 days)


class LeaseRepository:
    def __init__(self, table_name: str) -> None:
        self._table = table(table_name)

    def acquire(self, lock_id: str, *, seconds: float, now: float | None = None) -> str | None:
        """Take the lease; returns the owner token, or None when someone else holds it."""
        now = time.time() if now is None else now
        owner = uuid.uuid4().hex
        try:
            self._table.put_item(
                Item={
                    "lock_id": lock_id,
                    "owner": owner,
                    "expires_at": int((now + seconds) * 1000),
                    "ttl": int(now + seconds + 3600),
                },
                ConditionExpression="attribute_not_exists(lock_id) OR expires_at < :now",
                ExpressionAttributeValues={":now": int(now * 1000)},
            )
        except ClientError as exc:
            if error_code(exc) == CONDITION_FAILED:
                return None
            raise
        return owner

    def release(self, lock_id: str, owner: str) -> None:
        """Give the lease back early; a lease taken over after expiry is left alone."""
        try:
            self._table.delete_item(
                Key={"lock_id": lock_id},
                ConditionExpression="#o = :owner",
                ExpressionAttributeNames={"#o": "owner"},
                ExpressionAttributeValues={":owner": owner},
            )
        except ClientError as exc:
            if error_code(exc) != CONDITION_FAILED:
                raise

    def put_marker(self, marker_id: str, owner: str, *, started_at: str) -> dict[str, Any] | None:
        """Record ``owner``'s start; returns the marker it replaced (a holder that never finished), if any.

        One PutItem (``ReturnValues=ALL_OLD``): no read before the write, no extra permission."""
        answer = self._table.put_item(
            Item={
                "lock_id": marker_id,
                "owner": owner,
                "started_at": started_at,
                "ttl": int(time.time()) + MARKER_TTL_SECONDS,
            },
            ReturnValues="ALL_OLD",
        )
        old = answer.get("Attributes")
        return plain(dict(old)) if old else None

    def clear_marker(self, marker_id: str, owner: str) -> None:
        """The started work is safe: remove ``owner``'s marker (a newer holder's is left alone)."""
        self.release(marker_id, owner)
