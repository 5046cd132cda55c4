"""A schedule tick: queue one job per shop that wants it."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from base_sync.dal.shops import ShopRepository
from base_sync.domain.shop import ShopStatus
from base_sync.services.exports import ExportService
from base_sync.services.jobs import Job, JobKind, Trigger, enqueue


@dataclass
class TickReport:
    kind: str
    queued: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)


def tick_id(now: datetime) -> str:
    """Identifies one tick to the minute, so a retried invocation of the same tick queues nothing new."""
    return now.strftime("%Y%m%dT%H%M")


def queue_scheduled_jobs(
    kind: JobKind,
    *,
    shops: ShopRepository,
    queue_url: str,
    now: datetime,
    exports: ExportService | None = None,
) -> TickReport:
    """Export ticks also open each run's record in the processing log (``exports`` is then required)."""
    report = TickReport(kind=kind.value)
    for shop in shops.list():
        wanted = shop.settings.auto_import if kind is JobKind.IMPORT else shop.settings.auto_export
        if shop.status is not ShopStatus.CONNECTED:
            report.skipped[shop.shop_id] = shop.status.value
        elif not wanted:
            report.skipped[shop.shop_id] = f"auto_{kind.value}_disabled"
        else:
            dedup = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{kind.value}-{tick_id(now)}-{shop.shop_id}")[:128]
            job_id = uuid.uuid5(uuid.NAMESPACE_URL, dedup).hex  # the same tick names the same job
            if kind is JobKind.EXPORT:
                if exports is None:
                    raise ValueError("export ticks need the export service")
                exports.queue_for_shop(
                    shop, export_id=job_id, order_keys=None, trigger=Trigger.SCHEDULE, dedup_id=dedup
                )
            else:
                enqueue(
                    queue_url,
                    Job(kind=kind, shop_id=shop.shop_id, trigger=Trigger.SCHEDULE, job_id=job_id),
                    dedup_id=dedup,
                )
            report.queued.append(shop.shop_id)
    return report
