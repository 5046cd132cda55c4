"""The token provider: refresh under a lease, one refresh per shop, re-authorisation alerts, keep-alive."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from tests.support.flows import AlertInbox, connect_shop
from tests.support.stack import CLIENT_SECRET, StackUnderTest

from base_sync import wiring
from base_sync.base_api import BaseClient
from base_sync.domain.shop import ShopTokens
from base_sync.services.tokens import ShopApi, ShopNeedsReauth

pytestmark = pytest.mark.integration


def _age_tokens(
    stack: StackUnderTest, shop_id: str, *, expires_in: timedelta, issued_ago: timedelta
) -> ShopTokens:
    """Rewrite the stored pair's times, as if it had been issued ``issued_ago``."""
    with stack.env():
        store = wiring.secrets_store()
        tokens = store.shop_tokens(shop_id)
        now = datetime.now(UTC)
        aged = tokens.model_copy(update={"expires_at": now + expires_in, "issued_at": now - issued_ago})
        store.put_shop_tokens(aged)
        return aged


def _refreshes(stack: StackUnderTest, shop_id: str) -> int:
    return int(stack.base.tokens()["shops"][shop_id]["refreshes_succeeded"])


def test_eight_concurrent_invocations_cause_exactly_one_refresh(stack: StackUnderTest):
    connect_shop(stack)
    stack.base.expire_tokens("shop-a")
    _age_tokens(stack, "shop-a", expires_in=timedelta(seconds=-10), issued_ago=timedelta(hours=1))
    results: list[str] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def invocation() -> None:
        try:
            client = wiring.base_client()  # each invocation has its own client and provider
            provider = wiring.token_provider(client)
            barrier.wait()
            token = provider.access_token("shop-a")
            client.get_me(token)  # the token works at BASE
            results.append(token)
        except BaseException as exc:
            errors.append(exc)

    with stack.env():
        threads = [threading.Thread(target=invocation) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert errors == []
    assert len(results) == 8
    assert len(set(results)) == 1
    assert _refreshes(stack, "shop-a") == 1


def test_refresh_happens_only_inside_the_margin(stack: StackUnderTest):
    connect_shop(stack)
    _age_tokens(stack, "shop-a", expires_in=timedelta(minutes=6), issued_ago=timedelta(minutes=54))
    with stack.env():
        wiring.token_provider(wiring.base_client()).access_token("shop-a")
    assert _refreshes(stack, "shop-a") == 0
    _age_tokens(stack, "shop-a", expires_in=timedelta(minutes=4), issued_ago=timedelta(minutes=56))
    with stack.env():
        wiring.token_provider(wiring.base_client()).access_token("shop-a")
    assert _refreshes(stack, "shop-a") == 1


def test_rejected_access_token_is_refreshed_once_and_the_call_retried_once(stack: StackUnderTest):
    connect_shop(stack)
    stack.base.expire_tokens("shop-a")  # BASE stops accepting it, though our copy says it is valid
    with stack.env():
        client = wiring.base_client()
        api = ShopApi(client, wiring.token_provider(client), "shop-a")
        user = api.call(client.get_me)
    assert user.shop_id == "shop-a"
    assert _refreshes(stack, "shop-a") == 1
    assert client.calls.by_endpoint["users_me"] == 2


def test_revoked_refresh_token_marks_shop_needs_reauth_with_one_alert(stack: StackUnderTest):
    inbox = AlertInbox(stack)
    connect_shop(stack, "shop-a", "A店")
    connect_shop(stack, "shop-b", "B店")
    for shop_id in ("shop-a", "shop-b"):
        stack.base.expire_tokens(shop_id)
        _age_tokens(stack, shop_id, expires_in=timedelta(seconds=-1), issued_ago=timedelta(hours=2))
    stack.base.revoke_tokens("shop-a")
    with stack.env():
        for _ in range(2):  # a second attempt must not alert again
            provider = wiring.token_provider(wiring.base_client())
            with pytest.raises(ShopNeedsReauth):
                provider.access_token("shop-a")
        token_b = wiring.token_provider(wiring.base_client()).access_token("shop-b")
        wiring.base_client().get_me(token_b)
        shops = {s.shop_id: s for s in wiring.shop_repository().list()}
    assert shops["shop-a"].status == "needs_reauth"
    assert shops["shop-b"].status == "connected"
    alerts = inbox.messages()
    assert len(alerts) == 1
    assert "shop-a" in alerts[0]["Subject"]


def test_keepalive_refreshes_old_pairs_only(stack: StackUnderTest):
    connect_shop(stack, "shop-old", "古い店")
    connect_shop(stack, "shop-new", "新しい店")
    _age_tokens(stack, "shop-old", expires_in=timedelta(minutes=30), issued_ago=timedelta(days=6, hours=1))
    report = stack.invoke("TokenKeepaliveFunction", {"source": "aws.scheduler"})
    assert report["refreshed"] == ["shop-old"]
    assert report["fresh"] == ["shop-new"]
    assert _refreshes(stack, "shop-old") == 1
    assert _refreshes(stack, "shop-new") == 0


def test_keepalive_carries_on_past_a_dead_shop(stack: StackUnderTest):
    connect_shop(stack, "shop-a", "A店")
    connect_shop(stack, "shop-b", "B店")
    for shop_id in ("shop-a", "shop-b"):
        _age_tokens(stack, shop_id, expires_in=timedelta(minutes=30), issued_ago=timedelta(days=7))
    stack.base.revoke_tokens("shop-a")
    report = stack.invoke("TokenKeepaliveFunction", {})
    assert report["needs_reauth"] == ["shop-a"]
    assert report["refreshed"] == ["shop-b"]


def test_no_token_or_secret_in_logs_or_responses(stack: StackUnderTest, capsys, caplog):
    """Our own logs at DEBUG (third-party wire logs such as botocore's stay at their default level)."""
    caplog.set_level("DEBUG", logger="base-order-sync")
    connect_shop(stack)
    stack.base.expire_tokens("shop-a")
    with stack.env():
        first = wiring.secrets_store().shop_tokens("shop-a")
        client = wiring.base_client()
        ShopApi(client, wiring.token_provider(client), "shop-a").call(client.get_me)
        second = wiring.secrets_store().shop_tokens("shop-a")
    stack.invoke("TokenKeepaliveFunction", {})
    answer = stack.http("POST", "/connect")
    captured = capsys.readouterr()
    records = " ".join(str(record.__dict__) for record in caplog.records)  # message and every extra field
    text = captured.out + captured.err + caplog.text + records + answer.body
    assert "shop-a" in text  # the logs were captured at all
    secrets = {
        CLIENT_SECRET,
        first.access_token.get_secret_value(),
        first.refresh_token.get_secret_value(),
        second.access_token.get_secret_value(),
        second.refresh_token.get_secret_value(),
    }
    assert len(secrets) == 5
    for value in secrets:
        assert value not in text


def test_token_client_has_no_state_shared_between_shops(stack: StackUnderTest):
    """One BaseClient serves many shops: tokens are passed per call, never remembered."""
    connect_shop(stack, "shop-a", "A店")
    connect_shop(stack, "shop-b", "B店")
    with stack.env():
        client: BaseClient = wiring.base_client()
        provider = wiring.token_provider(client)
        assert client.get_me(provider.access_token("shop-a")).shop_id == "shop-a"
        assert client.get_me(provider.access_token("shop-b")).shop_id == "shop-b"
