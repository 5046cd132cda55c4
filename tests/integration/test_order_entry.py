"""Edits as the operator enters them, through the HTTP API: the company checked at entry, the send
announced where it happens, the shop's export delay, and what BASE received shown on the order."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from tests.support.flows import connect_shop
from tests.support.orders import dispatch_calls, export_now, import_now, make_orders, patch, stored
from tests.support.stack import StackUnderTest, drain_jobs

from base_sync.domain.order import ExportState
from base_sync.rules.ship_date import today_jst
from base_sync.services import exporter
from base_sync.services.jobs import Trigger
from devstack.streams import StreamPump

pytestmark = pytest.mark.integration

SHIP = {"status": "processed", "tracking_number": "1234-5678-9012", "delivery_company": "sagawa"}


@pytest.fixture
def pump(stack: StackUnderTest) -> Iterator[StreamPump]:
    yield StreamPump(stack.lambdas)


def _order(stack: StackUnderTest, shop_id: str, key: str) -> dict[str, Any]:
    answer = stack.http("GET", f"/shops/{shop_id}/orders/{key}")
    assert answer.status == 200, answer.body
    return dict(answer.json())


def _settings(stack: StackUnderTest, shop_id: str, **changes: Any) -> None:
    current = stack.http("GET", f"/shops/{shop_id}/settings").json()
    answer = stack.http("PUT", f"/shops/{shop_id}/settings", body={**current, **changes})
    assert answer.status == 200, answer.body


def test_the_import_caches_bases_company_list_and_an_unknown_company_is_refused_at_entry(
    stack: StackUnderTest,
) -> None:
    connect_shop(stack, "shop-e", "E店")
    key = make_orders(stack, "shop-e", [{}])[0]
    import_now(stack, "shop-e")
    before = _order(stack, "shop-e", key)
    answer = patch(stack, "shop-e", key, {**SHIP, "delivery_company": "ABC急便"})
    assert answer.status == 422, answer.body
    body = answer.json()
    assert body["error"] == "validation_failed"
    reason = body["fields"]["delivery_company"]
    assert "ABC急便" in reason and "近いもの" in reason and "closest" in reason
    assert "佐川急便" in reason and "クロネコヤマト" in reason  # the sandbox's BASE list, closest first
    assert _order(stack, "shop-e", key) == before  # nothing written: not the tracking number, not the status
    for alias in ("ヤマト運輸", "sagawa", "2"):  # what already resolved keeps working
        assert patch(stack, "shop-e", key, {**SHIP, "delivery_company": alias}).status == 200


def test_after_export_the_order_shows_what_base_received(stack: StackUnderTest) -> None:
    connect_shop(stack, "shop-r", "R店")
    _settings(stack, "shop-r", auto_export=False, comment_template="{delivery_company} {tracking_number}")
    key = make_orders(stack, "shop-r", [{}])[0]
    import_now(stack, "shop-r")
    edited = patch(stack, "shop-r", key, SHIP).json()
    assert edited["sent_to_base"] is None and edited["will_send_how"] == "when_you_export"
    run = export_now(stack, "shop-r", order_keys=[key])
    assert run["counts"]["dispatched"] == 1
    shown = _order(stack, "shop-r", key)
    assert shown["delivery_company"] == "sagawa"  # what was typed stays
    sent = shown["sent_to_base"]
    on_base = stack.base.get_order(key)
    assert (sent["delivery_company_name"], sent["delivery_company_id"]) == ("佐川急便", 2)
    assert sent["delivery_company_id"] == on_base["delivery_company_id"]
    assert sent["tracking_number"] == "123456789012" == on_base["tracking_number"]
    assert sent["ship_date"] == today_jst(datetime.now(UTC)).isoformat()
    assert sent["comment"] == "佐川急便 123456789012"
    assert sent["export_id"] == run["export_id"] and sent["trigger"] == "manual" and sent["sent_at"]
    assert shown["will_send_at"] is None  # exported: nothing more goes


class _Later(datetime):
    """The exporter's clock, moved past the shop's export delay."""

    shift = timedelta(0)

    @classmethod
    def now(cls, tz: Any = None) -> _Later:
        return super().now(tz) + cls.shift


def test_the_export_delay_holds_every_trigger_then_the_schedule_sends_the_last_edit_once(
    stack: StackUnderTest, pump: StreamPump, monkeypatch: pytest.MonkeyPatch
) -> None:
    connect_shop(stack, "shop-w", "W店")
    _settings(stack, "shop-w", export_delay_minutes=15)
    key = make_orders(stack, "shop-w", [{}])[0]
    import_now(stack, "shop-w")
    pump.pump()
    started = datetime.now(UTC)
    first = patch(stack, "shop-w", key, SHIP).json()
    assert (first["export_state"], first["export_reason"]) == ("deferred", "export_delay")
    assert first["export_message_ja"] and first["export_message"]
    assert first["will_send_how"] == "next_scheduled_export"
    not_before = datetime.fromisoformat(first["export_not_before"])
    assert timedelta(minutes=15) <= not_before - started < timedelta(minutes=16)
    assert datetime.fromisoformat(first["will_send_at"]) == not_before

    # inside the window: the stream queues nothing, and a change-triggered, a scheduled and a manual
    # export all hold the order
    assert all(a["queued"] == {} for a in pump.pump())
    with stack.env("OrderChangeFunction"):
        from base_sync import wiring  # noqa: PLC0415

        shop = wiring.shop_repository().get("shop-w")
        wiring.export_service().queue_for_shop(
            shop, export_id="change-inside", order_keys=[key], trigger=Trigger.CHANGE
        )
    stack.invoke("ExportScheduleFunction", {})
    held = export_now(stack, "shop-w")
    drain_jobs(stack)
    assert held["results"][0]["reason"] == "export_delay"
    assert dispatch_calls(stack, "shop-w") == []
    change_run = stack.http("GET", "/exports/change-inside").json()
    assert change_run["trigger"] == "change" and change_run["results"][0]["reason"] == "export_delay"

    second = patch(stack, "shop-w", key, {"tracking_number": "9999-8888-7777"}).json()  # a correction
    assert datetime.fromisoformat(second["export_not_before"]) >= not_before  # the window moved
    assert stored(stack, "shop-w", key).export_state is ExportState.DEFERRED

    # past the window: the next scheduled export sends the corrected order, once
    _Later.shift = timedelta(minutes=16)
    monkeypatch.setattr(exporter, "datetime", _Later)
    stack.invoke("ExportScheduleFunction", {"scheduled_time": "2030-01-01T00:00:00Z"})
    drain_jobs(stack)
    calls = dispatch_calls(stack, "shop-w")
    assert len(calls) == 1
    assert stack.base.get_order(key)["tracking_number"] == "999988887777"
    stack.invoke("ExportScheduleFunction", {"scheduled_time": "2030-01-01T00:30:00Z"})
    export_now(stack, "shop-w", order_keys=[key])
    drain_jobs(stack)
    assert len(dispatch_calls(stack, "shop-w")) == 1  # never twice
    assert _order(stack, "shop-w", key)["sent_to_base"]["tracking_number"] == "999988887777"


@pytest.mark.parametrize("bad", [16, -1, "5", 2.5, True])
def test_export_delay_minutes_is_0_to_15(stack: StackUnderTest, bad: Any) -> None:
    connect_shop(stack, "shop-s", "S店")
    assert stack.http("GET", "/shops/shop-s/settings").json()["export_delay_minutes"] == 0  # the default
    answer = stack.http("PUT", "/shops/shop-s/settings", body={"export_delay_minutes": bad})
    assert answer.status == 422 and set(answer.json()["fields"]) == {"export_delay_minutes"}, answer.body
    for good in (0, 15):
        saved = stack.http("PUT", "/shops/shop-s/settings", body={"export_delay_minutes": good})
        assert saved.status == 200 and saved.json()["export_delay_minutes"] == good
