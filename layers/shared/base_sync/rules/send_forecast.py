"""When an order will go to BASE by itself, from its stored state and the shop's settings (pure).

An edit can be an irreversible send: with ``auto_export`` on, the edit that makes an order ready
queues its export within a minute (the orders table's stream). The order view says so, and when.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from typing import Literal

from base_sync.domain.order import READY_STATES, Order
from base_sync.domain.reasons import Reason
from base_sync.domain.shop import ShopSettings
from base_sync.rules.readiness import effective_ship_date
from base_sync.rules.ship_date import JST

How = Literal["within_a_minute", "next_scheduled_export", "on_ship_date", "when_you_export"]
"""``within_a_minute``: the edit's own export (auto_export, no delay); ``next_scheduled_export``:
the first scheduled export after ``at`` (the delay's end); ``on_ship_date``: the daily 00:00 JST
release of ``at``'s day; ``when_you_export``: auto_export is off, nothing goes by itself."""


@dataclass(frozen=True)
class SendForecast:
    at: datetime
    """The earliest the order can go (UTC); with ``when_you_export`` the earliest an export would send it."""
    how: How

    @property
    def automatic(self) -> bool:
        """The order goes to BASE without anyone running an export: irreversible once it does."""
        return self.how != "when_you_export"


def send_forecast(order: Order, settings: ShopSettings, now: datetime) -> SendForecast | None:
    """When the order will be sent, or None when it is not ready (or waits on the buyer's payment)."""
    if order.export_state not in READY_STATES or order.export_reason is Reason.AWAITING_PAYMENT:
        return None
    if order.export_reason is Reason.SHIP_DATE_IN_FUTURE:
        day = effective_ship_date(order)
        if day is None:  # pragma: no cover - a future ship date is a date
            return None
        at = datetime.combine(day, time(0, 0), tzinfo=JST)
        how: How = "on_ship_date"
        if order.export_not_before is not None and datetime.fromisoformat(order.export_not_before) > at:
            at, how = datetime.fromisoformat(order.export_not_before), "next_scheduled_export"
    elif order.export_not_before is not None and now < datetime.fromisoformat(order.export_not_before):
        at, how = datetime.fromisoformat(order.export_not_before), "next_scheduled_export"
    else:
        at, how = now, "within_a_minute"
    if not settings.auto_export:
        how = "when_you_export"
    return SendForecast(at, how)
