"""Building blocks of the reliability scenarios: shops full of orders, schedule ticks, queue draining."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.reliability.ledger import Planned, create_planned, parallel, stored_orders
from tests.support.flows import connect_shop
from tests.support.stack import StackUnderTest

from base_sync import wiring
from base_sync.api.models import OrderPatch
from base_sync.config import get_config
from base_sync.rules.ship_date import JST
from base_sync.services.errors import InvalidInput
from base_sync.services.jobs import Job, JobKind, Trigger, enqueue
from base_sync.services.management import ManagementService
from base_sync.services.schedule import queue_scheduled_jobs
from devstack.queues import drain

# What staff enter for an order that must go out today, and the ways an order is held back.
READY = {"status": "processed", "tracking_number": "1234-5678-9012", "delivery_company": "ヤマト運輸"}
UNKNOWN_COMPANY = "謎の運送"  # not in BASE's list: refused at entry, so the order stays as imported
_tick_minutes = itertools.count(1)


def _tomorrow() -> str:
    return (datetime.now(JST).date() + timedelta(days=1)).isoformat()


def ineligible_variants() -> list[tuple[str, dict[str, Any] | None]]:
    """(why, PATCH body or None for "never touched") for orders that must not be dispatched."""
    return [
        ("ship_date_in_future", {**READY, "ship_date": _tomorrow()}),
        ("status_new", {**READY, "status": "new"}),
        ("unknown_company", {**READY, "delivery_company": UNKNOWN_COMPANY}),
        ("cancelled", {**READY, "status": "cancelled"}),
        ("untouched", None),
    ]


def drain_once(stack: StackUnderTest) -> int:
    """One pass of Lambda's SQS event source over the jobs queue; a job that failed (or whose worker
    raised) is handed out again by the next pass, as SQS does once its visibility timeout ends.
    Returns the jobs delivered (the queue's batch size is 1)."""
    return len(drain(stack.lambdas, "JobsQueue"))


def drain_until_empty(stack: StackUnderTest, *, rounds: int = 40) -> int:
    """Deliver queued jobs until none is left; a failed job is redelivered (as SQS would). Returns deliveries."""
    delivered = 0
    for _ in range(rounds):
        count = drain_once(stack)
        if not count:
            return delivered
        delivered += count
    return delivered


def import_until_stored(stack: StackUnderTest, shop_id: str, keys: list[str], *, rounds: int = 12) -> None:
    """Import (manual job through the worker) until every key is stored with its items."""
    for _ in range(rounds):
        with stack.env("JobWorkerFunction"):
            enqueue(
                stack.local.refs["JobsQueue"],
                Job(kind=JobKind.IMPORT, shop_id=shop_id, trigger=Trigger.MANUAL),
            )
        drain_until_empty(stack)
        stored = stored_orders(stack, shop_id, keys)
        if all(k in stored and stored[k].base.items is not None for k in keys):
            return
    raise AssertionError(f"{shop_id}: orders still not imported after {rounds} rounds")


def enter_shipping(stack: StackUnderTest, shop_id: str, bodies: dict[str, dict[str, Any]]) -> None:
    """Staff enter shipping information (the management service the PATCH route calls), in parallel."""
    with stack.env("ManagementApiFunction"):
        service = ManagementService(
            wiring.shop_repository(), wiring.order_repository(), jobs_queue_url=get_config().jobs_queue_url
        )

        def enter(item: tuple[str, dict[str, Any]]) -> None:
            try:
                service.patch_order(shop_id, item[0], OrderPatch.parse(item[1]).changes())
            except InvalidInput:
                if item[1].get("delivery_company") != UNKNOWN_COMPANY:
                    raise

        parallel(enter, list(bodies.items()))


def prepare_shop(
    stack: StackUnderTest,
    shop_id: str,
    count: int,
    *,
    ineligible_every: int = 5,
    connect: bool = True,
) -> Planned:
    """A connected shop with ``count`` imported orders: most ready to go out today, every
    ``ineligible_every``-th one held back for one of the reasons of :func:`ineligible_variants`."""
    if connect:
        connect_shop(stack, shop_id, f"{shop_id}店")
    keys, item_ids, held = create_planned(stack, shop_id, count, ineligible_every=ineligible_every)
    import_until_stored(stack, shop_id, keys)
    variants = ineligible_variants()
    bodies: dict[str, dict[str, Any]] = {}
    ineligible: dict[str, str] = {}
    for n, index in enumerate(held):
        why, body = variants[n % len(variants)]
        ineligible[keys[index]] = why
        if body is not None:
            bodies[keys[index]] = body
    eligible = {k: item_ids[k] for k in keys if k not in ineligible}
    bodies.update(dict.fromkeys(eligible, READY))
    enter_shipping(stack, shop_id, bodies)
    return Planned(shop_id, eligible, ineligible)


def export_tick(stack: StackUnderTest) -> int:
    """One scheduled export tick (a later one each call, so it names new jobs), then the jobs run."""
    later = datetime.now(UTC) + timedelta(minutes=30 * next(_tick_minutes))
    with stack.env("ExportScheduleFunction"):
        report = queue_scheduled_jobs(
            JobKind.EXPORT,
            shops=wiring.shop_repository(),
            ticks=wiring.tick_repository(),
            queue_url=get_config().require("jobs_queue_url"),
            now=later,
        )
    drain_until_empty(stack)
    return report.queued
