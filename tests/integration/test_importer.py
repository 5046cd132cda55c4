"""The importer end to end: schedule tick -> per-shop FIFO queue -> job worker -> BASE sandbox -> DynamoDB."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from tests.support.flows import connect_shop
from tests.support.stack import REGION, StackUnderTest, drain_jobs

from base_sync import wiring
from base_sync.domain.order import BaseSnapshot, ExportState, Order
from base_sync.domain.status import ManagementStatus
from base_sync.services.jobs import Job, JobKind, Trigger, enqueue

pytestmark = pytest.mark.integration
ITEM = [{"title": "商品", "price": 1200, "amount": 1}]


def _seed_days(stack: StackUnderTest, shop_id: str, days: int) -> list[str]:
    """One order per day, each placed `d` days and one hour ago (d = 0 .. days-1); newest first."""
    now = datetime.now(UTC)
    created = stack.base.create_orders(
        shop_id,
        [
            {
                "ordered": int((now - timedelta(days=d, hours=1)).timestamp()),
                "payment": "creditcard",
                "items": ITEM,
            }
            for d in range(days)
        ],
    )
    return [o["unique_key"] for o in created]


def _set(stack: StackUnderTest, shop_id: str, **settings) -> None:
    with stack.env("JobWorkerFunction"):
        repo = wiring.shop_repository()
        repo.put_settings(shop_id, repo.get(shop_id).settings.model_copy(update=settings))


def _import_now(stack: StackUnderTest, shop_id: str = "shop-a") -> dict[str, Any]:
    with stack.env("JobWorkerFunction"):
        enqueue(
            stack.local.refs["JobsQueue"], Job(kind=JobKind.IMPORT, shop_id=shop_id, trigger=Trigger.MANUAL)
        )
    answers = drain_jobs(stack)
    assert answers and all(a == {"batchItemFailures": []} for a in answers), answers
    with stack.env("JobWorkerFunction"):
        last = wiring.shop_repository().get(shop_id).last_import
    assert last is not None
    return last


def _stored(stack: StackUnderTest, shop_id: str = "shop-a") -> dict[str, Order]:
    with stack.env("JobWorkerFunction"):
        page = wiring.order_repository().list(shop_id, limit=100)
    return {o.unique_key: o for o in page.orders}


def _base_calls(stack: StackUnderTest, shop_id: str = "shop-a") -> dict[str, int]:
    counts: dict[str, int] = {}
    for call in stack.base.calls(shop_id=shop_id)["calls"]:
        path = call["path"]
        kind = "detail" if path.startswith("/1/orders/detail/") else path
        counts[kind] = counts.get(kind, 0) + 1
    return counts


def test_schedule_tick_imports_exactly_the_window(stack: StackUnderTest):
    connect_shop(stack)
    keys = _seed_days(stack, "shop-a", 12)
    stack.base.cancel_order(keys[2])
    _set(stack, "shop-a", import_days=7)
    tick = stack.invoke("ImportScheduleFunction", {})
    assert tick["queued"] == 1
    answers = drain_jobs(stack)
    assert answers == [{"batchItemFailures": []}]
    stored = _stored(stack)
    assert set(stored) == set(keys[:7])
    assert stored[keys[0]].status == "new"
    assert stored[keys[2]].status == "cancelled"
    assert all(o.export_state == ExportState.NOT_READY for o in stored.values())
    items = stored[keys[0]].base.items
    assert items is not None and items[0].status == "ordered"
    with stack.env("JobWorkerFunction"):
        last = wiring.shop_repository().get("shop-a").last_import
    assert last is not None
    assert (last["new"], last["updated"], last["unchanged"]) == (7, 0, 0)
    assert last["api_calls"] == 9  # the day's delivery-company list, one list page, seven details
    assert last["errors"] == []


def test_second_run_over_unchanged_data_makes_only_list_calls(stack: StackUnderTest):
    connect_shop(stack)
    _seed_days(stack, "shop-a", 5)
    _import_now(stack)
    stack.base.clear_calls()
    last = _import_now(stack)
    assert _base_calls(stack) == {"/1/orders": 1}
    assert (last["new"], last["updated"], last["unchanged"], last["api_calls"]) == (0, 0, 5, 1)


def test_changes_on_base_between_runs_are_reflected_and_management_fields_survive(stack: StackUnderTest):
    connect_shop(stack)
    keys = _seed_days(stack, "shop-a", 4)
    _import_now(stack)
    with stack.env("JobWorkerFunction"):
        repo = wiring.order_repository()
        order = repo.get("shop-a", keys[0])
        repo.save(
            order.model_copy(
                update={
                    "status": ManagementStatus.HOLD,
                    "tracking_number": "123412341234",
                    "delivery_company": "ヤマト運輸",
                }
            )
        )
    stack.base.cancel_order(keys[1])
    stack.base.dispatch_by_hand(keys[2])
    stack.base.dispatch_by_hand(keys[0])
    stack.base.clear_calls()
    last = _import_now(stack)
    assert (last["new"], last["updated"], last["unchanged"]) == (0, 3, 1)
    assert _base_calls(stack) == {"/1/orders": 1, "detail": 3}
    stored = _stored(stack)
    assert stored[keys[0]].status == "hold"
    assert stored[keys[0]].tracking_number == "123412341234"
    assert stored[keys[0]].delivery_company == "ヤマト運輸"
    assert stored[keys[0]].export_state == ExportState.ALREADY_DISPATCHED
    assert stored[keys[1]].export_reason == "cancelled_on_base"
    assert stored[keys[2]].export_state == ExportState.ALREADY_DISPATCHED
    assert stored[keys[3]].export_state == ExportState.NOT_READY


def test_budget_stops_the_run_and_the_next_run_resumes(stack: StackUnderTest):
    connect_shop(stack)
    _seed_days(stack, "shop-a", 25)
    _set(stack, "shop-a", import_call_budget=10, import_days=30)
    first = _import_now(stack)
    assert first["stopped"] == "budget_spent"
    assert first["api_calls"] == 10
    assert first["new"] == 8  # the day's delivery-company list, one list page, eight details
    second = _import_now(stack)
    assert second["api_calls"] == 10 and second["new"] == 9  # the list is cached for the day
    third = _import_now(stack)
    assert third["stopped"] is None
    assert (third["new"], third["unchanged"]) == (8, 17)
    assert len(_stored(stack)) == 25


def test_hour_limit_stops_at_once_and_the_next_run_finishes(stack: StackUnderTest):
    connect_shop(stack)
    _seed_days(stack, "shop-a", 6)
    limits = stack.base.limits("shop-a")
    stack.base.set_limits(
        "shop-a", hour=int(limits["hour_used"]) + 4
    )  # the delivery-company list, the list page + 2 details, then refused
    first = _import_now(stack)
    assert first["stopped"] == "rate_limited"
    assert first["new"] == 2
    assert (first["errors"][0]["reason"], first["errors"][0]["base_error"]) == (
        "rate_limited",
        "hour_api_limit",
    )
    stack.base.set_limits("shop-a", hour=5000, hour_used=0)
    second = _import_now(stack)
    assert second["stopped"] is None
    assert (second["new"], second["unchanged"]) == (4, 2)


def test_schedule_queues_only_connected_shops_with_auto_import(stack: StackUnderTest):
    for shop_id in ("shop-a", "shop-b", "shop-c"):
        connect_shop(stack, shop_id, shop_id)
    _set(stack, "shop-b", auto_import=False)
    with stack.env("JobWorkerFunction"):
        wiring.shop_repository().mark_needs_reauth(
            "shop-c", reason="test", now_iso="2026-01-01T00:00:00+00:00"
        )
    event = {"scheduled_time": "2026-12-02T03:30:00Z"}
    tick = stack.invoke("ImportScheduleFunction", event)
    assert tick["queued"] == 1
    assert tick["skipped"] == {"auto_import_disabled": 1}  # shop-c (needs_reauth) is not even read
    again = stack.invoke("ImportScheduleFunction", event)  # the same tick, retried by Lambda
    assert (again["queued"], again["outcome"]) == (0, "already_finished")
    sqs = boto3.client("sqs", region_name=REGION)
    attrs = sqs.get_queue_attributes(QueueUrl=stack.local.refs["JobsQueue"], AttributeNames=["All"])[
        "Attributes"
    ]
    assert int(attrs["ApproximateNumberOfMessages"]) == 1  # the same tick queues its job once


def test_ready_query_reads_only_ready_orders(stack: StackUnderTest):
    """300 orders, 3 ready: the ready index reads 3 items, not the table."""
    from base_sync.dal.orders import ReadCost  # noqa: PLC0415

    now = datetime.now(UTC).isoformat()
    with stack.env("JobWorkerFunction"):
        repo = wiring.order_repository()
        for i in range(300):
            state = ExportState.PENDING if i % 100 == 0 else ExportState.NOT_READY
            repo.create(
                Order(
                    shop_id="shop-r",
                    unique_key=f"K{i:04d}",
                    base=BaseSnapshot(ordered=1_700_000_000 + i),
                    export_state=state,
                    imported_at=now,
                )
            )
        cost = ReadCost()
        ready = list(repo.ready("shop-r", cost))
    assert sorted(o.unique_key for o in ready) == ["K0000", "K0100", "K0200"]
    assert cost.items_read == 3


def test_open_orders_older_than_the_window_learn_what_happened_on_base(stack: StackUnderTest):
    """Issue 14: BASE's list filters by order date only; an order 9 days old that we still hold open
    learns its cancellation, its payment and a dispatch by hand at the next import with import_days=3."""
    connect_shop(stack)
    now = datetime.now(UTC)
    nine_days = int((now - timedelta(days=9)).timestamp())
    created = stack.base.create_orders(
        "shop-a",
        [
            {"ordered": nine_days, "payment": "creditcard", "items": ITEM},  # cancelled on BASE later
            {"ordered": nine_days + 60, "payment": "creditcard", "items": ITEM},  # dispatched by hand later
            {"ordered": nine_days + 120, "payment": "cvs", "items": ITEM},  # paid later
            {"ordered": nine_days + 180, "payment": "creditcard", "items": ITEM},  # nothing happens
            {"ordered": int((now - timedelta(days=20)).timestamp()), "payment": "creditcard", "items": ITEM},
        ],
    )
    cancel, by_hand, pay, quiet, never_held = (o["unique_key"] for o in created)
    _set(stack, "shop-a", import_days=10)
    _import_now(stack)
    assert set(_stored(stack)) == {cancel, by_hand, pay, quiet}
    assert _stored(stack)[pay].base.dispatch_status == "unpaid"
    stack.base.cancel_order(cancel)
    stack.base.dispatch_by_hand(by_hand)
    stack.base.mark_paid(pay)
    _set(stack, "shop-a", import_days=3)
    stack.base.clear_calls()
    last = _import_now(stack)
    stored = _stored(stack)
    assert stored[cancel].export_reason == "cancelled_on_base"
    assert stored[by_hand].export_state == ExportState.ALREADY_DISPATCHED
    assert stored[pay].base.dispatch_status == "ordered"
    assert never_held not in stored  # following open orders never imports an order outside the window
    assert last["followed"] == 4
    # the window's list, one list page back to the oldest open order, a detail per changed order only
    assert _base_calls(stack) == {"/1/orders": 2, "detail": 3}
    stack.base.clear_calls()
    last = _import_now(stack)
    assert last["followed"] == 2  # `quiet` and `pay` (paid, not yet shipped) are still open
    assert _base_calls(stack) == {"/1/orders": 2}


def test_a_stray_old_open_order_is_read_by_its_detail_not_by_listing_back_to_it(stack: StackUnderTest):
    """Where listing back would cost more pages than there are old open orders, the import reads
    their details instead: one call for one stray order behind 500 newer ones."""
    connect_shop(stack)
    now = datetime.now(UTC)

    def at(days: float) -> int:
        return int((now - timedelta(days=days)).timestamp())

    stray = stack.base.create_orders("shop-a", [{"ordered": at(9), "payment": "creditcard", "items": ITEM}])
    stray_key = stray[0]["unique_key"]
    _set(stack, "shop-a", import_days=10)
    _import_now(stack)  # the stray order is stored while it is inside the window
    between = [{"ordered": at(3.5 + i * 5 / 500), "payment": "creditcard", "items": ITEM} for i in range(500)]
    recent = [
        {"ordered": at(0.1 + i * 2.5 / 250), "payment": "creditcard", "items": ITEM} for i in range(250)
    ]
    stack.base.create_orders("shop-a", between + recent)
    _set(stack, "shop-a", import_days=3)
    _import_now(stack)  # stores the window's 250
    stack.base.cancel_order(stray_key)
    stack.base.clear_calls()
    last = _import_now(stack)
    assert last["followed"] == 1
    # three pages of the window (250 orders, then a short page), then the stray order's detail
    assert _base_calls(stack) == {"/1/orders": 3, "detail": 1}
    with stack.env("JobWorkerFunction"):
        assert wiring.order_repository().get("shop-a", stray_key).export_reason == "cancelled_on_base"
