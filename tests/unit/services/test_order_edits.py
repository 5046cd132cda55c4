"""Edits as the operator makes them (ManagementService.prepare_edit), then the exporter, on the fakes.

An export cannot be recalled: the shop's ``export_delay_minutes`` window must hold an edited order
back from every trigger, an edit inside it must replace what goes out, and once the window has
passed the order goes exactly once. A delivery company is checked when it is entered.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from tests.support.world import SHOP, World

from base_sync.domain.export import Outcome
from base_sync.domain.order import ExportState
from base_sync.domain.reasons import Reason
from base_sync.domain.shop import KnownCompany
from base_sync.domain.status import ManagementStatus
from base_sync.services.errors import InvalidInput
from base_sync.services.management import ManagementService, OrderChanges

BASE_LIST = [
    KnownCompany(delivery_company_id=1, name="クロネコヤマト"),
    KnownCompany(delivery_company_id=2, name="佐川急便"),
    KnownCompany(delivery_company_id=3, name="日本通運"),
    KnownCompany(delivery_company_id=4, name="日本郵便"),
]
SHIP: OrderChanges = {
    "status": ManagementStatus.PROCESSED,
    "tracking_number": "111122223333",
    "delivery_company": "ヤマト運輸",
}


def _world(**settings: Any) -> tuple[World, ManagementService]:
    world = World(**settings)
    world.shops.put_delivery_companies(SHOP, BASE_LIST, at_iso=world.now.isoformat())
    management = ManagementService(world.shops, world.orders, now=world.clock)  # type: ignore[arg-type]
    return world, management


def _new_order(world: World, key: str = "o1") -> None:
    world.ready(
        key, stored={"status": ManagementStatus.NEW, "tracking_number": None, "delivery_company": None}
    )
    world.orders.bump(SHOP, key, export_state=ExportState.NOT_READY)


def test_an_edit_inside_the_window_is_held_from_every_trigger_and_replaces_what_is_sent() -> None:
    world, management = _world(export_delay_minutes=5)
    _new_order(world)
    first = management.edit_order(SHOP, "o1", SHIP)
    assert (first.order.export_state, first.order.export_reason) == (
        ExportState.DEFERRED,
        Reason.EXPORT_DELAY,
    )
    assert first.order.export_not_before == (world.now + timedelta(minutes=5)).isoformat()
    assert first.forecast is not None and first.forecast.how == "next_scheduled_export"
    assert first.forecast.at == world.now + timedelta(minutes=5)

    for trigger in ("change", "manual", "schedule"):  # inside the window nothing goes, whatever asks
        run = world.export(trigger=trigger)
        assert [(r.outcome, r.reason) for r in run.results] == [(Outcome.DEFERRED, Reason.EXPORT_DELAY)]
    assert world.base.sent == []

    world.now += timedelta(minutes=3)  # a correction inside the window moves it
    corrected = management.edit_order(SHOP, "o1", {"tracking_number": "444455556666"})
    assert corrected.order.export_not_before == (world.now + timedelta(minutes=5)).isoformat()
    world.now += timedelta(minutes=3)  # past the first window, inside the second
    assert world.export(trigger="schedule").results[0].reason is Reason.EXPORT_DELAY
    assert world.base.sent == []

    world.now += timedelta(minutes=2, seconds=1)  # the window has passed: sent once, as corrected
    run = world.export(trigger="schedule")
    assert [r.outcome for r in run.results] == [Outcome.DISPATCHED]
    assert len(world.base.sent) == 1
    sent = world.stored("o1").sent_to_base
    assert sent is not None and sent.tracking_number == "444455556666"
    assert world.export(trigger="schedule").results == []  # never twice
    assert world.export(trigger="manual", order_keys=["o1"]).results[0].outcome is not Outcome.DISPATCHED
    assert len(world.base.sent) == 1


def test_the_window_never_lets_an_order_out_early() -> None:
    world, management = _world(export_delay_minutes=15)
    _new_order(world)
    management.edit_order(SHOP, "o1", SHIP)
    world.now += timedelta(minutes=14, seconds=59)
    world.export(trigger="change")
    assert world.base.sent == []
    world.now += timedelta(seconds=1)
    world.export(trigger="change")
    assert len(world.base.sent) == 1


def test_without_a_delay_the_edit_sends_within_a_minute_and_says_so() -> None:
    world, management = _world()
    _new_order(world)
    shown = management.edit_order(SHOP, "o1", SHIP)
    assert (shown.order.export_state, shown.order.export_not_before) == (ExportState.PENDING, None)
    assert shown.forecast is not None and (shown.forecast.how, shown.forecast.at) == (
        "within_a_minute",
        world.now,
    )
    assert shown.forecast.automatic


def test_with_auto_export_off_nothing_goes_by_itself() -> None:
    world, management = _world(auto_export=False)
    _new_order(world)
    shown = management.edit_order(SHOP, "o1", SHIP)
    assert shown.forecast is not None and shown.forecast.how == "when_you_export"
    assert not shown.forecast.automatic


def test_a_not_ready_order_has_no_send_time() -> None:
    world, management = _world(export_delay_minutes=5)
    _new_order(world)
    shown = management.edit_order(SHOP, "o1", {"tracking_number": "111122223333"})
    assert shown.order.export_state is ExportState.NOT_READY
    assert (shown.order.export_not_before, shown.forecast) == (None, None)


def test_what_base_received_is_recorded_at_the_dispatch() -> None:
    world, management = _world(comment_template="{delivery_company} {tracking_number} {ship_date}")
    _new_order(world)
    management.edit_order(SHOP, "o1", {**SHIP, "delivery_company": "sagawa"})
    run = world.export()
    sent = world.stored("o1").sent_to_base
    assert sent is not None
    assert (sent.delivery_company_id, sent.delivery_company_name) == (2, "佐川急便")  # not what was typed
    assert sent.tracking_number == "111122223333"
    assert sent.ship_date == date(2026, 12, 3)  # the day the tracking number was entered (JST)
    assert sent.comment == "佐川急便 111122223333 2026年12月3日"
    assert (sent.export_id, sent.trigger) == (run.export_id, "manual")
    assert datetime.fromisoformat(sent.sent_at) == world.now.astimezone(UTC)
    assert world.stored("o1").delivery_company == "sagawa"  # the operator's entry stays as typed


@pytest.mark.parametrize("typed", ["ABC急便", "sagwa", "クロネコ宅急便X"])
def test_an_unknown_company_is_refused_at_entry_with_the_closest_and_nothing_is_written(typed: str) -> None:
    world, management = _world()
    _new_order(world)
    before = world.stored("o1")
    with pytest.raises(InvalidInput) as refused:
        management.edit_order(SHOP, "o1", {**SHIP, "delivery_company": typed})
    text = refused.value.fields["delivery_company"]
    assert typed in text and "近いもの" in text and "closest" in text
    assert world.stored("o1") == before


def test_closest_matches_name_the_likely_carrier_first() -> None:
    world, management = _world()
    _new_order(world)
    for typed, first in (("sagwa", "佐川急便"), ("yamat", "クロネコヤマト"), ("nihon tsuun", "日本通運")):
        with pytest.raises(InvalidInput) as refused:
            management.edit_order(SHOP, "o1", {"delivery_company": typed})
        closest = refused.value.fields["delivery_company"].split("近いもの: ")[1]
        assert closest.startswith(first), (typed, closest)
    with pytest.raises(InvalidInput) as refused:  # 急便: 佐川急便 and ヤマトの宅急便 both come close
        management.edit_order(SHOP, "o1", {"delivery_company": "ABC急便"})
    two = refused.value.fields["delivery_company"].split("近いもの: ")[1].split(" / ")[0].split(", ")[:2]
    assert sorted(two) == ["クロネコヤマト (id 1)", "佐川急便 (id 2)"]


@pytest.mark.parametrize("typed", ["ヤマト運輸", "ｸﾛﾈｺﾔﾏﾄ", "sagawa", "2", "ゆうパック", "日本郵便株式会社"])
def test_aliases_and_ids_that_resolve_are_accepted(typed: str) -> None:
    world, management = _world()
    _new_order(world)
    shown = management.edit_order(SHOP, "o1", {**SHIP, "delivery_company": typed})
    assert shown.order.delivery_company == typed


def test_without_a_cached_list_the_entry_is_accepted_and_the_export_decides() -> None:
    world = World()
    management = ManagementService(world.shops, world.orders, now=world.clock)  # type: ignore[arg-type]
    _new_order(world)
    shown = management.edit_order(SHOP, "o1", {**SHIP, "delivery_company": "ABC急便"})
    assert shown.order.delivery_company == "ABC急便"
    assert world.export().results[0].reason is Reason.UNKNOWN_DELIVERY_COMPANY


def test_the_import_caches_the_list_once_a_day() -> None:
    world = World()
    world.import_()
    cached = world.shops.get(SHOP)
    assert [c.name for c in cached.delivery_companies or []] == [c.name for c in world.base.companies]
    assert world.base.calls.by_endpoint["delivery_companies"] == 1
    world.now += timedelta(hours=23)
    world.import_()
    assert world.base.calls.by_endpoint["delivery_companies"] == 1
    world.now += timedelta(hours=1, seconds=1)
    world.import_()
    assert world.base.calls.by_endpoint["delivery_companies"] == 2


def test_an_export_that_read_bases_list_caches_it_for_a_shop_without_one() -> None:
    world = World()
    management = ManagementService(world.shops, world.orders, now=world.clock)  # type: ignore[arg-type]
    _new_order(world)
    management.edit_order(SHOP, "o1", SHIP)
    world.export()
    assert world.base.calls.by_endpoint["delivery_companies"] == 1  # the run's own read, nothing more
    cached = world.shops.get(SHOP).delivery_companies
    assert [c.name for c in cached or []] == [c.name for c in world.base.companies]
    _new_order(world, "o2")
    with pytest.raises(InvalidInput):  # from now on an unknown company is refused at entry
        management.edit_order(SHOP, "o2", {**SHIP, "delivery_company": "ABC急便"})
    world.import_()
    assert world.base.calls.by_endpoint["delivery_companies"] == 1  # fresh enough: the import reads none
