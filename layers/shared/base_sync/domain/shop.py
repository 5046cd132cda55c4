"""A connected shop, its settings (typed by operators, so strict) and its token pair."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from base_sync.domain.status import ExportFilter
from base_sync.domain.text import enum_from_text

COMPANY_LIST_MAX_AGE = timedelta(days=1)
"""The shop's cached BASE delivery-company list is fetched again once it is this old (at most one
BASE call a day per shop, of the 5,000 an hour BASE allows shared with other tools)."""


class ShopStatus(StrEnum):
    CONNECTED = "connected"
    NEEDS_REAUTH = "needs_reauth"


class ShopSettings(BaseModel):
    """The contract's shop settings. Strict: unknown fields and wrong types are refused, not guessed.

    The comment template's worst-case rendering is a rule, checked where operators type it
    (``base_sync.api.models.SettingsBody``, the body of ``PUT …/settings``)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    export_filter: ExportFilter = ExportFilter.ALL_EXCEPT_NEW_AND_HOLD
    auto_export: bool = True
    auto_import: bool = True
    import_days: int = Field(default=7, ge=1, le=90)
    comment_template: str = Field(default="", max_length=1000)
    import_call_budget: int = Field(default=1000, ge=10, le=4000)
    """How many BASE calls one import run may spend (of the shop's 5,000 an hour, shared with other tools)."""
    export_call_budget: int = Field(default=2000, ge=10, le=4000)
    """How many BASE calls one export run may spend; the rest of the order list waits for the next run."""
    export_delay_minutes: int = Field(default=0, ge=0, le=15)
    """After the edit that made an order ready, no export of any trigger sends it for this long
    (the order's ``export_not_before``); an edit inside the window replaces what will be sent."""

    @field_validator("export_filter", mode="before")
    @classmethod
    def _filter_from_text(cls, value: Any) -> Any:
        return enum_from_text(ExportFilter, value)


class KnownCompany(BaseModel):
    """One entry of the shop's BASE delivery-company list as cached on the shop."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    delivery_company_id: int
    name: str


class Shop(BaseModel):
    """One connected BASE shop as stored in the shops table."""

    model_config = ConfigDict(extra="ignore")

    shop_id: str
    shop_name: str | None = None
    status: ShopStatus = ShopStatus.CONNECTED
    settings: ShopSettings = Field(default_factory=ShopSettings)
    connected_at: str | None = None
    tokens_refreshed_at: str | None = None
    base_paused_until: str | None = None
    """When BASE's spent rate limit resets (next :00, or JST midnight for the daily one): ticks wait."""
    base_paused_by: str | None = None

    def base_paused_at(self, now: datetime) -> bool:
        """BASE's daily limit for the shop is still spent at ``now``: no call would be answered."""
        return self.base_paused_until is not None and now < datetime.fromisoformat(self.base_paused_until)

    last_import: dict[str, Any] | None = None
    last_export: dict[str, Any] | None = None
    settings_changed_at: str | None = None
    """When PUT settings last replaced the settings (UTC, ISO 8601); None while they are the defaults."""
    settings_changed_by: str | None = None
    """The IAM principal of that PUT, where there was one."""
    delivery_companies: list[KnownCompany] | None = None
    """BASE's delivery-company list for the shop, cached at import (at most one BASE call a day);
    None until first fetched. Edits are checked against it when they are entered."""
    delivery_companies_at: str | None = None
    """When ``delivery_companies`` was fetched (UTC, ISO 8601)."""

    def companies_stale(self, now: datetime) -> bool:
        """No cached company list yet, or it is :data:`COMPANY_LIST_MAX_AGE` old at ``now``."""
        at = self.delivery_companies_at
        return at is None or now - datetime.fromisoformat(at) >= COMPANY_LIST_MAX_AGE


class ShopTokens(BaseModel):
    """What a shop's secret holds. ``expires_at`` is when the access token stops working (UTC)."""

    model_config = ConfigDict(extra="ignore")

    shop_id: str
    access_token: SecretStr
    refresh_token: SecretStr
    expires_at: datetime
    issued_at: datetime

    def seconds_left(self, now: datetime) -> float:
        return (self.expires_at - now).total_seconds()

    def to_secret_string(self) -> str:
        """The only place a token leaves its SecretStr: on its way into Secrets Manager."""

        return json.dumps(
            {
                "shop_id": self.shop_id,
                "access_token": self.access_token.get_secret_value(),
                "refresh_token": self.refresh_token.get_secret_value(),
                "expires_at": self.expires_at.astimezone(UTC).isoformat(),
                "issued_at": self.issued_at.astimezone(UTC).isoformat(),
            }
        )
