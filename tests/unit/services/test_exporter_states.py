"""The exporter's state machine in milliseconds: in-memory stores, a scripted BASE, a fixed clock.

Each test names the reasons of the catalogue it makes the exporter produce (``@covers``); the
last test checks that together they are every reason the exporter can emit.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from tests.support.fakes import FakeOrders, LostAnswer
from tests.support.reasons_seen import (
    EXPORTER_REASONS,
    IMPORTER_REASONS,
    NOT_FROM_JOBS,
    covered_in,
    covers,
    register,
)
from tests.support.world import NOW, SHOP, World

from base_sync.base_api import (
    AppCredentialsRejected,
    DeadlineExceeded,
    DeliveryCompany,
    OrderRefused,
    PaymentPending,
    RateLimited,
    RefreshTokenInvalid,
    TransientError,
)
from base_sync.dal.orders import WRITE_ATTEMPTS
from base_sync.domain.deadline import Deadline
from base_sync.domain.export import Outcome, RunStatus
from base_sync.domain.order import DispatchAttempt, ExportState
from base_sync.domain.reasons import Reason
from base_sync.domain.shop import ShopStatus
from base_sync.domain.status import ManagementStatus
from base_sync.services.exporter import ATTEMPT_STALE_AFTER


def _attempt(world: World, *, export_id: str, age: timedelta) -> DispatchAttempt:
    return DispatchAttempt(attempt_id="a1", started_at=(world.now - age).isoformat(), export_id=export_id)


def _edits(world: World) -> int:
    return world.base.calls.by_endpoint["edit_status"]


def test_a_ready_order_is_dispatched_item_by_item_and_stored_exported() -> None:
    world = World()
    world.ready("o1", items=2)
    run = world.export()
    assert [(r.unique_key, r.outcome, r.reason) for r in run.results] == [("o1", Outcome.DISPATCHED, None)]
    assert world.base.sent == [("o1", 101), ("o1", 102)]
    stored = world.stored("o1")
    assert (stored.export_state, stored.export_reason, stored.dispatch_attempt) == (
        ExportState.EXPORTED,
        None,
        None,
    )
    assert stored.exported_at == world.now.isoformat()
    assert run.status is RunStatus.SUCCEEDED
    assert run.api_calls == 3  # the company list once, an edit_status per item


@covers(Reason.DISPATCH_IN_PROGRESS)
def test_a_fresh_attempt_of_another_run_is_left_alone() -> None:
    world = World()
    attempt = _attempt(world, export_id="other", age=timedelta(minutes=2))
    world.ready("o1", stored={"dispatch_attempt": attempt})
    run = world.export()
    assert (run.results[0].outcome, run.results[0].reason) == (Outcome.SKIPPED, Reason.DISPATCH_IN_PROGRESS)
    assert world.base.calls.total == 0
    assert world.stored("o1").dispatch_attempt == attempt
    assert world.orders.saves == 0


def test_a_stale_attempt_learns_from_base_and_sends_only_what_is_left() -> None:
    world = World()
    attempt = _attempt(world, export_id="crashed", age=ATTEMPT_STALE_AFTER + timedelta(minutes=1))
    world.ready("o1", items=2, stored={"dispatch_attempt": attempt})
    world.base.dispatch_item(
        "t", 101, delivery_company_id=1, tracking_number="123456789012"
    )  # the crashed run's
    world.base.calls.by_endpoint.clear()
    run = world.export()
    assert run.results[0].outcome is Outcome.DISPATCHED
    assert world.base.sent == [("o1", 101), ("o1", 102)]  # 101 once (before the crash), 102 now
    assert world.base.calls.by_endpoint["order_detail"] == 1
    assert world.stored("o1").export_state is ExportState.EXPORTED


def test_a_stale_attempt_whose_items_were_all_sent_is_recovered_without_a_call() -> None:
    world = World()
    attempt = _attempt(world, export_id="crashed", age=ATTEMPT_STALE_AFTER + timedelta(minutes=1))
    world.ready("o1", stored={"dispatch_attempt": attempt})
    world.base.dispatch_item("t", 101, delivery_company_id=1, tracking_number="123456789012")
    world.base.calls.by_endpoint.clear()
    run = world.export()
    assert (run.results[0].outcome, run.results[0].reason) == (Outcome.ALREADY_DISPATCHED, None)
    assert _edits(world) == 0
    stored = world.stored("o1")
    assert (stored.export_state, stored.dispatch_attempt) == (ExportState.EXPORTED, None)
    assert stored.history[-1].detail["reason"] == "recovered"


@covers(Reason.OUTCOME_UNKNOWN, Reason.DISPATCH_IN_PROGRESS)
def test_a_read_timeout_keeps_the_attempt_and_nobody_looks_before_resolve_after() -> None:
    world = World()
    world.ready("o1")
    timeout = TransientError("read timeout", may_have_applied=True, may_still_run=True)
    world.base.script("edit_status", LostAnswer(timeout))
    first = world.export()
    assert (first.results[0].outcome, first.results[0].reason) == (Outcome.DEFERRED, Reason.OUTCOME_UNKNOWN)
    stored = world.stored("o1")
    assert stored.dispatch_attempt is not None
    assert stored.dispatch_attempt.in_flight is False
    assert stored.dispatch_attempt.resolve_after == (world.now + timedelta(seconds=15.0)).isoformat()
    assert (stored.export_state, stored.export_reason) == (ExportState.PENDING, Reason.OUTCOME_UNKNOWN)
    world.now += timedelta(seconds=5)
    second = world.export()
    assert second.results[0].reason is Reason.DISPATCH_IN_PROGRESS
    world.now += timedelta(seconds=30)
    third = world.export()  # BASE had applied it: learnt from its detail, never sent again
    assert third.results[0].outcome is Outcome.ALREADY_DISPATCHED
    assert world.base.sent == [("o1", 101)]
    assert world.stored("o1").export_state is ExportState.EXPORTED


@covers(Reason.OUTCOME_UNKNOWN)
def test_a_lost_answer_is_resolved_from_base_by_the_next_run() -> None:
    world = World()
    world.ready("o1")
    world.base.script("edit_status", LostAnswer(TransientError("connection dropped", may_have_applied=True)))
    first = world.export()
    assert first.results[0].reason is Reason.OUTCOME_UNKNOWN
    attempt = world.stored("o1").dispatch_attempt
    assert attempt is not None
    assert (attempt.in_flight, attempt.resolve_after) == (False, None)
    second = world.export()
    assert second.results[0].outcome is Outcome.ALREADY_DISPATCHED
    assert world.base.sent == [("o1", 101)]
    assert _edits(world) == 1


@covers(Reason.STATUS_CHANGED_ON_BASE)
def test_not_change_status_learns_what_is_true_on_base() -> None:
    world = World()
    world.ready("o1", items=2)
    world.base.dispatch_item(
        "t", 101, delivery_company_id=1, tracking_number="1"
    )  # by hand, after our import
    world.base.calls.by_endpoint.clear()
    run = world.export()
    result = run.results[0]
    assert (result.outcome, result.reason, result.base_error) == (
        Outcome.DEFERRED,
        Reason.STATUS_CHANGED_ON_BASE,
        "not_change_status",
    )
    stored = world.stored("o1")
    assert (stored.export_state, stored.dispatch_attempt) == (ExportState.PENDING, None)
    assert [i.status for i in stored.base.items or []] == ["dispatched", "ordered"]  # BASE's facts stored


@covers(Reason.ALREADY_DISPATCHED)
def test_not_change_status_on_the_last_item_ends_already_dispatched() -> None:
    world = World()
    world.ready("o1")
    world.base.dispatch_item("t", 101, delivery_company_id=1, tracking_number="1")  # by hand
    run = world.export()
    assert (run.results[0].outcome, run.results[0].reason) == (
        Outcome.ALREADY_DISPATCHED,
        Reason.ALREADY_DISPATCHED,
    )
    assert world.stored("o1").export_state is ExportState.ALREADY_DISPATCHED


@covers(Reason.BUDGET_SPENT)
def test_the_call_budget_stops_the_run_and_defers_the_rest() -> None:
    world = World(export_call_budget=10)
    for n in range(1, 13):
        world.ready(f"o{n:02d}")
    run = world.export()
    outcomes = [(r.outcome, r.reason) for r in run.results]
    assert outcomes[:9] == [(Outcome.DISPATCHED, None)] * 9  # the company list and nine edit_status
    assert outcomes[9:] == [(Outcome.DEFERRED, Reason.BUDGET_SPENT)] * 3
    assert (run.status, run.error, run.api_calls) == (RunStatus.PARTIAL, Reason.BUDGET_SPENT, 10)
    assert world.stored("o10").export_state is ExportState.PENDING  # stopped before its call
    assert (world.stored("o12").export_state, world.stored("o12").export_reason) == (
        ExportState.DEFERRED,
        Reason.BUDGET_SPENT,
    )


@covers(Reason.RATE_LIMITED)
def test_a_rate_limit_stops_the_run_with_bases_code() -> None:
    world = World()
    world.ready("o1")
    world.ready("o2")
    resets = datetime(2026, 12, 3, 4, 0, tzinfo=UTC)
    world.base.script("edit_status", RateLimited("limit", code="hour_api_limit", resets_at=resets))
    run = world.export()
    assert [(r.outcome, r.reason, r.base_error) for r in run.results] == [
        (Outcome.DEFERRED, Reason.RATE_LIMITED, "hour_api_limit"),
        (Outcome.DEFERRED, Reason.RATE_LIMITED, "hour_api_limit"),
    ]
    assert run.error is Reason.RATE_LIMITED
    assert world.base.sent == []


@covers(Reason.AWAITING_PAYMENT)
def test_payment_pending_defers_the_order() -> None:
    world = World()
    world.ready("o1", payment="cvs")
    world.base.script("edit_status", PaymentPending("unpaid", code="not_change_status_cvs"))
    run = world.export()
    result = run.results[0]
    assert (result.outcome, result.reason, result.base_error) == (
        Outcome.DEFERRED,
        Reason.AWAITING_PAYMENT,
        "not_change_status_cvs",
    )
    stored = world.stored("o1")
    assert (stored.export_state, stored.export_base_error) == (ExportState.DEFERRED, "not_change_status_cvs")


@covers(Reason.AWAITING_PAYMENT)
def test_an_unpaid_order_waits_without_a_call() -> None:
    world = World()
    world.ready("o1", payment="cvs", dispatch_status="unpaid")
    run = world.export()
    assert (run.results[0].outcome, run.results[0].reason) == (Outcome.DEFERRED, Reason.AWAITING_PAYMENT)
    assert _edits(world) == 0


@covers(Reason.CART_APP_NOT_SUPPORTED)
def test_a_cart_app_order_fails_once_with_bases_code() -> None:
    world = World()
    world.ready("o1")
    world.base.script("edit_status", OrderRefused("cart app", code="not_change_status_YamatoDelivery"))
    run = world.export()
    result = run.results[0]
    assert (result.outcome, result.reason, result.base_error) == (
        Outcome.FAILED,
        Reason.CART_APP_NOT_SUPPORTED,
        "not_change_status_YamatoDelivery",
    )
    assert world.stored("o1").export_state is ExportState.FAILED
    again = world.export()
    assert again.results == []  # failed orders are not ready: never sent again until an operator acts
    assert _edits(world) == 1


@covers(Reason.BASE_REFUSED)
def test_another_refusal_fails_the_order() -> None:
    world = World()
    world.ready("o1")
    world.base.script("edit_status", OrderRefused("bad", code="bad_params"))
    run = world.export()
    assert (run.results[0].outcome, run.results[0].reason, run.results[0].base_error) == (
        Outcome.FAILED,
        Reason.BASE_REFUSED,
        "bad_params",
    )
    assert run.status is RunStatus.PARTIAL


@covers(Reason.BASE_UNAVAILABLE)
def test_a_failure_that_never_reached_base_leaves_the_order_pending() -> None:
    world = World()
    world.ready("o1")
    world.base.script("edit_status", TransientError("connect failed", code="server_error"))
    run = world.export()
    assert (run.results[0].outcome, run.results[0].reason) == (Outcome.DEFERRED, Reason.BASE_UNAVAILABLE)
    stored = world.stored("o1")
    assert (stored.export_state, stored.dispatch_attempt) == (ExportState.PENDING, None)


@covers(Reason.DISPATCH_IN_PROGRESS)
def test_a_concurrent_winner_makes_the_exporter_decide_again() -> None:
    world = World()
    world.ready("o1")
    winner = _attempt(world, export_id="other-run", age=timedelta(seconds=1))

    def other_run_claims(store: FakeOrders) -> None:
        store.bump(SHOP, "o1", dispatch_attempt=winner)

    world.orders.meanwhile.append(other_run_claims)
    run = world.export()
    assert (run.results[0].outcome, run.results[0].reason) == (Outcome.SKIPPED, Reason.DISPATCH_IN_PROGRESS)
    assert world.base.sent == []
    assert world.stored("o1").dispatch_attempt == winner


@covers(Reason.CONFLICT)
def test_conflicts_past_the_limit_leave_the_order_for_the_next_run() -> None:
    world = World()
    world.ready("o1")
    for _ in range(WRITE_ATTEMPTS):
        world.orders.meanwhile.append(lambda store: store.bump(SHOP, "o1", updated_at="staff"))
    run = world.export()
    assert (run.results[0].outcome, run.results[0].reason) == (Outcome.SKIPPED, Reason.CONFLICT)
    assert world.base.sent == []


@covers(Reason.CONFLICT, Reason.DISPATCH_IN_PROGRESS)
def test_an_outcome_that_cannot_be_stored_keeps_the_attempt_for_a_later_run() -> None:
    world = World()
    world.ready("o1")
    world.orders.meanwhile.append(lambda store: None)  # the claim is stored
    for _ in range(WRITE_ATTEMPTS):  # every write of the outcome loses
        world.orders.meanwhile.append(lambda store: store.bump(SHOP, "o1", updated_at="staff"))
    first = world.export()
    assert (first.results[0].outcome, first.results[0].reason) == (Outcome.SKIPPED, Reason.CONFLICT)
    assert world.base.sent == [("o1", 101)]
    attempt = world.stored("o1").dispatch_attempt
    assert attempt is not None
    assert attempt.export_id == "exp-1"
    world.now += timedelta(minutes=1)
    assert world.export().results[0].reason is Reason.DISPATCH_IN_PROGRESS
    world.now += ATTEMPT_STALE_AFTER
    last = world.export()  # stale: resolved from BASE's detail, never sent again
    assert last.results[0].outcome is Outcome.ALREADY_DISPATCHED
    assert world.base.sent == [("o1", 101)]
    assert world.stored("o1").export_state is ExportState.EXPORTED


@covers(Reason.TIME_UP)
def test_too_little_time_left_defers_every_order_and_touches_none() -> None:
    world = World()
    world.ready("o1")
    world.ready("o2")
    run = world.export(deadline=Deadline(at=30.0, clock=lambda: 0.0))
    assert [(r.outcome, r.reason) for r in run.results] == [(Outcome.DEFERRED, Reason.TIME_UP)] * 2
    assert (run.status, run.error) == (RunStatus.PARTIAL, Reason.TIME_UP)
    assert world.base.calls.total == 0
    assert world.stored("o1").export_reason is None  # only the run's record: the clock is running out


@covers(Reason.TIME_UP)
def test_a_read_cut_short_by_the_deadline_is_time_up() -> None:
    world = World()
    world.ready("o1", stored={"base": World().ready("x1").base.model_copy(update={"items": None})})
    world.base.script("order_detail", DeadlineExceeded("no time"))
    run = world.export()
    assert (run.results[0].outcome, run.results[0].reason) == (Outcome.DEFERRED, Reason.TIME_UP)
    assert world.base.sent == []


@covers(Reason.NEEDS_REAUTH)
def test_a_dead_refresh_token_stops_the_run() -> None:
    world = World()
    world.ready("o1")
    tokens = world.secrets.shop_tokens(SHOP)
    world.secrets.put_shop_tokens(tokens.model_copy(update={"expires_at": world.now + timedelta(minutes=1)}))
    world.base.script("token", RefreshTokenInvalid("dead", code="invalid_request"))
    run = world.export()
    assert (run.results[0].outcome, run.results[0].reason) == (Outcome.DEFERRED, Reason.NEEDS_REAUTH)
    assert run.error is Reason.NEEDS_REAUTH
    assert world.shops.get(SHOP).status is ShopStatus.NEEDS_REAUTH
    assert len(world.alerts.sent) == 1
    assert world.base.sent == []


@covers(Reason.APP_NEEDS_ATTENTION)
def test_an_app_base_refuses_stops_the_run_and_marks_no_shop() -> None:
    world = World()
    world.ready("o1")
    tokens = world.secrets.shop_tokens(SHOP)
    world.secrets.put_shop_tokens(tokens.model_copy(update={"expires_at": world.now + timedelta(minutes=1)}))
    world.base.script("token", AppCredentialsRejected("app", code="unauthorized_client"))
    run = world.export()
    result = run.results[0]
    assert (result.outcome, result.reason, result.base_error) == (
        Outcome.DEFERRED,
        Reason.APP_NEEDS_ATTENTION,
        "unauthorized_client",
    )
    assert run.error is Reason.APP_NEEDS_ATTENTION
    assert world.shops.get(SHOP).status is ShopStatus.CONNECTED
    assert len(world.alerts.sent) == 1
    assert world.base.sent == []


@covers(Reason.BASE_REFUSED)
def test_not_change_status_while_base_still_shows_the_item_fails_once() -> None:
    world = World()
    world.ready("o1")
    world.base.script("edit_status", OrderRefused("refused", code="not_change_status"))
    run = world.export()
    assert (run.results[0].outcome, run.results[0].reason, run.results[0].base_error) == (
        Outcome.FAILED,
        Reason.BASE_REFUSED,
        "not_change_status",
    )
    assert world.stored("o1").export_state is ExportState.FAILED
    assert world.export().results == []


@covers(Reason.ORDER_NOT_FOUND)
def test_an_asked_for_order_that_does_not_exist() -> None:
    world = World()
    run = world.export(order_keys=["nope"])
    assert [(r.unique_key, r.outcome, r.reason) for r in run.results] == [
        ("nope", Outcome.SKIPPED, Reason.ORDER_NOT_FOUND)
    ]


@covers(Reason.EXPORTED_EARLIER)
def test_an_order_exported_earlier_asked_for_again() -> None:
    world = World()
    world.ready("o1")
    world.export()
    run = world.export(order_keys=["o1"])
    assert (run.results[0].outcome, run.results[0].reason) == (
        Outcome.ALREADY_DISPATCHED,
        Reason.EXPORTED_EARLIER,
    )
    assert world.base.sent == [("o1", 101)]


@covers(Reason.INTERNAL_ERROR)
def test_our_own_fault_fails_the_run_and_raises() -> None:
    world = World()
    world.ready("o1")

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("store broke")

    world.orders.export_candidates = broken  # type: ignore[method-assign,assignment]
    with pytest.raises(RuntimeError):
        world.export()
    stored_run = world.exports.get_run("exp-1", SHOP)
    assert (stored_run.status, stored_run.error) == (RunStatus.FAILED, Reason.INTERNAL_ERROR)


HOLDS = [
    ({"stored": {"status": ManagementStatus.NEW}}, Outcome.SKIPPED, Reason.STATUS_NOT_EXPORTABLE),
    ({"stored": {"status": ManagementStatus.CANCELLED}}, Outcome.SKIPPED, Reason.CANCELLED),
    ({"stored": {"tracking_number": None}}, Outcome.SKIPPED, Reason.NO_TRACKING_NUMBER),
    ({"stored": {"tracking_number": "12-34"}}, Outcome.SKIPPED, Reason.INVALID_TRACKING_NUMBER),
    ({"stored": {"delivery_company": None}}, Outcome.SKIPPED, Reason.NO_DELIVERY_COMPANY),
    ({"stored": {"ship_date": date(2026, 12, 10)}}, Outcome.DEFERRED, Reason.SHIP_DATE_IN_FUTURE),
    (
        {"stored": {"export_not_before": (NOW + timedelta(minutes=10)).isoformat()}},
        Outcome.DEFERRED,
        Reason.EXPORT_DELAY,
    ),
    ({"stored": {"delivery_company": "どこか運輸"}}, Outcome.FAILED, Reason.UNKNOWN_DELIVERY_COMPANY),
    (
        {"stored": {"delivery_company": "佐川急便"}, "twin": True},
        Outcome.FAILED,
        Reason.AMBIGUOUS_DELIVERY_COMPANY,
    ),
    ({"comment": "x" * 300}, Outcome.FAILED, Reason.COMMENT_TOO_LONG),
    ({"dispatch_status": "cancelled"}, Outcome.SKIPPED, Reason.CANCELLED_ON_BASE),
    ({"dispatch_status": "unshippable"}, Outcome.SKIPPED, Reason.UNSHIPPABLE),
    ({"dispatch_status": "lost_in_space"}, Outcome.SKIPPED, Reason.UNKNOWN_BASE_STATUS),
    (
        {"dispatch_status": "dispatched", "item_status": "dispatched"},
        Outcome.ALREADY_DISPATCHED,
        Reason.ALREADY_DISPATCHED,
    ),
    ({"closed": True}, Outcome.ALREADY_DISPATCHED, Reason.CLOSED_BY_BASE),
]
register(__name__, *(reason for _, _, reason in HOLDS))


@pytest.mark.parametrize(("setup", "outcome", "reason"), HOLDS, ids=[r.value for _, _, r in HOLDS])
def test_an_order_held_back_says_why(setup: dict[str, object], outcome: Outcome, reason: Reason) -> None:
    world = World(comment_template=str(setup.get("comment", "")))
    if setup.get("twin"):
        world.base.companies.append(DeliveryCompany(delivery_company_id=9, name="佐川急便"))
    on_base: dict[str, object] = {k: v for k, v in setup.items() if k in ("dispatch_status", "item_status")}
    if setup.get("closed"):
        on_base = {"dispatch_status": "dispatched", "item_status": "dispatched", "payment": "cvs"}
        on_base["ordered"] = world.ago(days=70)
    stored = dict(setup.get("stored", {}))  # type: ignore[call-overload]
    world.ready("o1", stored=stored, **on_base)
    if setup.get("closed"):
        world.orders.bump(
            SHOP, "o1", base=world.stored("o1").base.model_copy(update={"dispatched": world.ago(hours=2)})
        )
    run = world.export(order_keys=["o1"])
    assert (run.results[0].outcome, run.results[0].reason) == (outcome, reason)
    assert world.base.sent == []


def test_the_fast_tests_cover_every_reason_the_exporter_can_emit() -> None:
    assert covered_in(__name__) >= EXPORTER_REASONS, sorted(EXPORTER_REASONS - covered_in(__name__))
    assert set(Reason) - NOT_FROM_JOBS.keys() == EXPORTER_REASONS | IMPORTER_REASONS
