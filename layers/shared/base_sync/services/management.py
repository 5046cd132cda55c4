"""Management use cases behind the management API: shops, settings, orders and manual imports.

No HTTP here: the handler turns requests into these calls and these exceptions into the
contract's error bodies. Time comes from the injected ``now`` so that tests decide the day.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final, TypedDict

from base_sync.dal.errors import TooManyConflicts
from base_sync.dal.orders import OrderRepository
from base_sync.dal.shops import ShopRepository
from base_sync.domain.order import READY_STATES, ExportState, Order
from base_sync.domain.shop import Shop, ShopSettings
from base_sync.domain.status import ManagementStatus
from base_sync.rules import readiness
from base_sync.rules.base_deadline import deadline_within
from base_sync.rules.companies import closest_companies, resolve_delivery_company
from base_sync.rules.errors import AmbiguousDeliveryCompany, UnknownDeliveryCompany
from base_sync.rules.send_forecast import SendForecast, send_forecast
from base_sync.rules.ship_date import today_jst
from base_sync.services.errors import AlreadyDispatched, DispatchInProgress, InvalidInput, PatchConflict
from base_sync.services.jobs import Job, JobKind, Trigger, enqueue

LIMIT_MIN: Final = 1
LIMIT_MAX: Final = 100
LIMIT_DEFAULT: Final = 50

PATCHABLE_FIELDS: Final = ("status", "tracking_number", "delivery_company", "ship_date")
SHIPPING_FIELDS: Final = frozenset({"tracking_number", "delivery_company", "ship_date"})
"""Fields an order that BASE shows dispatched may no longer change (what went out stays true)."""

_SETTLED: Final = frozenset({ExportState.EXPORTED, ExportState.ALREADY_DISPATCHED})


class OrderChanges(TypedDict, total=False):
    """An operator's changes to an order, already checked and normalised (``api.models.OrderPatch``
    is where they are validated): only the fields given; ``ship_date: None`` clears the date."""

    status: ManagementStatus
    tracking_number: str
    delivery_company: str
    ship_date: date | None


@dataclass(frozen=True)
class OrderShown:
    """An order and when it will go to BASE by itself (None: it will not, as it stands)."""

    order: Order
    forecast: SendForecast | None


@dataclass
class OrderListing:
    orders: list[Order]
    next_token: str | None


def unknown_company_text(value: str, exc: UnknownDeliveryCompany, shop: Shop) -> str:
    """The 422's ``fields.delivery_company``: the value typed and the closest BASE companies (ja / en)."""
    companies = shop.delivery_companies or []
    if isinstance(exc, AmbiguousDeliveryCompany):
        named = ", ".join(f"{c.name} (id {c.delivery_company_id})" for c in exc.candidates)
        return (
            f"「{value}」は BASE の配送会社の複数に当たります: {named}。ID で指定してください。"
            f" / {value!r} matches several BASE delivery companies: {named}. Enter the id."
        )
    named = ", ".join(f"{c.name} (id {c.delivery_company_id})" for c in closest_companies(value, companies))
    return (
        f"「{value}」はこのショップの BASE の配送会社一覧にありません。近いもの: {named or 'なし'}"
        f" / {value!r} is not in the shop's BASE delivery-company list; closest: {named or 'none'}"
    )


def _utc_now() -> datetime:
    return datetime.now(UTC)


def plain_value(value: Any) -> Any:
    """A field's value as JSON shows it (enum and date as text): for history entries and plans."""
    if isinstance(value, ManagementStatus):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    return value


class ManagementService:
    def __init__(
        self,
        shops: ShopRepository,
        orders: OrderRepository,
        *,
        jobs_queue_url: str | None = None,
        now: Callable[[], datetime] = _utc_now,
    ) -> None:
        self.shops = shops
        self.orders = orders
        self.jobs_queue_url = jobs_queue_url
        self.now = now

    # -- shops and settings

    def list_shops(self) -> list[Shop]:
        return self.shops.list()

    def get_settings(self, shop_id: str) -> ShopSettings:
        return self.shops.get(shop_id).settings  # ShopNotFound for an unknown shop

    def delivery_companies(self, shop_id: str) -> Shop:
        """The shop as stored, for its cached BASE delivery-company list (``delivery_companies`` and
        ``delivery_companies_at``; None until an import or export first fetched it). No BASE call."""
        return self.shops.get(shop_id)  # ShopNotFound for an unknown shop

    def put_settings(self, shop_id: str, settings: ShopSettings, *, actor: str | None = None) -> ShopSettings:
        """Replace the settings; the shop records when and by whom (``GET /shops`` shows it)."""
        now_iso = self.now().astimezone(UTC).isoformat()
        self.shops.put_settings(shop_id, settings, changed_at=now_iso, changed_by=actor)  # ShopNotFound
        return settings

    # -- orders

    def list_orders(
        self,
        shop_id: str,
        *,
        status: ManagementStatus | None = None,
        export_state: ExportState | None = None,
        limit: int = LIMIT_DEFAULT,
        next_token: str | None = None,
        deadline_within_days: int | None = None,
    ) -> OrderListing:
        """Newest first; ShopNotFound, or BadPageToken for a token that is not ours (or another shop's).

        The filters and ``limit`` (:data:`LIMIT_MIN` … :data:`LIMIT_MAX`) come checked by the API.
        ``deadline_within_days`` keeps the orders of the page whose BASE deadline (JST) is that
        close or passed: a page may then hold fewer than ``limit``; follow ``next_token``."""
        self.shops.get(shop_id)
        page = self.orders.list(
            shop_id, status=status, export_state=export_state, limit=limit, next_token=next_token or None
        )
        orders = page.orders
        if deadline_within_days is not None:
            today = today_jst(self.now())
            orders = [o for o in orders if deadline_within(o.base, today, deadline_within_days)]
        return OrderListing(orders, page.next_token)

    def get_order(self, shop_id: str, unique_key: str) -> Order:
        self.shops.get(shop_id)
        return self.orders.get(shop_id, unique_key)  # OrderNotFound

    def show_order(self, shop_id: str, unique_key: str) -> OrderShown:
        """The order and when it will be sent (``GET …/orders/{unique_key}``)."""
        shop = self.shops.get(shop_id)
        order = self.orders.get(shop_id, unique_key)  # OrderNotFound
        return OrderShown(order, send_forecast(order, shop.settings, self.now()))

    def edit_order(
        self, shop_id: str, unique_key: str, changes: OrderChanges, *, actor: str | None = None
    ) -> OrderShown:
        """:meth:`patch_order`, answered with when the order will now be sent: an edit that makes an
        order ready is itself a send when the shop has ``auto_export`` on."""
        shop = self.shops.get(shop_id)
        order = self._patch(shop, unique_key, changes, actor=actor)
        return OrderShown(order, send_forecast(order, shop.settings, self.now()))

    def patch_order(
        self, shop_id: str, unique_key: str, changes: OrderChanges, *, actor: str | None = None
    ) -> Order:
        """Apply the operator's changes, re-evaluate the export state, record them and save.

        ``changes`` holds only the fields the caller gave, checked and normalised
        (``ship_date: None`` clears the date); what only the stored order can tell is checked
        here. The history entry names ``actor`` (the caller's IAM principal) where there is
        one. Raises ShopNotFound, OrderNotFound, AlreadyDispatched, DispatchInProgress, or
        PatchConflict after :data:`~base_sync.dal.orders.WRITE_ATTEMPTS` lost races.
        """
        return self._patch(self.shops.get(shop_id), unique_key, changes, actor=actor)

    def _patch(self, shop: Shop, unique_key: str, changes: OrderChanges, *, actor: str | None) -> Order:
        clean: dict[str, Any] = dict(changes)
        shop_id = shop.shop_id
        try:  # nothing changed (``prepare_edit`` gives None): no write, no history entry
            return self.orders.update(
                shop_id, unique_key, lambda order: self.prepare_edit(order, clean, shop, actor=actor)
            )
        except TooManyConflicts:
            raise PatchConflict(f"order {unique_key} kept changing; try again") from None

    def prepare_edit(
        self, order: Order, clean: dict[str, Any], shop: Shop, *, actor: str | None = None
    ) -> Order | None:
        """The order as ``clean`` would leave it (re-evaluated, with its history entry), or None if
        nothing changes; raises if the order may not change so. Writes nothing: every edit —
        one PATCH or a whole CSV file — is checked here, so they refuse the same things.

        A ``delivery_company`` is resolved against the shop's cached BASE list (InvalidInput naming
        the closest companies when it does not resolve); with no list cached yet it is checked at
        export. An edit that leaves the order ready starts the shop's ``export_delay_minutes``
        window again (``export_not_before``)."""
        settings = shop.settings
        changed = {name: value for name, value in clean.items() if getattr(order, name) != value}
        if not changed:
            return None
        if order.export_state in _SETTLED and SHIPPING_FIELDS & changed.keys():
            refused = ", ".join(sorted(SHIPPING_FIELDS & changed.keys()))
            raise AlreadyDispatched(
                f"order {order.unique_key} is {order.export_state.value}; {refused} can no longer change"
            )
        if order.dispatch_attempt is not None and SHIPPING_FIELDS & changed.keys():
            raise DispatchInProgress(
                f"order {order.unique_key} is being dispatched on BASE; try again shortly"
            )
        if "delivery_company" in changed:
            self._check_company(str(changed["delivery_company"]), shop)
        now = self.now()
        now_iso = now.astimezone(UTC).isoformat()
        update: dict[str, Any] = dict(changed, updated_at=now_iso)
        if "tracking_number" in changed:
            update["tracking_entered_at"] = now_iso
        if order.export_state is ExportState.FAILED:
            update["export_state"] = ExportState.NOT_READY  # an operator fix gets a fresh evaluation
            update["export_reason"] = None
            update["export_base_error"] = None
        candidate = order.model_copy(update={**update, "export_not_before": None})
        state, reason = readiness.evaluate(candidate, settings.export_filter, now)
        if state in READY_STATES and settings.export_delay_minutes:
            not_before = now + timedelta(minutes=settings.export_delay_minutes)
            candidate = candidate.model_copy(
                update={"export_not_before": not_before.astimezone(UTC).isoformat()}
            )
            state, reason = readiness.evaluate(candidate, settings.export_filter, now)
        base_error = candidate.export_base_error if reason == candidate.export_reason else None
        candidate = candidate.model_copy(
            update={"export_state": state, "export_reason": reason, "export_base_error": base_error}
        )
        return candidate.with_history(
            now_iso, "updated", actor=actor, **{k: plain_value(v) for k, v in changed.items()}
        )

    @staticmethod
    def _check_company(value: str, shop: Shop) -> None:
        if shop.delivery_companies is None:  # never imported since this check exists: export decides
            return
        try:
            resolve_delivery_company(value, shop.delivery_companies)
        except UnknownDeliveryCompany as exc:
            raise InvalidInput({"delivery_company": unknown_company_text(value, exc, shop)}) from None

    # -- jobs

    def queue_import(self, shop_id: str) -> Job:
        """Queue an import of the shop now (manual trigger); ShopNotFound for an unknown shop."""
        if not self.jobs_queue_url:
            raise RuntimeError("no jobs queue configured")
        self.shops.get(shop_id)
        job = Job(kind=JobKind.IMPORT, shop_id=shop_id, trigger=Trigger.MANUAL)
        enqueue(self.jobs_queue_url, job)
        return job
