"""The orders of every shop: created and changed from the admin side, read and edited through /1/.

``GET /1/orders`` is newest ``ordered`` first (ties: newest created first) in a JST date window with
limit/offset paging; it filters by ORDER date only, so a change to an older order (an admin cancel,
payment or dispatch by hand at any age, which moves ``modified``) shows only in its detail or in a list
window that reaches back to its order date. Another shop's order is ``no_order``. Every read (list,
detail, edit_status, admin view) first applies BASE's 60-day close (:mod:`.auto_close`) at the sandbox
clock. The caller holds the state's lock.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from .auto_close import close_due, watched
from .clock import Clock
from .dispatch import apply_edit, parse_edit_form
from .errors import ERROR_TEXT, JSON, ApiError, err
from .mail import Outbox
from .orders import CART_APPS, PREPAID_PAYMENTS, Order, OrderItem, parse_jst, valid_payment
from .shops import Directory, Shop


class OrderBook:
    """Orders by unique_key, each shop's orders (kept sorted lazily) and the item -> order index."""

    def __init__(self, clock: Clock, directory: Directory, outbox: Outbox) -> None:
        self.clock = clock
        self.directory = directory
        self.outbox = outbox
        self.orders: dict[str, Order] = {}
        self.item_index: dict[int, str] = {}
        self.shop_orders: dict[str, list[Order]] = {}
        self._sorted: set[str] = set()
        self._close_watch: dict[str, Order] = {}  # orders BASE may still close by itself
        self._seq = 0
        self._next_item_id = 19749229
        self._next_product_id = 23245394

    def create_order(self, shop_id: str, spec: JSON) -> Order:
        """Create one order from an admin spec (see package docs for the fields)."""
        self.directory.shop(shop_id)
        now = self.clock.now_int()
        payment = _payment(spec.get("payment", "creditcard"))
        cart_app = spec.get("cart_app")
        if cart_app is not None and cart_app not in CART_APPS:
            raise ApiError("bad_spec", f"unknown cart_app {cart_app!r}")
        ordered = int(spec.get("ordered", now))
        unique_key = str(spec.get("unique_key") or secrets.token_hex(8).upper())
        if unique_key in self.orders:
            raise ApiError("bad_spec", f"unique_key {unique_key!r} already exists")
        paid = bool(spec.get("paid", payment not in PREPAID_PAYMENTS))
        items = self._build_items(
            spec.get("items") or [{"title": "商品", "price": 1000, "amount": 1}], ordered
        )
        self._seq += 1
        receiver = spec.get("order_receiver") or {}
        order = Order(
            seq=self._seq,
            shop_id=shop_id,
            unique_key=unique_key,
            ordered=ordered,
            payment=payment,
            paid=paid,
            items=items,
            modified=int(spec.get("modified", ordered)),
            cart_app=cart_app,
            receiver=dict(receiver),
            subscription=dict(spec.get("subscription") or {}),
        )
        for key in (
            "first_name",
            "last_name",
            "country",
            "zip_code",
            "prefecture",
            "address",
            "address2",
            "mail_address",
            "tel",
            "remark",
            "shipping_method",
            "delivery_date",
            "delivery_time_zone",
            "discount_note",
        ):
            if key in spec:
                setattr(order, key, spec[key])
        for key in ("shipping_fee", "cod_fee", "discount"):
            if key in spec:
                setattr(order, key, int(spec[key]))
        if payment == "cod" and "cod_fee" not in spec:
            order.cod_fee = 330
        if "shipping_fee" not in spec:
            order.shipping_fee = 600
        order.delivery_company_id = int(spec.get("delivery_company_id") or 0)
        order.tracking_number = None if spec.get("tracking_number") is None else str(spec["tracking_number"])
        order.add_comment = None if spec.get("add_comment") is None else str(spec["add_comment"])
        _apply_newer_fields(order, spec)
        self._apply_initial_status(order, str(spec.get("dispatch_status") or ""), now)
        self.orders[unique_key] = order
        self._watch(order)
        for item in items:
            self.item_index[item.order_item_id] = unique_key
        self.shop_orders.setdefault(shop_id, []).append(order)
        self._sorted.discard(shop_id)
        return order

    def _build_items(self, raw_items: list[JSON], ordered: int) -> list[OrderItem]:
        items: list[OrderItem] = []
        for raw in raw_items:
            status = str(raw.get("status", "ordered"))
            if status not in ("ordered", "dispatched", "cancelled"):
                raise ApiError("bad_spec", f"bad item status {status!r}")
            item_id = raw.get("item_id")
            if item_id is None:
                item_id = self._next_product_id
                self._next_product_id += 1
            items.append(
                OrderItem(
                    order_item_id=self._next_item_id,
                    item_id=int(item_id),
                    title=str(raw.get("title", "商品")),
                    price=int(raw.get("price", 1000)),
                    amount=int(raw.get("amount", 1)),
                    status=status,
                    modified=ordered,
                    variation_id=raw.get("variation_id"),
                    variation=str(raw.get("variation", "")),
                    shipping_method=raw.get("shipping_method"),
                    shipping_fee=int(raw.get("shipping_fee", 0)),
                    consumption_tax_rate=int(raw.get("consumption_tax_rate", 10)),
                )
            )
            self._next_item_id += 1
        return items

    def _apply_initial_status(self, order: Order, wanted: str, now: int) -> None:
        later = min(now, order.ordered + 86400)
        if wanted not in ("", "ordered"):
            start = _INITIAL_STATUS.get(wanted)
            if start is None:
                raise ApiError("bad_spec", f"bad dispatch_status {wanted!r}")
            start(order, later)
        if any(i.status == "dispatched" for i in order.items) and order.dispatched is None:
            order.dispatched = later
        order.recompute_status()
        if order.dispatch_status == "cancelled" and order.cancelled is None:
            order.cancelled = later

    def _watch(self, order: Order) -> None:
        if watched(order):
            self._close_watch[order.unique_key] = order
        else:
            self._close_watch.pop(order.unique_key, None)

    def auto_close(self) -> JSON:
        """BASE's 60-day close at the sandbox clock (:mod:`.auto_close`); the keys closed now."""
        closed = close_due(list(self._close_watch.values()), self.clock.now_int())
        for order in closed:  # other changes re-file themselves where they happen (create, patch, edit)
            self._watch(order)
        return {"closed": [o.unique_key for o in closed]}

    def get_order_admin(self, unique_key: str) -> JSON:
        """Internal view of one order."""
        self.auto_close()
        order = self.orders.get(unique_key)
        if order is None:
            raise ApiError("no_order", ERROR_TEXT["no_order"], 404)
        return order.admin_json()

    def patch_order(self, unique_key: str, changes: JSON) -> JSON:
        """Shop-owner actions from BASE's admin screen (any order age): paid, payment, cancel, dispatch by
        hand, dispatch_status, cart_app, unshippable, partner_shop, refuse_dispatch. Bumps ``modified``."""
        self.auto_close()
        order = self.orders.get(unique_key)
        if order is None:
            raise ApiError("no_order", ERROR_TEXT["no_order"], 404)
        if order.dispatch_status == "unshippable" and _leaves_unshippable(changes):
            raise ApiError("final_state", ERROR_TEXT["unshippable_final"], 409)
        now = self.clock.now_int()
        changes = _status_alias(changes)
        _set_flags(order, changes)
        self._owner_actions(order, changes, now)
        order.recompute_status()
        order.modified = now
        self._watch(order)
        self.auto_close()
        return order.admin_json()

    def _owner_actions(self, order: Order, changes: JSON, now: int) -> None:
        """cancel / dispatch_by_hand / arrive, as done in BASE's shop admin."""
        if changes.get("cancel"):
            for item in order.items:
                if item.status != "cancelled":
                    item.status = "cancelled"
                    item.modified = now
            order.cancelled = now
        if changes.get("dispatch_by_hand"):
            touched = [i for i in order.items if i.status == "ordered"]
            for item in touched:
                item.status = "dispatched"
                item.modified = now
            if touched:
                order.dispatched = now
                order.recompute_status()
                self.outbox.record(order, [i.order_item_id for i in touched], now, "admin")
        # atobarai: BASE sets arrived, then dispatched; the sandbox jumps straight to dispatched.
        if changes.get("arrive") and order.atobarai_shipping:
            for item in order.items:
                if item.status == "ordered":
                    item.status = "dispatched"
                    item.modified = now
            order.atobarai_shipping = False

    def _sorted_orders(self, shop_id: str) -> list[Order]:
        lst = self.shop_orders.setdefault(shop_id, [])
        if shop_id not in self._sorted:
            lst.sort(key=lambda o: (-o.ordered, -o.seq))
            self._sorted.add(shop_id)
        return lst

    def list_orders(self, shop: Shop, query: dict[str, str]) -> JSON:
        """GET /1/orders: JST date window, newest first, limit/offset paging."""
        self.auto_close()
        limit = _int_param(query.get("limit"), 20)
        offset = _int_param(query.get("offset"), 0)
        if limit < 1 or limit > 100 or offset < 0:
            raise err("bad_params")
        start = parse_jst(query["start_ordered"], end=False) if query.get("start_ordered") else None
        end = parse_jst(query["end_ordered"], end=True) if query.get("end_ordered") else None
        picked: list[JSON] = []
        skipped = 0
        for order in self._sorted_orders(shop.shop_id):
            if end is not None and order.ordered > end:
                continue
            if start is not None and order.ordered < start:
                break
            if skipped < offset:
                skipped += 1
                continue
            picked.append(order.list_json())
            if len(picked) >= limit:
                break
        return {"orders": picked}

    def order_detail(self, shop: Shop, unique_key: str) -> JSON:
        """GET /1/orders/detail/{unique_key}; another shop's order is `no_order`."""
        self.auto_close()
        order = self.orders.get(unique_key)
        if order is None or order.shop_id != shop.shop_id:
            raise err("no_order")
        return {"order": order.detail_json()}

    # ------------------------------------------------------------------ edit_status
    def edit_status(self, shop: Shop, form: dict[str, str]) -> JSON:
        """POST /1/orders/edit_status with BASE's per-item rules; records one e-mail per dispatching call."""
        req = parse_edit_form(form)
        self.auto_close()
        unique_key = self.item_index.get(req.order_item_id)
        order = self.orders.get(unique_key) if unique_key else None
        if order is None or order.shop_id != shop.shop_id:
            raise err("no_order")
        answer = apply_edit(order, req, self.clock.now_int(), self.outbox)
        self._watch(order)
        return answer


# -- an order created in a given dispatch_status: what BASE would show `later` (a day after ordering)


def _start_dispatched(order: Order, later: int) -> None:
    for item in order.items:
        if item.status == "ordered":
            item.status = "dispatched"
            item.modified = later
    order.dispatched = later
    order.modified = max(order.modified, later)


def _start_cancelled(order: Order, later: int) -> None:
    for item in order.items:
        item.status = "cancelled"
        item.modified = later
    order.cancelled = later
    order.modified = max(order.modified, later)


def _start_shipping(order: Order, later: int) -> None:
    if order.payment != "atobarai":
        raise ApiError("bad_spec", "dispatch_status 'shipping' is only for atobarai orders")
    order.atobarai_shipping = True
    order.dispatched = later


def _start_unpaid(order: Order, later: int) -> None:
    order.paid = False


def _start_unshippable(order: Order, later: int) -> None:
    order.unshippable = True


_INITIAL_STATUS: dict[str, Callable[[Order, int], None]] = {
    "dispatched": _start_dispatched,
    "cancelled": _start_cancelled,
    "shipping": _start_shipping,
    "unpaid": _start_unpaid,
    "unshippable": _start_unshippable,
}


def _int_param(raw: str | None, default: int) -> int:
    if raw is None or raw == "":
        return default
    if not raw.strip().lstrip("-").isdigit():
        raise err("bad_params")
    return int(raw)


# -- admin spec helpers


def _payment(raw: Any) -> str:
    payment = str(raw)
    if not valid_payment(payment):
        raise ApiError("bad_spec", f"payment must be a lowercase [a-z0-9_] name, got {payment!r}")
    return payment


def refusal(raw: Any) -> tuple[str, str] | None:
    """``refuse_dispatch``: false/null (none), true (``not_change_status``), a code, or {error, error_description}."""
    if raw is None or raw is False:
        return None
    if raw is True:
        return "not_change_status", ERROR_TEXT["not_change_status"]
    code, text = (raw.get("error"), raw.get("error_description")) if isinstance(raw, dict) else (raw, None)
    code = str(code or "")
    if not (code.startswith("not_change_status") or code in ("bad_params", "no_order", "db_error")):
        raise ApiError(
            "bad_spec", "refuse_dispatch must be not_change_status[_<reason>], bad_params or no_order"
        )
    return code, str(text or ERROR_TEXT.get(code) or ERROR_TEXT["not_change_status"])


def _shipping_lines(order: Order, raw: Any) -> list[JSON]:
    if not isinstance(raw, list):
        raise ApiError("bad_spec", "shipping_lines must be a list")
    all_ids = [i.order_item_id for i in order.items]
    return [
        {
            "shipping_method": line.get("shipping_method"),
            "shipping_fee": int(line.get("shipping_fee", order.shipping_fee)),
            "order_item_ids": list(line.get("order_item_ids") or all_ids),
        }
        for line in raw
    ]


def _apply_newer_fields(order: Order, spec: JSON) -> None:
    """Fields of newer BASE responses and cart apps: partner shop, shipping_lines, refusals."""
    order.partner_shop = bool(spec.get("partner_shop", False))
    order.refuse_dispatch = refusal(spec.get("refuse_dispatch"))
    if spec.get("country_code") is not None:
        order.country_code = str(spec["country_code"])
    if spec.get("shipping_lines") is not None:
        order.shipping_lines = _shipping_lines(order, spec["shipping_lines"])


def _set_flags(order: Order, changes: JSON) -> None:
    """The sandbox-internal facts an admin PATCH may change."""
    if "paid" in changes:
        order.paid = bool(changes["paid"])
    if "payment" in changes:
        order.payment = _payment(changes["payment"])
    if "cart_app" in changes:
        cart_app = changes["cart_app"]
        if cart_app is not None and cart_app not in CART_APPS:
            raise ApiError("bad_spec", f"unknown cart_app {cart_app!r}")
        order.cart_app = cart_app
    if "unshippable" in changes:
        order.unshippable = bool(changes["unshippable"])
    if "partner_shop" in changes:
        order.partner_shop = bool(changes["partner_shop"])
    if "refuse_dispatch" in changes:
        order.refuse_dispatch = refusal(changes["refuse_dispatch"])


_STATUS_ACTIONS = {"dispatched": "dispatch_by_hand", "cancelled": "cancel", "unshippable": "unshippable"}


def _status_alias(changes: JSON) -> JSON:
    """``dispatch_status`` in a PATCH: dispatched = dispatch_by_hand, cancelled = cancel, unshippable."""
    wanted = changes.get("dispatch_status")
    if wanted is None:
        return changes
    action = _STATUS_ACTIONS.get(str(wanted))
    if action is None:
        raise ApiError("bad_spec", f"dispatch_status must be one of {', '.join(_STATUS_ACTIONS)}")
    return {**changes, action: True}


def _leaves_unshippable(changes: JSON) -> bool:
    """Whether a PATCH would move an unshippable order (BASE: a final state)."""
    if changes.get("unshippable") is False:
        return True
    if changes.get("dispatch_status") not in (None, "unshippable"):
        return True
    return any(changes.get(k) for k in ("cancel", "dispatch_by_hand", "arrive"))
