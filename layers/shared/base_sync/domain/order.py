"""An order as the product stores it: BASE's side as last seen, and the management side staff edit.

The importer writes only ``base`` (and creates the management side once); staff and their
systems write only the management fields; ``export_state`` is derived by
``rules.readiness`` whenever either side changes, and by the exporter.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)

from base_sync.domain.reasons import Reason, with_catalogue_reason
from base_sync.domain.status import ManagementStatus

HISTORY_LIMIT = 50  # newest entries kept on the order; the processing log keeps every run


class ExportState(StrEnum):
    NOT_READY = "not_ready"
    PENDING = "pending"
    DEFERRED = "deferred"
    EXPORTED = "exported"
    ALREADY_DISPATCHED = "already_dispatched"
    FAILED = "failed"


READY_STATES = frozenset({ExportState.PENDING, ExportState.DEFERRED})
SETTLED_STATES = frozenset({ExportState.EXPORTED, ExportState.ALREADY_DISPATCHED})
CLOSED_ON_BASE = frozenset({"dispatched", "shipping", "cancelled", "unshippable"})
"""BASE ``dispatch_status`` values after which nothing on BASE's side can still need us."""


class ItemSnapshot(BaseModel):
    model_config = ConfigDict(extra="ignore")

    order_item_id: int
    title: str | None = None
    variation: str | None = None
    amount: int | None = None
    status: str | None = None
    modified: int | None = None


class BaseSnapshot(BaseModel):
    """BASE's fields as last seen. ``items`` is None until the order's detail was fetched.

    Built from BASE's wire models by ``base_sync.base_api.snapshots``."""

    model_config = ConfigDict(extra="ignore")

    ordered: int | None = None
    cancelled: int | None = None
    dispatched: int | None = None
    payment: str | None = None
    dispatch_status: str | None = None
    modified: int | None = None
    total: int | None = None
    first_name: str | None = None
    last_name: str | None = None
    delivery_date: str | None = None
    delivery_time_zone: str | None = None
    subscription_key: str | None = None
    items: list[ItemSnapshot] | None = None
    detail_modified: int | None = None
    delivery_company_id: int | None = None
    tracking_number: str | None = None
    shipping_method: str | None = None
    """From the detail: ``shipping_lines`` first (newer responses), else ``shipping_method``."""
    order_discount: int | None = None
    order_charge: int | None = None

    @property
    def items_to_ship(self) -> list[ItemSnapshot]:
        return [i for i in (self.items or []) if i.status == "ordered"]


class HistoryEntry(BaseModel):
    at: str
    event: str
    detail: dict[str, Any] = Field(default_factory=dict)
    actor: str | None = None
    """The IAM principal whose request made this change (a PATCH); absent for our own runs."""

    @model_serializer(mode="wrap")
    def _actor_only_when_known(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if data.get("actor") is None:
            data.pop("actor", None)
        return data


class DispatchAttempt(BaseModel):
    """Written before the first edit_status call of an order and cleared after the outcome is stored.

    Finding one means an earlier run may have dispatched without recording it (a crash, a lost
    answer) or another run is dispatching now: BASE's order detail decides what is left to send.
    """

    attempt_id: str
    started_at: str
    export_id: str
    in_flight: bool = True
    """False once the run that wrote it has stopped waiting for BASE's answer."""
    resolve_after: str | None = None
    """When BASE may still be working on a call we stopped waiting for: nobody looks before this."""


class SentToBase(BaseModel):
    """What BASE received at the order's dispatch: written by the exporter once BASE accepted it."""

    delivery_company_id: int | None = None
    delivery_company_name: str | None = None
    """BASE's own name of the company sent (what the buyer's e-mail shows), not what was typed."""
    tracking_number: str | None = None
    """The tracking number as sent (normalised: half-width, no hyphens or spaces)."""
    ship_date: date | None = None
    """The ship date the dispatch stood for (JST); BASE has no field for it, the comment carries it."""
    comment: str | None = None
    """The rendered ``comment_template`` sent as ``add_comment`` (None: no comment)."""
    items: list[int] = Field(default_factory=list)
    """The order items dispatched (``order_item_id``)."""
    sent_at: str
    """When BASE accepted the dispatch (UTC, ISO 8601)."""
    export_id: str
    """The export run that sent it."""
    trigger: str | None = None
    recovered: bool = False
    """True when a later run found the order already dispatched after a lost answer: the company id
    and tracking number are then BASE's, read from its order detail."""


class Order(BaseModel):
    model_config = ConfigDict(extra="ignore")

    shop_id: str
    unique_key: str
    base: BaseSnapshot
    status: ManagementStatus = ManagementStatus.NEW
    tracking_number: str | None = None
    delivery_company: str | None = None
    ship_date: date | None = None
    tracking_entered_at: str | None = None
    export_state: ExportState = ExportState.NOT_READY
    export_reason: Reason | None = None
    export_base_error: str | None = None
    """BASE's own error code behind ``export_reason``, where BASE gave one."""
    history: list[HistoryEntry] = Field(default_factory=list)
    dispatch_attempt: DispatchAttempt | None = None
    exported_at: str | None = None
    export_not_before: str | None = None
    """No export sends the order before this time (UTC, ISO 8601): the edit that made it ready plus
    the shop's ``export_delay_minutes``; a later edit moves it. None: no delay."""
    sent_to_base: SentToBase | None = None
    """What BASE received, once the order was dispatched."""
    version: int = 0
    imported_at: str | None = None
    updated_at: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _reason_from_older_versions(cls, data: Any) -> Any:
        """Orders stored before the catalogue of reasons may hold a compound or raw BASE reason."""
        return with_catalogue_reason(data, "export_reason", "export_base_error")

    @property
    def open(self) -> bool:
        """Still open on both sides: BASE may yet cancel, be paid, or be dispatched by hand, so every
        import keeps the order current however old it is (not exported, not dispatched, not
        cancelled here, not closed or final on BASE)."""
        if self.export_state in SETTLED_STATES or self.status is ManagementStatus.CANCELLED:
            return False
        return self.base.dispatch_status not in CLOSED_ON_BASE

    def with_history(self, at: str, event: str, *, actor: str | None = None, **detail: Any) -> Order:
        entry = HistoryEntry(at=at, event=event, detail=detail, actor=actor)
        entries = [*self.history, entry][-HISTORY_LIMIT:]
        return self.model_copy(update={"history": entries})
