"""BASE as it behaves today (issue 14), through moto server and the sandbox: final states, new
payments, partner shops, BASE's own 60-day close, and a refused app told apart from a dead shop."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from tests.support.flows import AlertInbox, age_tokens, connect_shop
from tests.support.orders import dispatch_calls, export_now, import_now, make_orders, ship, stored
from tests.support.stack import CLIENT_ID, StackUnderTest, drain_jobs

from base_sync import wiring
from base_sync.domain.order import ExportState
from base_sync.rules.base_deadline import base_deadline
from base_sync.rules.ship_date import JST
from base_sync.services.errors import AppNeedsAttention, ShopNeedsReauth

pytestmark = pytest.mark.integration


def _import_sixty_days(stack: StackUnderTest) -> None:
    with stack.env("JobWorkerFunction"):
        shops = wiring.shop_repository()
        shops.put_settings("shop-a", shops.get("shop-a").settings.model_copy(update={"import_days": 60}))


def test_an_unshippable_order_is_never_tried(stack: StackUnderTest):
    connect_shop(stack)
    key = stack.base.preset_order("shop-a", "unshippable")["unique_key"]
    import_now(stack, "shop-a")
    ship(stack, "shop-a", key)
    run = export_now(stack, "shop-a")
    order = stored(stack, "shop-a", key)
    assert (order.export_state, order.export_reason) == (ExportState.NOT_READY, "unshippable")
    assert run["results"] == []  # not in the ready index: not even looked at
    run = export_now(stack, "shop-a", order_keys=[key])  # asked for by name: held, still no call
    assert [(r["outcome"], r["reason"]) for r in run["results"]] == [("skipped", "unshippable")]
    assert dispatch_calls(stack, "shop-a") == []


@pytest.mark.parametrize("kind", ["partner_shop", "bnpl", "new_payment", "shipping_lines"])
def test_orders_of_todays_kinds_import_and_export(stack: StackUnderTest, kind: str):
    connect_shop(stack)
    key = stack.base.preset_order("shop-a", kind)["unique_key"]
    import_now(stack, "shop-a")
    assert stored(stack, "shop-a", key).base.dispatch_status == "ordered"
    ship(stack, "shop-a", key)
    run = export_now(stack, "shop-a")
    assert [(r["unique_key"], r["outcome"]) for r in run["results"]] == [(key, "dispatched")]
    assert stack.base.get_order(key)["dispatch_status"] == "dispatched"
    assert len(stack.base.emails("shop-a")) == 1


def test_a_bnpl_order_base_refuses_fails_once_with_bases_reason(stack: StackUnderTest):
    connect_shop(stack)
    key = stack.base.preset_order("shop-a", "bnpl_refused")["unique_key"]
    import_now(stack, "shop-a")
    ship(stack, "shop-a", key)
    first = export_now(stack, "shop-a")
    assert [(r["outcome"], r["reason"], r.get("base_error")) for r in first["results"]] == [
        ("failed", "base_refused", "not_change_status")
    ]
    export_now(stack, "shop-a")
    export_now(stack, "shop-a")
    assert len(dispatch_calls(stack, "shop-a")) == 1
    assert stack.base.emails("shop-a") == []


def test_a_60_day_order_shows_its_deadline_and_is_never_sent_after_base_closed_it(stack: StackUnderTest):
    connect_shop(stack)
    _import_sixty_days(stack)  # the 60-day orders are stored while still open
    key = stack.base.preset_order("shop-a", "near_auto_close", ordered_days_ago=59.5)["unique_key"]
    import_now(stack, "shop-a")
    order = stored(stack, "shop-a", key)
    deadline = base_deadline(order.base)
    assert deadline is not None and deadline.verified
    assert deadline.day.isoformat() == stack.base.get_order(key)["_sandbox"]["base_deadline"]
    ship(stack, "shop-a", key, ship_date=(deadline.day + timedelta(days=3)).isoformat())  # staff are late
    stack.base.advance_clock(2 * 86400)  # BASE's clock passes the deadline: it closes the order
    import_now(stack, "shop-a")
    order = stored(stack, "shop-a", key)
    assert (order.export_state, order.export_reason) == (ExportState.ALREADY_DISPATCHED, "closed_by_base")
    run = export_now(stack, "shop-a", order_keys=[key])
    assert [r["outcome"] for r in run["results"]] == ["already_dispatched"]
    assert dispatch_calls(stack, "shop-a") == []
    assert stack.base.emails("shop-a") == []


def test_a_suspended_app_alerts_once_and_marks_no_shop(stack: StackUnderTest):
    inbox = AlertInbox(stack)
    for shop_id in ("shop-a", "shop-b"):
        connect_shop(stack, shop_id, shop_id)
        stack.base.expire_tokens(shop_id)
        age_tokens(stack, shop_id, expires_in=timedelta(seconds=-1), issued_ago=timedelta(hours=2))
    stack.base.suspend_app(CLIENT_ID)
    with stack.env("JobWorkerFunction"):
        for shop_id in ("shop-a", "shop-b", "shop-a"):
            with pytest.raises(AppNeedsAttention):
                wiring.token_provider(wiring.base_client()).access_token(shop_id)
        shops = {s.shop_id: s.status for s in wiring.shop_repository().list()}
    assert shops == {"shop-a": "connected", "shop-b": "connected"}
    alerts = inbox.messages()
    assert len(alerts) == 1 and "app" in alerts[0]["Subject"]
    assert "停止中" in alerts[0]["Message"]
    import_now(stack, "shop-a")
    with stack.env("JobWorkerFunction"):
        last = wiring.shop_repository().get("shop-a").last_import
    assert last is not None and last["stopped"] == "app_needs_attention"
    stack.base.unsuspend_app(CLIENT_ID)
    import_now(stack, "shop-a")
    with stack.env("JobWorkerFunction"):
        last = wiring.shop_repository().get("shop-a").last_import
    assert last is not None and last["stopped"] is None


def test_the_shipping_method_is_read_from_whichever_field_base_filled(stack: StackUnderTest):
    connect_shop(stack)
    lines = stack.base.preset_order("shop-a", "shipping_lines")["unique_key"]
    partner = stack.base.preset_order("shop-a", "partner_shop")["unique_key"]
    (older,) = make_orders(stack, "shop-a", [{"shipping_method": "宅急便"}])
    import_now(stack, "shop-a")
    assert stack.base.get_order(lines)["shipping_method"] is None
    assert stored(stack, "shop-a", lines).base.shipping_method == "ゆうパケット"
    assert stored(stack, "shop-a", older).base.shipping_method == "宅急便"
    assert stored(stack, "shop-a", partner).base.shipping_method is None  # BASE filled neither
    assert stored(stack, "shop-a", partner).base.last_name is not None  # names stay; contact fields are null
    import_now(stack, "shop-a")  # a list-only pass keeps what the detail said
    assert stored(stack, "shop-a", lines).base.shipping_method == "ゆうパケット"


def test_orders_near_bases_deadline_are_named_in_the_log_and_alerted_once_a_day(stack: StackUnderTest):
    inbox = AlertInbox(stack)
    connect_shop(stack)
    _import_sixty_days(stack)  # the 60-day orders are stored while still open
    near = stack.base.preset_order("shop-a", "near_auto_close")["unique_key"]  # 5 days left
    far = stack.base.preset_order("shop-a", "near_auto_close", ordered_days_ago=40)["unique_key"]  # 20 left
    for _ in range(2):
        import_now(stack, "shop-a")
    with stack.env("JobWorkerFunction"):
        last = wiring.shop_repository().get("shop-a").last_import
    assert last is not None
    deadline = stack.base.get_order(near)["_sandbox"]["base_deadline"]
    assert last["deadlines_soon"] == [{"unique_key": near, "base_deadline": deadline, "action": "closed"}]
    alerts = inbox.messages()
    assert len(alerts) == 1  # two imports, one alert
    assert near in alerts[0]["Message"] and far not in alerts[0]["Message"]
    assert "対応済" in alerts[0]["Message"]


def test_the_daily_limit_waits_until_jst_midnight(stack: StackUnderTest):
    """Issue 14: after ``day_api_limit`` the schedule spends no call on the shop until BASE's daily
    counter resets at JST midnight; another shop is served as usual."""
    connect_shop(stack)
    connect_shop(stack, "shop-b", "B店")
    make_orders(stack, "shop-a", [{}])
    stack.base.set_limits("shop-a", day=int(stack.base.limits("shop-a")["day_used"]))  # spent for today
    import_now(stack, "shop-a")
    with stack.env("JobWorkerFunction"):
        shop = wiring.shop_repository().get("shop-a")
    assert shop.last_import is not None and shop.last_import["stopped"] == "rate_limited"
    until = datetime.fromisoformat(shop.base_paused_until or "")
    now_jst = datetime.now(JST)
    assert until.astimezone(JST) == (now_jst + timedelta(days=1)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    stack.base.clear_calls()
    tick = stack.invoke("ImportScheduleFunction", {})
    assert tick["queued"] == 1 and tick["skipped"] == {"rate_limited": 1}  # shop-b queued, shop-a waits
    drain_jobs(stack)
    assert stack.base.calls(shop_id="shop-a")["calls"] == []
    on_demand = export_now(stack, "shop-a")  # asked for by hand: ends at once, in the log, no call
    assert (on_demand["status"], on_demand["error"]) == ("partial", "rate_limited")
    assert stack.base.calls(shop_id="shop-a")["calls"] == []
    after_midnight = stack.invoke(
        "ImportScheduleFunction", {"scheduled_time": (until + timedelta(minutes=1)).isoformat()}
    )
    assert after_midnight["queued"] == 2 and after_midnight["skipped"] == {}


def test_an_expired_refresh_token_marks_only_that_shop_for_reconnection(stack: StackUnderTest):
    inbox = AlertInbox(stack)
    for shop_id in ("shop-a", "shop-b"):
        connect_shop(stack, shop_id, shop_id)
        stack.base.expire_tokens(shop_id)
        age_tokens(stack, shop_id, expires_in=timedelta(seconds=-1), issued_ago=timedelta(hours=2))
    stack.base.expire_refresh_tokens("shop-a")  # 「リフレッシュトークンの有効期限が切れています。」
    with stack.env("JobWorkerFunction"):
        with pytest.raises(ShopNeedsReauth):
            wiring.token_provider(wiring.base_client()).access_token("shop-a")
        wiring.token_provider(wiring.base_client()).access_token("shop-b")
        shops = {s.shop_id: s.status for s in wiring.shop_repository().list()}
    assert shops == {"shop-a": "needs_reauth", "shop-b": "connected"}
    alerts = inbox.messages()
    assert len(alerts) == 1 and "shop-a" in alerts[0]["Subject"]


def test_the_order_list_filters_on_bases_deadline_and_the_view_shows_it(stack: StackUnderTest):
    connect_shop(stack)
    _import_sixty_days(stack)  # the 60-day orders are stored while still open
    near = stack.base.preset_order("shop-a", "near_auto_close")["unique_key"]  # 5 days left
    far = stack.base.preset_order("shop-a", "near_auto_close", ordered_days_ago=40)["unique_key"]  # 20 left
    (card,) = make_orders(stack, "shop-a", [{}])
    import_now(stack, "shop-a")
    listed = stack.http("GET", "/shops/shop-a/orders", query={"deadline_within_days": "7"})
    assert listed.status == 200, listed.body
    assert [o["unique_key"] for o in listed.json()["orders"]] == [near]
    wide = stack.http("GET", "/shops/shop-a/orders", query={"deadline_within_days": "30"}).json()["orders"]
    assert {o["unique_key"] for o in wide} == {near, far}
    everything = stack.http("GET", "/shops/shop-a/orders").json()["orders"]
    assert {o["unique_key"] for o in everything} == {near, far, card}
    shown = stack.http("GET", f"/shops/shop-a/orders/{near}").json()
    assert shown["base_deadline"] == stack.base.get_order(near)["_sandbox"]["base_deadline"]
    assert (shown["base_deadline_action"], shown["base_deadline_verified"]) == ("closed", True)
    refused = stack.http("GET", "/shops/shop-a/orders", query={"deadline_within_days": "-1"})
    assert refused.status == 422
