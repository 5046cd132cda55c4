"""An export run as the processing log (自動処理ログ) shows it."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    field_validator,
    model_serializer,
    model_validator,
)

from base_sync.domain.reasons import Reason, cause_from_text, with_catalogue_reason


class RunStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    PARTIAL = "partial"
    FAILED = "failed"


class Outcome(StrEnum):
    DISPATCHED = "dispatched"
    ALREADY_DISPATCHED = "already_dispatched"
    DEFERRED = "deferred"
    SKIPPED = "skipped"
    FAILED = "failed"


class OrderResult(BaseModel):
    unique_key: str
    outcome: Outcome
    reason: Reason | None = None
    base_error: str | None = None
    """BASE's own error code behind ``reason``, where BASE gave one."""

    @model_validator(mode="before")
    @classmethod
    def _reason_from_older_versions(cls, data: Any) -> Any:
        """Results stored before the catalogue of reasons may hold a compound or raw BASE reason."""
        return with_catalogue_reason(data, "reason", "base_error")

    @model_serializer(mode="wrap")
    def _base_error_only_when_known(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if data.get("base_error") is None:
            data.pop("base_error", None)
        return data


class ExportCounts(BaseModel):
    dispatched: int = 0
    already_dispatched: int = 0
    deferred: int = 0
    skipped: int = 0
    failed: int = 0

    def add(self, outcome: Outcome) -> None:
        setattr(self, outcome.value, getattr(self, outcome.value) + 1)


class ExportRun(BaseModel):
    """One shop's part of an export. An on-demand export of all shops has one run per shop, same id."""

    model_config = ConfigDict(extra="ignore")

    export_id: str
    shop_id: str
    trigger: str
    status: RunStatus = RunStatus.QUEUED
    queued_at: str
    started_at: str | None = None
    finished_at: str | None = None
    counts: ExportCounts = Field(default_factory=ExportCounts)
    api_calls: int = 0
    results: list[OrderResult] = Field(default_factory=list)
    order_keys: list[str] | None = None
    error: Reason | None = None
    """Why the run stopped early or failed (its outcome is then ``partial`` or ``failed``)."""
    enqueued_at: str | None = None
    """When the run's job was sent (ticks and change batches): a record still ``queued`` without it
    belongs to a tick that stopped between opening the record and sending the job."""
    actor: str | None = None
    """The IAM principal that asked for the export (``POST /exports``); ``None`` for schedule and change runs."""

    @field_validator("error", mode="before")
    @classmethod
    def _error_from_older_versions(cls, value: Any) -> Any:
        """Runs stored before the catalogue may name an exception type or a raw BASE code."""
        if isinstance(value, str) and value not in Reason.__members__.values():
            return Reason.INTERNAL_ERROR if value.endswith("Error") else cause_from_text(value).reason
        return value

    def public(self) -> dict[str, Any]:
        """The contract's shape of GET /exports/{export_id} (``error`` and ``actor`` only when set)."""
        return (
            self.model_dump(mode="json", exclude={"order_keys", "error", "actor", "enqueued_at"})
            | ({"error": self.error} if self.error else {})
            | ({"actor": self.actor} if self.actor else {})
        )
