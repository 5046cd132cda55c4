"""OAuth ``state`` values: created by POST /connect, consumed once by the callback before they expire."""

from __future__ import annotations

from botocore.exceptions import ClientError

from base_sync.aws import table
from base_sync.dal.dynamo import CONDITION_FAILED, error_code
from base_sync.dal.errors import StateProblem, StateRejected


class OAuthStateRepository:
    def __init__(self, table_name: str) -> None:
        self._table = table(table_name)

    def create(self, state: str, *, expires_at: int) -> None:
        self._table.put_item(
            Item={"state": state, "expires_at": expires_at, "ttl": expires_at + 86400},
            ConditionExpression="attribute_not_exists(#s)",
            ExpressionAttributeNames={"#s": "state"},
        )

    def consume(self, state: str, *, now: int) -> None:
        """Mark the state used, atomically: of two callbacks racing with one state, one wins."""
        try:
            self._table.update_item(
                Key={"state": state},
                UpdateExpression="SET consumed_at = :now",
                ConditionExpression="attribute_exists(#s) AND attribute_not_exists(consumed_at) AND expires_at > :now",
                ExpressionAttributeNames={"#s": "state"},
                ExpressionAttributeValues={":now": now},
            )
        except ClientError as exc:
            if error_code(exc) != CONDITION_FAILED:
                raise
            raise StateRejected(self._why_rejected(state)) from None

    def _why_rejected(self, state: str) -> StateProblem:
        item = self._table.get_item(Key={"state": state}, ConsistentRead=True).get("Item")
        if item is None:
            return StateProblem.UNKNOWN
        if "consumed_at" in item:
            return StateProblem.REUSED
        return StateProblem.EXPIRED
