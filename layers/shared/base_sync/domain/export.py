"""An export run as the processing log (自動処理ログ) shows it."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


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
    reason: str | None = None


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
    error: str | None = None
    enqueued_at: str | None = None
    """When the run's job was sent (ticks and change batches): a record still ``queued`` without it
    belongs to a tick that stopped between opening the record and sending the job."""
    actor: str | None = None
    """The IAM principal that asked for the export (``POST /exports``); ``None`` for schedule and change runs."""

    def public(self) -> dict[str, Any]:
        """The contract's shape of GET /exports/{export_id} (``error`` and ``actor`` only when set)."""
        return (
            self.model_dump(mode="json", exclude={"order_keys", "error", "actor", "enqueued_at"})
            | ({"error": self.error} if self.error else {})
            | ({"actor": self.actor} if self.actor else {})
        )
