"""Orders as BASE shows them: payments, cart apps, delivery companies, items, and the recorded JSON views.

``dispatch_status`` is derived from the items and the payment state (:meth:`Order.recompute_status`);
``paid``, ``cart_app``, ``atobarai_shipping``, ``unshippable``, ``partner_shop``, ``refuse_dispatch`` and
``closed_by_base`` are sandbox-internal state.

* ``payment`` is an open string (README: "an unknown method must never break an import"): the known ones
  are :data:`PAYMENTS` (``bnpl`` = Pay ID あと払い included); any other lowercase ``[a-z0-9_]`` name is
  accepted too and behaves like a card payment (paid at once, no transaction block).
* Partner-shop orders (販売パートナーApp, ``partner_shop: true``): the buyer's ``country``, ``zip_code``,
  ``address``, ``address2``, ``mail_address`` and ``tel`` are null in the detail (README: country,
  zip, address, mail and tel are null; ``address2`` is treated as part of the address, ``prefecture``
  and the names stay).
* Newer-shape orders (created with ``shipping_lines``): the detail also carries ``country_code`` and
  ``shipping_lines`` and its ``shipping_method`` is null (README). The README does not give a line's
  shape; the sandbox's is ``{"shipping_method", "shipping_fee", "order_item_ids"}``. Orders created
  without ``shipping_lines`` keep exactly the recorded field set.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from .auto_close import deadline_of
from .errors import JSON, err

JST = ZoneInfo("Asia/Tokyo")
CART_APPS = ("YamatoDelivery", "ClubT", "SpCase")
PAYMENTS = (
    "creditcard",
    "bt",
    "cod",
    "cvs",
    "base_bt",
    "atobarai",
    "carrier_01",
    "carrier_02",
    "carrier_03",
    "coin",
    "paypal",
    "amazon_pay",
    "bnpl",
)
# Payments whose orders wait in `unpaid` until the buyer pays (BASE refuses dispatch until then).
PREPAID_PAYMENTS = ("cvs", "base_bt")
# Payments whose items may be cancelled through edit_status (cash on delivery, shop bank transfer).
CANCELLABLE_PAYMENTS = ("cod", "bt")
TRANSACTION_BLOCK = {
    "creditcard": "c_c_payment_transaction",
    "cvs": "cvs_payment_transaction",
    "base_bt": "bt_payment_transaction",
    "atobarai": "atobarai_payment_transaction",
    "carrier_01": "carrier_payment_transaction",
    "carrier_02": "carrier_payment_transaction",
    "carrier_03": "carrier_payment_transaction",
    "paypal": "paypal_payment_transaction",
    "coin": "coin_payment_transaction",
}
TRANSACTION_BLOCK_ORDER = (
    "c_c_payment_transaction",
    "cvs_payment_transaction",
    "bt_payment_transaction",
    "atobarai_payment_transaction",
    "carrier_payment_transaction",
    "paypal_payment_transaction",
    "coin_payment_transaction",
)
DELIVERY_COMPANIES: tuple[tuple[int, str], ...] = (
    (1, "クロネコヤマト"),
    (2, "佐川急便"),
    (3, "日本通運"),
    (4, "ゆうパック"),
    (5, "ゆうメール"),
    (6, "ゆうパケット"),
    (7, "西濃運輸"),
    (8, "福山通運"),
    (9, "クリックポスト"),
    (10, "その他"),
)
DELIVERY_COMPANY_NAMES = dict(DELIVERY_COMPANIES)


def valid_payment(payment: str) -> bool:
    """BASE's payment is an open string; the sandbox takes any lowercase ``[a-z0-9_]`` name."""
    return (
        bool(payment)
        and len(payment) <= 40
        and all(c.isascii() and (c.islower() or c.isdigit() or c == "_") for c in payment)
    )


def jst_date(unix: int) -> str:
    """``yyyy-mm-dd`` of a Unix time on the JST calendar."""
    return datetime.fromtimestamp(unix, JST).strftime("%Y-%m-%d")


def parse_jst(value: str, *, end: bool) -> int:
    """Parse `yyyy-mm-dd` or `yyyy-mm-dd hh:mm:ss` as Asia/Tokyo; a date-only end covers that whole day."""
    for fmt, date_only in (("%Y-%m-%d %H:%M:%S", False), ("%Y-%m-%d", True)):
        try:
            naive = datetime.strptime(value, fmt)
        except ValueError:
            continue
        dt = naive.replace(tzinfo=JST)
        if date_only and end:
            return int((dt + timedelta(days=1)).timestamp()) - 1
        return int(dt.timestamp())
    raise err("bad_params")


@dataclass
class OrderItem:
    """One order line; BASE's edit_status works on these."""

    order_item_id: int
    item_id: int
    title: str
    price: int
    amount: int
    status: str
    modified: int
    variation_id: int | None = None
    variation: str = ""
    shipping_method: str | None = None
    shipping_fee: int = 0
    item_tax_type: int = 1
    consumption_tax_rate: int = 10
    shipping_start: int | None = None
    shipping_end: int | None = None

    def to_json(self) -> JSON:
        """Item as in the recorded order detail."""
        return {
            "order_item_id": self.order_item_id,
            "item_id": self.item_id,
            "variation_id": self.variation_id,
            "title": self.title,
            "variation": self.variation,
            "price": self.price,
            "amount": self.amount,
            "total": self.price * self.amount,
            "item_tax_type": self.item_tax_type,
            "consumption_tax_rate": self.consumption_tax_rate,
            "status": self.status,
            "shipping_method": self.shipping_method,
            "shipping_fee": self.shipping_fee,
            "shipping_start": self.shipping_start,
            "shipping_end": self.shipping_end,
            "modified": self.modified,
        }


@dataclass
class Order:
    """An order with its items; `paid`, `cart_app` and `atobarai_shipping` are sandbox-internal state."""

    seq: int
    shop_id: str
    unique_key: str
    ordered: int
    payment: str
    paid: bool
    items: list[OrderItem]
    modified: int
    cart_app: str | None = None
    first_name: str = "太郎"
    last_name: str = "山田"
    country: str = "Japan"
    zip_code: str = "1500001"
    prefecture: str = "東京都"
    address: str = "渋谷区神宮前1-2-3"
    address2: str = ""
    mail_address: str = "buyer@example.jp"
    tel: str = "09012345678"
    remark: str = ""
    receiver: dict[str, str | None] = field(default_factory=dict)
    shipping_method: str | None = None
    shipping_fee: int = 0
    cod_fee: int = 0
    discount: int = 0
    discount_note: str | None = None
    delivery_date: str | None = None
    delivery_time_zone: str | None = None
    subscription: dict[str, Any] = field(default_factory=dict)
    cancelled: int | None = None
    dispatched: int | None = None
    add_comment: str | None = None
    delivery_company_id: int = 0
    tracking_number: str | None = None
    atobarai_shipping: bool = False
    unshippable: bool = False
    partner_shop: bool = False
    shipping_lines: list[JSON] | None = None
    country_code: str | None = None
    # An edit_status refusal BASE gives this order: (error code, description), e.g. a bnpl order.
    refuse_dispatch: tuple[str, str] | None = None
    # Set when BASE closed the order by itself (auto_close): the rule's name.
    closed_by_base: str | None = None
    dispatch_status: str = "ordered"

    @property
    def base_deadline_at(self) -> int | None:
        """When BASE closes this order by itself (:mod:`.auto_close`), or None."""
        return deadline_of(self.payment, self.ordered, self.dispatch_status, self.closed_by_base)

    def recompute_status(self) -> None:
        """Derive the order's dispatch_status from its items and payment state."""
        states = [i.status for i in self.items]
        if states and all(s == "cancelled" for s in states):
            self.dispatch_status = "cancelled"
        elif states and all(s in ("dispatched", "cancelled") for s in states):
            self.dispatch_status = "dispatched"
        elif self.unshippable:
            self.dispatch_status = "unshippable"
        elif self.atobarai_shipping:
            self.dispatch_status = "shipping"
        elif self.payment in PREPAID_PAYMENTS and not self.paid:
            self.dispatch_status = "unpaid"
        else:
            self.dispatch_status = "ordered"

    @property
    def total(self) -> int:
        """Items + shipping + COD fee - discount (what the buyer pays)."""
        items = sum(i.price * i.amount for i in self.items)
        return max(0, items + self.shipping_fee + self.cod_fee - self.discount)

    def list_json(self) -> JSON:
        """Only the fields GET /1/orders returns (no items, no address)."""
        return {
            "unique_key": self.unique_key,
            "ordered": self.ordered,
            "cancelled": self.cancelled,
            "dispatched": self.dispatched,
            "payment": self.payment,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "total": self.total,
            "delivery_date": self.delivery_date,
            "delivery_time_zone": self.delivery_time_zone,
            "terminated": self.dispatch_status in ("dispatched", "cancelled"),
            "dispatch_status": self.dispatch_status,
            "modified": self.modified,
            "subscription": self._subscription(),
        }

    def _subscription(self) -> JSON:
        return {
            "unique_key": self.subscription.get("unique_key"),
            "repeat_number": self.subscription.get("repeat_number"),
            "repeat_times": self.subscription.get("repeat_times"),
        }

    def _transaction_status(self) -> str:
        if self.dispatch_status == "cancelled":
            return "cancelled"
        if self.payment == "atobarai":
            return "shipping" if self.atobarai_shipping else "ordered"
        return "paid" if self.paid else "unpaid"

    def detail_json(self) -> JSON:
        """Full order as GET /1/orders/detail returns it (key order as recorded)."""
        receiver_keys = ("first_name", "last_name", "zip_code", "prefecture", "address", "address2", "tel")
        block = TRANSACTION_BLOCK.get(self.payment)
        fee = (self.total * 36 + 999) // 1000 + 40 if self.total else 0
        hidden = self.partner_shop  # partner-shop sale: the buyer's contact fields are null
        out: JSON = {
            "unique_key": self.unique_key,
            "ordered": self.ordered,
            "cancelled": self.cancelled,
            "dispatched": self.dispatched,
            "payment": self.payment,
            "shipping_method": None if self.shipping_lines is not None else self.shipping_method,
            "shipping_fee": self.shipping_fee,
            "cod_fee": self.cod_fee,
            "total": self.total,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "country": None if hidden else self.country,
            "zip_code": None if hidden else self.zip_code,
            "prefecture": self.prefecture,
            "address": None if hidden else self.address,
            "address2": None if hidden else self.address2,
            "mail_address": None if hidden else self.mail_address,
            "tel": None if hidden else self.tel,
            "remark": self.remark,
            "add_comment": self.add_comment,
            "delivery_company_id": self.delivery_company_id,
            "tracking_number": self.tracking_number,
            "delivery_date": self.delivery_date,
            "delivery_time_zone": self.delivery_time_zone,
            "terminated": self.dispatch_status in ("dispatched", "cancelled"),
            "dispatch_status": self.dispatch_status,
            "modified": self.modified,
            "order_receiver": {k: self.receiver.get(k) for k in receiver_keys},
            "order_discount": {
                "discount": self.discount,
                "note": self.discount_note,
                "is_allocate_user_balance_log": 0,
            },
            "order_amount_adjustment": {"adjusted_amount": 0},
            "order_header_coin": {"discount": 0, "note": None},
            "order_charge": {"collected_fee": (self.total * 3 + 99) // 100 if self.total else 0},
        }
        for name in TRANSACTION_BLOCK_ORDER:
            if name == block:
                out[name] = {"collected_fee": fee, "status": self._transaction_status()}
            else:
                out[name] = {"collected_fee": None, "status": None}
        out["user_balance_logs"] = []
        out["order_items"] = [i.to_json() for i in self.items]
        out["subscription"] = self._subscription()
        if self.shipping_lines is not None:
            out["country_code"] = None if hidden else (self.country_code or "JP")
            out["shipping_lines"] = [dict(line) for line in self.shipping_lines]
        return out

    def admin_json(self) -> JSON:
        """Detail plus the sandbox-internal fields (for /_sandbox/orders/{key})."""
        out = self.detail_json()
        out["_sandbox"] = {
            "shop_id": self.shop_id,
            "paid": self.paid,
            "cart_app": self.cart_app,
            "atobarai_shipping": self.atobarai_shipping,
            "unshippable": self.unshippable,
            "partner_shop": self.partner_shop,
            "refuse_dispatch": None if self.refuse_dispatch is None else self.refuse_dispatch[0],
            "closed_by_base": self.closed_by_base,
            "base_deadline": None if self.base_deadline_at is None else jst_date(self.base_deadline_at),
            "base_deadline_at": self.base_deadline_at,
        }
        return out
