"""Background jobs travel through one FIFO queue, grouped by shop.

The group is the shop id, so one shop's jobs (imports and exports alike) never run side by
side, while different shops run in parallel and a slow shop delays only itself.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypedDict

from pydantic import BaseModel, Field

from base_sync.aws import sqs
from base_sync.services.errors import JobsNotQueued


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


class _Message(TypedDict):
    MessageBody: str
    MessageGroupId: str
    MessageDeduplicationId: str


def _message(job: Job, dedup_id: str) -> _Message:
    """A job as SQS takes it: one FIFO group per shop (its jobs run one at a time, in order)."""
    return {
        "MessageBody": job.model_dump_json(),
        "MessageGroupId": job.shop_id,
        "MessageDeduplicationId": dedup_id,
    }


def enqueue(queue_url: str, job: Job, *, dedup_id: str | None = None) -> None:
    """Queue a job on its shop's group. ``dedup_id`` makes a repeated send (a retried tick) a no-op."""
    sqs().send_message(QueueUrl=queue_url, **_message(job, dedup_id or job.job_id))


SEND_BATCH = 10  # SendMessageBatch's limit
SEND_THREADS = 8  # batches in flight at once (botocore's pool holds 10 connections)
SEND_ATTEMPTS = 3  # per entry SQS reports as failed, e.g. throttled


def enqueue_many(queue_url: str, jobs: Sequence[tuple[Job, str]]) -> None:
    """Queue ``(job, dedup_id)`` pairs, ten to a ``SendMessageBatch``, several batches at once.

    Returns when every job is queued; entries SQS failed are sent again (``SEND_ATTEMPTS``), then
    ``JobsNotQueued``. Re-sending a job is safe: its de-duplication id makes the copy a no-op.
    """
    batches = [jobs[i : i + SEND_BATCH] for i in range(0, len(jobs), SEND_BATCH)]
    if not batches:
        return
    client = sqs()  # one client for every thread (boto3 clients are thread-safe)
    with ThreadPoolExecutor(max_workers=min(SEND_THREADS, len(batches))) as pool:
        for _ in pool.map(lambda batch: _send_batch(client, queue_url, batch), batches):
            pass  # re-raises the first failure


def _send_batch(client: Any, queue_url: str, batch: Sequence[tuple[Job, str]]) -> None:
    entries = {str(n): {"Id": str(n), **_message(job, dedup_id)} for n, (job, dedup_id) in enumerate(batch)}
    failed: list[dict[str, str]] = []
    for _ in range(SEND_ATTEMPTS):
        answer = client.send_message_batch(QueueUrl=queue_url, Entries=list(entries.values()))
        failed = list(answer.get("Failed", []))
        entries = {f["Id"]: entries[f["Id"]] for f in failed if not f.get("SenderFault")}
        if not entries:
            break
    if failed:
        raise JobsNotQueued(failed)
