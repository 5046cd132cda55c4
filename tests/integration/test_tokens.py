"""The token provider: refresh under a lease, one refresh per shop, re-authorisation alerts, keep-alive."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from tests.support.flows import AlertInbox, age_tokens, connect_shop
from tests.support.stack import CLIENT_SECRET, StackUnderTest

from base_sync import aws, wiring
from base_sync.base_api import BaseClient, TransientError
from base_sync.dal.locks import LeaseRepository
from base_sync.dal.secrets import SecretsStore, shop_secret_name
from base_sync.domain.shop import ShopTokens
from base_sync.services.errors import ShopNeedsReauth
from base_sync.services.tokens import ShopTokenCaller
from devstack.handlers import FakeContext

pytestmark = pytest.mark.integration


def _refreshes(stack: StackUnderTest, shop_id: str) -> int:
    return int(stack.base.tokens()["shops"][shop_id]["refreshes_succeeded"])


def test_eight_concurrent_invocations_cause_exactly_one_refresh(stack: StackUnderTest):
    connect_shop(stack)
    stack.base.expire_tokens("shop-a")
    age_tokens(stack, "shop-a", expires_in=timedelta(seconds=-10), issued_ago=timedelta(hours=1))
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
    age_tokens(stack, "shop-a", expires_in=timedelta(minutes=6), issued_ago=timedelta(minutes=54))
    with stack.env():
        wiring.token_provider(wiring.base_client()).access_token("shop-a")
    assert _refreshes(stack, "shop-a") == 0
    age_tokens(stack, "shop-a", expires_in=timedelta(minutes=4), issued_ago=timedelta(minutes=56))
    with stack.env():
        wiring.token_provider(wiring.base_client()).access_token("shop-a")
    assert _refreshes(stack, "shop-a") == 1


def test_rejected_access_token_is_refreshed_once_and_the_call_retried_once(stack: StackUnderTest):
    connect_shop(stack)
    stack.base.expire_tokens("shop-a")  # BASE stops accepting it, though our copy says it is valid
    with stack.env():
        client = wiring.base_client()
        api = ShopTokenCaller(client, wiring.token_provider(client), "shop-a")
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
        age_tokens(stack, shop_id, expires_in=timedelta(seconds=-1), issued_ago=timedelta(hours=2))
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
    age_tokens(stack, "shop-old", expires_in=timedelta(minutes=30), issued_ago=timedelta(days=6, hours=1))
    report = stack.invoke("TokenKeepaliveFunction", {"source": "aws.scheduler"})
    assert report["refreshed"] == ["shop-old"]
    assert report["fresh"] == ["shop-new"]
    assert _refreshes(stack, "shop-old") == 1
    assert _refreshes(stack, "shop-new") == 0


def test_keepalive_carries_on_past_a_dead_shop(stack: StackUnderTest):
    connect_shop(stack, "shop-a", "A店")
    connect_shop(stack, "shop-b", "B店")
    for shop_id in ("shop-a", "shop-b"):
        age_tokens(stack, shop_id, expires_in=timedelta(minutes=30), issued_ago=timedelta(days=7))
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
        ShopTokenCaller(client, wiring.token_provider(client), "shop-a").call(client.get_me)
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


# --- issue 12, item 13: refreshes that survive faults, API paths that never refresh -----------------


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


class SecretWriteFaults:
    """Fails the first ``count`` PutSecretValue requests at the botocore edge (a 500 from Secrets
    Manager, as the client would see it); botocore's own retries count as requests too."""

    def __init__(self, count: int) -> None:
        self.left = count
        self.injected = 0
        self._lock = threading.Lock()
        self._session = boto3._get_default_session()

    def _hook(self, request: Any, **_: Any) -> AWSResponse | None:
        raw = request.headers.get("X-Amz-Target")
        target = raw.decode() if isinstance(raw, bytes) else str(raw or "")
        if not target.endswith(".PutSecretValue"):
            return None
        with self._lock:
            if self.left <= 0:
                return None
            self.left -= 1
            self.injected += 1
        body = json.dumps({"__type": "InternalServiceError", "message": "injected"}).encode()
        headers = {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": "fault"}
        return AWSResponse(request.url, 500, headers, _Raw(body))  # type: ignore[arg-type]

    def __enter__(self) -> SecretWriteFaults:
        self._session.events.register("before-send.secrets-manager", self._hook, unique_id="tokens-sm")  # type: ignore[arg-type]
        aws.reset_clients()  # clients copy the session's hooks when they are made
        return self

    def __exit__(self, *exc: object) -> None:
        self._session.events.unregister("before-send.secrets-manager", unique_id="tokens-sm")
        aws.reset_clients()


def _expire(stack: StackUnderTest, shop_id: str) -> None:
    stack.base.expire_tokens(shop_id)
    age_tokens(stack, shop_id, expires_in=timedelta(seconds=-10), issued_ago=timedelta(hours=1))


def _status(stack: StackUnderTest, shop_id: str) -> str:
    with stack.env():
        return str(wiring.shop_repository().get(shop_id).status)


def test_a_failing_secret_write_is_retried_so_the_rotated_pair_is_kept(stack: StackUnderTest):
    """BASE has rotated the pair before we write it: a write that fails through all of botocore's
    attempts (six: ``max_attempts=5`` counts retries) must be retried by us, or the shop is lost
    at its next refresh."""
    connect_shop(stack)
    _expire(stack, "shop-a")
    with stack.env("JobWorkerFunction"), SecretWriteFaults(count=6) as faults:
        client = wiring.base_client()
        token = wiring.token_provider(client).access_token("shop-a")
        assert client.get_me(token).shop_id == "shop-a"
    assert faults.injected == 6
    with stack.env("JobWorkerFunction"):  # a later invocation finds the new pair stored
        client = wiring.base_client()
        again = wiring.token_provider(client).access_token("shop-a")
        assert again == token
        assert client.get_me(again).shop_id == "shop-a"
    assert _refreshes(stack, "shop-a") == 1
    assert _status(stack, "shop-a") == "connected"


def test_eight_invocations_under_secret_write_faults_and_a_slow_refresh_keep_the_shop_healthy(
    stack: StackUnderTest,
):
    inbox = AlertInbox(stack)
    connect_shop(stack)
    _expire(stack, "shop-a")
    stack.base.add_fault("slow", count=1, delay_seconds=1.5, path_prefix="/1/oauth/token")
    results: list[str] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def invocation() -> None:
        try:
            client = wiring.base_client()
            provider = wiring.token_provider(client)
            barrier.wait()
            token = provider.access_token("shop-a")
            client.get_me(token)
            results.append(token)
        except BaseException as exc:
            errors.append(exc)

    with stack.env("JobWorkerFunction"), SecretWriteFaults(count=6):
        threads = [threading.Thread(target=invocation) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert errors == []
    assert len(results) == 8 and len(set(results)) == 1
    assert _refreshes(stack, "shop-a") == 1
    assert _status(stack, "shop-a") == "connected"
    assert inbox.messages() == []


def test_a_refresh_slower_than_the_lease_is_never_held_past_it_and_the_shop_stays_healthy(
    stack: StackUnderTest, monkeypatch: pytest.MonkeyPatch
):
    """BASE takes longer to answer than the lease lasts (scaled down: a 4 s lease, BASE 5 s). The
    holder must stop before its lease ends (so a second holder never runs beside one that may
    still store a pair); the next holder refreshes, and the shop stays connected."""
    from base_sync.services import tokens as tokens_module  # noqa: PLC0415

    monkeypatch.setattr(tokens_module, "LEASE_SECONDS", 4.0)
    monkeypatch.setattr(tokens_module, "LEASE_SAFETY_SECONDS", 0.5, raising=False)
    monkeypatch.setattr(tokens_module, "REFRESH_CALL_SECONDS", 1.5, raising=False)
    monkeypatch.setattr(tokens_module, "SECRET_WRITE_SECONDS", 1.5, raising=False)
    held: list[float] = []
    taken: dict[str, float] = {}
    original_acquire, original_release = LeaseRepository.acquire, LeaseRepository.release

    def acquire(self: LeaseRepository, lock_id: str, **kwargs: Any) -> str | None:
        owner = original_acquire(self, lock_id, **kwargs)
        if owner is not None and lock_id.startswith("token-refresh#"):
            taken[owner] = time.monotonic()
        return owner

    def release(self: LeaseRepository, lock_id: str, owner: str) -> None:
        if owner in taken:
            held.append(time.monotonic() - taken.pop(owner))
        original_release(self, lock_id, owner)

    monkeypatch.setattr(LeaseRepository, "acquire", acquire)
    monkeypatch.setattr(LeaseRepository, "release", release)
    inbox = AlertInbox(stack)
    connect_shop(stack)
    _expire(stack, "shop-a")
    stack.base.add_fault("slow", count=1, delay_seconds=5.0, path_prefix="/1/oauth/token")
    outcomes: dict[str, Any] = {}

    def invocation(name: str, delay: float) -> None:
        time.sleep(delay)
        try:
            client = wiring.base_client()
            outcomes[name] = wiring.token_provider(client).access_token("shop-a")
        except BaseException as exc:
            outcomes[name] = exc

    with stack.env("JobWorkerFunction"):
        threads = [
            threading.Thread(target=invocation, args=("first", 0.0)),
            threading.Thread(target=invocation, args=("second", 0.5)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    time.sleep(1.0)  # the sandbox finishes the slow call (it spends the old refresh token late)
    assert held and all(seconds < 4.0 for seconds in held), held
    assert isinstance(outcomes["first"], TransientError), outcomes  # stopped waiting, inside its lease
    assert outcomes["first"].may_have_applied  # and says BASE may have rotated (the marker stays)
    assert isinstance(outcomes["second"], str), outcomes
    with stack.env("JobWorkerFunction"):
        client = wiring.base_client()
        token = wiring.token_provider(client).access_token("shop-a")
        assert client.get_me(token).shop_id == "shop-a"
    assert _status(stack, "shop-a") == "connected"
    assert inbox.messages() == []


class ProcessDied(BaseException):
    """Lambda stopping the process: no ``except Exception`` (and no cleanup of ours) runs."""


def test_a_pair_lost_in_a_crash_is_alerted_as_lost(stack: StackUnderTest, monkeypatch: pytest.MonkeyPatch):
    """The one unavoidable loss: BASE answered with a new pair, the process died before the write.
    The next refresh finds the "refresh started" marker of the holder that never finished, BASE
    refuses the burned refresh token, and the alert says the pair was most likely lost."""
    inbox = AlertInbox(stack)
    connect_shop(stack)
    _expire(stack, "shop-a")
    original_put = SecretsStore.put_shop_tokens

    def put_then_die(self: SecretsStore, tokens: ShopTokens, **kwargs: Any) -> None:
        raise ProcessDied

    monkeypatch.setattr(SecretsStore, "put_shop_tokens", put_then_die)
    with stack.env("JobWorkerFunction"), pytest.raises(ProcessDied):
        wiring.token_provider(wiring.base_client()).access_token("shop-a")
    monkeypatch.setattr(SecretsStore, "put_shop_tokens", original_put)
    assert _refreshes(stack, "shop-a") == 1  # BASE rotated; the new pair died with the process
    with stack.env("JobWorkerFunction"), pytest.raises(ShopNeedsReauth):
        wiring.token_provider(wiring.base_client()).access_token("shop-a")
    assert _status(stack, "shop-a") == "needs_reauth"
    alerts = inbox.messages()
    assert len(alerts) == 1
    assert "lost" in alerts[0]["Subject"] and "shop-a" in alerts[0]["Subject"]
    message = alerts[0]["Message"]
    assert message.index("失われた") < message.index("most likely lost")  # Japanese first, then English


def test_an_ordinary_revocation_is_not_reported_as_a_lost_pair(stack: StackUnderTest):
    inbox = AlertInbox(stack)
    connect_shop(stack)
    _expire(stack, "shop-a")
    stack.base.revoke_tokens("shop-a")
    with stack.env("JobWorkerFunction"), pytest.raises(ShopNeedsReauth):
        wiring.token_provider(wiring.base_client()).access_token("shop-a")
    alerts = inbox.messages()
    assert len(alerts) == 1
    assert "lost" not in alerts[0]["Subject"]
    assert alerts[0]["Subject"] == "base-order-sync: reconnect shop shop-a"


def test_api_paths_never_refresh_they_answer_503_with_retry_after(stack: StackUnderTest):
    from tests.support.orders import import_now, make_orders, ship  # noqa: PLC0415

    connect_shop(stack, "shop-d", "D店")
    key = make_orders(stack, "shop-d", [{}])[0]
    import_now(stack, "shop-d")
    ship(stack, "shop-d", key)
    _expire(stack, "shop-d")
    answer = stack.http("POST", "/exports", body={"shop_id": "shop-d", "dry_run": True})
    assert answer.status == 503, answer.body
    assert answer.headers.get("retry-after") == "60"
    body = answer.json()
    assert body["error"] == "token_refresh_needed"
    assert "トークン" in body["message"] and "access token" in body["message"]
    assert _refreshes(stack, "shop-d") == 0  # the API did not touch the refresh token
    import_now(stack, "shop-d")  # a job refreshes; then the API path works again
    assert _refreshes(stack, "shop-d") == 1
    again = stack.http("POST", "/exports", body={"shop_id": "shop-d", "dry_run": True})
    assert again.status == 200, again.body
    assert again.json()["plan"][0]["action"] == "dispatch"


def test_api_paths_use_a_token_that_is_still_valid_inside_the_refresh_margin(stack: StackUnderTest):
    """Four minutes left: a job would refresh (margin five minutes), an API path just uses it."""
    from tests.support.orders import import_now, make_orders, ship  # noqa: PLC0415

    connect_shop(stack, "shop-d", "D店")
    key = make_orders(stack, "shop-d", [{}])[0]
    import_now(stack, "shop-d")
    ship(stack, "shop-d", key)
    before = _refreshes(stack, "shop-d")
    age_tokens(stack, "shop-d", expires_in=timedelta(minutes=4), issued_ago=timedelta(minutes=56))
    answer = stack.http("POST", "/exports", body={"shop_id": "shop-d", "dry_run": True})
    assert answer.status == 200, answer.body
    assert answer.json()["plan"][0]["action"] == "dispatch"  # BASE's company list came with that token
    assert _refreshes(stack, "shop-d") == before


def test_keepalive_goes_oldest_first_and_stops_with_time_to_spare(
    stack: StackUnderTest, monkeypatch: pytest.MonkeyPatch
):
    for shop_id in ("shop-c", "shop-a", "shop-b"):  # connected in this order: shop-c's pair is oldest
        connect_shop(stack, shop_id, shop_id)
    for shop_id in ("shop-c", "shop-a", "shop-b"):
        age_tokens(stack, shop_id, expires_in=timedelta(minutes=30), issued_ago=timedelta(days=6, hours=1))
    report = stack.invoke("TokenKeepaliveFunction", {})
    assert report["refreshed"] == ["shop-c", "shop-a", "shop-b"]
    assert report["not_reached"] == []
    from base_sync.services.keepalive import SPARE_SECONDS  # noqa: PLC0415
    from base_sync.services.tokens import refresh_needs_seconds  # noqa: PLC0415

    for shop_id in ("shop-c", "shop-a", "shop-b"):
        age_tokens(stack, shop_id, expires_in=timedelta(minutes=30), issued_ago=timedelta(days=6, hours=1))
    # Time for one whole refresh and a little more; each refresh takes 1.2 s at BASE.
    remaining = 10.0 + refresh_needs_seconds() + SPARE_SECONDS + 0.6
    monkeypatch.setattr(FakeContext, "get_remaining_time_in_millis", lambda self: int(remaining * 1000))
    stack.base.add_fault("slow", delay_seconds=1.2, path_prefix="/1/oauth/token")
    report = stack.invoke("TokenKeepaliveFunction", {})
    assert report["refreshed"] == ["shop-c"]
    assert report["not_reached"] == ["shop-a", "shop-b"]


def test_a_secret_holding_another_shops_tokens_is_never_used(stack: StackUnderTest):
    connect_shop(stack, "shop-a", "A店")
    connect_shop(stack, "shop-b", "B店")
    with stack.env():
        store = wiring.secrets_store()
        b_tokens = store.shop_tokens("shop-b")
        sm = boto3.client("secretsmanager", region_name=stack.local.region)
        sm.put_secret_value(
            SecretId=shop_secret_name(store.shop_prefix, "shop-a"), SecretString=b_tokens.to_secret_string()
        )
        for read in (
            lambda: store.shop_tokens("shop-a"),
            lambda: wiring.token_provider(wiring.base_client()).access_token("shop-a"),
        ):
            try:
                got = read()
            except Exception as exc:
                assert type(exc).__name__ == "SecretShopMismatch", exc
                assert b_tokens.access_token.get_secret_value() not in str(exc)
            else:
                pytest.fail(f"shop-a's secret was used although it holds another shop's tokens: {got!r}")


def test_shop_ids_that_used_to_share_a_secret_get_their_own(stack: StackUnderTest):
    """``a/b`` and ``a_2f_b`` were both stored as ``…/shops/a_2f_b``: each now reads its own pair."""
    connect_shop(stack, "a/b", "スラッシュ店")
    connect_shop(stack, "a_2f_b", "下線店")
    with stack.env():
        store = wiring.secrets_store()
        assert store.shop_tokens("a/b").shop_id == "a/b"
        assert store.shop_tokens("a_2f_b").shop_id == "a_2f_b"
        client = wiring.base_client()
        provider = wiring.token_provider(client)
        assert client.get_me(provider.access_token("a/b")).shop_id == "a/b"
        assert client.get_me(provider.access_token("a_2f_b")).shop_id == "a_2f_b"
