"""The one call budget of the importer and the exporter."""

from __future__ import annotations

import pytest

from base_sync.base_api.client import CallCounter
from base_sync.domain.budget import CallBudget
from base_sync.domain.deadline import Deadline
from base_sync.domain.errors import StopRun
from base_sync.domain.reasons import Reason


def test_counts_from_where_it_was_opened_and_stops_at_the_limit() -> None:
    calls = CallCounter()
    calls.add("orders")
    budget = CallBudget(calls, 2)
    assert budget.used == 0
    budget.check()
    calls.add("order_detail")
    budget.check()
    calls.add("order_detail")
    assert budget.used == 2
    with pytest.raises(StopRun) as stopped:
        budget.check()
    assert (stopped.value.reason, stopped.value.cause.base_error) == (Reason.BUDGET_SPENT, None)


def test_the_clock_stops_a_call_that_may_not_fit() -> None:
    now = [0.0]
    budget = CallBudget(
        CallCounter(), 100, deadline=Deadline(at=60.0, clock=lambda: now[0]), seconds_per_call=45
    )
    budget.check()
    now[0] = 15.0
    budget.check()  # exactly 45 s left
    now[0] = 15.5
    with pytest.raises(StopRun) as stopped:
        budget.check()
    assert stopped.value.reason is Reason.TIME_UP


def test_the_call_budget_is_checked_before_the_clock() -> None:
    calls = CallCounter()
    calls.add("orders")
    budget = CallBudget(calls, 0, deadline=Deadline(at=0.0, clock=lambda: 1.0), seconds_per_call=1)
    with pytest.raises(StopRun) as stopped:
        budget.check()
    assert stopped.value.reason is Reason.BUDGET_SPENT


def test_without_seconds_per_call_the_clock_is_the_callers() -> None:
    budget = CallBudget(CallCounter(), 5, deadline=Deadline(at=0.0, clock=lambda: 10.0))
    budget.check()  # the exporter checks its clock per order, not per call
