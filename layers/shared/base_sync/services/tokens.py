"""A valid access token for any shop, from any function, with at most one refresh in flight per shop.

BASE's refresh tokens are single-use: two invocations refreshing the same shop at once would
burn the token and lock the shop out. So a refresh happens only under a DynamoDB lease, and
the holder re-reads the secret first (another invocation may have refreshed already) and
stores the new pair before anyone uses it. Everyone else waits for the new secret.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

from base_sync.base_api import AccessTokenInvalid, BaseClient, RefreshTokenInvalid, TransientError
from base_sync.dal.locks import LeaseRepository
from base_sync.dal.secrets import SecretsStore, tokens_from_pair
from base_sync.dal.shops import ShopRepository
from base_sync.domain.shop import ShopStatus, ShopTokens
from base_sync.observability import logger, metrics
from base_sync.services.alerts import Alerts

T = TypeVar("T")

REFRESH_MARGIN_SECONDS = 300  # refresh when less than 5 minutes of validity remain
LEASE_SECONDS = 30  # longer than one refresh call (connect + read timeout), shorter than a Lambda run
WAIT_FOR_OTHERS_SECONDS = 25


class ShopNeedsReauth(Exception):
    """The shop's refresh token is dead: only reconnecting the shop helps. Skip the shop."""

    def __init__(self, shop_id: str, reason: str) -> None:
        super().__init__(f"shop {shop_id} needs to be connected again ({reason})")
        self.shop_id = shop_id
        self.reason = reason


class TokenProvider:
    def __init__(
        self,
        *,
        client: BaseClient,
        secrets: SecretsStore,
        shops: ShopRepository,
        leases: LeaseRepository,
        alerts: Alerts,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.secrets = secrets
        self.shops = shops
        self.leases = leases
        self.alerts = alerts
        self._now = now
        self._sleep = sleep
        self._cache: dict[str, ShopTokens] = {}

    def access_token(self, shop_id: str) -> str:
        """A token with at least five minutes left, refreshing first when needed."""
        tokens = self._cache.get(shop_id)
        if tokens is None or not self._fresh(tokens):
            tokens = self.secrets.shop_tokens(shop_id)
        if not self._fresh(tokens):
            tokens = self._refresh(shop_id, needed=lambda t: not self._fresh(t))
        self._cache[shop_id] = tokens
        return tokens.access_token.get_secret_value()

    def refresh_after_rejection(self, shop_id: str, rejected_token: str) -> str:
        """BASE refused ``rejected_token`` early: refresh, unless someone already replaced it."""
        self._cache.pop(shop_id, None)
        tokens = self._refresh(shop_id, needed=lambda t: t.access_token.get_secret_value() == rejected_token)
        self._cache[shop_id] = tokens
        return tokens.access_token.get_secret_value()

    def refresh_if_older_than(self, shop_id: str, max_age_seconds: float) -> bool:
        """Keep-alive: refresh when the pair is older than ``max_age_seconds``. True if it refreshed."""
        before = self.secrets.shop_tokens(shop_id)
        if (self._now() - before.issued_at).total_seconds() < max_age_seconds:
            return False
        after = self._refresh(
            shop_id, needed=lambda t: (self._now() - t.issued_at).total_seconds() >= max_age_seconds
        )
        self._cache[shop_id] = after
        return after.issued_at != before.issued_at

    def _fresh(self, tokens: ShopTokens) -> bool:
        return tokens.seconds_left(self._now()) > REFRESH_MARGIN_SECONDS

    def _refresh(self, shop_id: str, *, needed: Callable[[ShopTokens], bool]) -> ShopTokens:
        lock_id = f"token-refresh#{shop_id}"
        deadline = time.monotonic() + WAIT_FOR_OTHERS_SECONDS
        while True:
            owner = self.leases.acquire(lock_id, seconds=LEASE_SECONDS, now=self._now().timestamp())
            if owner is not None:
                try:
                    return self._refresh_holding_lease(shop_id, needed)
                finally:
                    self.leases.release(lock_id, owner)
            # Another invocation is refreshing this shop: wait for its new pair.
            self._sleep(0.2)
            current = self.secrets.shop_tokens(shop_id)
            if not needed(current):
                return current
            if time.monotonic() > deadline:
                raise TransientError(f"token refresh of shop {shop_id} is taking too long elsewhere")

    def _refresh_holding_lease(self, shop_id: str, needed: Callable[[ShopTokens], bool]) -> ShopTokens:
        current = self.secrets.shop_tokens(shop_id)
        if not needed(current):
            return current
        shop = self.shops.get(shop_id)
        if shop.status is ShopStatus.NEEDS_REAUTH:
            raise ShopNeedsReauth(shop_id, "already_marked")
        try:
            pair = self.client.refresh_tokens(current.refresh_token)
        except RefreshTokenInvalid as exc:
            latest = self.secrets.shop_tokens(shop_id)
            if latest.refresh_token != current.refresh_token:
                return latest  # replaced meanwhile by a holder whose lease had run out
            self._needs_reauth(shop_id, exc.reason)
            raise ShopNeedsReauth(shop_id, exc.reason) from None
        now = self._now()
        tokens = tokens_from_pair(shop_id, pair.access_token, pair.refresh_token, pair.expires_in, now)
        self.secrets.put_shop_tokens(tokens)
        self.shops.record_tokens_refreshed(shop_id, now_iso=now.isoformat())
        metrics.add_metric(name="TokenRefreshes", unit="Count", value=1)
        logger.info("refreshed tokens", extra={"shop_id": shop_id})
        return tokens

    def _needs_reauth(self, shop_id: str, reason: str) -> None:
        if self.shops.mark_needs_reauth(shop_id, reason=reason, now_iso=self._now().isoformat()):
            metrics.add_metric(name="ShopsNeedingReauth", unit="Count", value=1)
            self.alerts.send(
                f"base-order-sync: reconnect shop {shop_id}",
                f"BASE no longer accepts the refresh token of shop {shop_id} ({reason}).\n"
                "Imports and exports of this shop are paused until it is connected again:\n"
                "call POST /connect (or `base-sync connect`) and approve the app in BASE.",
            )


class ShopApi:
    """BASE calls for one shop, with the token handled: on an access-token error, refresh once, retry once."""

    def __init__(self, client: BaseClient, tokens: TokenProvider, shop_id: str) -> None:
        self.client = client
        self.tokens = tokens
        self.shop_id = shop_id

    def call(self, operation: Callable[[str], T]) -> T:
        token = self.tokens.access_token(self.shop_id)
        try:
            return operation(token)
        except AccessTokenInvalid:
            token = self.tokens.refresh_after_rejection(self.shop_id, token)
            return operation(token)
