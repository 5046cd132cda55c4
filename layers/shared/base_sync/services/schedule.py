"""A schedule tick: queue one job per shop that wants it, once per tick however often the tick is delivered.

EventBridge Scheduler invokes the function asynchronously; after a function error Lambda tries
the same event again a minute or more later. The tick's identity therefore comes from the event
(the schedule's ``<aws.scheduler.scheduled-time>``, passed as ``scheduled_time`` in the
schedule's Input), not from the clock, and SQS's five-minute de-duplication is backed by a
record written only if absent: the export run's record (see ``ExportService.queue_for_shop``)
or, for imports, a marker in the locks table.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field

from base_sync.dal.locks import LeaseRepository
from base_sync.dal.shops import ShopRepository
from base_sync.domain.shop import ShopStatus
from base_sync.observability import logger
from base_sync.services.export_requests import ExportService
from base_sync.services.jobs import Job, JobKind, Trigger, enqueue

SCHEDULED_TIME_PLACEHOLDER = "<aws.scheduler.scheduled-time>"
IMPORT_MARKER_SECONDS = 24 * 3600  # far longer than Lambda keeps retrying an asynchronous event (6 h)


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
    kind: str
    scheduled_time: str = ""
    queued: list[str] = field(default_factory=list)
    already_queued: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)


def tick_id(scheduled: datetime) -> str:
    """Identifies one tick by its scheduled time (to the second), so a retried invocation queues nothing new."""
    return scheduled.astimezone(UTC).strftime("%Y%m%dT%H%M%S")


def queue_scheduled_jobs(
    kind: JobKind,
    *,
    shops: ShopRepository,
    queue_url: str,
    now: datetime,
    exports: ExportService | None = None,
    leases: LeaseRepository | None = None,
) -> TickReport:
    """``now`` is the tick's scheduled time (``tick_time``). Export ticks open each run's record in the
    processing log (``exports`` is then required); import ticks take a marker per shop and tick
    (``leases`` is then required). A shop whose job this tick already queued is reported, not queued."""
    if kind is JobKind.EXPORT and exports is None:
        raise ValueError("export ticks need the export service")
    if kind is JobKind.IMPORT and leases is None:
        raise ValueError("import ticks need the lease repository (tick markers)")
    report = TickReport(kind=kind.value, scheduled_time=now.astimezone(UTC).isoformat())
    for shop in shops.list():
        wanted = shop.settings.auto_import if kind is JobKind.IMPORT else shop.settings.auto_export
        if shop.status is not ShopStatus.CONNECTED:
            report.skipped[shop.shop_id] = shop.status.value
            continue
        if not wanted:
            report.skipped[shop.shop_id] = f"auto_{kind.value}_disabled"
            continue
        if shop.base_paused_at(now):
            report.skipped[shop.shop_id] = f"rate_limited_until {shop.base_paused_until}"
            continue  # BASE would refuse every call until its limit resets: spend none
        dedup = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{kind.value}-{tick_id(now)}-{shop.shop_id}")[:128]
        job_id = uuid.uuid5(uuid.NAMESPACE_URL, dedup).hex  # the same tick names the same job
        sent = False
        if kind is JobKind.EXPORT and exports is not None:
            sent = exports.queue_for_shop(
                shop, export_id=job_id, order_keys=None, trigger=Trigger.SCHEDULE, dedup_id=dedup
            )
        elif leases is not None:
            # Taken before the send: a tick that stops in between loses this shop's import for one
            # tick (the next one reads the same window again), and never queues it twice.
            sent = leases.acquire(f"tick#{job_id}", seconds=IMPORT_MARKER_SECONDS) is not None
            if sent:
                enqueue(
                    queue_url,
                    Job(kind=kind, shop_id=shop.shop_id, trigger=Trigger.SCHEDULE, job_id=job_id),
                    dedup_id=dedup,
                )
        (report.queued if sent else report.already_queued).append(shop.shop_id)
    return report
