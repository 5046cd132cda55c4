"""The client's retry policy, call counting and hygiene, against a scripted in-process session.

Integration tests against the sandbox over HTTP live in tests/integration; here we pin the
policy decisions that are hard to provoke over a real socket on demand.
"""

import json
import logging
from typing import Any
from urllib.parse import parse_qsl, urlparse

import pytest
import requests
from pydantic import SecretStr

from base_sync.base_api import (
    AccessTokenInvalid,
    AppCredentials,
    BaseClient,
    OrderRefused,
    TransientError,
)
from base_sync.base_api.client import RetryPolicy

ORDER = {"order": {"unique_key": "K1", "order_items": [{"order_item_id": 7, "status": "dispatched"}]}}
REFUSED = requests.exceptions.ConnectionError(
    "HTTPSConnectionPool: Max retries exceeded (Caused by NewConnectionError('Connection refused'))"
)


def _response(status: int, body: Any) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    return response


class ScriptedSession(requests.Session):
    """Answers each request with the next scripted response or exception, and records what was sent."""

    def __init__(self, *steps: Any) -> None:
        super().__init__()
        self.steps = list(steps)
        self.sent: list[dict[str, Any]] = []

    def request(self, method, url, **kwargs):  # type: ignore[override]
        self.sent.append({"method": method, "url": url, **kwargs})
        step = self.steps.pop(0)
        if isinstance(step, BaseException):
            raise step
        return step


def _client(session: ScriptedSession, sleeps: list[float] | None = None) -> BaseClient:
    creds = AppCredentials(
        client_id="cid", client_secret=SecretStr("the-secret"), redirect_uri="https://x/cb"
    )
    recorded = sleeps if sleeps is not None else []
    return BaseClient(
        "https://api.example",
        creds,
        session=session,
        sleep=recorded.append,
        retry=RetryPolicy(max_attempts=4, base_delay=0.5, max_delay=2.0),
    )


def test_get_is_retried_on_5xx_and_every_attempt_is_counted():
    sleeps: list[float] = []
    session = ScriptedSession(
        _response(502, "<html>bad gateway</html>"), _response(503, "x"), _response(200, ORDER)
    )
    client = _client(session, sleeps)
    order = client.get_order("tok", "K1")
    assert order.unique_key == "K1"
    assert client.calls.total == 3
    assert client.calls.by_endpoint["order_detail"] == 3
    assert len(sleeps) == 2
    assert all(0 <= s <= 2.0 for s in sleeps)


def test_get_gives_up_after_the_bounded_number_of_attempts():
    session = ScriptedSession(*[_response(500, "x")] * 4)
    client = _client(session)
    with pytest.raises(TransientError):
        client.get_order("tok", "K1")
    assert client.calls.total == 4
    assert session.steps == []


def test_get_is_retried_on_db_error_and_timeouts():
    session = ScriptedSession(
        _response(400, {"error": "db_error", "error_description": "DBエラー"}),
        requests.exceptions.ReadTimeout("slow"),
        _response(200, ORDER),
    )
    client = _client(session)
    assert client.get_order("tok", "K1").order_items[0].order_item_id == 7
    assert client.calls.total == 3


def test_dispatch_is_not_resent_when_the_request_may_have_reached_base():
    session = ScriptedSession(requests.exceptions.ReadTimeout("slow"), _response(200, ORDER))
    client = _client(session)
    with pytest.raises(TransientError) as caught:
        client.dispatch_item("tok", 7, delivery_company_id=1, tracking_number="123")
    assert caught.value.may_have_applied
    assert client.calls.total == 1


def test_dispatch_is_not_resent_after_a_5xx_or_db_error():
    for first in (_response(502, "x"), _response(400, {"error": "db_error", "error_description": ""})):
        session = ScriptedSession(first, _response(200, ORDER))
        client = _client(session)
        with pytest.raises(TransientError):
            client.dispatch_item("tok", 7, delivery_company_id=1, tracking_number="123")
        assert client.calls.total == 1


def test_dispatch_is_retried_when_the_connection_was_never_made():
    session = ScriptedSession(REFUSED, _response(200, ORDER))
    client = _client(session)
    assert client.dispatch_item("tok", 7, delivery_company_id=1, tracking_number="123").unique_key == "K1"
    assert client.calls.total == 2
    assert session.sent[1]["data"]["status"] == "dispatched"


def test_refusals_are_not_retried():
    session = ScriptedSession(
        _response(400, {"error": "not_change_status_YamatoDelivery", "error_description": ""})
    )
    client = _client(session)
    with pytest.raises(OrderRefused) as caught:
        client.dispatch_item("tok", 7, delivery_company_id=1, tracking_number="123")
    assert caught.value.is_cart_app
    assert client.calls.total == 1


def test_expired_access_token_is_reported_not_retried():
    session = ScriptedSession(
        _response(400, {"error": "invalid_request", "error_description": "アクセストークンが無効です。"})
    )
    client = _client(session)
    with pytest.raises(AccessTokenInvalid):
        client.get_me("tok")
    assert client.calls.total == 1


def test_unexpected_shape_is_a_transient_error_not_a_crash():
    session = ScriptedSession(*[_response(200, {"order": {"no_key": 1}})] * 4)
    with pytest.raises(TransientError):
        _client(session).get_order("tok", "K1")


@pytest.mark.parametrize("bad_key", ["", "..", "a/b", "a?b", "a#b", "a%2Fb"])
def test_order_keys_cannot_change_the_url_path(bad_key):
    client = _client(ScriptedSession())
    with pytest.raises(ValueError, match="order key"):
        client.get_order("tok", bad_key)
    assert client.calls.total == 0


def test_authorize_url_carries_what_base_requires():
    url = _client(ScriptedSession()).authorize_url(state="s" * 32)
    parsed = urlparse(url)
    query = dict(parse_qsl(parsed.query))
    assert parsed.path == "/1/oauth/authorize"
    assert query == {
        "response_type": "code",
        "client_id": "cid",
        "redirect_uri": "https://x/cb",
        "scope": "read_users read_orders write_orders",
        "state": "s" * 32,
    }


def test_no_token_or_secret_in_logs_or_reprs(caplog):
    tokens = {
        "access_token": "AT-very-secret",
        "refresh_token": "RT-very-secret",
        "token_type": "bearer",
        "expires_in": 3600,
    }
    session = ScriptedSession(
        REFUSED,
        _response(200, tokens),
        _response(400, {"error": "invalid_request", "error_description": "アクセストークンが無効です。"}),
    )
    client = _client(session)
    with caplog.at_level(logging.DEBUG):
        pair = client.refresh_tokens("RT-old-secret")
        with pytest.raises(AccessTokenInvalid) as caught:
            client.get_me("AT-very-secret")
    text = caplog.text + repr(pair) + str(pair) + str(caught.value) + repr(client.credentials)
    for secret in ("AT-very-secret", "RT-very-secret", "RT-old-secret", "the-secret"):
        assert secret not in text
    assert pair.access_token.get_secret_value() == "AT-very-secret"


def test_a_refresh_whose_answer_was_lost_is_not_resent():
    """A refresh token is single-use: re-sending it after a 5xx could burn it for nothing."""
    session = ScriptedSession(_response(502, "x"), _response(200, {}))
    client = _client(session)
    with pytest.raises(TransientError) as caught:
        client.refresh_tokens("RT")
    assert caught.value.may_have_applied
    assert client.calls.total == 1
