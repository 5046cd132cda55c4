"""What an export does with one order: dispatch it (with what), defer it, or skip it — and why.

Pure: the caller passes the shop's settings, ``now`` and BASE's delivery-company list. The
exporter acts on the decision; a dry run only shows it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from base_sync.domain.order import ExportState, ItemSnapshot, Order
from base_sync.domain.reasons import Reason
from base_sync.domain.shop import ShopSettings
from base_sync.rules.comment import render_comment
from base_sync.rules.companies import CompanyLike, resolve_delivery_company
from base_sync.rules.errors import CommentTooLong, UnknownDeliveryCompany
from base_sync.rules.readiness import effective_ship_date, evaluate
from base_sync.rules.ship_date import today_jst

Action = Literal["dispatch", "defer", "skip"]
UNPAID_PAYMENTS = frozenset({"cvs", "base_bt"})


@dataclass(frozen=True)
class Shipment:
    """What goes to BASE: one edit_status call per item (one in all for deferred payment)."""

    delivery_company_id: int
    delivery_company_name: str
    tracking_number: str
    comment: str | None
    items: tuple[ItemSnapshot, ...]
    deferred_payment: bool
    ship_date: date | None = None


@dataclass(frozen=True)
class Decision:
    action: Action
    reason: Reason | None
    export_state: ExportState
    shipment: Shipment | None = None


def _hold(state: ExportState, reason: Reason | None) -> Decision:
    action: Action = "defer" if state is ExportState.DEFERRED else "skip"
    return Decision(action, reason, state)


def needs_companies(order: Order, settings: ShopSettings, now: datetime) -> bool:
    """Orders to dispatch now, or on a later day, need BASE's company list (the latter to warn early)."""
    return evaluate(order, settings.export_filter, now)[0] in (ExportState.PENDING, ExportState.DEFERRED)


def plan_order(
    order: Order, settings: ShopSettings, now: datetime, companies: Sequence[CompanyLike]
) -> Decision:
    state, reason = evaluate(order, settings.export_filter, now)
    if state not in (ExportState.PENDING, ExportState.DEFERRED):
        return _hold(state, reason)
    try:  # an unknown company fails now, even for a later ship date: the operator can fix it in time
        company = resolve_delivery_company(order.delivery_company or "", companies)
    except UnknownDeliveryCompany as exc:
        return Decision("skip", exc.reason, ExportState.FAILED)
    if state is ExportState.DEFERRED:
        return _hold(state, reason)
    base = order.base
    if base.payment in UNPAID_PAYMENTS and base.dispatch_status == "unpaid":
        return Decision("defer", Reason.AWAITING_PAYMENT, ExportState.DEFERRED)
    ship_date: date = effective_ship_date(order) or today_jst(now)
    tracking = order.tracking_number or ""
    comment: str | None = None
    if settings.comment_template:
        try:
            comment = render_comment(
                settings.comment_template,
                tracking_number=tracking,
                delivery_company=company.name,
                ship_date=ship_date,
            )
        except CommentTooLong:
            return Decision("skip", Reason.COMMENT_TOO_LONG, ExportState.FAILED)
    if base.items is None:  # the exporter fetches the detail first; never guess the items
        return Decision("skip", Reason.ITEMS_UNKNOWN, ExportState.PENDING)
    items = tuple(base.items_to_ship)
    deferred_payment = base.payment == "atobarai"
    if not items:
        return Decision("skip", Reason.ALREADY_DISPATCHED, ExportState.ALREADY_DISPATCHED)
    shipment = Shipment(
        company.delivery_company_id,
        company.name,
        tracking,
        comment,
        items[:1] if deferred_payment else items,
        deferred_payment,
        ship_date,
    )
    return Decision("dispatch", None, ExportState.PENDING, shipment)
