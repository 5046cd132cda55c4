"""BASE's own 60-day close, applied whenever orders are read (and on ``POST /_sandbox/auto_close``).

README (BASE Help, since 2024-08): paid bank-transfer / convenience-store orders left unshipped for 60
days are closed by BASE automatically (対応済), without a shipping e-mail; after that they can be neither
notified nor cancelled. The sandbox models exactly that rule:

* It applies to ``cvs`` and ``base_bt`` (BASE-collected payments; ``bt`` is the shop's own transfer and
  is not closed). The 60 days run from ``ordered`` (the README does not say from payment; the sandbox
  picks the order date, so ``base_deadline`` is known from the start).
* ``base_deadline`` (JST date) / ``base_deadline_at`` (Unix seconds, ``ordered`` + 60 days) is shown in
  the admin view of every paid, still ``ordered`` cvs/base_bt order (an ``unpaid`` one has none: the
  README's rule is about paid orders), and stays shown once BASE closed it.
* At the sandbox clock's ``base_deadline_at`` a PAID, still ``ordered`` order is closed: every open item
  becomes ``dispatched``, the order's ``dispatch_status`` becomes ``dispatched`` (対応済), ``dispatched``
  and ``modified`` are stamped with the deadline (or the last change, if later), NO e-mail is recorded
  and ``_sandbox.closed_by_base`` is ``"paid_unshipped_60_days"``. Later edit_status calls get
  ``not_change_status`` like any dispatched order. An unpaid order past its deadline is closed as soon as
  it is paid.
* The unverified third-party reports (card orders cancelled after 60 days, unpaid CVS after ~5 days,
  PayPal / Amazon Pay after 10-30 days) are NOT modelled.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .orders import Order

AUTO_CLOSE_PAYMENTS = ("cvs", "base_bt")
AUTO_CLOSE_SECONDS = 60 * 86400
AUTO_CLOSE_RULE = "paid_unshipped_60_days"


def deadline_of(payment: str, ordered: int, dispatch_status: str, closed_by_base: str | None) -> int | None:
    """When BASE closes this order by itself, or None when the rule does not (or no longer) apply."""
    if payment not in AUTO_CLOSE_PAYMENTS:
        return None
    if closed_by_base is None and dispatch_status != "ordered":
        return None
    return ordered + AUTO_CLOSE_SECONDS


def watched(order: Order) -> bool:
    """Whether the order may still be closed by BASE (worth checking on later reads)."""
    return order.closed_by_base is None and order.base_deadline_at is not None


def close_due(orders: Iterable[Order], now: int) -> list[Order]:
    """Close every paid, unshipped order whose deadline has come; returns the orders closed now."""
    closed: list[Order] = []
    for order in orders:
        deadline = order.base_deadline_at
        if deadline is None or order.closed_by_base is not None or now < deadline:
            continue
        if not order.paid or order.dispatch_status != "ordered":
            continue
        at = max(deadline, order.modified)
        for item in order.items:
            if item.status == "ordered":
                item.status = "dispatched"
                item.modified = at
        order.dispatched = at
        order.modified = at
        order.closed_by_base = AUTO_CLOSE_RULE
        order.recompute_status()
        closed.append(order)
    return closed
