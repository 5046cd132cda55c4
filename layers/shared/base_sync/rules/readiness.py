"""Whether an order is ready to export, from its stored fields alone (no BASE call, no company list).

The exporter checks again at dispatch time with BASE's company list and today's date; this
decides which orders sit in the ready index (``pending``/``deferred``) so that the exporter
reads only those.
"""

from __future__ import annotations

from datetime import date, datetime

from base_sync.domain.order import ExportState, Order
from base_sync.domain.reasons import Reason
from base_sync.domain.status import ExportFilter, ManagementStatus
from base_sync.rules.base_deadline import closed_by_base
from base_sync.rules.ship_date import default_ship_date, ship_date_due
from base_sync.rules.status_filter import status_passes_filter
from base_sync.rules.tracking import is_valid_tracking_number

KNOWN_DISPATCH_STATUSES = frozenset(
    {None, "ordered", "unpaid", "dispatched", "cancelled", "shipping", "unshippable"}
)
"""BASE's order ``dispatch_status`` values we know how to act on (None: not read yet)."""

# States only a dispatch attempt (or BASE) sets; editing an order does not undo them.
_SETTLED = frozenset({ExportState.EXPORTED, ExportState.ALREADY_DISPATCHED})


def effective_ship_date(order: Order) -> date | None:
    """The entered ship date, else the JST day the tracking number was entered (the contract's default)."""
    if order.ship_date is not None:
        return order.ship_date
    if order.tracking_entered_at:
        return default_ship_date(datetime.fromisoformat(order.tracking_entered_at))
    return None


def dispatched_on_base(order: Order) -> bool:
    """BASE already shows the order shipped (by us or by hand): nothing may be sent again."""
    base = order.base
    if base.dispatch_status in ("dispatched", "shipping"):
        return True
    items = base.items or []
    return (
        bool(items)
        and not any(i.status == "ordered" for i in items)
        and any(i.status == "dispatched" for i in items)
    )


def cancelled_on_base(order: Order) -> bool:
    base = order.base
    items = base.items or []
    all_items_cancelled = bool(items) and all(i.status == "cancelled" for i in items)
    return base.dispatch_status == "cancelled" or all_items_cancelled


def _held_by_base(order: Order) -> tuple[ExportState, Reason] | None:
    """What BASE's side of the order alone decides: dispatched, cancelled, final or unknown there."""
    if dispatched_on_base(order):
        closed = closed_by_base(order.base)
        return ExportState.ALREADY_DISPATCHED, Reason.CLOSED_BY_BASE if closed else Reason.ALREADY_DISPATCHED
    if cancelled_on_base(order):
        return ExportState.NOT_READY, Reason.CANCELLED_ON_BASE
    if order.base.dispatch_status == "unshippable":  # final on BASE: never sent, never tried
        return ExportState.NOT_READY, Reason.UNSHIPPABLE
    if order.base.dispatch_status not in KNOWN_DISPATCH_STATUSES:
        return ExportState.NOT_READY, Reason.UNKNOWN_BASE_STATUS
    return None


def evaluate(order: Order, export_filter: ExportFilter, now: datetime) -> tuple[ExportState, Reason | None]:
    """The export state and, when held back, the machine-readable reason."""
    if order.export_state in _SETTLED:
        return order.export_state, order.export_reason
    held = _held_by_base(order)
    if held is not None:
        return held
    if order.export_state is ExportState.FAILED:
        return order.export_state, order.export_reason  # until the operator changes the order
    if order.status is ManagementStatus.CANCELLED:
        return ExportState.NOT_READY, Reason.CANCELLED
    if not status_passes_filter(order.status, export_filter):
        return ExportState.NOT_READY, Reason.STATUS_NOT_EXPORTABLE
    if not order.tracking_number:
        return ExportState.NOT_READY, Reason.NO_TRACKING_NUMBER
    if not is_valid_tracking_number(order.tracking_number):
        return ExportState.NOT_READY, Reason.INVALID_TRACKING_NUMBER
    if not order.delivery_company:
        return ExportState.NOT_READY, Reason.NO_DELIVERY_COMPANY
    ship_date = effective_ship_date(order)
    if ship_date is not None and not ship_date_due(ship_date, now):
        return ExportState.DEFERRED, Reason.SHIP_DATE_IN_FUTURE
    if inside_export_delay(order, now):
        return ExportState.DEFERRED, Reason.EXPORT_DELAY
    return ExportState.PENDING, None


def inside_export_delay(order: Order, now: datetime) -> bool:
    """The order's ``export_not_before`` (last edit + the shop's delay) is still ahead: nothing may
    send it yet, whatever the trigger. An order is never sent early: exports cannot be recalled."""
    return order.export_not_before is not None and now < datetime.fromisoformat(order.export_not_before)
