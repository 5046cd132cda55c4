"""What a run may still spend: BASE calls (its share of the shop's hourly allowance) and time.

One type for the importer and the exporter. ``check()`` goes before every BASE call and raises
:class:`~base_sync.domain.errors.StopRun` with ``budget_spent`` once ``limit`` calls were made
since the budget was opened, or with ``time_up`` when the deadline leaves less than
``seconds_per_call`` for the call (and what follows it). ``used`` is what the run's report shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from base_sync.domain.deadline import Deadline
from base_sync.domain.errors import StopRun
from base_sync.domain.reasons import Reason


class CountsCalls(Protocol):
    """Every call made so far (the BASE client's ``calls``)."""

    @property
    def total(self) -> int: ...


@dataclass
class CallBudget:
    calls: CountsCalls
    limit: int
    deadline: Deadline = field(default_factory=Deadline.never)
    seconds_per_call: float = 0.0
    """Time a call may take at worst; 0 leaves the clock to the caller (the exporter checks it per order)."""
    start: int = field(init=False)

    def __post_init__(self) -> None:
        self.start = self.calls.total

    @property
    def used(self) -> int:
        """Calls made since the budget was opened."""
        return self.calls.total - self.start

    def check(self) -> None:
        """Before a BASE call: StopRun(budget_spent) or StopRun(time_up) when it may not start."""
        if self.used >= self.limit:
            raise StopRun(Reason.BUDGET_SPENT)
        if self.seconds_per_call and not self.deadline.has(self.seconds_per_call):
            raise StopRun(Reason.TIME_UP)
