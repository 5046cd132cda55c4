"""In-memory stores and a scriptable BASE client implementing ``base_sync.services.ports``.

Same semantics as the real repositories (``tests/integration/test_store_conformance.py`` runs one
suite against both): whole-order writes under a version check (VersionConflict), conditional
creates, the sparse ``ready`` and ``open`` indexes, runs with their results, leases that expire.
Everything is copied in and out, so a test never shares an object with the store.

:class:`FakeBase` keeps a small BASE order book (items move ``ordered`` → ``dispatched`` once,
a second call is ``not_change_status``) and counts every call like the real client; a test
scripts what a call does instead with :meth:`FakeBase.script` (an exception, or an answer lost
after BASE applied the call).
"""

from __future__ import annotations

import copy
import uuid
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pydantic import SecretStr

from base_sync.base_api import BaseApiError, OrderRefused
from base_sync.base_api.client import CallCounter
from base_sync.base_api.models import DeliveryCompany, OrderDetail, OrderItem, OrderSummary, TokenPair
from base_sync.dal.errors import ExportNotFound, OrderNotFound, SecretNotFound, ShopNotFound, VersionConflict
from base_sync.dal.orders import Change, ReadCost, update_with_retries
from base_sync.domain.deadline import Deadline
from base_sync.domain.export import ExportRun
from base_sync.domain.order import READY_STATES, Order
from base_sync.domain.shop import KnownCompany, Shop, ShopStatus, ShopTokens
from base_sync.services.alerts import Alerts


class FakeOrders:
    """The orders table. ``meanwhile`` holds other writers: each runs just before one of our saves."""

    def __init__(self) -> None:
        self._items: dict[tuple[str, str], Order] = {}
        self.meanwhile: deque[Callable[[FakeOrders], None]] = deque()
        self.saves = 0

    def put_raw(self, order: Order) -> Order:
        """Seed an order as stored (version 1 unless it has one)."""
        stored = order.model_copy(deep=True, update={"version": order.version or 1})
        self._items[(order.shop_id, order.unique_key)] = stored
        return stored.model_copy(deep=True)

    def bump(self, shop_id: str, unique_key: str, **fields: Any) -> None:
        """Another writer's save of the stored order (with ``fields`` changed)."""
        current = self._items[(shop_id, unique_key)]
        self._items[(shop_id, unique_key)] = current.model_copy(
            deep=True, update={**fields, "version": current.version + 1}
        )

    def get(self, shop_id: str, unique_key: str) -> Order:
        found = self._items.get((shop_id, unique_key))
        if found is None:
            raise OrderNotFound(f"{shop_id}/{unique_key}")
        return found.model_copy(deep=True)

    def get_many(self, shop_id: str, keys: list[str]) -> dict[str, Order]:
        return {k: self.get(shop_id, k) for k in dict.fromkeys(keys) if (shop_id, k) in self._items}

    def create(self, order: Order) -> Order:
        if (order.shop_id, order.unique_key) in self._items:
            raise VersionConflict(order.unique_key)
        stored = order.model_copy(deep=True, update={"version": 1})
        self._items[(order.shop_id, order.unique_key)] = stored
        return stored.model_copy(deep=True)

    def save(self, order: Order) -> Order:
        if self.meanwhile:
            self.meanwhile.popleft()(self)
        current = self._items.get((order.shop_id, order.unique_key))
        if current is None or current.version != order.version:
            raise VersionConflict(order.unique_key)
        stored = order.model_copy(deep=True, update={"version": order.version + 1})
        self._items[(order.shop_id, order.unique_key)] = stored
        self.saves += 1
        return stored.model_copy(deep=True)

    def update(self, shop_id: str, unique_key: str, change: Change, *, current: Order | None = None) -> Order:
        return update_with_retries(self, shop_id, unique_key, change, current=current)

    def export_candidates(
        self, shop_id: str, keys: list[str] | None, cost: ReadCost | None = None
    ) -> tuple[list[Order], list[str]]:
        if not keys:
            ready = sorted(
                (o for (s, _), o in self._items.items() if s == shop_id and o.export_state in READY_STATES),
                key=lambda o: f"{o.ship_date.isoformat() if o.ship_date else '0000-00-00'}#{o.unique_key}",
            )
            if cost is not None:
                cost.items_read += len(ready)
            return [o.model_copy(deep=True) for o in ready], []
        found = self.get_many(shop_id, keys)
        return [found[k] for k in keys if k in found], [k for k in keys if k not in found]

    def open_orders(self, shop_id: str) -> dict[str, int]:
        return {k: o.base.ordered or 0 for (s, k), o in self._items.items() if s == shop_id and o.open}


class FakeShops:
    def __init__(self, *shops: Shop) -> None:
        self._shops = {s.shop_id: s.model_copy(deep=True) for s in shops}
        self.paused: dict[str, tuple[str, str]] = {}

    def add(self, shop: Shop) -> None:
        self._shops[shop.shop_id] = shop.model_copy(deep=True)

    def get(self, shop_id: str) -> Shop:
        if shop_id not in self._shops:
            raise ShopNotFound(shop_id)
        return self._shops[shop_id].model_copy(deep=True)

    def put_run_summary(self, shop_id: str, kind: str, summary: dict[str, Any]) -> None:
        if kind not in ("last_import", "last_export"):
            raise ValueError(kind)
        shop = self._shops[shop_id]
        self._shops[shop_id] = shop.model_copy(update={kind: copy.deepcopy(summary)})

    def record_tokens_refreshed(self, shop_id: str, *, now_iso: str) -> None:
        self._shops[shop_id] = self._shops[shop_id].model_copy(update={"tokens_refreshed_at": now_iso})

    def put_delivery_companies(self, shop_id: str, companies: list[KnownCompany], *, at_iso: str) -> None:
        self._shops[shop_id] = self._shops[shop_id].model_copy(
            update={"delivery_companies": list(companies), "delivery_companies_at": at_iso}
        )

    def pause_base_calls(self, shop_id: str, *, until_iso: str, code: str) -> None:
        self.paused[shop_id] = (until_iso, code)

    def mark_needs_reauth(self, shop_id: str, *, reason: str, now_iso: str) -> bool:
        shop = self._shops[shop_id]
        if shop.status is not ShopStatus.CONNECTED:
            return False
        self._shops[shop_id] = shop.model_copy(update={"status": ShopStatus.NEEDS_REAUTH})
        return True


class FakeExports:
    def __init__(self) -> None:
        self._runs: dict[tuple[str, str], ExportRun] = {}

    def put(self, run: ExportRun) -> None:
        self._runs[(run.export_id, run.shop_id)] = run.model_copy(deep=True)

    def get_run(self, export_id: str, shop_id: str, *, with_results: bool = True) -> ExportRun:
        run = self._runs.get((export_id, shop_id))
        if run is None:
            raise ExportNotFound(f"{export_id}/{shop_id}")
        return run.model_copy(deep=True, update={} if with_results else {"results": []})


class FakeLeases:
    def __init__(self) -> None:
        self._items: dict[str, dict[str, Any]] = {}

    def acquire(self, lock_id: str, *, seconds: float, now: float | None = None) -> str | None:
        now = datetime.now(UTC).timestamp() if now is None else now
        held = self._items.get(lock_id)
        if held is not None and "expires_at" in held and not held["expires_at"] < int(now * 1000):
            return None
        owner = uuid.uuid4().hex
        self._items[lock_id] = {"lock_id": lock_id, "owner": owner, "expires_at": int((now + seconds) * 1000)}
        return owner

    def release(self, lock_id: str, owner: str) -> None:
        if self._items.get(lock_id, {}).get("owner") == owner:
            del self._items[lock_id]

    def put_marker(self, marker_id: str, owner: str, *, started_at: str) -> dict[str, Any] | None:
        old = self._items.get(marker_id)
        self._items[marker_id] = {"lock_id": marker_id, "owner": owner, "started_at": started_at}
        return dict(old) if old else None

    def clear_marker(self, marker_id: str, owner: str) -> None:
        self.release(marker_id, owner)


class FakeSecrets:
    def __init__(self) -> None:
        self._tokens: dict[str, ShopTokens] = {}

    def shop_tokens(self, shop_id: str) -> ShopTokens:
        if shop_id not in self._tokens:
            raise SecretNotFound(shop_id)
        return self._tokens[shop_id].model_copy()

    def put_shop_tokens(self, tokens: ShopTokens, *, deadline: Deadline | None = None) -> None:
        self._tokens[tokens.shop_id] = tokens.model_copy()


class FakeAlerts(Alerts):
    """Alerts kept in a list instead of published."""

    def __init__(self) -> None:
        super().__init__("arn:aws:sns:ap-northeast-1:123456789012:fake")
        self.sent: list[tuple[str, str]] = []

    def send(self, subject: str, message: str) -> None:
        self.sent.append((subject, message))


def valid_tokens(shop_id: str, now: datetime, *, hours: float = 1.0) -> ShopTokens:
    return ShopTokens(
        shop_id=shop_id,
        access_token=SecretStr(f"access-{uuid.uuid4().hex[:8]}"),
        refresh_token=SecretStr(f"refresh-{uuid.uuid4().hex[:8]}"),
        expires_at=now + timedelta(hours=hours),
        issued_at=now,
    )


@dataclass
class LostAnswer:
    """BASE applies the call, then the answer never arrives: ``error`` is raised after applying it."""

    error: BaseApiError


Step = BaseApiError | LostAnswer
COMPANIES = [
    DeliveryCompany(delivery_company_id=1, name="ヤマト運輸"),
    DeliveryCompany(delivery_company_id=2, name="佐川急便"),
]


class FakeBase:
    """BASE API v1 for the jobs: an order book, the delivery companies, tokens; every call counted."""

    def __init__(self) -> None:
        self.calls = CallCounter()
        self.timeouts: tuple[float, float] = (3.05, 15.0)
        self.deadline = Deadline.never()
        self.orders: dict[str, OrderDetail] = {}
        self.companies: list[DeliveryCompany] = list(COMPANIES)
        self.sent: list[tuple[str, int]] = []
        """Every edit_status BASE applied: (unique_key, order_item_id)."""
        self._script: dict[str, deque[Step]] = defaultdict(deque)

    # -- the test's side

    def add_order(self, detail: OrderDetail) -> None:
        self.orders[detail.unique_key] = detail

    def script(self, endpoint: str, *steps: Step) -> None:
        """What the next calls of ``endpoint`` do (``orders``, ``order_detail``, ``edit_status``,
        ``delivery_companies``, ``token``), one step per call, before the order book answers."""
        self._script[endpoint].extend(steps)

    def _start(self, endpoint: str) -> LostAnswer | None:
        self.calls.add(endpoint)
        if self._script[endpoint]:
            step = self._script[endpoint].popleft()
            if isinstance(step, LostAnswer):
                return step
            raise step
        return None

    # -- BaseApi

    def list_orders_page(
        self,
        access_token: str,
        *,
        start: datetime | date,
        end: datetime | date,
        offset: int = 0,
        limit: int = 100,
    ) -> list[OrderSummary]:
        self._start("orders")
        assert isinstance(start, datetime) and isinstance(end, datetime)
        low, high = start.timestamp(), end.timestamp()
        listed = sorted(
            (d for d in self.orders.values() if d.ordered is not None and low <= d.ordered <= high),
            key=lambda d: d.ordered or 0,
            reverse=True,
        )
        return [OrderSummary.model_validate(d.model_dump()) for d in listed[offset : offset + limit]]

    def get_order(self, access_token: str, unique_key: str) -> OrderDetail:
        lost = self._start("order_detail")
        if lost is not None:
            raise lost.error
        if unique_key not in self.orders:
            raise OrderRefused("no_order", code="no_order", http_status=400)
        return self.orders[unique_key]

    def dispatch_item(
        self,
        access_token: str,
        order_item_id: int,
        *,
        delivery_company_id: int,
        tracking_number: str,
        add_comment: str | None = None,
    ) -> OrderDetail:
        return self._edit(order_item_id, delivery_company_id, tracking_number, whole=False)

    def ship_deferred_payment(
        self,
        access_token: str,
        order_item_id: int,
        *,
        delivery_company_id: int,
        tracking_number: str,
        add_comment: str | None = None,
    ) -> OrderDetail:
        return self._edit(order_item_id, delivery_company_id, tracking_number, whole=True)

    def _edit(self, item_id: int, company: int, tracking: str, *, whole: bool) -> OrderDetail:
        lost = self._start("edit_status")
        key = next(
            k for k, d in self.orders.items() if any(i.order_item_id == item_id for i in d.order_items)
        )
        detail = self.orders[key]
        item = next(i for i in detail.order_items if i.order_item_id == item_id)
        if item.status != "ordered":
            raise OrderRefused("not_change_status", code="not_change_status", http_status=400)
        items = [
            i.model_copy(update={"status": "dispatched"}) if whole or i.order_item_id == item_id else i
            for i in detail.order_items
        ]
        done = all(i.status != "ordered" for i in items)
        status = ("shipping" if whole else "dispatched") if done else detail.dispatch_status
        detail = detail.model_copy(
            update={
                "order_items": items,
                "dispatch_status": status,
                "delivery_company_id": company,
                "tracking_number": tracking,
                "modified": (detail.modified or 0) + 1,
            }
        )
        self.orders[key] = detail
        self.sent.append((key, item_id))
        if lost is not None:
            raise lost.error
        return detail

    def delivery_companies(self, access_token: str) -> list[DeliveryCompany]:
        lost = self._start("delivery_companies")
        if lost is not None:
            raise lost.error
        return list(self.companies)

    def refresh_tokens(
        self, refresh_token: SecretStr | str, *, deadline: Deadline | None = None
    ) -> TokenPair:
        lost = self._start("token")
        if lost is not None:
            raise lost.error
        return TokenPair(
            access_token=SecretStr(f"access-{uuid.uuid4().hex[:8]}"),
            refresh_token=SecretStr(f"refresh-{uuid.uuid4().hex[:8]}"),
        )


def base_order(
    unique_key: str,
    *,
    ordered: int,
    items: int = 1,
    payment: str = "creditcard",
    dispatch_status: str = "ordered",
    item_status: str = "ordered",
    modified: int = 1,
) -> OrderDetail:
    """An order as BASE's detail shows it; item ids are ``<n>01``, ``<n>02``… of a number in the key."""
    number = int("".join(c for c in unique_key if c.isdigit()) or "0")
    return OrderDetail(
        unique_key=unique_key,
        ordered=ordered,
        payment=payment,
        dispatch_status=dispatch_status,
        modified=modified,
        order_items=[
            OrderItem(order_item_id=number * 100 + n, title=f"item {n}", amount=1, status=item_status)
            for n in range(1, items + 1)
        ],
    )
