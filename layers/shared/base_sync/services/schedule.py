"""A schedule tick: queue one job per shop that wants it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from base_sync.dal.shops import ShopRepository
from base_sync.domain.shop import ShopStatus
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
    kind: JobKind, *, shops: ShopRepository, queue_url: str, now: datetime
) -> TickReport:
    report = TickReport(kind=kind.value)
    for shop in shops.list():
        wanted = shop.settings.auto_import if kind is JobKind.IMPORT else shop.settings.auto_export
        if shop.status is not ShopStatus.CONNECTED:
            report.skipped[shop.shop_id] = shop.status.value
        elif not wanted:
            report.skipped[shop.shop_id] = f"auto_{kind.value}_disabled"
        else:
            job = Job(kind=kind, shop_id=shop.shop_id, trigger=Trigger.SCHEDULE)
            dedup = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{kind.value}-{tick_id(now)}-{shop.shop_id}")[:128]
            enqueue(queue_url, job, dedup_id=dedup)
            report.queued.append(shop.shop_id)
    return report
