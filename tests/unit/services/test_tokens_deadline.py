"""The token provider's time rules with in-process fakes (issue 12, item 13): a refresh ends inside
its lease, the lease is taken only with time for a whole refresh, API paths never refresh."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
from pydantic import SecretStr

from base_sync.base_api import BaseClient, TokenPair
from base_sync.dal.locks import LeaseRepository
from base_sync.dal.secrets import SecretsStore
from base_sync.dal.shops import ShopRepository
from base_sync.domain.deadline import Deadline
from base_sync.domain.shop import Shop, ShopTokens
from base_sync.services import tokens as tokens_module
from base_sync.services.alerts import Alerts
from base_sync.services.errors import TokenRefreshNeeded
from base_sync.services.tokens import RefreshPolicy, TokenProvider, refresh_needs_seconds

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class FakeSecrets:
    def __init__(self, tokens: ShopTokens) -> None:
        self.tokens = tokens
        self.writes: list[Deadline | None] = []

    def shop_tokens(self, shop_id: str) -> ShopTokens:
        return self.tokens

    def put_shop_tokens(self, tokens: ShopTokens, *, deadline: Deadline | None = None) -> None:
        self.writes.append(deadline)
        self.tokens = tokens


class FakeLeases:
    def __init__(self) -> None:
        self.acquired: list[float] = []
        self.markers: dict[str, str] = {}

    def acquire(self, lock_id: str, *, seconds: float, now: float | None = None) -> str | None:
        self.acquired.append(seconds)
        return "owner"

    def release(self, lock_id: str, owner: str) -> None:
        pass

    def put_marker(self, marker_id: str, owner: str, *, started_at: str) -> dict[str, Any] | None:
        self.markers[marker_id] = owner
        return None

    def clear_marker(self, marker_id: str, owner: str) -> None:
        self.markers.pop(marker_id, None)


class FakeShops:
    def get(self, shop_id: str) -> Shop:
        return Shop(shop_id=shop_id)

    def record_tokens_refreshed(self, shop_id: str, *, now_iso: str) -> None:
        pass


class FakeClient:
    def __init__(self, deadline: Deadline | None = None) -> None:
        self.deadlines: list[Deadline | None] = []
        self.deadline = deadline or Deadline.never()

    def refresh_tokens(self, refresh_token: SecretStr, *, deadline: Deadline | None = None) -> TokenPair:
        self.deadlines.append(deadline)
        return TokenPair.model_validate(
            {"access_token": "a2", "refresh_token": "r2", "token_type": "bearer", "expires_in": 3600}
        )


def _expired() -> ShopTokens:
    return ShopTokens(
        shop_id="shop-a",
        access_token=SecretStr("a1"),
        refresh_token=SecretStr("r1"),
        expires_at=NOW - timedelta(seconds=1),
        issued_at=NOW - timedelta(hours=1),
    )


def _provider(
    secrets: FakeSecrets,
    leases: FakeLeases,
    client: FakeClient,
    deadline: Deadline | None,
    policy: RefreshPolicy,
) -> TokenProvider:
    return TokenProvider(
        client=cast(BaseClient, client),
        secrets=cast(SecretsStore, secrets),
        shops=cast(ShopRepository, FakeShops()),
        leases=cast(LeaseRepository, leases),
        alerts=cast(Alerts, object()),
        policy=policy,
        deadline=deadline,
        now=lambda: NOW,
        sleep=lambda seconds: None,
    )


def test_a_whole_refresh_fits_inside_the_lease():
    assert refresh_needs_seconds() <= tokens_module.LEASE_SECONDS
    assert (
        tokens_module.REFRESH_CALL_SECONDS
        + tokens_module.SECRET_WRITE_SECONDS
        + tokens_module.LEASE_SAFETY_SECONDS
        <= tokens_module.LEASE_SECONDS
    )


def test_the_refresh_call_and_the_write_are_bounded_by_the_lease():
    clock = Clock()
    secrets, leases, client = FakeSecrets(_expired()), FakeLeases(), FakeClient()
    provider = _provider(secrets, leases, client, Deadline.after(600, clock=clock), RefreshPolicy.MAY_REFRESH)
    assert provider.access_token("shop-a") == "a2"
    call_deadline = client.deadlines[0]
    write_deadline = secrets.writes[0]
    assert call_deadline is not None and write_deadline is not None
    assert call_deadline.remaining() <= tokens_module.REFRESH_CALL_SECONDS
    assert write_deadline.remaining() <= tokens_module.LEASE_SECONDS - tokens_module.LEASE_SAFETY_SECONDS
    assert leases.acquired == [tokens_module.LEASE_SECONDS]
    assert leases.markers == {}  # the pair is stored: the "refresh started" marker is cleared


def test_the_lease_is_not_taken_without_time_for_a_whole_refresh():
    clock = Clock()
    secrets, leases, client = FakeSecrets(_expired()), FakeLeases(), FakeClient()
    provider = _provider(
        secrets,
        leases,
        client,
        Deadline.after(refresh_needs_seconds() - 1, clock=clock),
        RefreshPolicy.MAY_REFRESH,
    )
    with pytest.raises(TokenRefreshNeeded):
        provider.access_token("shop-a")
    assert leases.acquired == [] and client.deadlines == []


def test_api_policy_never_refreshes():
    clock = Clock()
    secrets, leases, client = FakeSecrets(_expired()), FakeLeases(), FakeClient()
    provider = _provider(secrets, leases, client, Deadline.after(25, clock=clock), RefreshPolicy.NEVER)
    with pytest.raises(TokenRefreshNeeded) as caught:
        provider.access_token("shop-a")
    assert caught.value.reason == "token_refresh_needed"
    assert not caught.value.may_have_applied
    assert leases.acquired == [] and client.deadlines == []


def test_without_a_deadline_of_its_own_the_provider_keeps_to_its_clients():
    """The job worker bounds its client by the job's deadline and builds the provider from it."""
    clock = Clock()
    secrets, leases = FakeSecrets(_expired()), FakeLeases()
    client = FakeClient(Deadline.after(refresh_needs_seconds() - 1, clock=clock))
    provider = _provider(secrets, leases, client, None, RefreshPolicy.MAY_REFRESH)
    with pytest.raises(TokenRefreshNeeded):
        provider.access_token("shop-a")
    assert leases.acquired == [] and client.deadlines == []
