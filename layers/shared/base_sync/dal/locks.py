"""Leases in DynamoDB: at most one holder per lock id across every Lambda invocation.

A lease expires by itself, so a holder that dies (timeout, crash) blocks others only until
``expires_at``; holders must finish their critical work well within the lease.
"""

from __future__ import annotations

import time
import uuid

from botocore.exceptions import ClientError

from base_sync.aws import table
from base_sync.dal.items import CONDITION_FAILED, error_code


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
