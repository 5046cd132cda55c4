"""The reliability suite's figures: what was injected and tried, and what BASE's side says happened.

Tests add to :data:`LEDGER`; ``tests/reliability/conftest.py`` prints it at the end of the session.
"Items dispatched twice" is read from the sandbox, never from our own records: one shipping e-mail
per ``order_item_id`` (what a buyer sees), and BASE's ``not_change_status`` refusals (a second
dispatching call that BASE happened to refuse is still a second call).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from tests.support.orders import make_orders
from tests.support.stack import StackUnderTest

from base_sync.dal.orders import OrderRepository
from base_sync.domain.order import ExportState, Order

FULL = os.environ.get("RELIABILITY_SCALE", "ci").lower() == "full"


def scale(ci: int, full: int) -> int:
    """A size for this run: CI size by default, ``RELIABILITY_SCALE=full`` for ``make reliability``."""
    return full if FULL else ci


@dataclass
class Ledger:
    faults: Counter[str] = field(default_factory=Counter)
    bad_inputs: Counter[str] = field(default_factory=Counter)
    orders_checked: int = 0
    orders_eligible: int = 0
    items_dispatched: int = 0
    orders_lost: int = 0
    orders_without_reason: int = 0
    orders_dispatched_wrongly: int = 0
    items_emailed_twice: int = 0
    items_sent_twice: int = 0
    notes: list[str] = field(default_factory=list)

    def fault(self, kind: str, count: int = 1) -> None:
        if count:
            self.faults[kind] += count

    def sandbox_faults(self, injected: Mapping[str, Any]) -> None:
        for mode, count in injected.items():
            self.fault(f"sandbox:{mode}", int(count))

    def bad_input(self, kind: str, count: int = 1) -> None:
        self.bad_inputs[kind] += count

    def lines(self) -> list[str]:
        out = [
            f"scale: {'full' if FULL else 'ci'} (RELIABILITY_SCALE)",
            f"faults injected: {sum(self.faults.values())}"
            + (f"  ({', '.join(f'{k} {v}' for k, v in sorted(self.faults.items()))})" if self.faults else ""),
            f"bad inputs tried: {sum(self.bad_inputs.values())}"
            + (
                f"  ({', '.join(f'{k} {v}' for k, v in sorted(self.bad_inputs.items()))})"
                if self.bad_inputs
                else ""
            ),
            f"orders checked: {self.orders_checked} ({self.orders_eligible} eligible, "
            f"{self.items_dispatched} items dispatched)",
            f"orders lost: {self.orders_lost}",
            f"ineligible orders without a reason: {self.orders_without_reason}",
            f"orders dispatched that must not be: {self.orders_dispatched_wrongly}",
            f"items dispatched twice (buyer e-mails): {self.items_emailed_twice}",
            f"items sent twice (second edit_status refused by BASE): {self.items_sent_twice}",
            *self.notes,
        ]
        return out


LEDGER = Ledger()


@dataclass(frozen=True)
class Planned:
    """The orders of one shop and what must become of them."""

    shop_id: str
    eligible: dict[str, list[int]]  # unique_key -> order_item_ids
    ineligible: dict[str, str]  # unique_key -> why (what the test set up)

    @property
    def keys(self) -> list[str]:
        return [*self.eligible, *self.ineligible]


@dataclass
class Audit:
    lost: list[str] = field(default_factory=list)
    without_reason: list[str] = field(default_factory=list)
    dispatched_wrongly: list[str] = field(default_factory=list)
    emailed_twice: dict[int, int] = field(default_factory=dict)
    sent_twice: int = 0

    @property
    def clean(self) -> bool:
        return not (
            self.lost
            or self.without_reason
            or self.dispatched_wrongly
            or self.emailed_twice
            or self.sent_twice
        )


def create_planned(
    stack: StackUnderTest,
    shop_id: str,
    count: int,
    *,
    ineligible_every: int = 5,
) -> tuple[list[str], dict[str, list[int]], list[int]]:
    """``count`` credit-card orders with 1-3 items; returns keys, item ids per key, and indexes meant ineligible."""
    specs = [
        {"items": [{"title": f"商品{i}-{j}", "price": 1000 + j, "amount": 1} for j in range(1 + i % 3)]}
        for i in range(count)
    ]
    created = stack.base.create_orders(shop_id, specs) if specs else []
    keys = [o["unique_key"] for o in created]
    item_ids = {o["unique_key"]: [int(i["order_item_id"]) for i in o["order_items"]] for o in created}
    ineligible = [
        i for i in range(count) if ineligible_every and i % ineligible_every == ineligible_every - 1
    ]
    return keys, item_ids, ineligible


def stored_orders(stack: StackUnderTest, shop_id: str, keys: Iterable[str]) -> dict[str, Order]:
    with stack.env("JobWorkerFunction"):
        repo = OrderRepository(stack.local.refs["OrdersTable"])
        wanted = list(keys)
        found: dict[str, Order] = {}
        for start in range(0, len(wanted), 100):
            found.update(repo.get_many(shop_id, wanted[start : start + 100]))
        return found


def audit(stack: StackUnderTest, planned: Planned, *, record: bool = True) -> Audit:
    """Compare BASE's side (sandbox e-mails and call log) and our records with what must have happened."""
    result = Audit()
    emails = stack.base.emails(planned.shop_id)
    per_item: Counter[int] = Counter()
    emailed_keys: set[str] = set()
    for email in emails:
        emailed_keys.add(str(email["unique_key"]))
        for item_id in email.get("order_item_ids") or []:
            per_item[int(item_id)] += 1
    result.emailed_twice = {item: n for item, n in per_item.items() if n > 1}
    calls = stack.base.calls(shop_id=planned.shop_id, path_prefix="/1/orders/edit_status")["calls"]
    result.sent_twice = sum(1 for c in calls if c.get("error") == "not_change_status")
    stored = stored_orders(stack, planned.shop_id, planned.keys)
    for key, items in planned.eligible.items():
        order = stored.get(key)
        if (
            order is None
            or order.export_state is not ExportState.EXPORTED
            or not all(per_item[i] for i in items)
        ):
            result.lost.append(key)
    for key in planned.ineligible:
        order = stored.get(key)
        if key in emailed_keys:
            result.dispatched_wrongly.append(key)
        if order is None or order.export_state is ExportState.EXPORTED or not order.export_reason:
            result.without_reason.append(key)
    if record:
        LEDGER.orders_checked += len(planned.keys)
        LEDGER.orders_eligible += len(planned.eligible)
        LEDGER.items_dispatched += sum(len(v) for v in planned.eligible.values())
        LEDGER.orders_lost += len(result.lost)
        LEDGER.orders_without_reason += len(result.without_reason)
        LEDGER.orders_dispatched_wrongly += len(result.dispatched_wrongly)
        LEDGER.items_emailed_twice += sum(n - 1 for n in result.emailed_twice.values())
        LEDGER.items_sent_twice += result.sent_twice
    return result


def parallel(function: Any, items: Iterable[Any], workers: int = 8) -> list[Any]:
    """Map over ``items`` in threads (moto server and the sandbox both serve requests concurrently)."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(function, items))


__all__ = [
    "FULL",
    "LEDGER",
    "Audit",
    "Ledger",
    "Planned",
    "audit",
    "create_planned",
    "make_orders",
    "parallel",
    "scale",
    "stored_orders",
]
