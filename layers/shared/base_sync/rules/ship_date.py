"""Ship date (出荷日) rules, always in Japan time.

BASE has no ship-date parameter: it stamps ``dispatched`` when ``edit_status`` is
called and e-mails the buyer at once. So a future ship date is honoured by waiting:
the order goes out on that day (JST), never early. Nothing here reads the clock; the
caller passes ``now``.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Final
from zoneinfo import ZoneInfo

from base_sync.rules.errors import InvalidShipDate

JST: Final = ZoneInfo("Asia/Tokyo")

_ISO_DATE: Final = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")


def today_jst(now: datetime) -> date:
    """The calendar date in Japan at instant ``now`` (which must be tz-aware).

    A naive datetime is refused rather than guessed to be UTC or JST: the nine-hour
    difference is exactly what decides whether an order ships today.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(JST).date()


def ship_date_due(ship_date: date, now: datetime) -> bool:
    """True when ``ship_date`` is today or earlier in JST, i.e. the order may be dispatched now.

    From 15:00 UTC it is already the next day in Japan: 2026-11-28T15:30Z is
    2026-11-29 00:30 JST, so a ship date of 2026-11-29 is due then.
    """
    return ship_date <= today_jst(now)


def parse_ship_date(text: str) -> date:
    """Parse a strict ``YYYY-MM-DD`` (ASCII digits, zero-padded, real calendar day).

    ``2026-2-3``, ``2026/02/03``, ``2026-02-30``, surrounding spaces and datetimes are
    all refused with :class:`InvalidShipDate`; a mistyped date must not silently
    become another day.
    """
    match = _ISO_DATE.fullmatch(text)
    if match is None:
        raise InvalidShipDate(f"ship date must be YYYY-MM-DD, got {text!r}")
    year, month, day = (int(part) for part in match.groups())
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise InvalidShipDate(f"ship date {text!r} is not a calendar date: {exc}") from exc


def default_ship_date(tracking_entered_at: datetime) -> date:
    """Ship date when none was entered: the JST day the tracking number was entered."""
    return today_jst(tracking_entered_at)


def format_ship_date_ja(ship_date: date) -> str:
    """``2026年11月28日`` — how a date reads naturally to a Japanese buyer (no zero padding)."""
    return f"{ship_date.year}年{ship_date.month}月{ship_date.day}日"
