"""API paths answer inside API Gateway's 29 s (issue 12, item 8).

Each API handler takes a deadline from Lambda's remaining time (less a margin, at most 25 s) and
a client with the lighter API retry policy. Here Lambda's context says little time is left and
the sandbox answers slower than that: the operator must get the clear answer at once (dry run:
503 with Retry-After; callback: the failure page with nothing stored), never the answer late.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from tests.support.flows import SCOPE, connect_shop
from tests.support.orders import import_now, make_orders, ship
from tests.support.stack import CLIENT_ID, REDIRECT_URI, StackUnderTest

from base_sync import wiring
from base_sync.config import API_DEADLINE_CAP_SECONDS
from devstack.handlers import FakeContext

pytestmark = pytest.mark.integration

REMAINING_MS = 3500  # Lambda's remaining time as the context reports it: the deadline is 1.5 s
SLOW_SECONDS = 3.0  # BASE's answer takes longer than that


@pytest.fixture
def little_time_left(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], None]]:
    """Call it just before the API request: from then on every function's context says little time
    is left (the setup's own jobs, such as the import, run with their normal time)."""

    def now() -> None:
        monkeypatch.setattr(FakeContext, "get_remaining_time_in_millis", lambda self: REMAINING_MS)

    yield now
    time.sleep(SLOW_SECONDS)  # let the sandbox finish the slow call before the next test resets it


def test_api_deadline_is_capped_below_api_gateways_29_seconds(stack: StackUnderTest):
    with stack.env("ExportApiFunction"):
        deadline = wiring.api_deadline(FakeContext("ExportApiFunction", 30))
        assert deadline.remaining() <= API_DEADLINE_CAP_SECONDS <= 25.0
        client = wiring.api_client(deadline)
        assert client.retry.max_attempts == 2
        assert client.deadline is deadline


def test_dry_run_answers_503_with_retry_after_when_base_is_slower_than_the_deadline(
    stack: StackUnderTest, little_time_left: Callable[[], None]
):
    connect_shop(stack, "shop-d", "D店")
    key = make_orders(stack, "shop-d", [{}])[0]
    import_now(stack, "shop-d")
    ship(stack, "shop-d", key)  # ready: the plan needs BASE's company list
    stack.base.add_fault("slow", count=1, delay_seconds=SLOW_SECONDS, path_prefix="/1/delivery_companies")
    little_time_left()
    started = time.monotonic()
    answer = stack.http("POST", "/exports", body={"shop_id": "shop-d", "dry_run": True})
    elapsed = time.monotonic() - started
    assert answer.status == 503, answer.body
    assert answer.headers.get("retry-after") == "30"
    body = answer.json()
    assert body["error"] == "deadline_exceeded"
    japanese, english = body["message"].split(" / ")
    assert "BASE" in japanese and "やり直して" in japanese
    assert "Retry" in english
    assert elapsed < REMAINING_MS / 1000  # answered inside the time Lambda (and API Gateway) allow


def test_callback_stops_at_its_deadline_shows_the_failure_page_and_stores_nothing(
    stack: StackUnderTest, little_time_left: Callable[[], None]
):
    stack.base.create_shop("shop-slow", "遅い店")
    start = stack.http("POST", "/connect")
    assert start.status == 201, start.body
    state = parse_qs(urlsplit(start.json()["authorize_url"]).query)["state"][0]
    location = stack.base.authorize(CLIENT_ID, REDIRECT_URI, "shop-slow", scope=SCOPE, state=state)
    query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    stack.base.add_fault("slow", count=1, delay_seconds=SLOW_SECONDS, path_prefix="/1/users/me")
    little_time_left()
    started = time.monotonic()
    page = stack.http("GET", "/oauth/callback", query=query)
    elapsed = time.monotonic() - started
    assert page.status == 502, page.body
    assert page.headers["content-type"].startswith("text/html")
    assert "BASE に接続できませんでした" in page.body and "could not be reached" in page.body
    assert elapsed < REMAINING_MS / 1000
    with stack.env():
        assert not wiring.secrets_store().shop_secret_exists("shop-slow")
        assert wiring.shop_repository().list() == []


def test_callback_with_time_enough_still_connects(stack: StackUnderTest):
    """The deadline does not get in the way of an ordinary connect (the default context: 30 s)."""
    connect_shop(stack, "shop-ok", "普通の店")
    with stack.env():
        assert wiring.secrets_store().shop_tokens("shop-ok").shop_id == "shop-ok"
