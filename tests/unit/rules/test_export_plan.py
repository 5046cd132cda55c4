"""plan_order: what an export does with one order, from its stored fields, settings, date and BASE's companies."""

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from base_sync.domain.order import BaseSnapshot, DispatchAttempt, ExportState, ItemSnapshot, Order
from base_sync.domain.shop import ShopSettings
from base_sync.domain.status import ExportFilter, ManagementStatus
from base_sync.rules.companies import DeliveryCompany
from base_sync.rules.export_plan import needs_companies, plan_order

NOW = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)  # 12:00 JST on the 28th
COMPANIES = [
    DeliveryCompany(delivery_company_id=1, name="クロネコヤマト"),
    DeliveryCompany(delivery_company_id=2, name="佐川急便"),
]
SETTINGS = ShopSettings()


def _items(*statuses: str) -> list[ItemSnapshot]:
    return [ItemSnapshot(order_item_id=100 + i, status=s) for i, s in enumerate(statuses)]


def _order(**changes) -> Order:
    base = changes.pop(
        "base",
        BaseSnapshot(payment="creditcard", dispatch_status="ordered", items=_items("ordered", "ordered")),
    )
    fields = {
        "shop_id": "s",
        "unique_key": "K",
        "base": base,
        "status": ManagementStatus.PROCESSED,
        "tracking_number": "123412341234",
        "delivery_company": "ヤマト運輸",
        "ship_date": date(2026, 11, 28),
    }
    return Order(**(fields | changes))


def test_a_ready_order_is_dispatched_item_by_item_with_the_resolved_company():
    decision = plan_order(_order(), SETTINGS, NOW, COMPANIES)
    assert decision.action == "dispatch" and decision.shipment is not None
    assert decision.shipment.delivery_company_id == 1
    assert [i.order_item_id for i in decision.shipment.items] == [100, 101]
    assert decision.shipment.comment is None


def test_only_items_still_ordered_are_sent():
    order = _order(
        base=BaseSnapshot(dispatch_status="ordered", items=_items("dispatched", "ordered", "cancelled"))
    )
    decision = plan_order(order, SETTINGS, NOW, COMPANIES)
    assert decision.shipment is not None and [i.order_item_id for i in decision.shipment.items] == [101]


def test_deferred_payment_is_one_call():
    order = _order(
        base=BaseSnapshot(payment="atobarai", dispatch_status="ordered", items=_items("ordered", "ordered"))
    )
    decision = plan_order(order, SETTINGS, NOW, COMPANIES)
    assert decision.shipment is not None and decision.shipment.deferred_payment
    assert len(decision.shipment.items) == 1


@pytest.mark.parametrize(
    ("changes", "action", "reason", "state"),
    [
        ({"ship_date": date(2026, 11, 29)}, "defer", "ship_date_in_future", ExportState.DEFERRED),
        ({"status": ManagementStatus.NEW}, "skip", "status_not_exportable", ExportState.NOT_READY),
        ({"status": ManagementStatus.CANCELLED}, "skip", "cancelled", ExportState.NOT_READY),
        ({"tracking_number": None}, "skip", "no_tracking_number", ExportState.NOT_READY),
        ({"delivery_company": "謎の運送"}, "skip", "unknown_delivery_company", ExportState.FAILED),
        (
            {"delivery_company": "謎の運送", "ship_date": date(2026, 12, 1)},
            "skip",
            "unknown_delivery_company",
            ExportState.FAILED,
        ),
        (
            {"base": BaseSnapshot(payment="cvs", dispatch_status="unpaid", items=_items("ordered"))},
            "defer",
            "awaiting_payment",
            ExportState.DEFERRED,
        ),
        (
            {"base": BaseSnapshot(dispatch_status="dispatched", items=_items("dispatched"))},
            "skip",
            "already_dispatched",
            ExportState.ALREADY_DISPATCHED,
        ),
        (
            {"base": BaseSnapshot(dispatch_status="cancelled", items=_items("cancelled"))},
            "skip",
            "cancelled_on_base",
            ExportState.NOT_READY,
        ),
        ({"export_state": ExportState.EXPORTED}, "skip", None, ExportState.EXPORTED),
    ],
)
def test_held_back_orders_say_why(changes, action, reason, state):
    decision = plan_order(_order(**changes), SETTINGS, NOW, COMPANIES)
    assert (decision.action, decision.reason, decision.export_state) == (action, reason, state)
    assert decision.shipment is None


def test_processed_only_filter():
    settings = ShopSettings(export_filter=ExportFilter.PROCESSED_ONLY)
    assert plan_order(_order(), settings, NOW, COMPANIES).action == "dispatch"
    held = plan_order(_order(status=ManagementStatus.AWAITING_SHIPMENT), settings, NOW, COMPANIES)
    assert (held.action, held.reason) == ("skip", "status_not_exportable")


def test_comment_is_rendered_with_the_ship_date():
    settings = ShopSettings(comment_template="{delivery_company} {tracking_number} 出荷日{ship_date}")
    decision = plan_order(_order(), settings, NOW, COMPANIES)
    assert decision.shipment is not None
    assert decision.shipment.comment == "クロネコヤマト 123412341234 出荷日2026年11月28日"


def test_the_company_list_is_needed_only_for_orders_that_could_go():
    assert needs_companies(_order(), SETTINGS, NOW)
    assert needs_companies(_order(ship_date=date(2026, 12, 24)), SETTINGS, NOW)
    assert not needs_companies(_order(status=ManagementStatus.HOLD), SETTINGS, NOW)
    assert not needs_companies(_order(export_state=ExportState.EXPORTED), SETTINGS, NOW)


def test_an_attempt_marker_does_not_change_the_plan():
    attempt = DispatchAttempt(attempt_id="a", started_at=NOW.isoformat(), export_id="e")
    assert plan_order(_order(dispatch_attempt=attempt), SETTINGS, NOW, COMPANIES).action == "dispatch"


@given(
    status=st.sampled_from(list(ManagementStatus)),
    export_filter=st.sampled_from(list(ExportFilter)),
    days_ahead=st.integers(min_value=-30, max_value=30),
    hour=st.integers(min_value=0, max_value=23),
)
def test_never_dispatches_what_the_contract_holds_back(status, export_filter, days_ahead, hour):
    now = datetime(2026, 11, 28, hour, 0, tzinfo=UTC)
    today_jst = date(2026, 11, 28) if hour < 15 else date(2026, 11, 29)
    ship_date = date.fromordinal(today_jst.toordinal() + days_ahead)
    decision = plan_order(
        _order(status=status, ship_date=ship_date), ShopSettings(export_filter=export_filter), now, COMPANIES
    )
    allowed = {
        "all_except_new_and_hold": {"awaiting_payment", "awaiting_shipment", "processed"},
        "processed_only": {"processed"},
    }[export_filter.value]
    if decision.action == "dispatch":
        assert status.value in allowed
        assert ship_date <= today_jst
    elif status.value in allowed and ship_date <= today_jst:
        pytest.fail(f"an eligible order was held back: {decision}")


@pytest.mark.parametrize(
    ("base", "reason", "state"),
    [
        (
            BaseSnapshot(payment="creditcard", dispatch_status="unshippable", items=_items("ordered")),
            "unshippable",
            ExportState.NOT_READY,
        ),
        (
            BaseSnapshot(payment="creditcard", dispatch_status="on_hold_2027", items=_items("ordered")),
            "unknown_base_status",
            ExportState.NOT_READY,
        ),
    ],
)
def test_final_and_unknown_base_states_are_never_sent(base, reason, state):
    """``unshippable`` is final on BASE; a dispatch status we do not know is held, never guessed."""
    decision = plan_order(_order(base=base), SETTINGS, NOW, COMPANIES)
    assert (decision.action, decision.reason, decision.export_state, decision.shipment) == (
        "skip",
        reason,
        state,
        None,
    )
    assert not needs_companies(_order(base=base), SETTINGS, NOW)


@pytest.mark.parametrize("payment", ["bnpl", "amazon_pay", "bnpl_installment_2027", None])
def test_new_and_unknown_payment_methods_export_like_card_orders(payment):
    order = _order(base=BaseSnapshot(payment=payment, dispatch_status="ordered", items=_items("ordered")))
    decision = plan_order(order, SETTINGS, NOW, COMPANIES)
    assert decision.action == "dispatch" and decision.shipment is not None
    assert not decision.shipment.deferred_payment


def test_an_order_base_closed_by_itself_is_already_dispatched_with_that_reason():
    ordered = int(datetime(2026, 9, 1, 3, 0, tzinfo=UTC).timestamp())
    closed = int(datetime(2026, 10, 31, 3, 0, tzinfo=UTC).timestamp())  # 60 days after, JST
    base = BaseSnapshot(
        payment="base_bt",
        dispatch_status="dispatched",
        ordered=ordered,
        dispatched=closed,
        items=_items("dispatched"),
    )
    decision = plan_order(_order(base=base), SETTINGS, NOW, COMPANIES)
    assert (decision.action, decision.reason, decision.export_state) == (
        "skip",
        "closed_by_base",
        ExportState.ALREADY_DISPATCHED,
    )
    by_hand = base.model_copy(update={"dispatched": closed - 86400 * 3})
    assert plan_order(_order(base=by_hand), SETTINGS, NOW, COMPANIES).reason == "already_dispatched"
