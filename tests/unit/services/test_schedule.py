"""A tick's identity, devstack's scheduled time and Lambda context, result pages (issue 12, items 3, 6, 7)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from base_sync.dal.export_runs import PAGE_MAX_BYTES, result_pages
from base_sync.domain.deadline import Deadline
from base_sync.domain.export import OrderResult, Outcome
from base_sync.domain.reasons import Reason
from base_sync.services.schedule import tick_id, tick_time
from devstack.handlers import FakeContext
from devstack.schedules import Schedule, scheduled_event

INPUT = {"scheduled_time": "<aws.scheduler.scheduled-time>"}


def _schedule(payload: dict[str, str] | None = INPUT) -> Schedule:
    return Schedule("ExportScheduleFunction", "Tick", "rate(30 minutes)", 1800.0, payload)


def test_the_tick_is_named_by_its_scheduled_time_not_by_the_clock():
    event = {"scheduled_time": "2026-12-02T03:30:00Z"}
    first = tick_time(event, now=datetime(2026, 12, 2, 3, 30, 5, tzinfo=UTC))
    retried = tick_time(event, now=datetime(2026, 12, 2, 3, 37, 0, tzinfo=UTC))  # Lambda's retry, later
    assert first == retried == datetime(2026, 12, 2, 3, 30, tzinfo=UTC)
    assert tick_id(first) == tick_id(tick_time({"scheduled_time": "2026-12-02T12:30:00+09:00"}))
    assert tick_id(first) != tick_id(tick_time({"scheduled_time": "2026-12-02T03:30:01Z"}))


def test_without_a_scheduled_time_the_current_minute_names_the_tick_with_a_warning(
    caplog: pytest.LogCaptureFixture,
):
    with caplog.at_level(logging.WARNING):
        at = tick_time({"version": "0", "detail": {}}, now=datetime(2026, 12, 2, 3, 31, 42, 9, tzinfo=UTC))
    assert at == datetime(2026, 12, 2, 3, 31, tzinfo=UTC)
    assert any("scheduled_time" in r.getMessage() for r in caplog.records)


def test_an_eventbridge_scheduled_event_envelope_names_its_tick_by_its_time():
    envelope = {
        "version": "0",
        "detail-type": "Scheduled Event",
        "source": "aws.scheduler",
        "time": "2026-12-02T03:30:00Z",
    }
    assert tick_time(envelope, now=datetime(2026, 12, 2, 3, 36, tzinfo=UTC)) == datetime(
        2026, 12, 2, 3, 30, tzinfo=UTC
    )
    assert tick_time({**envelope, "scheduled_time": "2026-12-02T04:00:00Z"}) == datetime(
        2026, 12, 2, 4, tzinfo=UTC
    )


@pytest.mark.parametrize(
    "value",
    ["<aws.scheduler.scheduled-time>", "2026-12-02T03:30:00", "yesterday", 12, ["2026-12-02T03:30:00Z"]],
)
def test_a_scheduled_time_that_is_not_a_time_with_its_offset_is_refused(value: object):
    with pytest.raises(ValidationError):
        tick_time({"scheduled_time": value})


def test_devstack_fills_in_the_scheduled_time_as_scheduler_does():
    schedule = _schedule()
    at = datetime(2026, 12, 2, 3, 30, tzinfo=UTC)
    assert scheduled_event(schedule, at) == {"scheduled_time": "2026-12-02T03:30:00Z"}
    assert scheduled_event(schedule, at) == scheduled_event(schedule, at)  # a retry of the same tick
    nested = _schedule({"a": "at <aws.scheduler.scheduled-time>", "kind": "export"})
    assert scheduled_event(nested, at) == {"a": "at 2026-12-02T03:30:00Z", "kind": "export"}
    assert schedule.payload == INPUT  # the configured Input itself is left as it was


def test_devstack_ticks_of_one_schedule_never_share_a_scheduled_time():
    schedule = _schedule()
    times = [tick_time(scheduled_event(schedule)) for _ in range(5)]
    assert len({tick_id(t) for t in times}) == 5
    assert times == sorted(times)
    envelope = scheduled_event(_schedule(None))
    assert envelope["source"] == "aws.scheduler" and envelope["time"].endswith("Z")


def test_fake_context_counts_down_from_the_functions_timeout():
    clock = [1000.0]
    context = FakeContext("JobWorkerFunction", 900, clock=lambda: clock[0])
    assert context.get_remaining_time_in_millis() == 900_000
    clock[0] += 899.5
    assert context.get_remaining_time_in_millis() == 500
    clock[0] += 5
    assert context.get_remaining_time_in_millis() == 0
    deadline = Deadline.from_context(
        FakeContext("JobWorkerFunction", 75, clock=lambda: clock[0]),
        margin_seconds=15,
        clock=lambda: clock[0],
    )
    assert deadline.remaining() == 60


def test_result_pages_stay_small_whatever_the_results_look_like():
    results = [
        OrderResult(
            unique_key=f"K{i:05d}" + "鍵" * 200,
            outcome=Outcome.FAILED,
            reason=Reason.BASE_REFUSED,
            base_error="r" * 300,
        )
        for i in range(2000)
    ]
    pages = result_pages(results)
    assert [r for page in pages for r in page] == [r.model_dump(mode="json") for r in results]
    assert all(len(json.dumps(page, ensure_ascii=False).encode()) <= PAGE_MAX_BYTES + 1000 for page in pages)
    assert result_pages([]) == []
    assert len(result_pages(results[:3])) == 1
