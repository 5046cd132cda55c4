"""POST /1/orders/edit_status: BASE's field checks, then its per-order and per-item rules.

Field checks first (``no_params``/``bad_params``), then ``no_order`` (the caller's lookup), then
``unshippable`` (a FINAL state in BASE's current docs, 「unshippableから他ステータスへの更新はできません」; the
README gives no error code, so the sandbox answers ``not_change_status`` with that sentence as
``error_description``, for dispatch, cancel and atobarai shipping alike), then the cart app
(``not_change_status_<App>``, permanent), then an order's configured refusal (``refuse_dispatch``: BASE
refuses to dispatch this order, e.g. a ``bnpl`` one; default ``not_change_status``
「ステータスを変更できません。」; cancels are not affected), then payment rules: prepaid orders wait for payment,
atobarai moves the whole order to ``shipping``, only cod/bt items can be cancelled. Every successful
dispatching call stamps ``dispatched``, sets carrier/tracking/comment when given and records ONE e-mail.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import ERROR_TEXT, JSON, ApiError, err
from .mail import Outbox
from .orders import CANCELLABLE_PAYMENTS, DELIVERY_COMPANY_NAMES, PREPAID_PAYMENTS, Order, OrderItem


@dataclass
class EditRequest:
    """Validated edit_status form."""

    order_item_id: int
    status: str
    atobarai_status: str
    comment: str | None
    tracking: str | None
    company: int | None


def parse_edit_form(form: dict[str, str]) -> EditRequest:
    """Field-level validation of edit_status (before the order is even looked at)."""
    raw_id = form.get("order_item_id", "").strip()
    if not raw_id:
        raise err("no_params")
    if not raw_id.isdigit():
        raise err("bad_params")
    status = form.get("status", "")
    atobarai_status = form.get("atobarai_status", "")
    if not status and not atobarai_status:
        raise err("no_params")
    if (status and status not in ("dispatched", "cancelled")) or atobarai_status not in ("", "shipping"):
        raise err("bad_params")
    comment = form.get("add_comment")
    # BASE counts a line break as one character, whatever the client sends (CRLF or LF).
    if comment is not None and len(comment.replace("\r\n", "\n")) > 250:
        raise err("bad_params")
    tracking = form.get("tracking_number") or None
    if tracking is not None and not (tracking.isascii() and tracking.isalnum()):
        raise err("bad_params")
    company_raw = form.get("delivery_company_id") or None
    company: int | None = None
    if company_raw is not None:
        if not company_raw.isdigit() or int(company_raw) not in DELIVERY_COMPANY_NAMES:
            raise err("bad_params")
        company = int(company_raw)
    return EditRequest(int(raw_id), status, atobarai_status, comment, tracking, company)


def apply_edit(order: Order, req: EditRequest, now: int, outbox: Outbox) -> JSON:
    """Apply a validated edit_status request to the order that holds its item; the response body."""
    item = next(i for i in order.items if i.order_item_id == req.order_item_id)
    if order.dispatch_status == "unshippable":  # BASE: a final state, whatever is asked
        raise ApiError("not_change_status", ERROR_TEXT["unshippable_final"])
    if order.cart_app:
        raise err(f"not_change_status_{order.cart_app}")
    if order.refuse_dispatch is not None and req.status != "cancelled":
        raise ApiError(*order.refuse_dispatch)
    if order.payment == "atobarai":
        touched = _atobarai_shipping(order, req)
    elif req.status == "cancelled":
        return _cancel_item(order, item, now)
    else:
        touched = _dispatch_item(order, item, req)
    for t in touched:
        t.modified = now
    if req.company is not None:
        order.delivery_company_id = req.company
    if req.tracking is not None:
        order.tracking_number = req.tracking
    if req.comment:
        order.add_comment = req.comment
    order.dispatched = now
    order.modified = now
    order.recompute_status()
    outbox.record(order, [t.order_item_id for t in touched], now, "api")
    return {"order": order.detail_json()}


def _atobarai_shipping(order: Order, req: EditRequest) -> list[OrderItem]:
    """Deferred payment: only atobarai_status=shipping with carrier + tracking; moves the whole order."""
    if req.status:
        raise err("not_change_status_atobarai")
    if req.company is None or req.tracking is None:
        raise err("bad_params")
    if order.dispatch_status != "ordered":
        raise err("not_change_status")
    order.atobarai_shipping = True
    return list(order.items)


def _dispatch_item(order: Order, item: OrderItem, req: EditRequest) -> list[OrderItem]:
    if req.atobarai_status:
        raise err("bad_params")
    if item.status != "ordered" or order.dispatch_status in ("cancelled", "unshippable"):
        raise err("not_change_status")
    if order.payment in PREPAID_PAYMENTS and not order.paid:
        raise err(f"not_change_status_{order.payment}")
    item.status = "dispatched"
    return [item]


def _cancel_item(order: Order, item: OrderItem, now: int) -> JSON:
    if item.status != "ordered" or order.dispatch_status in ("cancelled", "unshippable"):
        raise err("not_change_status")
    if order.payment not in CANCELLABLE_PAYMENTS:
        raise ApiError(f"not_cancel_{order.payment}", ERROR_TEXT["not_cancel"])
    item.status = "cancelled"
    item.modified = now
    order.recompute_status()
    if order.dispatch_status == "cancelled":
        order.cancelled = now
    order.modified = now
    return {"order": order.detail_json()}
