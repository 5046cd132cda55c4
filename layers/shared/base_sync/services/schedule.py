"""A schedule tick: queue one job per shop that wants it, once per tick however often the tick is delivered.

EventBridge Scheduler invokes the function asynchronously; after a function error Lambda tries
the same event again a minute or more later. The tick's identity therefore comes from the event
(the schedule's ``<aws.scheduler.scheduled-time>``, passed as ``scheduled_time`` in the
schedule's Input), not from the clock.

Ten thousand shops fit one invocation: the connected shops come from an index (shops that need
re-authorisation are never read), jobs go out ten to a ``SendMessageBatch`` with several batches
in flight, and nothing per shop is written on the way (the worker opens an export's run record,
and takes an import's marker). The tick's own record (``dal.ticks``) holds its cursor: every
``CHUNK_SHOPS`` shops it records how far it got, so a retry — however late, past SQS's five-minute
de-duplication too — sends nothing already sent. A tick that runs out of time stops at a chunk's
end, says so (metric ``TicksUnfinished``, alarm) and fails, so Lambda retries it from its cursor;
the next tick starts where it stopped.
"""

from __future__ import annotations

import re
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field

from base_sync.dal.shops import ShopRepository
from base_sync.dal.ticks import TickProgress, TickRepository
from base_sync.domain.deadline import Deadline
from base_sync.domain.shop import Shop
from base_sync.observability import logger, metrics
from base_sync.services.errors import TickUnfinished
from base_sync.services.jobs import Job, JobKind, Trigger, enqueue_many

SCHEDULED_TIME_PLACEHOLDER = "<aws.scheduler.scheduled-time>"
CHUNK_SHOPS = 500  # shops handled between two records of the tick's cursor
LEASE_SECONDS = 60.0  # longer than the function's timeout (30 s): one invocation works on a tick at a time
STOP_SECONDS = 5.0  # a tick with less time left than this stops at the next chunk (and is retried)


def _iso_text(value: object) -> object:
    """Scheduler passes text; a number (which pydantic would read as a Unix time) is not a tick."""
    if not isinstance(value, str):
        raise ValueError("a tick's time must be ISO-8601 text such as 2026-12-02T03:30:00Z")
    return value


class TickEvent(BaseModel):
    """What the schedule hands the function: its Input ``{"scheduled_time": "<aws.scheduler.scheduled-time>"}``.

    Without that Input, an EventBridge "Scheduled Event" envelope names its tick in ``time`` (the
    same on a retry); other keys are ignored. A time that is not ISO-8601 text with its offset
    (e.g. a placeholder Scheduler did not fill in) is refused.
    """

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    scheduled_time: Annotated[AwareDatetime, BeforeValidator(_iso_text)] | None = None
    detail_type: str | None = Field(default=None, alias="detail-type")
    time: Annotated[AwareDatetime, BeforeValidator(_iso_text)] | None = None


def tick_time(event: object, *, now: datetime | None = None) -> datetime:
    """The tick's scheduled time (UTC): from the event, else the current minute, with a warning."""
    parsed = TickEvent.model_validate(event if isinstance(event, dict) else {})
    if parsed.scheduled_time is not None:
        return parsed.scheduled_time.astimezone(UTC)
    if parsed.detail_type == "Scheduled Event" and parsed.time is not None:
        return parsed.time.astimezone(UTC)
    logger.warning(
        "スケジュールの入力に scheduled_time がありません。現在の分をティックの識別に使います"
        " / the schedule's input has no scheduled_time; the current minute identifies this tick,"
        " so a retry a minute later counts as a new tick"
    )
    return (now or datetime.now(UTC)).astimezone(UTC).replace(second=0, microsecond=0)


@dataclass
class TickReport:
    """What one invocation of a tick did. Counts, not lists: a tick may cover 10,000 shops."""

    kind: str
    scheduled_time: str = ""
    tick: str = ""
    outcome: str = "finished"
    """finished | already_finished (a retry of a tick that ended) | running_elsewhere | unfinished."""
    queued: int = 0
    """Jobs this invocation sent; a resumed tick adds to what an earlier invocation of it sent."""
    skipped: dict[str, int] = field(default_factory=dict)
    """Connected shops not queued, by reason (auto_export_disabled, rate_limited …)."""
    started_after: str | None = None
    """The shop id this tick began after (a previous tick stopped there); None: the first shop."""
    cursor: str | None = None


def tick_id(scheduled: datetime) -> str:
    """Identifies one tick by its scheduled time (to the second), so a retried invocation queues nothing new."""
    return scheduled.astimezone(UTC).strftime("%Y%m%dT%H%M%S")


def job_for(kind: JobKind, tick: str, shop_id: str) -> tuple[Job, str]:
    """The tick's job for one shop and its de-duplication id: the same tick always names the same job."""
    dedup = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{kind.value}-{tick}-{shop_id}")[:128]
    job_id = uuid.uuid5(uuid.NAMESPACE_URL, dedup).hex
    return Job(kind=kind, shop_id=shop_id, trigger=Trigger.SCHEDULE, job_id=job_id), dedup


def segments(start_after: str | None, cursor: str | None) -> list[tuple[str | None, str | None]]:
    """The ``(after, upto]`` ranges of shop ids still to do, in order, for a tick that began after
    ``start_after`` (then wraps round to the first shop) and has handled everything up to ``cursor``."""
    if start_after is None:
        return [(cursor, None)]
    if cursor is None:
        return [(start_after, None), (None, start_after)]
    if cursor > start_after:
        return [(cursor, None), (None, start_after)]
    return [(cursor, start_after)] if cursor < start_after else []


def skip_reason(shop: Shop, kind: JobKind, now: datetime) -> str | None:
    """Why a connected shop gets no job this tick, or None."""
    wanted = shop.settings.auto_import if kind is JobKind.IMPORT else shop.settings.auto_export
    if not wanted:
        return f"auto_{kind.value}_disabled"
    if shop.base_paused_at(now):
        return "rate_limited"  # BASE would refuse every call until its limit resets: spend none
    return None


def queue_scheduled_jobs(
    kind: JobKind,
    *,
    shops: ShopRepository,
    ticks: TickRepository,
    queue_url: str,
    now: datetime,
    deadline: Deadline | None = None,
) -> TickReport:
    """``now`` is the tick's scheduled time (``tick_time``); ``deadline`` when to stop (``TickUnfinished``)."""
    report = TickReport(kind=kind.value, scheduled_time=now.astimezone(UTC).isoformat(), tick=tick_id(now))
    resume = ticks.resume_point(kind.value)
    progress = ticks.begin(kind.value, report.tick, start_after=resume, lease_seconds=LEASE_SECONDS)
    if progress is None:
        state = ticks.state(kind.value, report.tick)
        report.outcome = "already_finished" if state == "finished" else "running_elsewhere"
        return report
    report.started_after, report.cursor = progress.start_after, progress.cursor
    skipped: Counter[str] = Counter()
    try:
        for chunk in _chunks(_remaining_shops(shops, progress), CHUNK_SHOPS):
            if deadline is not None and deadline.remaining() < STOP_SECONDS:
                _stop_unfinished(ticks, progress, report, skipped)
            jobs = []
            for shop in chunk:
                reason = skip_reason(shop, kind, now)
                if reason is None:
                    jobs.append(job_for(kind, report.tick, shop.shop_id))
                else:
                    skipped[reason] += 1
            enqueue_many(queue_url, jobs)
            progress = ticks.advance(progress, cursor=chunk[-1].shop_id, queued=len(jobs))
            report.queued += len(jobs)
            report.cursor = progress.cursor
    except BaseException:
        ticks.let_go(progress)  # the retry goes on from the cursor at once
        raise
    report.skipped = dict(skipped)
    ticks.finish(progress, finished_at=datetime.now(UTC).isoformat())
    if resume is not None:
        ticks.clear_resume_point(kind.value)
    return report


def _remaining_shops(shops: ShopRepository, progress: TickProgress) -> Iterator[Shop]:
    for after, upto in segments(progress.start_after, progress.cursor):
        yield from shops.connected(after=after, upto=upto)


def _chunks(shops: Iterable[Shop], size: int) -> Iterator[list[Shop]]:
    it = iter(shops)
    while chunk := list(islice(it, size)):
        yield chunk


def _stop_unfinished(
    ticks: TickRepository, progress: TickProgress, report: TickReport, skipped: Counter[str]
) -> None:
    """Record where the tick stopped (the next tick starts there), say so, and fail (Lambda retries)."""
    report.outcome = "unfinished"
    report.skipped = dict(skipped)
    ticks.set_resume_point(report.kind, tick=report.tick, cursor=progress.cursor)
    metrics.add_metric(name="TicksUnfinished", unit="Count", value=1)
    logger.warning(
        "スケジュール実行が時間内に終わりませんでした。記録した位置から再試行します"
        " / the schedule tick ran out of time; its retry goes on from the recorded shop",
        extra={"kind": report.kind, "tick": report.tick, "cursor": progress.cursor, "queued": report.queued},
    )
    raise TickUnfinished(report)
