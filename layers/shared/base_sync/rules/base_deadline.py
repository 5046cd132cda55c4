"""BASE's own deadlines: the day BASE closes or cancels an order that is still unshipped.

From the BASE facts (base-api README, "Writing shipping information"): since 2024-08, paid
bank-transfer (``base_bt``) and convenience-store (``cvs``) orders left unshipped for 60 days are
closed by BASE (対応済, no shipping e-mail) and can no longer be notified. Unverified reports add
card orders (cancelled whole after 60 days), unpaid convenience-store orders (cancelled after about
5 days) and PayPal / Amazon Pay orders (10–30 days; we take the earliest, 10).

BASE does not say when the clock starts; we count from the order date, so the deadline shown is
the earliest BASE could act. Pure: no clock but the ``today`` passed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from base_sync.domain.order import BaseSnapshot
from base_sync.rules.ship_date import JST

DEADLINE_WARNING_DAYS = 7
"""An order this close to its deadline is named in the processing log and an alert."""

Action = Literal["closed", "cancelled"]


@dataclass(frozen=True)
class BaseDeadline:
    """The day (JST) BASE acts on the order by itself, what it does, and whether BASE documents it."""

    day: date
    action: Action
    verified: bool


# (payments, dispatch status while the clock runs, days, what BASE does, documented by BASE)
_RULES: tuple[tuple[frozenset[str], str, int, Action, bool], ...] = (
    (frozenset({"cvs", "base_bt"}), "ordered", 60, "closed", True),
    (frozenset({"creditcard"}), "ordered", 60, "cancelled", False),
    (frozenset({"cvs"}), "unpaid", 5, "cancelled", False),
    (frozenset({"paypal", "amazon_pay"}), "ordered", 10, "cancelled", False),
)


def base_deadline(base: BaseSnapshot) -> BaseDeadline | None:
    """The deadline of an order BASE still shows open, or None (no known deadline, or not open)."""
    if base.ordered is None:
        return None
    for payments, status, days, action, verified in _RULES:
        if base.payment in payments and base.dispatch_status == status:
            ordered_on = datetime.fromtimestamp(base.ordered, JST).date()
            return BaseDeadline(ordered_on + timedelta(days=days), action, verified)
    return None


def closed_by_base(base: BaseSnapshot) -> bool:
    """BASE shows the order dispatched on or after the day it closes such orders by itself: it was
    BASE's automatic close (no e-mail went to the buyer), not a dispatch by the shop."""
    if base.ordered is None or base.dispatched is None or base.dispatch_status != "dispatched":
        return False
    if base.payment not in _RULES[0][0]:
        return False
    ordered_on = datetime.fromtimestamp(base.ordered, JST).date()
    return datetime.fromtimestamp(base.dispatched, JST).date() >= ordered_on + timedelta(days=_RULES[0][2])


def deadline_within(base: BaseSnapshot, today: date, days: int) -> bool:
    """The order's BASE deadline falls within ``days`` days of ``today`` (JST), passed ones included."""
    deadline = base_deadline(base)
    return deadline is not None and deadline.day <= today + timedelta(days=days)


def deadline_passed(base: BaseSnapshot, today: date) -> bool:
    """BASE may have closed the order already (its documented close only): read the order's detail
    before sending anything. The unverified deadlines only warn; they never cost a call."""
    deadline = base_deadline(base)
    return deadline is not None and deadline.verified and deadline.day <= today
