"""Ship within a minute: the orders table's stream (moto) exports an order as soon as an edit makes it ready."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from tests.support.flows import connect_shop
from tests.support.orders import dispatch_calls, export_now, import_now, make_orders, ship, stored
from tests.support.stack import StackUnderTest, drain_jobs

from base_sync.domain.order import ExportState
from devstack.streams import StreamPump

pytestmark = pytest.mark.integration


@pytest.fixture
def pump(stack: StackUnderTest) -> Iterator[StreamPump]:
    yield StreamPump(stack.lambdas)


def _log(stack: StackUnderTest, shop_id: str) -> list[dict[str, Any]]:
    answer = stack.http("GET", "/exports", query={"shop_id": shop_id, "limit": "100"})
    assert answer.status == 200, answer.body
    return list(answer.json()["exports"])


def test_patch_dispatches_without_any_schedule_tick(stack: StackUnderTest, pump: StreamPump):
    connect_shop(stack, "shop-f", "F店")
    key = make_orders(stack, "shop-f", [{}])[0]
    import_now(stack, "shop-f")
    pump.pump()  # the import's own writes (orders not ready) queue nothing
    assert _log(stack, "shop-f") == []
    ship(stack, "shop-f", key)
    answers = pump.pump()
    assert answers == [{"queued": {"shop-f": [key]}, "already_queued": {}, "skipped": {}}]
    drain_jobs(stack)
    assert len(stack.base.emails("shop-f")) == 1
    assert stored(stack, "shop-f", key).export_state == ExportState.EXPORTED
    log = _log(stack, "shop-f")
    assert [(e["trigger"], e["counts"]["dispatched"]) for e in log] == [("change", 1)]
    assert all(a["queued"] == {} for a in pump.pump())  # the exporter's own writes do not trigger again
    assert len(_log(stack, "shop-f")) == 1


def test_a_burst_of_300_edits_makes_a_handful_of_jobs_and_each_item_goes_once(
    stack: StackUnderTest, pump: StreamPump
):
    connect_shop(stack, "shop-b", "B店")
    keys = make_orders(stack, "shop-b", [{} for _ in range(300)])
    import_now(stack, "shop-b")
    pump.pump()
    for key in keys:
        ship(stack, "shop-b", key)
    answers = pump.pump()
    assert 1 <= len(answers) <= 4  # batches of up to 100 records
    drain_jobs(stack)
    log = _log(stack, "shop-b")
    assert len(log) == len(answers)
    assert sum(e["counts"]["dispatched"] for e in log) == 300
    emails = stack.base.emails("shop-b")
    assert len(emails) == 300 and len({e["unique_key"] for e in emails}) == 300
    assert stack.base.tokens()["shops"]["shop-b"]["refreshes_succeeded"] == 0


def test_stream_schedule_and_manual_exports_together_send_each_item_once(
    stack: StackUnderTest, pump: StreamPump
):
    connect_shop(stack, "shop-t", "T店")
    keys = make_orders(
        stack,
        "shop-t",
        [
            {"items": [{"title": "a", "price": 1, "amount": 1}, {"title": "b", "price": 1, "amount": 1}]}
            for _ in range(20)
        ],
    )
    import_now(stack, "shop-t")
    pump.pump()
    for key in keys:
        ship(stack, "shop-t", key)
    pump.pump()  # queues a change export
    stack.invoke("ExportScheduleFunction", {})  # queues a scheduled export
    assert stack.http("POST", "/exports", body={"shop_id": "shop-t"}).status == 202  # and a manual one
    drain_jobs(stack)
    assert len(dispatch_calls(stack, "shop-t")) == 40
    assert len(stack.base.emails("shop-t")) == 40
    triggers = sorted(e["trigger"] for e in _log(stack, "shop-t"))
    assert triggers == ["change", "manual", "schedule"]


def test_auto_export_off_means_no_change_export(stack: StackUnderTest, pump: StreamPump):
    connect_shop(stack, "shop-o", "O店")
    assert stack.http("PUT", "/shops/shop-o/settings", body={"auto_export": False}).status == 200
    key = make_orders(stack, "shop-o", [{}])[0]
    import_now(stack, "shop-o")
    pump.pump()
    ship(stack, "shop-o", key)
    assert pump.pump() == [
        {"queued": {}, "already_queued": {}, "skipped": {"shop-o": "auto_export_disabled"}}
    ]
    assert export_now(stack, "shop-o")["counts"]["dispatched"] == 1  # manual export still works


def test_future_ship_date_waits_for_its_day(stack: StackUnderTest, pump: StreamPump):
    """A deferred order is not in the change path; the daily 00:00 JST tick (ExportScheduleFunction) releases it."""
    from datetime import datetime  # noqa: PLC0415

    from base_sync.rules.ship_date import JST  # noqa: PLC0415

    connect_shop(stack, "shop-d", "D店")
    key = make_orders(stack, "shop-d", [{}])[0]
    import_now(stack, "shop-d")
    pump.pump()
    tomorrow = (datetime.now(JST).date() + timedelta(days=1)).isoformat()
    ship(stack, "shop-d", key, ship_date=tomorrow)
    assert pump.pump() == []  # deferred, so the stream filter lets nothing through
    assert stored(stack, "shop-d", key).export_state == ExportState.DEFERRED
    events = stack.local.template.functions()["ExportScheduleFunction"].events
    release = events["ReleaseDeferred"]["Properties"]
    assert (release["ScheduleExpression"], release["ScheduleExpressionTimezone"]) == (
        "cron(0 0 * * ? *)",
        "Asia/Tokyo",
    )
