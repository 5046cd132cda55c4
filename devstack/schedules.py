"""template.yaml's schedules, locally: EventBridge expressions as intervals, and the event a tick hands its function.

``rate(N minutes|hours|days)`` is exact; ``cron(...)`` is not evaluated here and ticks hourly (a
note in the run's banner says so). :func:`scheduled_event` builds what EventBridge Scheduler would deliver, ``Input`` with its
``<aws.scheduler.scheduled-time>`` filled in, or a ``Scheduled Event``.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from devstack.provision import ACCOUNT_ID, LocalStack

log = logging.getLogger("devstack")

REGION = "ap-northeast-1"

_RATE = re.compile(r"rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)")
_UNIT_S = {"minute": 60, "hour": 3600, "day": 86400}


def schedule_interval(expression: str) -> tuple[float, str | None]:
    """Seconds between ticks of an EventBridge expression, and a note when it is only approximated.

    ``rate(N minutes|hours|days)`` is exact; ``cron(...)`` ticks hourly here (with a note), and
    anything else too.
    """
    found = _RATE.fullmatch(expression.strip())
    if found:
        count = int(found.group(1))
        if count < 1:
            raise ValueError(f"bad schedule {expression!r}: the rate must be at least 1")
        return float(count * _UNIT_S[found.group(2).removesuffix("s")]), None
    if expression.strip().startswith("cron("):
        return 3600.0, "here every hour (cron is not evaluated locally)"
    return 3600.0, f"here every hour (unknown schedule expression {expression!r})"


@dataclass
class Schedule:
    function: str
    event_name: str
    expression: str
    interval_s: float
    payload: dict[str, Any] | None
    note: str | None = None
    """How the local run approximates the expression (a cron expression ticks hourly), for the banner."""
    timezone: str | None = None
    next_at: float = 0.0
    ticks: int = 0
    last_scheduled_at: datetime | None = None  # scheduled_event: each new tick gets a later time


def schedules_of(stack: LocalStack) -> list[Schedule]:
    """Every Schedule/ScheduleV2 event of the template's functions, with its expression resolved."""
    found: list[Schedule] = []
    for spec in stack.template.functions().values():
        for name, event in spec.events.items():
            if event.get("Type") not in ("Schedule", "ScheduleV2"):
                continue
            props = event.get("Properties", {})
            expression = str(stack.resolve(props.get("ScheduleExpression", props.get("Schedule", ""))))
            interval, note = schedule_interval(expression)
            zone = props.get("ScheduleExpressionTimezone")
            raw_input = props.get("Input")
            payload = json.loads(str(stack.resolve(raw_input))) if raw_input else None
            schedule = Schedule(spec.logical_id, name, expression, interval, payload, note)
            schedule.timezone = str(stack.resolve(zone)) if zone else None
            found.append(schedule)
    return found


SCHEDULED_TIME = "<aws.scheduler.scheduled-time>"


def _with_scheduled_time(value: Any, stamp: str) -> Any:
    """Scheduler's context attribute, replaced wherever it stands in the Input (keys and values)."""
    if isinstance(value, str):
        return value.replace(SCHEDULED_TIME, stamp)
    if isinstance(value, dict):
        return {_with_scheduled_time(k, stamp): _with_scheduled_time(v, stamp) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_scheduled_time(v, stamp) for v in value]
    return value


def scheduled_event(schedule: Schedule, scheduled_at: datetime | None = None) -> dict[str, Any]:
    """What EventBridge Scheduler hands the function: its configured Input, else a scheduled event.

    ``<aws.scheduler.scheduled-time>`` in the Input becomes the tick's scheduled time (UTC,
    ``2026-12-02T03:30:00Z``), as Scheduler fills it in: pass the same ``scheduled_at`` for a
    retry of the same tick. By default this is a new tick, scheduled now (to the second, and
    later than the schedule's previous tick, so two ticks never share an identity).
    """
    if scheduled_at is None:
        at = datetime.now(UTC).replace(microsecond=0)
        if schedule.last_scheduled_at is not None and at <= schedule.last_scheduled_at:
            at = schedule.last_scheduled_at + timedelta(seconds=1)
        schedule.last_scheduled_at = at
    else:
        at = scheduled_at.astimezone(UTC)
    stamp = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    if schedule.payload is not None:
        return dict(_with_scheduled_time(schedule.payload, stamp))
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.scheduler",
        "account": ACCOUNT_ID,
        "time": stamp,
        "region": REGION,
        "resources": [f"arn:aws:scheduler:{REGION}:{ACCOUNT_ID}:schedule/default/{schedule.function}"],
        "detail": {},
    }
