"""Background jobs travel through one FIFO queue, grouped by shop.

The group is the shop id, so one shop's jobs (imports and exports alike) never run side by
side, while different shops run in parallel and a slow shop delays only itself.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from base_sync.aws import sqs


class JobKind(StrEnum):
    IMPORT = "import"
    EXPORT = "export"


class Trigger(StrEnum):
    SCHEDULE = "schedule"
    MANUAL = "manual"
    CHANGE = "change"


class Job(BaseModel):
    kind: JobKind
    shop_id: str
    trigger: Trigger
    job_id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    order_keys: list[str] | None = None
    queued_at: str = Field(default_factory=lambda: datetime.now(UTC).isoformat())


def enqueue(queue_url: str, job: Job, *, dedup_id: str | None = None) -> None:
    """Queue a job on its shop's group. ``dedup_id`` makes a repeated send (a retried tick) a no-op."""
    sqs().send_message(
        QueueUrl=queue_url,
        MessageBody=job.model_dump_json(),
        MessageGroupId=job.shop_id,
        MessageDeduplicationId=dedup_id or job.job_id,
    )
