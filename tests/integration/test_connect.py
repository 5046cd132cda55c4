"""Connecting a shop end to end: POST /connect, BASE's consent (sandbox), GET /oauth/callback."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest
from tests.support.flows import SCOPE, connect_shop
from tests.support.stack import CLIENT_ID, REDIRECT_URI, StackUnderTest

from base_sync import wiring

pytestmark = pytest.mark.integration


def _start(stack: StackUnderTest) -> dict[str, str]:
    answer = stack.http("POST", "/connect")
    assert answer.status == 201, answer.body
    url = answer.json()["authorize_url"]
    assert url.startswith(stack.local.parameters["BaseApiUrl"] + "/1/oauth/authorize?")
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def _consent(stack: StackUnderTest, shop_id: str, state: str, *, approve: bool = True) -> dict[str, str]:
    location = stack.base.authorize(
        CLIENT_ID, REDIRECT_URI, shop_id, scope=SCOPE, state=state, approve=approve
    )
    assert location.startswith(REDIRECT_URI)
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def _shop_exists(stack: StackUnderTest, shop_id: str) -> bool:
    with stack.env():
        try:
            wiring.shop_repository().get(shop_id)
        except LookupError:
            return False
        return True


def _secret_exists(stack: StackUnderTest, shop_id: str) -> bool:
    with stack.env():
        return wiring.secrets_store().shop_secret_exists(shop_id)


def test_connect_returns_authorize_url_with_fresh_state(stack: StackUnderTest):
    before = time.time()
    answer = stack.http("POST", "/connect")
    assert answer.status == 201
    body = answer.json()
    params = {k: v[0] for k, v in parse_qs(urlsplit(body["authorize_url"]).query).items()}
    assert params["response_type"] == "code"
    assert params["client_id"] == CLIENT_ID
    assert params["redirect_uri"] == REDIRECT_URI
    assert params["scope"] == SCOPE
    assert len(params["state"]) >= 22  # at least 128 bits in URL-safe base64
    from datetime import datetime  # noqa: PLC0415

    expires = datetime.fromisoformat(body["expires_at"]).timestamp()
    assert before + 590 <= expires <= time.time() + 610
    assert _start(stack)["state"] != params["state"]


def test_full_connect_flow_stores_tokens_and_shop(stack: StackUnderTest):
    stack.base.create_shop("shop-a", "テスト商店")
    query = _consent(stack, "shop-a", _start(stack)["state"])
    answer = stack.http("GET", "/oauth/callback", query=query)
    assert answer.status == 200
    assert answer.headers["content-type"].startswith("text/html")
    assert "テスト商店" in answer.body and "connected" in answer.body
    assert answer.body.index("接続しました") < answer.body.index("is connected")  # Japanese first
    with stack.env():
        shop = wiring.shop_repository().get("shop-a")
        tokens = wiring.secrets_store().shop_tokens("shop-a")
    assert shop.status == "connected"
    assert shop.shop_name == "テスト商店"
    assert shop.settings.import_days == 7 and shop.settings.export_filter == "all_except_new_and_hold"
    assert tokens.access_token.get_secret_value() not in answer.body
    assert stack.base.tokens()["shops"]["shop-a"]["codes_exchanged"] == 1


def test_reconnect_replaces_tokens_keeps_settings_and_clears_needs_reauth(stack: StackUnderTest):
    connect_shop(stack)
    with stack.env():
        repo = wiring.shop_repository()
        settings = repo.get("shop-a").settings.model_copy(update={"import_days": 30})
        repo.put_settings("shop-a", settings)
        assert repo.mark_needs_reauth("shop-a", reason="test", now_iso="2026-01-01T00:00:00+00:00")
        old = wiring.secrets_store().shop_tokens("shop-a").refresh_token.get_secret_value()
    query = _consent(stack, "shop-a", _start(stack)["state"])
    answer = stack.http("GET", "/oauth/callback", query=query)
    assert answer.status == 200
    assert "再接続" in answer.body
    with stack.env():
        shop = wiring.shop_repository().get("shop-a")
        new = wiring.secrets_store().shop_tokens("shop-a").refresh_token.get_secret_value()
    assert shop.status == "connected"
    assert shop.settings.import_days == 30
    assert new != old


@pytest.mark.parametrize(
    ("case", "status", "phrase"),
    [
        ("no_state", 400, "state"),
        ("unknown_state", 400, "not valid"),
        ("expired_state", 400, "expired"),
        ("no_code", 400, "no authorization code"),
        ("access_denied", 400, "declined"),
        ("bad_code", 502, "refused the authorization code"),
        ("base_unreachable", 502, "could not be reached"),
    ],
)
def test_bad_callbacks_store_nothing(stack: StackUnderTest, case: str, status: int, phrase: str):
    stack.base.create_shop("shop-a", "テスト商店")
    state = _start(stack)["state"]
    query = _consent(stack, "shop-a", state)
    if case == "no_state":
        query.pop("state")
    elif case == "unknown_state":
        query["state"] = "x" * 43
    elif case == "expired_state":
        with stack.env():
            wiring.oauth_state_repository().create("old-state", expires_at=int(time.time()) - 1)
        query["state"] = "old-state"
    elif case == "no_code":
        query.pop("code")
    elif case == "access_denied":
        query = _consent(stack, "shop-a", state, approve=False)
        assert query["error"] == "access_denied"
    elif case == "bad_code":
        query["code"] = "not-a-code"
    elif case == "base_unreachable":
        stack.base.add_fault("drop_before", path_prefix="/1/oauth/token", rate=1.0)
    answer = stack.http("GET", "/oauth/callback", query=query)
    stack.base.clear_faults()
    assert answer.status == status, answer.body
    assert answer.headers["content-type"].startswith("text/html")
    assert phrase in answer.body
    assert not _shop_exists(stack, "shop-a")
    assert not _secret_exists(stack, "shop-a")


def test_a_state_works_once(stack: StackUnderTest):
    stack.base.create_shop("shop-a", "テスト商店")
    query = _consent(stack, "shop-a", _start(stack)["state"])
    assert stack.http("GET", "/oauth/callback", query=query).status == 200
    replay = stack.http("GET", "/oauth/callback", query=query)
    assert replay.status == 400
    assert "already used" in replay.body


def test_callback_escapes_what_it_echoes(stack: StackUnderTest):
    state = _start(stack)["state"]
    hostile = '<script>alert("x")</script>'
    answer = stack.http("GET", "/oauth/callback", query={"state": state, "error": hostile})
    assert answer.status == 400
    assert "<script>" not in answer.body
    assert "&lt;script&gt;" in answer.body


def test_an_overlong_state_is_unknown_without_a_lookup(stack: StackUnderTest):
    answer = stack.http("GET", "/oauth/callback", query={"state": "s" * 5000, "code": "c"})
    assert answer.status == 400
    assert "not valid" in answer.body


def test_our_own_failures_are_still_readable_answers(stack: StackUnderTest):
    """AWS failing under us: the browser gets an HTML page (500), the API a contract error body, never a bare 502."""
    import boto3  # noqa: PLC0415

    state = _start(stack)["state"]
    boto3.client("dynamodb", region_name="ap-northeast-1").delete_table(
        TableName=stack.local.refs["OAuthStatesTable"]
    )
    page = stack.http("GET", "/oauth/callback", query={"state": state, "code": "c"})
    assert page.status == 500
    assert page.headers["content-type"].startswith("text/html")
    assert "Something went wrong on our side" in page.body
    answer = stack.http("POST", "/connect")
    assert answer.status == 500
    assert answer.json()["error"] == "internal_error"
