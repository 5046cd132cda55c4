"""What the API answers: typed response models, built from the domain objects the services return.

The one place the JSON of a shop, an order, an export run, an all-shops export and a dry-run plan
is shaped (the handlers declare these models on their routes, so the OpenAPI document carries
their schemas). Beside every reason (a :class:`~base_sync.domain.reasons.Reason` code) stands its
English ``message`` and Japanese ``message_ja`` from the catalogue; BASE's own code, where there
is one, is ``base_error``. Keys that the contract shows "only when set" are left out when None.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC
from typing import Any, Literal

from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel, ConfigDict, Field, RootModel, computed_field

from base_sync.domain.export import ExportCounts, ExportRun, OrderResult, Outcome, RunStatus
from base_sync.domain.order import Order
from base_sync.domain.reasons import Reason, cause_from_text, explain
from base_sync.domain.shop import KnownCompany, Shop, ShopSettings, ShopStatus
from base_sync.rules.base_deadline import base_deadline
from base_sync.rules.send_forecast import How, SendForecast
from base_sync.services.export_requests import PlanEntry

JSON = "application/json"


def _none(value: Any) -> bool:
    return value is None


def _message(reason: Reason | None, base_error: str | None = None) -> str | None:
    return explain(reason, base_error)[1] if reason is not None else None


def _message_ja(reason: Reason | None, base_error: str | None = None) -> str | None:
    return explain(reason, base_error)[0] if reason is not None else None


def _reason_of(value: Any) -> Reason | None:
    """A stored reason text as a catalogue member (older texts too); None for anything else."""
    if isinstance(value, Reason):
        return value
    if isinstance(value, str) and value:
        return cause_from_text(value).reason
    return None


class View(BaseModel):
    """A response body: serialised with ``mode="json"``; keys marked ``exclude_if`` vanish when None."""

    model_config = ConfigDict(extra="forbid")

    def dump(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


# -- errors


class ErrorBody(View):
    """The contract's error body (``fields`` only for 422)."""

    error: str = Field(description="a stable, machine-readable code")
    message: str = Field(description="what went wrong, for a person")
    fields: dict[str, str] | None = Field(
        default=None, exclude_if=_none, description="422: each bad field and why"
    )


# -- shops


def _with_reason_messages(entry: dict[str, Any], key: str, prefix: str) -> dict[str, Any]:
    """``entry`` with ``<prefix>message`` / ``<prefix>message_ja`` beside its reason ``key``."""
    reason = _reason_of(entry.get(key))
    if reason is None:
        return entry
    return {**entry, f"{prefix}message": reason.message, f"{prefix}message_ja": reason.message_ja}


def _import_summary(summary: dict[str, Any] | None) -> dict[str, Any] | None:
    """The last import's summary, its ``stopped`` reason (and each error's) with their messages."""
    if summary is None:
        return None
    shown = _with_reason_messages(summary, "stopped", "stopped_")
    errors = shown.get("errors")
    if isinstance(errors, list):
        shown["errors"] = [
            _with_reason_messages(e, "reason", "") if isinstance(e, dict) else e for e in errors
        ]
    return shown


class ShopView(View):
    """A shop as ``GET /shops`` shows it (nothing internal: no token dates)."""

    shop_id: str
    shop_name: str | None
    status: ShopStatus
    settings: ShopSettings
    last_import: dict[str, Any] | None = Field(
        description="the last import's summary; where it stopped early, ``stopped`` with "
        "``stopped_message`` / ``stopped_message_ja``"
    )
    last_export: dict[str, Any] | None
    settings_changed_at: str | None
    settings_changed_by: str | None

    @classmethod
    def of(cls, shop: Shop) -> ShopView:
        return cls(
            shop_id=shop.shop_id,
            shop_name=shop.shop_name,
            status=shop.status,
            settings=shop.settings,
            last_import=_import_summary(shop.last_import),
            last_export=shop.last_export,
            settings_changed_at=shop.settings_changed_at,
            settings_changed_by=shop.settings_changed_by,
        )


class ShopList(View):
    shops: list[ShopView]

    @classmethod
    def of(cls, shops: Sequence[Shop]) -> ShopList:
        return cls(shops=[ShopView.of(s) for s in shops])


class DeliveryCompanyList(View):
    """``GET /shops/{shop_id}/delivery-companies``: the shop's BASE delivery companies as cached by
    the import (no BASE call); ``delivery_companies`` is null until first fetched."""

    delivery_companies: list[KnownCompany] | None = Field(
        description="BASE's list for the shop (id and name); null: not fetched yet (the next import does)"
    )
    fetched_at: str | None = Field(description="when BASE's list was read (UTC, ISO 8601)")

    @classmethod
    def of(cls, shop: Shop) -> DeliveryCompanyList:
        return cls(delivery_companies=shop.delivery_companies, fetched_at=shop.delivery_companies_at)


# -- orders


class OrderView(Order):
    """An order as the API shows it: BASE fields, management fields, export state (with the
    reason's messages) and history."""

    model_config = ConfigDict(extra="forbid")

    @computed_field(description="what export_reason means and what to do, in English")  # type: ignore[prop-decorator]
    @property
    def export_message(self) -> str | None:
        return _message(self.export_reason, self.export_base_error)

    @computed_field(description="export_reason の意味と対処（日本語）")  # type: ignore[prop-decorator]
    @property
    def export_message_ja(self) -> str | None:
        return _message_ja(self.export_reason, self.export_base_error)

    @computed_field(  # type: ignore[prop-decorator]
        description="the day (JST, YYYY-MM-DD) BASE closes or cancels the still-unshipped order by "
        "itself, the earliest it could (rules/base_deadline.py); null when none is known"
    )
    @property
    def base_deadline(self) -> str | None:
        deadline = base_deadline(self.base)
        return deadline.day.isoformat() if deadline else None

    @computed_field(  # type: ignore[prop-decorator]
        description="what BASE does on base_deadline: closed (対応済, no shipping e-mail) or cancelled"
    )
    @property
    def base_deadline_action(self) -> str | None:
        deadline = base_deadline(self.base)
        return deadline.action if deadline else None

    @computed_field(  # type: ignore[prop-decorator]
        description="true where BASE documents the deadline; false where only third parties report it"
    )
    @property
    def base_deadline_verified(self) -> bool | None:
        deadline = base_deadline(self.base)
        return deadline.verified if deadline else None

    will_send_at: str | None = Field(
        default=None,
        description="one order's view only (GET and PATCH): the earliest the order goes to BASE "
        "(UTC, ISO 8601); null when it is not ready. Sending cannot be undone",
    )
    will_send_how: How | None = Field(
        default=None,
        description="within_a_minute: the edit's own export (auto_export on); next_scheduled_export: "
        "the first scheduled export after will_send_at (export_delay_minutes); on_ship_date: the "
        "00:00 JST release of that day; when_you_export: auto_export is off, nothing goes by itself",
    )

    @classmethod
    def of(cls, order: Order, forecast: SendForecast | None = None) -> OrderView:
        view = cls.model_validate(dict(order))
        if forecast is not None:
            view.will_send_at = forecast.at.astimezone(UTC).isoformat()
            view.will_send_how = forecast.how
        return view

    def dump(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class OrderList(View):
    orders: list[OrderView]
    next_token: str | None

    @classmethod
    def of(cls, orders: Sequence[Order], next_token: str | None) -> OrderList:
        return cls(orders=[OrderView.of(o) for o in orders], next_token=next_token)


# -- exports


class _Explained(View):
    """A reason (a code of the catalogue), BASE's own code beside it, and what it means in both
    languages: the shape every run result and plan entry shares."""

    reason: Reason | None = None
    base_error: str | None = Field(default=None, exclude_if=_none, description="BASE's own error code")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def message(self) -> str | None:
        return _message(self.reason, self.base_error)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def message_ja(self) -> str | None:
        return _message_ja(self.reason, self.base_error)


class ResultView(_Explained):
    """One order's outcome in a run (``shop_id`` only in an all-shops export's results)."""

    unique_key: str
    outcome: Outcome
    shop_id: str | None = Field(default=None, exclude_if=_none)

    @classmethod
    def of(cls, result: OrderResult, *, shop_id: str | None = None) -> ResultView:
        return cls(
            unique_key=result.unique_key,
            outcome=result.outcome,
            reason=result.reason,
            base_error=result.base_error,
            shop_id=shop_id,
        )


class _RunFields(View):
    export_id: str
    trigger: str
    status: RunStatus
    started_at: str | None
    finished_at: str | None
    counts: ExportCounts
    api_calls: int
    actor: str | None = Field(default=None, exclude_if=_none, description="who asked (POST /exports)")


class RunView(_RunFields):
    """One shop's run (``GET /exports/{export_id}`` of one shop, the processing log, an all-shops
    export's ``shops``). ``error`` (with its messages) only when the run stopped early or failed."""

    shop_id: str
    queued_at: str
    results: list[ResultView] | None
    error: Reason | None = Field(default=None, exclude_if=_none)
    error_message: str | None = Field(
        default=None, exclude_if=_none, description="what error means and what to do, in English"
    )
    error_message_ja: str | None = Field(
        default=None, exclude_if=_none, description="error の意味と対処（日本語）"
    )

    @classmethod
    def of(cls, run: ExportRun, *, with_results: bool = True) -> RunView:
        return cls(
            export_id=run.export_id,
            shop_id=run.shop_id,
            trigger=run.trigger,
            status=run.status,
            queued_at=run.queued_at,
            started_at=run.started_at,
            finished_at=run.finished_at,
            counts=run.counts,
            api_calls=run.api_calls,
            results=[ResultView.of(r) for r in run.results] if with_results else None,
            error=run.error,
            error_message=_message(run.error),
            error_message_ja=_message_ja(run.error),
            actor=run.actor,
        )


_STATUS_PRECEDENCE = (RunStatus.RUNNING, RunStatus.QUEUED, RunStatus.FAILED, RunStatus.PARTIAL)


class AllShopsExportView(_RunFields):
    """An export of every shop: its runs summed, every shop's results, and each run (without its
    results) under ``shops``."""

    shop_id: None = None
    results: list[ResultView]
    shops: list[RunView]

    @classmethod
    def of(cls, export_id: str, runs: Sequence[ExportRun]) -> AllShopsExportView:
        counts = ExportCounts()
        for run in runs:
            for name, value in run.counts.model_dump().items():
                setattr(counts, name, getattr(counts, name) + value)
        statuses = {run.status for run in runs}
        status = next((s for s in _STATUS_PRECEDENCE if s in statuses), RunStatus.SUCCEEDED)
        started = [r.started_at for r in runs if r.started_at]
        finished = [r.finished_at for r in runs if r.finished_at]
        done = status not in (RunStatus.RUNNING, RunStatus.QUEUED)
        return cls(
            export_id=export_id,
            trigger=runs[0].trigger,
            status=status,
            started_at=min(started) if started else None,
            finished_at=max(finished) if finished and done else None,
            counts=counts,
            api_calls=sum(r.api_calls for r in runs),
            results=[ResultView.of(result, shop_id=run.shop_id) for run in runs for result in run.results],
            shops=[RunView.of(run, with_results=False) for run in runs],
            actor=runs[0].actor,
        )


class ExportAnswer(RootModel[RunView | AllShopsExportView]):
    """``GET /exports/{export_id}``: one shop's run, or for an export of every shop the runs summed."""


def export_view(export_id: str, runs: Sequence[ExportRun]) -> RunView | AllShopsExportView:
    """``GET /exports/{export_id}``: the run itself, or for an all-shops export the runs summed."""
    if len(runs) == 1:
        return RunView.of(runs[0])
    return AllShopsExportView.of(export_id, runs)


class ExportLog(View):
    """``GET /exports?shop_id=``: the processing log, newest first."""

    exports: list[RunView]

    @classmethod
    def of(cls, runs: Sequence[ExportRun]) -> ExportLog:
        return cls(exports=[RunView.of(run) for run in runs])


class PlanEntryView(_Explained):
    """One line of a dry-run plan: what an export would do with the order now, and why."""

    shop_id: str
    unique_key: str
    action: Literal["dispatch", "defer", "skip"]

    @classmethod
    def of(cls, entry: PlanEntry) -> PlanEntryView:
        cause = entry.cause
        return cls(
            shop_id=entry.shop_id,
            unique_key=entry.unique_key,
            action=entry.action,
            reason=cause.reason if cause else None,
            base_error=cause.base_error if cause else None,
        )


class PlanView(View):
    """``POST /exports`` with ``dry_run``: the plan; nothing was written to BASE."""

    plan: list[PlanEntryView]

    @classmethod
    def of(cls, entries: Sequence[PlanEntry]) -> PlanView:
        return cls(plan=[PlanEntryView.of(e) for e in entries])


class ExportQueued(View):
    """``POST /exports``: the export was queued (one run per shop, one id)."""

    export_id: str
    status: Literal["queued"] = "queued"


class JobQueued(View):
    """``POST /shops/{shop_id}/imports``: the import job was queued."""

    job_id: str
    status: Literal["queued"] = "queued"


class ConnectStarted(View):
    """``POST /connect``: open ``authorize_url`` before ``expires_at`` (10 minutes)."""

    authorize_url: str
    expires_at: str = Field(description="UTC, ISO 8601")


__all__ = [
    "AllShopsExportView",
    "ConnectStarted",
    "ErrorBody",
    "ExportAnswer",
    "ExportLog",
    "ExportQueued",
    "JobQueued",
    "OrderList",
    "OrderView",
    "PlanEntryView",
    "PlanView",
    "ResultView",
    "RunView",
    "ShopList",
    "ShopView",
    "View",
    "answers",
    "export_view",
]


def answers(
    status: int, model: type[BaseModel], description: str, *errors: int
) -> dict[int, OpenAPIResponse]:
    """A route's documented answers: ``model`` at ``status``, the contract's error body at each of ``errors``."""
    documented: dict[int, OpenAPIResponse] = {
        status: OpenAPIResponse(description=description, content={JSON: {"model": model}})
    }
    for code in errors:
        documented[code] = OpenAPIResponse(
            description=_ERROR_DESCRIPTIONS.get(code, "error"), content={JSON: {"model": ErrorBody}}
        )
    return documented


_ERROR_DESCRIPTIONS = {
    400: "bad request",
    404: "unknown shop, order or export",
    409: "conflict",
    415: "the body is not application/json",
    422: "validation failed: fields names each bad field",
    503: "try again later (Retry-After)",
}
