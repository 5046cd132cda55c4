"""The client under a deadline: no attempt or backoff sleep starts unless it fits, and each attempt's
timeouts shrink to what remains (issue 12, item 8: API paths must answer inside API Gateway's 29 s)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from pydantic import SecretStr

from base_sync.base_api import API_RETRY, AppCredentials, BaseClient, DeadlineExceeded, TransientError
from base_sync.base_api.client import MIN_ATTEMPT_SECONDS, RetryPolicy
from base_sync.domain.deadline import Deadline

USER = {"user": {"shop_id": "shop-a", "shop_name": "A"}}
PAIR = {"access_token": "a2", "refresh_token": "r2", "token_type": "bearer", "expires_in": 3600}


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _response(status: int, body: Any) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    return response


class TimedSession(requests.Session):
    """Each scripted step takes ``cost`` seconds of the fake clock; records the timeouts it was given."""

    def __init__(self, clock: FakeClock, *steps: tuple[float, Any]) -> None:
        super().__init__()
        self.clock = clock
        self.steps = list(steps)
        self.timeouts: list[tuple[float, float]] = []

    def request(self, method, url, **kwargs):  # type: ignore[override]
        self.timeouts.append(kwargs["timeout"])
        cost, step = self.steps.pop(0)
        self.clock.now += cost
        if isinstance(step, BaseException):
            raise step
        return step


def _client(
    session: TimedSession, clock: FakeClock, deadline: Deadline | None, retry: RetryPolicy | None = None
) -> tuple[BaseClient, list[float]]:
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock.now += seconds

    creds = AppCredentials(client_id="cid", client_secret=SecretStr("s"), redirect_uri="https://x/cb")
    client = BaseClient(
        "https://api.example",
        creds,
        session=session,
        sleep=sleep,
        deadline=deadline,
        retry=retry or RetryPolicy(max_attempts=4, base_delay=2.0, max_delay=2.0),
    )
    return client, sleeps


def test_read_timeout_shrinks_to_what_the_deadline_leaves():
    clock = FakeClock()
    session = TimedSession(clock, (0.1, _response(200, USER)))
    client, _ = _client(session, clock, Deadline.after(5.0, clock=clock))
    client.get_me("tok")
    connect, read = session.timeouts[0]
    assert connect == pytest.approx(3.05)
    assert read == pytest.approx(5.0)  # not the default 15 s


def test_no_attempt_starts_once_the_deadline_has_run_out():
    clock = FakeClock()
    session = TimedSession(clock, (0.1, _response(200, USER)))
    client, _ = _client(session, clock, Deadline.after(MIN_ATTEMPT_SECONDS / 2, clock=clock))
    with pytest.raises(DeadlineExceeded) as caught:
        client.get_me("tok")
    assert not caught.value.may_have_applied
    assert session.timeouts == []  # nothing was sent
    assert client.calls.total == 0


class _FixedDelay(RetryPolicy):
    """The jittered delay at its largest, so the arithmetic below is exact."""

    def __init__(self, seconds: float) -> None:
        super().__init__(max_attempts=4, base_delay=seconds, max_delay=seconds)

    def delay(self, attempt: int) -> float:
        return self.base_delay


def test_no_backoff_sleep_starts_unless_the_next_attempt_fits():
    clock = FakeClock()
    # a 2 s answer that is a 503: the retry would sleep 2 s and need another second; 2.5 s are left.
    session = TimedSession(clock, (2.0, _response(503, "x")), (0.1, _response(200, USER)))
    client, sleeps = _client(session, clock, Deadline.after(4.5, clock=clock), _FixedDelay(2.0))
    with pytest.raises(DeadlineExceeded) as caught:
        client.get_me("tok")
    assert sleeps == []
    assert client.calls.total == 1
    assert caught.value.http_status == 503
    assert isinstance(caught.value, TransientError)  # callers that handle transient trouble still do


def test_retries_continue_while_they_fit():
    clock = FakeClock()
    session = TimedSession(clock, (0.5, _response(503, "x")), (0.5, _response(200, USER)))
    client, sleeps = _client(session, clock, Deadline.after(10.0, clock=clock), _FixedDelay(1.0))
    assert client.get_me("tok").shop_id == "shop-a"
    assert sleeps == [1.0]
    assert session.timeouts[1][1] == pytest.approx(10.0 - 0.5 - 1.0)


def test_a_call_deadline_shorter_than_the_clients_wins():
    clock = FakeClock()
    session = TimedSession(clock, (0.1, _response(200, PAIR)))
    client, _ = _client(session, clock, Deadline.after(20.0, clock=clock))
    client.refresh_tokens("r1", deadline=Deadline.after(4.0, clock=clock))
    assert session.timeouts[0][1] == pytest.approx(4.0)


def test_a_refresh_whose_answer_was_lost_stays_may_have_applied_when_time_runs_out():
    clock = FakeClock()
    session = TimedSession(clock, (4.0, requests.exceptions.ReadTimeout("slow")))
    client, _ = _client(session, clock, Deadline.after(4.5, clock=clock))
    with pytest.raises(TransientError) as caught:
        client.refresh_tokens("r1")
    assert caught.value.may_have_applied  # never re-sent, and the caller is told BASE may have rotated


def test_without_a_deadline_nothing_changes():
    clock = FakeClock()
    session = TimedSession(clock, (0.1, _response(200, USER)))
    client, _ = _client(session, clock, None)
    client.get_me("tok")
    assert session.timeouts == [(3.05, 15.0)]


def test_api_retry_policy_is_lighter_than_the_default():
    assert API_RETRY.max_attempts < RetryPolicy().max_attempts
    worst_sleep = sum(
        min(API_RETRY.max_delay, API_RETRY.base_delay * 2 ** (n - 1))
        for n in range(1, API_RETRY.max_attempts)
    )
    assert worst_sleep <= 1.0
