"""OrderPatch (the PATCH body) and ManagementService.patch_order against in-memory repositories."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from base_sync.api.models import OrderPatch
from base_sync.api.views import ShopList
from base_sync.dal.errors import OrderNotFound, ShopNotFound, VersionConflict
from base_sync.dal.orders import WRITE_ATTEMPTS as PATCH_ATTEMPTS
from base_sync.dal.orders import OrderRepository
from base_sync.dal.shops import ShopRepository
from base_sync.domain.order import BaseSnapshot, ExportState, Order
from base_sync.domain.shop import Shop, ShopSettings
from base_sync.domain.status import ExportFilter, ManagementStatus
from base_sync.services.errors import AlreadyDispatched, InvalidInput, PatchConflict
from base_sync.services.management import ManagementService

NOW = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)  # 12:00 JST


# -- the model


def _error_fields(exc: ValidationError) -> set[str]:
    return {str(e["loc"][0]) if e["loc"] else "" for e in exc.errors()}


def test_patch_normalises_tracking_number_and_keeps_only_given_fields() -> None:
    patch = OrderPatch.model_validate({"tracking_number": "１２３４－５６７８", "ship_date": None})
    assert patch.tracking_number == "12345678"
    assert patch.changes() == {"tracking_number": "12345678", "ship_date": None}


def test_patch_status_from_text() -> None:
    assert OrderPatch.model_validate({"status": "processed"}).status is ManagementStatus.PROCESSED


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "shipped"}, "status"),
        ({"status": None}, "status"),
        ({"tracking_number": "#123"}, "tracking_number"),
        ({"tracking_number": "1" * 101}, "tracking_number"),
        ({"tracking_number": 123}, "tracking_number"),
        ({"tracking_number": None}, "tracking_number"),
        ({"delivery_company": True}, "delivery_company"),
        ({"delivery_company": " "}, "delivery_company"),
        ({"delivery_company": 1.5}, "delivery_company"),
        ({"ship_date": "2026-2-3"}, "ship_date"),
        ({"ship_date": 20260203}, "ship_date"),
        ({"status": "new", "memo": "x"}, "memo"),
    ],
)
def test_patch_refuses(body: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        OrderPatch.model_validate(body)
    assert field in _error_fields(caught.value)


def test_patch_needs_a_field() -> None:
    with pytest.raises(ValidationError, match="at least one"):
        OrderPatch.model_validate({})


def test_settings_body_is_strict() -> None:
    with pytest.raises(ValidationError):
        ShopSettings.model_validate({"auto_export": "true"})
    with pytest.raises(ValidationError):
        ShopSettings.model_validate({"import_days": 91})
    with pytest.raises(ValidationError):
        ShopSettings.model_validate({"unknown": 1})


# -- the service, on in-memory repositories


class MemoryShops(ShopRepository):
    def __init__(self, *shops: Shop) -> None:  # no table: in memory
        self.shops = {s.shop_id: s for s in shops}

    def get(self, shop_id: str) -> Shop:
        if shop_id not in self.shops:
            raise ShopNotFound(shop_id)
        return self.shops[shop_id]

    def list(self) -> list[Shop]:
        return sorted(self.shops.values(), key=lambda s: s.shop_id)

    def put_settings(
        self,
        shop_id: str,
        settings: ShopSettings,
        *,
        changed_at: str | None = None,
        changed_by: str | None = None,
    ) -> None:
        audit = {"settings_changed_at": changed_at, "settings_changed_by": changed_by} if changed_at else {}
        self.shops[shop_id] = self.get(shop_id).model_copy(update={"settings": settings, **audit})


class MemoryOrders(OrderRepository):
    def __init__(self) -> None:  # no table: in memory
        self.orders: dict[tuple[str, str], Order] = {}
        self.saves = 0
        self.conflicts_left = 0

    def create(self, order: Order) -> Order:
        stored = order.model_copy(update={"version": 1})
        self.orders[order.shop_id, order.unique_key] = stored
        return stored

    def get(self, shop_id: str, unique_key: str) -> Order:
        try:
            return self.orders[shop_id, unique_key]
        except KeyError:
            raise OrderNotFound(unique_key) from None

    def save(self, order: Order) -> Order:
        current = self.orders[order.shop_id, order.unique_key]
        if self.conflicts_left:
            # another writer saves first: bump the stored version behind our back
            self.conflicts_left -= 1
            self.orders[order.shop_id, order.unique_key] = current.model_copy(
                update={"version": current.version + 1}
            )
            raise VersionConflict(order.unique_key)
        if current.version != order.version:
            raise VersionConflict(order.unique_key)
        self.saves += 1
        stored = order.model_copy(update={"version": order.version + 1})
        self.orders[order.shop_id, order.unique_key] = stored
        return stored


def _setup(
    *, export_filter: ExportFilter = ExportFilter.ALL_EXCEPT_NEW_AND_HOLD, **order_fields: Any
) -> tuple[ManagementService, MemoryOrders]:
    shops = MemoryShops(Shop(shop_id="s", settings=ShopSettings(export_filter=export_filter)))
    orders = MemoryOrders()
    orders.create(Order(shop_id="s", unique_key="K", base=BaseSnapshot(ordered=1), **order_fields))
    return ManagementService(shops, orders, now=lambda: NOW), orders


def _patch_order(service: ManagementService, shop_id: str, unique_key: str, body: dict[str, Any]) -> Order:
    """What the PATCH route does: the body validated once (OrderPatch), the typed changes to the service."""
    return service.patch_order(shop_id, unique_key, OrderPatch.parse(body).changes())


def test_service_sets_tracking_and_evaluates_pending() -> None:
    service, orders = _setup(status=ManagementStatus.AWAITING_SHIPMENT)
    saved = _patch_order(
        service, "s", "K", {"tracking_number": "１２３４ ５６７８", "delivery_company": "ヤマト運輸"}
    )
    assert saved.tracking_number == "12345678"
    assert saved.tracking_entered_at == NOW.isoformat()
    assert saved.updated_at == NOW.isoformat()
    assert (saved.export_state, saved.export_reason) == (ExportState.PENDING, None)
    assert saved.version == 2
    (entry,) = saved.history
    assert entry.event == "updated"
    assert entry.at == NOW.isoformat()
    assert entry.detail == {"tracking_number": "12345678", "delivery_company": "ヤマト運輸"}
    assert orders.get("s", "K") == saved


def test_service_new_status_stays_not_ready() -> None:
    service, _ = _setup(status=ManagementStatus.NEW)
    saved = _patch_order(service, "s", "K", {"tracking_number": "12345678", "delivery_company": 7})
    assert saved.export_state is ExportState.NOT_READY
    assert saved.export_reason == "status_not_exportable"
    assert saved.delivery_company == "7"


def test_service_processed_only_filter() -> None:
    service, _ = _setup(
        export_filter=ExportFilter.PROCESSED_ONLY,
        status=ManagementStatus.AWAITING_SHIPMENT,
        tracking_number="12345678",
        delivery_company="佐川急便",
    )
    assert _patch_order(service, "s", "K", {"ship_date": "2026-11-28"}).export_state is ExportState.NOT_READY
    assert _patch_order(service, "s", "K", {"status": "processed"}).export_state is ExportState.PENDING


def test_service_future_ship_date_defers_and_null_clears() -> None:
    service, _ = _setup(status=ManagementStatus.PROCESSED, tracking_number="12345678", delivery_company="x")
    saved = _patch_order(service, "s", "K", {"ship_date": "2026-11-29"})  # tomorrow in JST
    assert saved.ship_date == date(2026, 11, 29)
    assert (saved.export_state, saved.export_reason) == (ExportState.DEFERRED, "ship_date_in_future")
    assert saved.history[-1].detail == {"ship_date": "2026-11-29"}
    cleared = _patch_order(service, "s", "K", {"ship_date": None})
    assert cleared.ship_date is None
    assert cleared.export_state is ExportState.PENDING
    assert cleared.history[-1].detail == {"ship_date": None}


def test_service_history_names_only_changed_fields() -> None:
    service, orders = _setup(status=ManagementStatus.NEW, tracking_number="12345678")
    saved = _patch_order(service, "s", "K", {"tracking_number": "1234-5678", "status": "hold"})
    assert saved.history[-1].detail == {"status": "hold"}
    assert saved.tracking_entered_at is None  # the number did not change
    # an identical patch changes nothing: no write, no history
    again = _patch_order(service, "s", "K", {"tracking_number": "12345678", "status": "hold"})
    assert again == saved
    assert orders.saves == 1


def test_service_failed_order_is_re_evaluated_after_a_change() -> None:
    service, _ = _setup(
        status=ManagementStatus.PROCESSED,
        tracking_number="12345678",
        delivery_company="x",
        export_state=ExportState.FAILED,
        export_reason="cart_app_not_supported",
    )
    saved = _patch_order(service, "s", "K", {"delivery_company": "佐川急便"})
    assert (saved.export_state, saved.export_reason) == (ExportState.PENDING, None)


@pytest.mark.parametrize("state", [ExportState.EXPORTED, ExportState.ALREADY_DISPATCHED])
def test_service_dispatched_order_refuses_shipping_fields(state: ExportState) -> None:
    service, orders = _setup(
        status=ManagementStatus.PROCESSED,
        tracking_number="12345678",
        delivery_company="x",
        export_state=state,
    )
    for change in ({"tracking_number": "999"}, {"delivery_company": "y"}, {"ship_date": "2026-11-01"}):
        with pytest.raises(AlreadyDispatched):
            _patch_order(service, "s", "K", change)
    assert orders.saves == 0
    saved = _patch_order(service, "s", "K", {"status": "cancelled"})
    assert saved.status is ManagementStatus.CANCELLED
    assert saved.export_state is state


def test_service_retries_version_conflicts() -> None:
    service, orders = _setup(status=ManagementStatus.HOLD)
    orders.conflicts_left = PATCH_ATTEMPTS - 1
    saved = _patch_order(service, "s", "K", {"status": "processed"})
    assert saved.status is ManagementStatus.PROCESSED
    assert saved.version == PATCH_ATTEMPTS + 1
    assert len(saved.history) == 1


def test_service_gives_up_after_attempts() -> None:
    service, orders = _setup(status=ManagementStatus.HOLD)
    orders.conflicts_left = PATCH_ATTEMPTS
    with pytest.raises(PatchConflict):
        _patch_order(service, "s", "K", {"status": "processed"})
    assert orders.get("s", "K").status is ManagementStatus.HOLD


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"tracking_number": "#1"}, "tracking_number"),
        ({"ship_date": "2026-13-01"}, "ship_date"),
        ({"status": "shipped"}, "status"),
        ({"delivery_company": ""}, "delivery_company"),
        ({"colour": "red"}, "colour"),
        ({}, "body"),
    ],
)
def test_service_names_the_bad_field(changes: dict[str, Any], field: str) -> None:
    service, orders = _setup()
    with pytest.raises(InvalidInput) as caught:
        _patch_order(service, "s", "K", changes)
    assert set(caught.value.fields) == {field}
    assert orders.saves == 0


def test_service_unknown_shop_and_order() -> None:
    service, _ = _setup()
    with pytest.raises(ShopNotFound):
        _patch_order(service, "other", "K", {"status": "hold"})
    with pytest.raises(OrderNotFound):
        _patch_order(service, "s", "nope", {"status": "hold"})


def test_service_shop_view_shape() -> None:
    service, _ = _setup()
    (shop,) = ShopList.of(service.list_shops()).dump()["shops"]
    assert set(shop) == {
        "shop_id",
        "shop_name",
        "status",
        "settings",
        "last_import",
        "last_export",
        "settings_changed_at",
        "settings_changed_by",
    }
    assert shop["status"] == "connected"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"tracking_number": None}, "tracking_number"),
        ({"tracking_number": 123}, "tracking_number"),
        ({"delivery_company": None}, "delivery_company"),
        ({"delivery_company": 1.5}, "delivery_company"),
        ({"delivery_company": True}, "delivery_company"),
        ({"ship_date": 20261201}, "ship_date"),
        ({"status": None}, "status"),
    ],
)
def test_service_refuses_wrong_types_without_crashing(changes: dict[str, Any], field: str) -> None:
    service, _ = _setup()
    with pytest.raises(InvalidInput) as caught:
        _patch_order(service, "s", "K", changes)
    assert set(caught.value.fields) == {field}
