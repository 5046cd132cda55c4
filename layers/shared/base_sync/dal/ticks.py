"""Schedule ticks' progress, in the locks table: which tick ran, how far it got, where the next starts.

One record per tick (``schedule#<kind>#<tick id>``) is both the tick's lease (one invocation at a
time works on it) and its cursor (the last shop id whose job was sent), so a retried tick sends
nothing it already sent, however late the retry comes, and resumes after the cursor. One record
per kind (``schedule#<kind>#resume``) remembers where a tick that could not finish stopped: the
next tick starts there, so the shops at the end of the index are not the ones always left out.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict

from base_sync.aws import table
from base_sync.dal.dynamo import CONDITION_FAILED, error_code, plain
from base_sync.dal.errors import TickTakenOver

TICK_TTL_SECONDS = 3 * 24 * 3600  # far longer than Lambda keeps retrying an asynchronous event (6 h)
RUNNING = "running"
FINISHED = "finished"


class TickProgress(BaseModel):
    """One tick as its record holds it; ``owner`` is the invocation holding its lease."""

    model_config = ConfigDict(extra="ignore")

    kind: str
    tick: str
    owner: str
    state: str = RUNNING
    start_after: str | None = None
    """Where this tick began: after the shop id a previous, unfinished tick reached (None: the first shop)."""
    cursor: str | None = None
    """The last shop id this tick has handled (its job sent, or skipped)."""
    queued: int = 0


class TickRepository:
    def __init__(self, table_name: str) -> None:
        self._table = table(table_name)

    def begin(
        self, kind: str, tick: str, *, start_after: str | None, lease_seconds: float, now: float | None = None
    ) -> TickProgress | None:
        """Take the tick's lease: a new tick, or one whose earlier invocation stopped (its lease let go
        or expired), which goes on from its cursor. None when the tick finished or is held elsewhere."""
        now = time.time() if now is None else now
        owner = uuid.uuid4().hex
        try:
            answer = self._table.update_item(
                Key={"lock_id": _tick_id(kind, tick)},
                UpdateExpression=(
                    "SET #owner = :owner, expires_at = :expires, #state = if_not_exists(#state, :running), "
                    "start_after = if_not_exists(start_after, :start), queued = if_not_exists(queued, :zero), "
                    "kind = :kind, tick = :tick, #ttl = :ttl"
                ),
                ConditionExpression="attribute_not_exists(lock_id) OR (#state = :running AND expires_at < :now)",
                ExpressionAttributeNames={"#owner": "owner", "#state": "state", "#ttl": "ttl"},
                ExpressionAttributeValues={
                    ":owner": owner,
                    ":expires": int((now + lease_seconds) * 1000),
                    ":now": int(now * 1000),
                    ":running": RUNNING,
                    ":start": start_after,
                    ":zero": 0,
                    ":kind": kind,
                    ":tick": tick,
                    ":ttl": int(now) + TICK_TTL_SECONDS,
                },
                ReturnValues="ALL_NEW",
            )
        except ClientError as exc:
            if error_code(exc) == CONDITION_FAILED:
                return None
            raise
        return TickProgress.model_validate(plain(dict(answer["Attributes"])))

    def state(self, kind: str, tick: str) -> str | None:
        """``finished``, ``running`` (another invocation holds it) or None (never begun)."""
        item = self._table.get_item(Key={"lock_id": _tick_id(kind, tick)}, ConsistentRead=True).get("Item")
        return str(item["state"]) if item else None

    def advance(self, progress: TickProgress, *, cursor: str, queued: int) -> TickProgress:
        """Record that every shop up to ``cursor`` is handled (``queued`` more jobs sent)."""
        self._owned_update(progress, "SET #cursor = :cursor ADD queued :n", {":cursor": cursor, ":n": queued})
        return progress.model_copy(update={"cursor": cursor, "queued": progress.queued + queued})

    def finish(self, progress: TickProgress, *, finished_at: str) -> None:
        update = "SET #state = :finished, finished_at = :at REMOVE expires_at"
        self._owned_update(progress, update, {":finished": FINISHED, ":at": finished_at})

    def let_go(self, progress: TickProgress) -> None:
        """Stop holding the lease at once (cursor kept): a retry of this tick goes on without waiting."""
        self._owned_update(progress, "SET expires_at = :zero", {":zero": 0})

    def resume_point(self, kind: str) -> str | None:
        """The shop id an unfinished tick of this kind reached, if one did."""
        item = self._table.get_item(Key={"lock_id": _resume_id(kind)}, ConsistentRead=True).get("Item")
        return str(item["cursor"]) if item and item.get("cursor") else None

    def set_resume_point(self, kind: str, *, tick: str, cursor: str | None) -> None:
        self._table.put_item(
            Item={
                "lock_id": _resume_id(kind),
                "tick": tick,
                "cursor": cursor,
                "ttl": int(time.time()) + TICK_TTL_SECONDS,
            }
        )

    def clear_resume_point(self, kind: str) -> None:
        self._table.delete_item(Key={"lock_id": _resume_id(kind)})

    def _owned_update(self, progress: TickProgress, update: str, values: dict[str, Any]) -> None:
        """Only the lease's holder writes; a holder whose lease was taken over stops (TickTakenOver)."""
        names = {"#owner": "owner", "#state": "state", "#cursor": "cursor"}
        try:
            self._table.update_item(
                Key={"lock_id": _tick_id(progress.kind, progress.tick)},
                UpdateExpression=update,
                ConditionExpression="#owner = :me",
                ExpressionAttributeNames={k: v for k, v in names.items() if k in update or k == "#owner"},
                ExpressionAttributeValues={**values, ":me": progress.owner},
            )
        except ClientError as exc:
            if error_code(exc) == CONDITION_FAILED:
                raise TickTakenOver(progress.kind, progress.tick) from None
            raise


def _tick_id(kind: str, tick: str) -> str:
    return f"schedule#{kind}#{tick}"


def _resume_id(kind: str) -> str:
    return f"schedule#{kind}#resume"
