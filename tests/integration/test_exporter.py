"""The exporter against the BASE sandbox: what is dispatched, with what, and never twice."""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime, timedelta

import pytest
from tests.support.flows import connect_shop
from tests.support.orders import dispatch_calls, export_now, import_now, make_orders, ship, stored
from tests.support.reasons import with_messages
from tests.support.stack import StackUnderTest, drain_jobs

from base_sync import wiring
from base_sync.dal.orders import OrderRepository
from base_sync.domain.export import ExportRun
from base_sync.domain.order import ExportState, Order
from base_sync.rules.ship_date import JST
from base_sync.services.exporter import run_export
from base_sync.services.tokens import ShopTokenCaller

pytestmark = pytest.mark.integration

STATUSES = ["new", "hold", "awaiting_payment", "awaiting_shipment", "processed", "cancelled"]
EXPORTABLE = {  # the contract's filters, written out independently of the code under test
    "all_except_new_and_hold": {"awaiting_payment", "awaiting_shipment", "processed"},
    "processed_only": {"processed"},
}
COMPANIES = {"2": 2, "佐川急便": 2, "ヤマト運輸": 1, "謎の運送": None}  # input -> BASE id (sandbox list)
TRACKING = {
    "1234-5678-9012": "123456789012",
    "１２３４ ５６７８ ９０１３": "123456789013",
    "ＡＢ－９９８８－７７": "AB998877",
}


def _today() -> str:
    return datetime.now(JST).date().isoformat()


def _tomorrow() -> str:
    return (datetime.now(JST).date() + timedelta(days=1)).isoformat()


@pytest.mark.parametrize("export_filter", sorted(EXPORTABLE))
def test_export_matrix(stack: StackUnderTest, export_filter: str):
    """statuses x filter x tracking formats x ship date today/tomorrow x company by id/name/alias/unknown
    (an unknown one is refused at entry)."""
    connect_shop(stack, "shop-m", "マトリクス店")
    assert (
        stack.http(
            "PUT",
            "/shops/shop-m/settings",
            body={
                "export_filter": export_filter,
                "comment_template": "出荷日: {ship_date} 伝票番号: {tracking_number}",
            },
        ).status
        == 200
    )
    cases = list(itertools.product(STATUSES, COMPANIES, [_today(), _tomorrow()]))
    keys = make_orders(stack, "shop-m", [{} for _ in cases])
    import_now(stack, "shop-m")
    expected: dict[str, tuple[str, int, str]] = {}
    for index, (key, (status, company, ship_date)) in enumerate(zip(keys, cases, strict=True)):
        raw_tracking = list(TRACKING)[index % len(TRACKING)]
        if COMPANIES[company] is None:  # refused where it is entered, naming BASE's closest companies
            body = {"status": status, "tracking_number": raw_tracking, "delivery_company": company}
            answer = stack.http("PATCH", f"/shops/shop-m/orders/{key}", body=body)
            assert answer.status == 422 and company in answer.json()["fields"]["delivery_company"]
            assert stored(stack, "shop-m", key).tracking_number is None  # nothing written
            continue
        ship(stack, "shop-m", key, status=status, tracking=raw_tracking, company=company, ship_date=ship_date)
        eligible = status in EXPORTABLE[export_filter] and COMPANIES[company] is not None
        if eligible and ship_date == _today():
            expected[key] = (TRACKING[raw_tracking], COMPANIES[company] or 0, ship_date)
    result = export_now(stack, "shop-m")
    emails = stack.base.emails("shop-m")
    assert sorted(e["unique_key"] for e in emails) == sorted(expected)  # exactly the eligible, once each
    for email in emails:
        tracking, company_id, ship_date = expected[email["unique_key"]]
        assert email["tracking_number"] == tracking
        assert email["delivery_company_id"] == company_id
        y, m, d = (int(p) for p in ship_date.split("-"))
        assert email["add_comment"] == f"出荷日: {y}年{m}月{d}日 伝票番号: {tracking}"
    deferred = [
        k
        for k, (s, c, d) in zip(keys, cases, strict=True)
        if s in EXPORTABLE[export_filter] and COMPANIES[c] is not None and d == _tomorrow()
    ]
    counts = result["counts"]
    assert counts["dispatched"] == len(expected)
    assert counts["deferred"] == len(deferred)
    assert counts["failed"] == 0  # the unknown company never got in
    assert result["status"] == "succeeded"
    assert result["api_calls"] == len(expected) + 1  # one call per item + the company list once
    for key in deferred:
        order = stored(stack, "shop-m", key)
        assert (order.export_state, order.export_reason) == (ExportState.DEFERRED, "ship_date_in_future")
    for key in expected:
        assert stored(stack, "shop-m", key).export_state == ExportState.EXPORTED
    log = stack.http("GET", "/exports", query={"shop_id": "shop-m"}).json()["exports"]
    assert log[0]["export_id"] == result["export_id"] and log[0]["trigger"] == "manual"


def test_invalid_tracking_number_is_refused_at_entry(stack: StackUnderTest):
    connect_shop(stack, "shop-t", "T店")
    key = make_orders(stack, "shop-t", [{}])[0]
    import_now(stack, "shop-t")
    answer = stack.http("PATCH", f"/shops/shop-t/orders/{key}", body={"tracking_number": "12#34"})
    assert answer.status == 422 and "tracking_number" in answer.json()["fields"]
    assert stored(stack, "shop-t", key).tracking_number is None


def test_multi_item_order_gets_one_call_per_item_and_deferred_payment_one_call(stack: StackUnderTest):
    connect_shop(stack, "shop-x", "X店")
    three = [{"title": f"商品{i}", "price": 100, "amount": 1} for i in range(3)]
    multi, atobarai = make_orders(
        stack, "shop-x", [{"items": three}, {"payment": "atobarai", "items": three}]
    )
    import_now(stack, "shop-x")
    ship(stack, "shop-x", multi)
    ship(stack, "shop-x", atobarai)
    result = export_now(stack, "shop-x")
    assert result["counts"]["dispatched"] == 2
    calls = dispatch_calls(stack, "shop-x")
    assert len(calls) == 4  # three items + one deferred-payment call
    assert stack.base.get_order(atobarai)["dispatch_status"] == "shipping"
    assert all(i["status"] == "dispatched" for i in stack.base.get_order(multi)["order_items"])


def test_unpaid_cvs_is_deferred_then_dispatched_once_paid(stack: StackUnderTest):
    connect_shop(stack, "shop-c", "C店")
    cvs = make_orders(stack, "shop-c", [{"payment": "cvs"}])[0]
    import_now(stack, "shop-c")
    ship(stack, "shop-c", cvs)
    first = export_now(stack, "shop-c")
    assert first["results"] == with_messages(
        [{"unique_key": cvs, "outcome": "deferred", "reason": "awaiting_payment"}]
    )
    assert dispatch_calls(stack, "shop-c") == []  # the unpaid state was known: no call spent
    stack.base.mark_paid(cvs)
    import_now(stack, "shop-c")
    second = export_now(stack, "shop-c")
    assert second["results"] == with_messages([{"unique_key": cvs, "outcome": "dispatched", "reason": None}])
    assert len(stack.base.emails("shop-c")) == 1


def test_unpaid_cvs_learned_from_base_is_deferred(stack: StackUnderTest):
    """When the stored snapshot still says paid-ready, BASE's refusal defers the order (no failure)."""
    connect_shop(stack, "shop-c", "C店")
    cvs = make_orders(stack, "shop-c", [{"payment": "cvs"}])[0]
    import_now(stack, "shop-c")
    with stack.env("JobWorkerFunction"):
        repo = wiring.order_repository()
        order = repo.get("shop-c", cvs)
        repo.save(
            order.model_copy(update={"base": order.base.model_copy(update={"dispatch_status": "ordered"})})
        )
    ship(stack, "shop-c", cvs)
    result = export_now(stack, "shop-c")
    assert result["results"][0]["outcome"] == "deferred"
    assert stored(stack, "shop-c", cvs).export_state == ExportState.DEFERRED
    assert stack.base.emails("shop-c") == []


def test_cart_app_refusal_fails_once_and_is_not_retried(stack: StackUnderTest):
    connect_shop(stack, "shop-y", "Y店")
    cart = make_orders(stack, "shop-y", [{"cart_app": "YamatoDelivery"}])[0]
    import_now(stack, "shop-y")
    ship(stack, "shop-y", cart)
    first = export_now(stack, "shop-y")
    assert first["results"] == with_messages(
        [
            {
                "unique_key": cart,
                "outcome": "failed",
                "reason": "cart_app_not_supported",
                "base_error": "not_change_status_YamatoDelivery",
            }
        ]
    )
    assert first["status"] == "partial"
    second = export_now(stack, "shop-y")
    assert second["results"] == []
    assert len(dispatch_calls(stack, "shop-y")) == 1
    order = stored(stack, "shop-y", cart)
    assert (order.export_state, order.export_reason, order.export_base_error) == (
        ExportState.FAILED,
        "cart_app_not_supported",
        "not_change_status_YamatoDelivery",
    )


class FailingSave(OrderRepository):
    """Our write fails right after BASE answered, as a crash there would leave it."""

    def __init__(self, table_name: str, fail_on: int) -> None:
        super().__init__(table_name)
        self.saves = 0
        self.fail_on = fail_on

    def save(self, order: Order) -> Order:
        self.saves += 1
        if self.saves == self.fail_on:
            raise RuntimeError("simulated crash before the outcome was stored")
        return super().save(order)


def _run_directly(stack: StackUnderTest, shop_id: str, orders: OrderRepository, export_id: str) -> ExportRun:
    with stack.env("JobWorkerFunction"):
        client = wiring.base_client()
        shop = wiring.shop_repository().get(shop_id)
        run = ExportRun(
            export_id=export_id, shop_id=shop_id, trigger="manual", queued_at=datetime.now(UTC).isoformat()
        )
        return run_export(
            shop,
            run,
            client=client,
            api=ShopTokenCaller(client, wiring.token_provider(client), shop_id),
            orders=orders,
            exports=wiring.export_repository(),
            shops=wiring.shop_repository(),
        )


def test_crash_after_base_answered_never_sends_again(stack: StackUnderTest):
    connect_shop(stack, "shop-k", "K店")
    key = make_orders(stack, "shop-k", [{}])[0]
    import_now(stack, "shop-k")
    ship(stack, "shop-k", key)
    with stack.env("JobWorkerFunction"):
        crashing = FailingSave(
            stack.local.refs["OrdersTable"], fail_on=2
        )  # 1: the attempt marker, 2: the outcome
    with pytest.raises(RuntimeError, match="simulated crash"):
        _run_directly(stack, "shop-k", crashing, "crashed-run")
    assert len(stack.base.emails("shop-k")) == 1
    assert stored(stack, "shop-k", key).dispatch_attempt is not None
    # SQS redelivers the same job: the run learns from BASE's detail instead of sending again.
    with stack.env("JobWorkerFunction"):
        again = _run_directly(stack, "shop-k", wiring.order_repository(), "crashed-run")
    assert again.results[0].outcome == "already_dispatched"
    assert len(dispatch_calls(stack, "shop-k")) == 1
    order = stored(stack, "shop-k", key)
    assert order.export_state == ExportState.EXPORTED and order.dispatch_attempt is None


def test_another_runs_fresh_attempt_is_left_alone(stack: StackUnderTest):
    connect_shop(stack, "shop-k", "K店")
    key = make_orders(stack, "shop-k", [{}])[0]
    import_now(stack, "shop-k")
    ship(stack, "shop-k", key)
    with stack.env("JobWorkerFunction"):
        crashing = FailingSave(stack.local.refs["OrdersTable"], fail_on=2)
    with pytest.raises(RuntimeError):
        _run_directly(stack, "shop-k", crashing, "first-run")
    second = _run_directly(stack, "shop-k", OrderRepository(stack.local.refs["OrdersTable"]), "second-run")
    assert [(r.outcome, r.reason) for r in second.results] == [("skipped", "dispatch_in_progress")]
    assert len(dispatch_calls(stack, "shop-k")) == 1


def test_three_overlapping_jobs_dispatch_each_item_once(stack: StackUnderTest):
    connect_shop(stack, "shop-o", "O店")
    specs = [
        {"items": [{"title": f"商品{i}-{j}", "price": 100, "amount": 1} for j in range(1 + i % 3)]}
        for i in range(12)
    ]
    keys = make_orders(stack, "shop-o", specs)
    import_now(stack, "shop-o")
    for key in keys:
        ship(stack, "shop-o", key)
    errors: list[BaseException] = []

    def job(n: int) -> None:
        try:
            _run_directly(stack, "shop-o", OrderRepository(stack.local.refs["OrdersTable"]), f"overlap-{n}")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=job, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    calls = dispatch_calls(stack, "shop-o")
    item_count = sum(len(s["items"]) for s in specs)
    assert len(calls) == item_count  # not even a refused second attempt: the attempt marker kept runs apart
    emails = stack.base.emails("shop-o")
    assert len(emails) == item_count
    assert all(stored(stack, "shop-o", k).export_state == ExportState.EXPORTED for k in keys)


def test_hour_limit_mid_run_stops_defers_and_resumes(stack: StackUnderTest):
    connect_shop(stack, "shop-l", "L店")
    keys = make_orders(stack, "shop-l", [{} for _ in range(6)])
    import_now(stack, "shop-l")
    for key in keys:
        ship(stack, "shop-l", key)
    used = int(stack.base.limits("shop-l")["hour_used"])
    stack.base.set_limits("shop-l", hour=used + 3)  # the company list + two dispatches, then refused
    first = export_now(stack, "shop-l")
    assert first["counts"]["dispatched"] == 2
    assert first["counts"]["deferred"] == 4
    deferred = [r for r in first["results"] if r["outcome"] == "deferred"]
    assert {(r["reason"], r["base_error"]) for r in deferred} == {("rate_limited", "hour_api_limit")}
    assert first["status"] == "partial"
    stack.base.set_limits("shop-l", hour=5000, hour_used=0)
    second = export_now(stack, "shop-l")
    assert second["counts"]["dispatched"] == 4
    assert len(stack.base.emails("shop-l")) == 6


def test_dry_run_writes_nothing_to_base(stack: StackUnderTest):
    connect_shop(stack, "shop-d", "D店")
    ready, future, fresh = make_orders(stack, "shop-d", [{}, {}, {}])
    import_now(stack, "shop-d")
    ship(stack, "shop-d", ready)
    ship(stack, "shop-d", future, ship_date=_tomorrow())
    stack.base.clear_calls()
    answer = stack.http("POST", "/exports", body={"shop_id": "shop-d", "dry_run": True})
    assert answer.status == 200, answer.body
    plan = {p["unique_key"]: (p["action"], p["reason"]) for p in answer.json()["plan"]}
    assert plan == {ready: ("dispatch", None), future: ("defer", "ship_date_in_future")}
    assert dispatch_calls(stack, "shop-d") == []
    assert [c["path"] for c in stack.base.calls(shop_id="shop-d")["calls"]] == ["/1/delivery_companies"]
    explicit = stack.http(
        "POST", "/exports", body={"shop_id": "shop-d", "dry_run": True, "order_keys": [fresh]}
    )
    assert explicit.json()["plan"] == with_messages(
        [{"shop_id": "shop-d", "unique_key": fresh, "action": "skip", "reason": "status_not_exportable"}]
    )
    assert stored(stack, "shop-d", ready).export_state == ExportState.PENDING


def test_schedule_tick_exports_auto_export_shops(stack: StackUnderTest):
    connect_shop(stack, "shop-s", "S店")
    connect_shop(stack, "shop-off", "OFF店")
    assert stack.http("PUT", "/shops/shop-off/settings", body={"auto_export": False}).status == 200
    key = make_orders(stack, "shop-s", [{}])[0]
    off_key = make_orders(stack, "shop-off", [{}])[0]
    import_now(stack, "shop-s")
    import_now(stack, "shop-off")
    ship(stack, "shop-s", key)
    ship(stack, "shop-off", off_key)
    tick = stack.invoke("ExportScheduleFunction", {})
    assert tick["queued"] == 1 and tick["skipped"] == {"auto_export_disabled": 1}
    drain_jobs(stack)
    log = stack.http("GET", "/exports", query={"shop_id": "shop-s"}).json()["exports"]
    assert log[0]["trigger"] == "schedule" and log[0]["counts"]["dispatched"] == 1
    assert stack.base.emails("shop-off") == []


def test_export_api_input_errors(stack: StackUnderTest):
    connect_shop(stack, "shop-e", "E店")
    cases = [
        ({"shop_id": "nope"}, 404, "shop_not_found"),
        ({"order_keys": ["K1"]}, 422, "validation_failed"),
        ({"shop_id": "shop-e", "dry_run": "yes"}, 422, "validation_failed"),
        ({"shop_id": "shop-e", "surprise": 1}, 422, "validation_failed"),
        ({"shop_id": "shop-e", "order_keys": ["../etc"]}, 422, "validation_failed"),
    ]
    for body, status, code in cases:
        answer = stack.http("POST", "/exports", body=body)
        assert (answer.status, answer.json()["error"]) == (status, code), (body, answer.body)
    assert stack.http("POST", "/exports", raw_body=b"{nope").status == 400
    assert stack.http("GET", "/exports/unknown-id").status == 404
    assert stack.http("GET", "/exports", query={"shop_id": "nope"}).status == 404
    assert stack.http("GET", "/exports").status == 422


def test_asking_again_for_an_exported_order_sends_nothing_and_says_so(stack: StackUnderTest):
    connect_shop(stack, "shop-r", "R店")
    key = make_orders(stack, "shop-r", [{}])[0]
    import_now(stack, "shop-r")
    ship(stack, "shop-r", key)
    assert export_now(stack, "shop-r")["counts"]["dispatched"] == 1
    again = export_now(stack, "shop-r", order_keys=[key])
    assert again["results"] == with_messages(
        [{"unique_key": key, "outcome": "already_dispatched", "reason": "exported_earlier"}]
    )
    assert len(dispatch_calls(stack, "shop-r")) == 1
