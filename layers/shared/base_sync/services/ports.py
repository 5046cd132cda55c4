"""What the exactly-once core (importer, exporter, job worker, tokens) needs of the world: ports.

The services are typed against these Protocols, not the DynamoDB, Secrets Manager and HTTP
classes behind them (``dal``, ``base_api.BaseClient``), and only with the methods they use. The
tests' in-memory fakes (``tests/support/fakes.py``) implement them with the same semantics, which
one conformance suite checks against both (``tests/integration/test_store_conformance.py``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Protocol

from pydantic import SecretStr

from base_sync.base_api.client import CallCounter
from base_sync.base_api.models import DeliveryCompany, OrderDetail, OrderSummary, TokenPair
from base_sync.dal.orders import Change, ReadCost
from base_sync.domain.deadline import Deadline
from base_sync.domain.export import ExportRun
from base_sync.domain.order import Order
from base_sync.domain.shop import KnownCompany, Shop, ShopTokens


class OrderStore(Protocol):
    """The orders table: whole-order writes under a version check (VersionConflict)."""

    def get(self, shop_id: str, unique_key: str) -> Order:
        """OrderNotFound when there is none."""
        ...

    def get_many(self, shop_id: str, keys: list[str]) -> dict[str, Order]:
        """The orders that exist, by key."""
        ...

    def create(self, order: Order) -> Order:
        """Insert at version 1; VersionConflict when the order exists already."""
        ...

    def save(self, order: Order) -> Order:
        """Write if the stored version is still ``order.version``; VersionConflict otherwise."""
        ...

    def update(self, shop_id: str, unique_key: str, change: Change, *, current: Order | None = None) -> Order:
        """Read, apply ``change``, save; re-read on conflicts up to ``WRITE_ATTEMPTS`` (TooManyConflicts)."""
        ...

    def export_candidates(
        self, shop_id: str, keys: list[str] | None, cost: ReadCost | None = None
    ) -> tuple[list[Order], list[str]]:
        """The ready orders (``pending``/``deferred``), or the asked-for ones that exist and the missing keys."""
        ...

    def open_orders(self, shop_id: str) -> dict[str, int]:
        """The shop's open orders: ``unique_key`` → ``ordered`` (Unix seconds)."""
        ...


class ShopStore(Protocol):
    """The shops table, as far as jobs and tokens use it."""

    def get(self, shop_id: str) -> Shop:
        """ShopNotFound when there is none."""
        ...

    def put_run_summary(self, shop_id: str, kind: str, summary: dict[str, Any]) -> None:
        """Record ``last_import`` or ``last_export`` (ValueError for another kind)."""
        ...

    def record_tokens_refreshed(self, shop_id: str, *, now_iso: str) -> None: ...

    def put_delivery_companies(self, shop_id: str, companies: list[KnownCompany], *, at_iso: str) -> None:
        """Cache the shop's BASE delivery-company list."""
        ...

    def mark_needs_reauth(self, shop_id: str, *, reason: str, now_iso: str) -> bool:
        """Flag a connected shop; True only for the call that changed it."""
        ...

    def pause_base_calls(self, shop_id: str, *, until_iso: str, code: str) -> None:
        """BASE's rate limit for the shop is spent until ``until_iso``."""
        ...


class ExportRunStore(Protocol):
    """The processing log: runs and their results."""

    def put(self, run: ExportRun) -> None:
        """Store the run as it now stands, results included."""
        ...

    def get_run(self, export_id: str, shop_id: str, *, with_results: bool = True) -> ExportRun:
        """ExportNotFound when there is none."""
        ...


class LeaseStore(Protocol):
    """Leases (at most one holder per lock id) and "started" markers."""

    def acquire(self, lock_id: str, *, seconds: float, now: float | None = None) -> str | None:
        """The owner token, or None while someone else holds an unexpired lease."""
        ...

    def release(self, lock_id: str, owner: str) -> None:
        """Give back ``owner``'s lease; another owner's is left alone."""
        ...

    def put_marker(self, marker_id: str, owner: str, *, started_at: str) -> dict[str, Any] | None:
        """Record a start; returns the marker it replaced, if any."""
        ...

    def clear_marker(self, marker_id: str, owner: str) -> None: ...


class SecretStore(Protocol):
    """The shops' token pairs."""

    def shop_tokens(self, shop_id: str) -> ShopTokens:
        """SecretNotFound when the shop has none."""
        ...

    def put_shop_tokens(self, tokens: ShopTokens, *, deadline: Deadline | None = None) -> None:
        """SecretWriteFailed when every bounded attempt failed."""
        ...


class BaseApi(Protocol):
    """BASE's API v1 as the jobs call it (``base_api.BaseClient``): every attempt counted in ``calls``."""

    calls: CallCounter
    timeouts: tuple[float, float]
    """Connect and read timeout of one attempt."""
    deadline: Deadline
    """No attempt starts unless it fits (a job sets its own)."""

    def list_orders_page(
        self,
        access_token: str,
        *,
        start: datetime | date,
        end: datetime | date,
        offset: int = 0,
        limit: int = ...,
    ) -> list[OrderSummary]: ...

    def get_order(self, access_token: str, unique_key: str) -> OrderDetail: ...

    def dispatch_item(
        self,
        access_token: str,
        order_item_id: int,
        *,
        delivery_company_id: int,
        tracking_number: str,
        add_comment: str | None = None,
    ) -> OrderDetail: ...

    def ship_deferred_payment(
        self,
        access_token: str,
        order_item_id: int,
        *,
        delivery_company_id: int,
        tracking_number: str,
        add_comment: str | None = None,
    ) -> OrderDetail: ...

    def delivery_companies(self, access_token: str) -> list[DeliveryCompany]: ...

    def refresh_tokens(
        self, refresh_token: SecretStr | str, *, deadline: Deadline | None = None
    ) -> TokenPair: ...
