"""In-memory model of BASE: apps, shops, orders, OAuth grants, rate limits, faults and logs.

Everything is guarded by ONE re-entrant lock so concurrent requests (e.g. two racing refreshes) see the
same serialised behaviour a real database with row locks would give.
"""

from __future__ import annotations

import random
import secrets
import threading
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from .clock import Clock

JST = ZoneInfo("Asia/Tokyo")
JSON = dict[str, Any]

ALL_SCOPES = (
    "read_users",
    "read_users_mail",
    "read_items",
    "read_orders",
    "read_savings",
    "write_items",
    "write_orders",
)
SCOPE_LABELS = {
    "read_users": "ショップ情報を見る",
    "read_users_mail": "ショップのメールアドレスを見る",
    "read_items": "商品情報を見る",
    "read_orders": "注文情報を見る",
    "read_savings": "売上情報を見る",
    "write_items": "商品情報を書き込む",
    "write_orders": "注文情報を書き込む",
}
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

ERROR_TEXT = {
    "invalid_token": "アクセストークンが無効です。",
    "invalid_code": "不正な認可コードです。",
    "invalid_refresh": "不正なリフレッシュトークンです。",
    "invalid_scope": "このAPIを利用する権限（スコープ）がありません。",
    "bad_grant": "grant_typeが不正です。",
    "no_client": "client_idまたはclient_secretが指定されていません。",
    "unknown_client": "不正なクライアントです。",
    "bad_secret": "クライアント認証に失敗しました。",
    "no_redirect": "redirect_uriが指定されていません。",
    "bad_redirect": "redirect_uriが不正です。",
    "bad_response_type": "response_typeが不正です。",
    "bad_scope_param": "scopeが不正です。",
    "unknown_shop": "ショップが存在しません。",
    "token_not_post": "POSTメソッドでリクエストしてください。",
    "not_post_method": "POSTメソッドでリクエストしてください。",
    "hour_api_limit": "1時間あたりのAPIの利用上限を超えました。",
    "day_api_limit": "1日あたりのAPIの利用上限を超えました。",
    "no_order": "注文が存在しません。",
    "no_params": "パラメータが指定されていません。",
    "bad_params": "パラメータが不正です。",
    "not_change_status": "ステータスを変更できません。",
    "not_change_status_cvs": "コンビニ決済の入金が確認できていないため、ステータスを変更できません。",
    "not_change_status_base_bt": "銀行振込（BASE口座）の入金が確認できていないため、ステータスを変更できません。",
    "not_change_status_atobarai": "後払い決済の注文はatobarai_statusで更新してください。",
    "not_change_status_YamatoDelivery": "ヤマトかんたん発送アプリの注文はAPIから発送済みにできません。",
    "not_change_status_ClubT": "Tシャツ作成アプリ（ClubT）の注文はAPIからステータスを変更できません。",
    "not_change_status_SpCase": "スマホケース作成アプリの注文はAPIからステータスを変更できません。",
    "not_cancel": "この決済方法の注文はキャンセルできません。",
    "db_error": "データベースエラーが発生しました。時間をおいて再度お試しください。",
    "not_found": "APIが存在しません。",
}


class ApiError(Exception):
    """A BASE-style error: HTTP 400 (by default) with `{"error", "error_description"}`."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status

    def body(self) -> JSON:
        """The JSON body BASE sends for this error."""
        return {"error": self.error, "error_description": self.description}


def err(code: str, text_key: str | None = None, status: int = 400) -> ApiError:
    """Build an ApiError whose description comes from ERROR_TEXT (keyed by code unless overridden)."""
    return ApiError(code, ERROR_TEXT[text_key or code], status)


def new_key(nbytes: int = 16) -> str:
    """Random opaque credential (code or token); 32 hex chars like BASE's."""
    return secrets.token_hex(nbytes)


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
class App:
    """A registered BASE Developers app (confidential client with ONE redirect URI)."""

    client_id: str
    client_secret: str
    redirect_uri: str


@dataclass
class Shop:
    """A BASE shop (the OAuth 'user'); also holds its API rate-limit counters."""

    shop_id: str
    shop_name: str
    shop_url: str
    mail_address: str
    shop_introduction: str = ""
    hour_limit: int = 5000
    day_limit: int = 100000
    hour_used: int = 0
    day_used: int = 0
    hour_window: int = -1
    day_window: int = -1

    def user_json(self, with_mail: bool) -> JSON:
        """The `user` object of /1/users/me, field for field as recorded."""
        return {
            "shop_id": self.shop_id,
            "shop_name": self.shop_name,
            "shop_introduction": self.shop_introduction,
            "shop_url": self.shop_url,
            "twitter_id": "",
            "facebook_id": "",
            "ameba_id": "",
            "instagram_id": "",
            "background": None,
            "display_background": 0,
            "repeat_background": 1,
            "logo": None,
            "display_logo": 0,
            "mail_address": self.mail_address if with_mail else None,
        }


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
    dispatch_status: str = "ordered"

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
        out: JSON = {
            "unique_key": self.unique_key,
            "ordered": self.ordered,
            "cancelled": self.cancelled,
            "dispatched": self.dispatched,
            "payment": self.payment,
            "shipping_method": self.shipping_method,
            "shipping_fee": self.shipping_fee,
            "cod_fee": self.cod_fee,
            "total": self.total,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "country": self.country,
            "zip_code": self.zip_code,
            "prefecture": self.prefecture,
            "address": self.address,
            "address2": self.address2,
            "mail_address": self.mail_address,
            "tel": self.tel,
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
        }
        return out


@dataclass
class AuthCode:
    """A single-use authorization code bound to (app, shop, scopes, redirect_uri)."""

    client_id: str
    shop_id: str
    scopes: tuple[str, ...]
    redirect_uri: str
    expires_at: float
    used: bool = False


@dataclass
class Token:
    """An access or refresh token bound to (app, shop, scopes)."""

    kind: str  # "access" | "refresh"
    client_id: str
    shop_id: str
    scopes: tuple[str, ...]
    expires_at: float
    used: bool = False
    revoked: bool = False


@dataclass
class FaultRule:
    """An injected failure; `remaining` None means unlimited."""

    rule_id: int
    mode: str
    rate: float
    remaining: int | None
    delay_seconds: float
    path_prefix: str
    status: int | None
    rng: random.Random
    injected: int = 0
    seen: int = 0

    def to_json(self) -> JSON:
        """Rule description with its counters."""
        return {
            "id": self.rule_id,
            "mode": self.mode,
            "rate": self.rate,
            "remaining": self.remaining,
            "delay_seconds": self.delay_seconds,
            "path_prefix": self.path_prefix,
            "status": self.status,
            "injected": self.injected,
            "seen": self.seen,
        }


FAULT_MODES = ("5xx", "slow", "drop", "drop_before", "drop_after", "db_error")


@dataclass
class TokenStats:
    """Per-shop issuance counters for /_sandbox/tokens (never token values)."""

    codes_issued: int = 0
    codes_exchanged: int = 0
    code_exchange_failed: int = 0
    refreshes_succeeded: int = 0
    refreshes_failed: int = 0
    access_tokens_issued: int = 0

    def to_json(self) -> JSON:
        """Counters as a dict."""
        return dict(self.__dict__)


class SandboxState:
    """All sandbox data and the BASE business rules, behind one lock."""

    def __init__(
        self,
        clock: Clock | None = None,
        *,
        code_ttl: int = 600,
        access_ttl: int = 3600,
        refresh_ttl: int = 30 * 86400,
    ) -> None:
        self.lock = threading.RLock()
        self.clock = clock or Clock()
        self.defaults = {"code_ttl": code_ttl, "access_ttl": access_ttl, "refresh_ttl": refresh_ttl}
        self.latency_ms = 0
        self._init_data()

    # ------------------------------------------------------------------ lifecycle
    def _init_data(self) -> None:
        self.code_ttl = self.defaults["code_ttl"]
        self.access_ttl = self.defaults["access_ttl"]
        self.refresh_ttl = self.defaults["refresh_ttl"]
        self.apps: dict[str, App] = {}
        self.shops: dict[str, Shop] = {}
        self.orders: dict[str, Order] = {}
        self.item_index: dict[int, str] = {}
        self.shop_orders: dict[str, list[Order]] = {}
        self._sorted: set[str] = set()
        self.codes: dict[str, AuthCode] = {}
        self.tokens: dict[str, Token] = {}
        self.token_stats: dict[str, TokenStats] = {}
        self.unattributed = TokenStats()
        self.calls: deque[JSON] = deque(maxlen=200_000)
        self.call_summary: Counter[str] = Counter()
        self.emails: list[JSON] = []
        self.faults: list[FaultRule] = []
        self.fault_history: Counter[str] = Counter()
        self._seq = 0
        self._call_seq = 0
        self._fault_seq = 0
        self._next_item_id = 19749229
        self._next_product_id = 23245394

    def reset(self) -> None:
        """Forget everything (apps, shops, orders, grants, logs, faults, latency, clock offset)."""
        with self.lock:
            self._init_data()
            self.latency_ms = 0
            self.clock.reset()

    def configure(self, values: JSON) -> JSON:
        """Change lifetimes (code_ttl, access_ttl, refresh_ttl) for grants issued from now on."""
        with self.lock:
            for key in ("code_ttl", "access_ttl", "refresh_ttl"):
                if key in values:
                    setattr(self, key, int(values[key]))
            return {"code_ttl": self.code_ttl, "access_ttl": self.access_ttl, "refresh_ttl": self.refresh_ttl}

    # ------------------------------------------------------------------ apps / shops
    def add_app(self, client_id: str, client_secret: str, redirect_uri: str) -> JSON:
        """Register (or replace) an app."""
        with self.lock:
            self.apps[client_id] = App(client_id, client_secret, redirect_uri)
            return {"client_id": client_id, "redirect_uri": redirect_uri}

    def add_shop(self, shop_id: str, shop_name: str, **extra: Any) -> JSON:
        """Create (or rename) a shop."""
        with self.lock:
            shop = self.shops.get(shop_id)
            if shop is None:
                shop = Shop(
                    shop_id=shop_id,
                    shop_name=shop_name,
                    shop_url=extra.get("shop_url") or f"https://{shop_id}.thebase.in",
                    mail_address=extra.get("mail_address") or f"owner@{shop_id}.example.jp",
                    shop_introduction=extra.get("shop_introduction") or "",
                )
                self.shops[shop_id] = shop
                self.shop_orders[shop_id] = []
                self._sorted.add(shop_id)
            else:
                shop.shop_name = shop_name
            return shop.user_json(True)

    def _shop(self, shop_id: str) -> Shop:
        shop = self.shops.get(shop_id)
        if shop is None:
            raise ApiError("unknown_shop", f"shop {shop_id!r} does not exist", 404)
        return shop

    # ------------------------------------------------------------------ orders (admin side)
    def create_order(self, shop_id: str, spec: JSON) -> Order:
        """Create one order from an admin spec (see package docs for the fields)."""
        with self.lock:
            self._shop(shop_id)
            now = self.clock.now_int()
            payment = str(spec.get("payment", "creditcard"))
            if payment not in PAYMENTS:
                raise ApiError("bad_spec", f"unknown payment {payment!r}")
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
            order.tracking_number = (
                None if spec.get("tracking_number") is None else str(spec["tracking_number"])
            )
            order.add_comment = None if spec.get("add_comment") is None else str(spec["add_comment"])
            self._apply_initial_status(order, str(spec.get("dispatch_status") or ""), now)
            self.orders[unique_key] = order
            for item in items:
                self.item_index[item.order_item_id] = unique_key
            self.shop_orders[shop_id].append(order)
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
        if wanted == "dispatched":
            for item in order.items:
                if item.status == "ordered":
                    item.status = "dispatched"
                    item.modified = later
            order.dispatched = later
            order.modified = max(order.modified, later)
        elif wanted == "cancelled":
            for item in order.items:
                item.status = "cancelled"
                item.modified = later
            order.cancelled = later
            order.modified = max(order.modified, later)
        elif wanted == "shipping":
            if order.payment != "atobarai":
                raise ApiError("bad_spec", "dispatch_status 'shipping' is only for atobarai orders")
            order.atobarai_shipping = True
            order.dispatched = later
        elif wanted == "unpaid":
            order.paid = False
        elif wanted == "unshippable":
            order.unshippable = True
        elif wanted not in ("", "ordered"):
            raise ApiError("bad_spec", f"bad dispatch_status {wanted!r}")
        if any(i.status == "dispatched" for i in order.items) and order.dispatched is None:
            order.dispatched = later
        order.recompute_status()
        if order.dispatch_status == "cancelled" and order.cancelled is None:
            order.cancelled = later

    def get_order_admin(self, unique_key: str) -> JSON:
        """Internal view of one order."""
        with self.lock:
            order = self.orders.get(unique_key)
            if order is None:
                raise ApiError("no_order", ERROR_TEXT["no_order"], 404)
            return order.admin_json()

    def patch_order(self, unique_key: str, changes: JSON) -> JSON:
        """Shop-owner actions from BASE's admin screen: mark paid, cancel, dispatch by hand, etc."""
        with self.lock:
            order = self.orders.get(unique_key)
            if order is None:
                raise ApiError("no_order", ERROR_TEXT["no_order"], 404)
            now = self.clock.now_int()
            if "paid" in changes:
                order.paid = bool(changes["paid"])
            if "cart_app" in changes:
                cart_app = changes["cart_app"]
                if cart_app is not None and cart_app not in CART_APPS:
                    raise ApiError("bad_spec", f"unknown cart_app {cart_app!r}")
                order.cart_app = cart_app
            if "unshippable" in changes:
                order.unshippable = bool(changes["unshippable"])
            self._owner_actions(order, changes, now)
            order.recompute_status()
            order.modified = now
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
                self._record_email(order, [i.order_item_id for i in touched], now, "admin")
        # atobarai: BASE sets arrived, then dispatched; the sandbox jumps straight to dispatched.
        if changes.get("arrive") and order.atobarai_shipping:
            for item in order.items:
                if item.status == "ordered":
                    item.status = "dispatched"
                    item.modified = now
            order.atobarai_shipping = False

    def _sorted_orders(self, shop_id: str) -> list[Order]:
        lst = self.shop_orders[shop_id]
        if shop_id not in self._sorted:
            lst.sort(key=lambda o: (-o.ordered, -o.seq))
            self._sorted.add(shop_id)
        return lst

    # ------------------------------------------------------------------ OAuth
    def validate_authorize(self, params: dict[str, str]) -> tuple[App, tuple[str, ...]]:
        """Check an authorize request; BASE shows an error page (no redirect) when this fails."""
        with self.lock:
            client_id = params.get("client_id", "")
            app = self.apps.get(client_id)
            if not client_id or app is None:
                raise err("unauthorized_client", "unknown_client")
            redirect_uri = params.get("redirect_uri", "")
            if not redirect_uri:
                raise err("invalid_request", "no_redirect")
            if redirect_uri != app.redirect_uri:
                raise err("invalid_request", "bad_redirect")
            if params.get("response_type") != "code":
                raise err("invalid_request", "bad_response_type")
            return app, self.parse_scopes(params.get("scope"))

    @staticmethod
    def parse_scopes(raw: str | None) -> tuple[str, ...]:
        """Space/comma separated scopes; read_users is always granted; unknown scope is an error."""
        wanted = [s for s in (raw or "").replace(",", " ").split() if s]
        for scope in wanted:
            if scope not in ALL_SCOPES:
                raise err("invalid_scope", "bad_scope_param")
        chosen = {"read_users", *wanted}
        return tuple(s for s in ALL_SCOPES if s in chosen)

    def authorize_decision(self, params: dict[str, str], shop_id: str | None, approve: bool) -> str:
        """Validate, then return the redirect Location the browser would be sent to."""
        with self.lock:
            app, scopes = self.validate_authorize(params)
            state = params.get("state")
            query: list[tuple[str, str]] = []
            if approve:
                if not shop_id or shop_id not in self.shops:
                    raise err("access_denied", "unknown_shop")
                code = new_key()
                self.codes[code] = AuthCode(
                    client_id=app.client_id,
                    shop_id=shop_id,
                    scopes=scopes,
                    redirect_uri=app.redirect_uri,
                    expires_at=self.clock.now() + self.code_ttl,
                )
                self._stats(shop_id).codes_issued += 1
                query.append(("code", code))
            else:
                query.append(("error", "access_denied"))
            if state is not None:
                query.append(("state", state))
            sep = "&" if "?" in app.redirect_uri else "?"
            return app.redirect_uri + sep + urlencode(query)

    def _stats(self, shop_id: str | None) -> TokenStats:
        if shop_id is None:
            return self.unattributed
        return self.token_stats.setdefault(shop_id, TokenStats())

    def token_grant(self, form: dict[str, str], basic: tuple[str, str] | None) -> tuple[JSON, str | None]:
        """POST /1/oauth/token; returns (response body, shop_id for the call log)."""
        with self.lock:
            grant_type = form.get("grant_type", "")
            if grant_type not in ("authorization_code", "refresh_token"):
                raise err("invalid_request", "bad_grant")
            client_id = form.get("client_id") or (basic[0] if basic else "")
            client_secret = form.get("client_secret") or (basic[1] if basic else "")
            if not client_id or not client_secret:
                raise err("invalid_request", "no_client")
            app = self.apps.get(client_id)
            if app is None:
                raise err("unauthorized_client", "unknown_client")
            if not secrets.compare_digest(app.client_secret, client_secret):
                raise err("unauthorized_client", "bad_secret")
            redirect_uri = form.get("redirect_uri", "")
            if not redirect_uri:
                raise err("invalid_request", "no_redirect")
            if redirect_uri != app.redirect_uri:
                raise err("invalid_request", "bad_redirect")
            now = self.clock.now()
            if grant_type == "authorization_code":
                raw = form.get("code", "")
                code = self.codes.get(raw) if raw else None
                shop_id = code.shop_id if code else None
                if (
                    code is None
                    or code.used
                    or code.client_id != app.client_id
                    or code.redirect_uri != redirect_uri
                    or now >= code.expires_at
                ):
                    self._stats(shop_id).code_exchange_failed += 1
                    raise err("invalid_request", "invalid_code")
                code.used = True
                self._stats(code.shop_id).codes_exchanged += 1
                return self._issue(app.client_id, code.shop_id, code.scopes, now), code.shop_id
            raw = form.get("refresh_token", "")
            old = self.tokens.get(raw) if raw else None
            if old is not None and old.kind != "refresh":
                old = None
            shop_id = old.shop_id if old else None
            if (
                old is None
                or old.used
                or old.revoked
                or old.client_id != app.client_id
                or now >= old.expires_at
            ):
                self._stats(shop_id).refreshes_failed += 1
                raise err("invalid_request", "invalid_refresh")
            old.used = True
            self._stats(old.shop_id).refreshes_succeeded += 1
            return self._issue(app.client_id, old.shop_id, old.scopes, now), old.shop_id

    def _issue(self, client_id: str, shop_id: str, scopes: tuple[str, ...], now: float) -> JSON:
        access, refresh = new_key(), new_key()
        self.tokens[access] = Token("access", client_id, shop_id, scopes, now + self.access_ttl)
        self.tokens[refresh] = Token("refresh", client_id, shop_id, scopes, now + self.refresh_ttl)
        self._stats(shop_id).access_tokens_issued += 1
        return {
            "access_token": access,
            "token_type": "bearer",
            "expires_in": self.access_ttl,
            "refresh_token": refresh,
        }

    def peek_shop(self, authorization: str | None) -> str | None:
        """Shop of a bearer token without validating or counting (for logging injected faults)."""
        with self.lock:
            tok = self.tokens.get(_bearer(authorization) or "")
            return tok.shop_id if tok and tok.kind == "access" else None

    def authenticate(self, authorization: str | None, scope: str | None) -> Shop:
        """Validate the bearer token, count the call against the shop's limits, then check scope."""
        with self.lock:
            raw = _bearer(authorization)
            tok = self.tokens.get(raw) if raw else None
            now = self.clock.now()
            if tok is None or tok.kind != "access" or tok.revoked or now >= tok.expires_at:
                raise err("invalid_request", "invalid_token")
            shop = self.shops.get(tok.shop_id)
            if shop is None:
                raise err("invalid_request", "invalid_token")
            self._count_call(shop, now)
            if scope is not None and scope not in tok.scopes:
                raise err("invalid_scope")
            return shop

    def scopes_of(self, authorization: str | None) -> tuple[str, ...]:
        """Scopes of a (known) bearer token."""
        with self.lock:
            tok = self.tokens.get(_bearer(authorization) or "")
            return tok.scopes if tok else ()

    def _roll_windows(self, shop: Shop, now: float) -> None:
        # JST is UTC+9 with no DST, so JST hour boundaries (minute :00) equal UTC hour boundaries.
        hour_window = int(now // 3600)
        day_window = int((now + 9 * 3600) // 86400)
        if shop.hour_window != hour_window:
            shop.hour_window, shop.hour_used = hour_window, 0
        if shop.day_window != day_window:
            shop.day_window, shop.day_used = day_window, 0

    def _count_call(self, shop: Shop, now: float) -> None:
        self._roll_windows(shop, now)
        if shop.day_used >= shop.day_limit:
            raise err("day_api_limit")
        if shop.hour_used >= shop.hour_limit:
            raise err("hour_api_limit")
        shop.hour_used += 1
        shop.day_used += 1

    def expire_tokens(self, shop_id: str) -> JSON:
        """Make every access token of the shop expired now."""
        with self.lock:
            now = self.clock.now()
            n = 0
            for tok in self.tokens.values():
                if tok.shop_id == shop_id and tok.kind == "access" and tok.expires_at > now:
                    tok.expires_at = now
                    n += 1
            return {"shop_id": shop_id, "expired": n}

    def revoke_tokens(self, shop_id: str) -> JSON:
        """Revoke every refresh token of the shop (access tokens live on until they expire)."""
        with self.lock:
            n = 0
            for tok in self.tokens.values():
                if tok.shop_id == shop_id and tok.kind == "refresh" and not tok.revoked and not tok.used:
                    tok.revoked = True
                    n += 1
            return {"shop_id": shop_id, "revoked": n}

    def token_report(self) -> JSON:
        """Issuance counters and active-token counts per shop; never the token values."""
        with self.lock:
            now = self.clock.now()
            shops: dict[str, JSON] = {}
            for shop_id in sorted(set(self.shops) | set(self.token_stats)):
                entry = self._stats(shop_id).to_json()
                entry["active_access_tokens"] = sum(
                    1
                    for t in self.tokens.values()
                    if t.shop_id == shop_id and t.kind == "access" and not t.revoked and t.expires_at > now
                )
                entry["active_refresh_tokens"] = sum(
                    1
                    for t in self.tokens.values()
                    if t.shop_id == shop_id
                    and t.kind == "refresh"
                    and not (t.revoked or t.used)
                    and t.expires_at > now
                )
                entry["pending_codes"] = sum(
                    1
                    for c in self.codes.values()
                    if c.shop_id == shop_id and not c.used and c.expires_at > now
                )
                shops[shop_id] = entry
            return {"shops": shops, "unattributed": self.unattributed.to_json()}

    # ------------------------------------------------------------------ API reads
    def list_orders(self, shop: Shop, query: dict[str, str]) -> JSON:
        """GET /1/orders: JST date window, newest first, limit/offset paging."""
        with self.lock:
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
        with self.lock:
            order = self.orders.get(unique_key)
            if order is None or order.shop_id != shop.shop_id:
                raise err("no_order")
            return {"order": order.detail_json()}

    # ------------------------------------------------------------------ edit_status
    def edit_status(self, shop: Shop, form: dict[str, str]) -> JSON:
        """POST /1/orders/edit_status with BASE's per-item rules; records one e-mail per dispatching call."""
        with self.lock:
            req = _parse_edit_form(form)
            unique_key = self.item_index.get(req.order_item_id)
            order = self.orders.get(unique_key) if unique_key else None
            if order is None or order.shop_id != shop.shop_id:
                raise err("no_order")
            item = next(i for i in order.items if i.order_item_id == req.order_item_id)
            if order.cart_app:
                raise err(f"not_change_status_{order.cart_app}")
            now = self.clock.now_int()
            if order.payment == "atobarai":
                touched = self._atobarai_shipping(order, req)
            elif req.status == "cancelled":
                return self._cancel_item(order, item, now)
            else:
                touched = self._dispatch_item(order, item, req)
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
            self._record_email(order, [t.order_item_id for t in touched], now, "api")
            return {"order": order.detail_json()}

    @staticmethod
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

    @staticmethod
    def _dispatch_item(order: Order, item: OrderItem, req: EditRequest) -> list[OrderItem]:
        if req.atobarai_status:
            raise err("bad_params")
        if item.status != "ordered" or order.dispatch_status in ("cancelled", "unshippable"):
            raise err("not_change_status")
        if order.payment in PREPAID_PAYMENTS and not order.paid:
            raise err(f"not_change_status_{order.payment}")
        item.status = "dispatched"
        return [item]

    @staticmethod
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

    def _record_email(self, order: Order, item_ids: list[int], now: int, source: str) -> None:
        self.emails.append(
            {
                "id": len(self.emails) + 1,
                "shop_id": order.shop_id,
                "unique_key": order.unique_key,
                "order_item_ids": item_ids,
                "to": order.mail_address,
                "tracking_number": order.tracking_number,
                "delivery_company_id": order.delivery_company_id,
                "delivery_company_name": DELIVERY_COMPANY_NAMES.get(order.delivery_company_id),
                "add_comment": order.add_comment,
                "order_dispatch_status": order.dispatch_status,
                "source": source,
                "at": now,
            }
        )

    def list_emails(self, shop_id: str | None) -> JSON:
        """Recorded buyer shipping e-mails."""
        with self.lock:
            return {"emails": [dict(e) for e in self.emails if shop_id in (None, "", e["shop_id"])]}

    # ------------------------------------------------------------------ limits
    def set_limits(self, spec: JSON) -> JSON:
        """Change a shop's hourly/daily limits or preset its counters."""
        with self.lock:
            shop = self._shop(str(spec.get("shop_id", "")))
            self._roll_windows(shop, self.clock.now())
            for key, attr in (
                ("hour", "hour_limit"),
                ("day", "day_limit"),
                ("hour_used", "hour_used"),
                ("day_used", "day_used"),
            ):
                if spec.get(key) is not None:
                    setattr(shop, attr, int(spec[key]))
            return self._limits_json(shop)

    def get_limits(self, shop_id: str) -> JSON:
        """Current limits and counters of a shop."""
        with self.lock:
            shop = self._shop(shop_id)
            self._roll_windows(shop, self.clock.now())
            return self._limits_json(shop)

    @staticmethod
    def _limits_json(shop: Shop) -> JSON:
        return {
            "shop_id": shop.shop_id,
            "hour": shop.hour_limit,
            "day": shop.day_limit,
            "hour_used": shop.hour_used,
            "day_used": shop.day_used,
        }

    # ------------------------------------------------------------------ faults
    def add_fault(self, spec: JSON) -> JSON:
        """Register a fault rule for /1/ calls."""
        with self.lock:
            mode = str(spec.get("mode", ""))
            if mode not in FAULT_MODES:
                raise ApiError("bad_spec", f"mode must be one of {', '.join(FAULT_MODES)}")
            if mode == "drop":
                mode = "drop_before"
            rate = float(spec.get("rate", 1.0))
            if not 0.0 <= rate <= 1.0:
                raise ApiError("bad_spec", "rate must be within 0.0-1.0")
            status = spec.get("status")
            if status is not None and int(status) not in (500, 502, 503, 504):
                raise ApiError("bad_spec", "status must be 500, 502, 503 or 504")
            self._fault_seq += 1
            seed = spec.get("seed")
            rule = FaultRule(
                rule_id=self._fault_seq,
                mode=mode,
                rate=rate,
                remaining=None if spec.get("count") is None else int(spec["count"]),
                delay_seconds=float(spec.get("delay_seconds", 1.0)),
                path_prefix=str(spec.get("path_prefix") or "/1/"),
                status=None if status is None else int(status),
                rng=random.Random(seed),
            )
            self.faults.append(rule)
            return rule.to_json()

    def pick_fault(self, path: str) -> FaultRule | None:
        """Decide whether this /1/ call gets a fault; first matching rule that fires wins."""
        with self.lock:
            for rule in self.faults:
                if not path.startswith(rule.path_prefix) or rule.remaining == 0:
                    continue
                rule.seen += 1
                if rule.rng.random() < rule.rate:
                    rule.injected += 1
                    if rule.remaining is not None:
                        rule.remaining -= 1
                    self.fault_history[rule.mode] += 1
                    return rule
            return None

    def fault_status(self, rule: FaultRule) -> int:
        """HTTP status for a 5xx fault (fixed, or drawn from 500/502/503)."""
        with self.lock:
            return rule.status or rule.rng.choice((500, 502, 503))

    def faults_json(self) -> JSON:
        """Active rules and totals injected per mode."""
        with self.lock:
            return {"faults": [r.to_json() for r in self.faults], "injected": dict(self.fault_history)}

    def clear_faults(self) -> JSON:
        """Remove all fault rules (totals are kept until reset)."""
        with self.lock:
            self.faults.clear()
            return self.faults_json()

    # ------------------------------------------------------------------ call log
    def log_call(
        self,
        method: str,
        path: str,
        shop_id: str | None,
        status: int,
        error: str | None,
        fault: str | None = None,
        client_id: str | None = None,
    ) -> None:
        """Append to the call log (never tokens, codes or secrets)."""
        with self.lock:
            self._call_seq += 1
            endpoint = f"{method} {_endpoint_of(path)}"
            self.calls.append(
                {
                    "seq": self._call_seq,
                    "at": self.clock.now(),
                    "method": method,
                    "path": path,
                    "endpoint": endpoint,
                    "shop_id": shop_id,
                    "client_id": client_id,
                    "status": status,
                    "error": error,
                    "fault": fault,
                }
            )
            self.call_summary[endpoint] += 1

    def calls_json(self, shop_id: str | None, path_prefix: str | None) -> JSON:
        """Filtered call log plus summary counts by endpoint and by error."""
        with self.lock:
            picked = [
                dict(c)
                for c in self.calls
                if (not shop_id or c["shop_id"] == shop_id)
                and (not path_prefix or str(c["path"]).startswith(path_prefix))
            ]
            by_endpoint = Counter(str(c["endpoint"]) for c in picked)
            by_error = Counter(str(c["error"]) for c in picked if c["error"])
            return {
                "calls": picked,
                "count": len(picked),
                "summary": dict(by_endpoint),
                "errors": dict(by_error),
                "total_since_reset": dict(self.call_summary),
            }

    def clear_calls(self) -> JSON:
        """Empty the call log and its summary."""
        with self.lock:
            self.calls.clear()
            self.call_summary.clear()
            return {"cleared": True}


def _bearer(authorization: str | None) -> str | None:
    if not authorization:
        return None
    parts = authorization.split(None, 1)
    if len(parts) != 2 or parts[0].lower() != "bearer":
        return None
    return parts[1].strip() or None


def _int_param(raw: str | None, default: int) -> int:
    if raw is None or raw == "":
        return default
    if not raw.strip().lstrip("-").isdigit():
        raise err("bad_params")
    return int(raw)


def _endpoint_of(path: str) -> str:
    if path.startswith("/1/orders/detail/"):
        return "/1/orders/detail/{unique_key}"
    return path


@dataclass
class EditRequest:
    """Validated edit_status form."""

    order_item_id: int
    status: str
    atobarai_status: str
    comment: str | None
    tracking: str | None
    company: int | None


def _parse_edit_form(form: dict[str, str]) -> EditRequest:
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
