"""One shop's world in memory for the exporter's and importer's fast tests: fakes, a clock, runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from base_sync.base_api.snapshots import snapshot_from_detail
from base_sync.domain.deadline import Deadline
from base_sync.domain.export import ExportRun
from base_sync.domain.order import ExportState, Order
from base_sync.domain.shop import Shop, ShopSettings
from base_sync.domain.status import ManagementStatus
from base_sync.services.exporter import run_export
from base_sync.services.importer import ImportReport, run_import
from base_sync.services.tokens import ShopTokenCaller, TokenProvider
from tests.support.fakes import (
    FakeAlerts,
    FakeBase,
    FakeExports,
    FakeLeases,
    FakeOrders,
    FakeSecrets,
    FakeShops,
    base_order,
    valid_tokens,
)
from tests.support.reasons_seen import observe

SHOP = "shop-a"
NOW = datetime(2026, 12, 3, 3, 0, tzinfo=UTC)  # noon in Japan


class World:
    def __init__(self, **settings: Any) -> None:
        self.now = NOW
        self.orders = FakeOrders()
        self.shops = FakeShops(Shop(shop_id=SHOP, settings=ShopSettings(**settings)))
        self.exports = FakeExports()
        self.leases = FakeLeases()
        self.secrets = FakeSecrets()
        self.alerts = FakeAlerts()
        self.base = FakeBase()
        self.secrets.put_shop_tokens(valid_tokens(SHOP, NOW))
        self._runs = 0

    def clock(self) -> datetime:
        return self.now

    def api(self) -> ShopTokenCaller:
        tokens = TokenProvider(
            client=self.base,
            secrets=self.secrets,
            shops=self.shops,
            leases=self.leases,
            alerts=self.alerts,
            now=self.clock,
            sleep=lambda _: None,
        )
        return ShopTokenCaller(self.base, tokens, SHOP)

    def ago(self, **delta: float) -> int:
        return int((self.now - timedelta(**delta)).timestamp())

    def on_base(self, key: str, **fields: Any) -> None:
        """An order in BASE's book (ordered an hour ago unless given)."""
        fields.setdefault("ordered", self.ago(hours=1))
        self.base.add_order(base_order(key, **fields))

    def ready(self, key: str, *, stored: dict[str, Any] | None = None, **on_base: Any) -> Order:
        """An order on BASE and stored as staff left it: processed, tracking number, company, pending."""
        self.on_base(key, **on_base)
        order = Order(
            shop_id=SHOP,
            unique_key=key,
            base=snapshot_from_detail(self.base.orders[key]),
            status=ManagementStatus.PROCESSED,
            tracking_number="123456789012",
            delivery_company="ヤマト運輸",
            tracking_entered_at=(self.now - timedelta(hours=1)).isoformat(),
            export_state=ExportState.PENDING,
        )
        return self.orders.put_raw(order.model_copy(update=stored or {}))

    def stored(self, key: str) -> Order:
        return self.orders.get(SHOP, key)

    def export(
        self,
        *,
        order_keys: list[str] | None = None,
        deadline: Deadline | None = None,
        trigger: str = "manual",
    ) -> ExportRun:
        self._runs += 1
        run = ExportRun(
            export_id=f"exp-{self._runs}",
            shop_id=SHOP,
            trigger=trigger,
            queued_at=self.now.isoformat(),
            order_keys=order_keys,
        )
        try:
            done = run_export(
                self.shops.get(SHOP),
                run,
                client=self.base,
                api=self.api(),
                orders=self.orders,
                exports=self.exports,
                shops=self.shops,
                now=self.clock,
                deadline=deadline,
            )
        finally:
            observe(runs=[run], orders=self.orders.get_many(SHOP, list(self.base.orders)).values())
        return done

    def import_(self, *, deadline: Deadline | None = None) -> ImportReport:
        report = run_import(
            self.shops.get(SHOP),
            client=self.base,
            api=self.api(),
            orders=self.orders,
            shops=self.shops,
            now=self.clock,
            deadline=deadline,
        )
        observe(
            reasons=[report.stopped, *(e.get("reason") for e in report.errors)],
            orders=self.orders.get_many(SHOP, list(self.base.orders)).values(),
        )
        return report
