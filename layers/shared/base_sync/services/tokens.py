"""A valid access token for any shop, from any function, with at most one refresh in flight per shop.

BASE's refresh tokens are single-use: two invocations refreshing the same shop at once would
burn the token and lock the shop out. So a refresh happens only under a DynamoDB lease, and
the holder re-reads the secret first (another invocation may have refreshed already) and
stores the new pair before anyone uses it. Everyone else waits for the new secret.

Time: the whole refresh (BASE's token call with its retries, then the secret write with its
retries) is bounded by a deadline that ends before the lease does, so no second holder can
send the same refresh token while the first may still act on it; the lease is taken only when
the caller's own deadline leaves time for all of it. API functions never refresh
(``RefreshPolicy.NEVER``): they use a token that is still valid or raise TokenRefreshNeeded,
which they answer as 503 with ``Retry-After``.

The one loss we cannot prevent: BASE rotated the pair and our process died (or never heard the
answer) before the write. A "refresh started" marker is recorded before calling BASE and
cleared once the outcome is safe; a later refresh that finds such a marker and then has the
refresh token refused alerts that the pair was most likely lost and the shop must be reconnected.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from typing import TypeVar

from base_sync.base_api import (
    AccessTokenInvalid,
    AppCredentialsRejected,
    BaseApiError,
    RateLimited,
    RefreshTokenInvalid,
    TransientError,
)
from base_sync.dal.errors import SecretWriteFailed
from base_sync.dal.secrets import tokens_from_pair
from base_sync.domain.deadline import Deadline
from base_sync.domain.shop import ShopStatus, ShopTokens
from base_sync.observability import logger, metrics
from base_sync.services.alerts import Alerts
from base_sync.services.errors import AppNeedsAttention, ShopNeedsReauth, TokenRefreshNeeded
from base_sync.services.ports import BaseApi, LeaseStore, SecretStore, ShopStore

T = TypeVar("T")

REFRESH_MARGIN_SECONDS = 300  # refresh when less than 5 minutes of validity remain
LEASE_SECONDS = 30.0  # one refresh, start to stored pair, always ends inside it
LEASE_SAFETY_SECONDS = 3.0  # clock skew between hosts, the marker and shop-record writes
REFRESH_CALL_SECONDS = 18.0  # BASE's token call with its retries (connect 3.05 s, read 15 s)
SECRET_WRITE_SECONDS = 8.0  # the secret write with its retries
WAIT_POLL_SECONDS = 0.25
API_MIN_VALIDITY_SECONDS = 60.0  # an API path uses a token that stays valid at least this long
APP_ALERT_LOCK = "app-credentials-rejected-alert"
APP_ALERT_SECONDS = 6 * 3600.0  # at most one "the app needs attention" alert this often


def refresh_needs_seconds() -> float:
    """How much of the caller's deadline a whole refresh may take: never start one with less."""
    return REFRESH_CALL_SECONDS + SECRET_WRITE_SECONDS + LEASE_SAFETY_SECONDS


class RefreshPolicy(StrEnum):
    MAY_REFRESH = "may_refresh"
    """The job worker and keep-alive: refresh under the lease when needed."""
    NEVER = "never"
    """API functions: use a valid token, or raise TokenRefreshNeeded."""


class TokenProvider:
    def __init__(
        self,
        *,
        client: BaseApi,
        secrets: SecretStore,
        shops: ShopStore,
        leases: LeaseStore,
        alerts: Alerts,
        policy: RefreshPolicy = RefreshPolicy.MAY_REFRESH,
        deadline: Deadline | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.secrets = secrets
        self.shops = shops
        self.leases = leases
        self.alerts = alerts
        self.policy = policy
        # Without a deadline of its own the provider keeps to its client's (a job sets the client's).
        self.deadline = deadline if deadline is not None else client.deadline
        self._now = now
        self._sleep = sleep
        self._cache: dict[str, ShopTokens] = {}

    def access_token(self, shop_id: str) -> str:
        """A token with at least five minutes left, refreshing first when needed (an API path: a
        token valid for at least a minute, or TokenRefreshNeeded)."""
        tokens = self._cache.get(shop_id)
        if tokens is None or not self._usable(tokens):
            tokens = self.secrets.shop_tokens(shop_id)
        if not self._usable(tokens):
            tokens = self._refresh(shop_id, needed=lambda t: not self._usable(t))
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

    def _usable(self, tokens: ShopTokens) -> bool:
        left = tokens.seconds_left(self._now())
        if self.policy is RefreshPolicy.NEVER:
            return left > API_MIN_VALIDITY_SECONDS
        return left > REFRESH_MARGIN_SECONDS

    def _refresh(self, shop_id: str, *, needed: Callable[[ShopTokens], bool]) -> ShopTokens:
        if self.policy is RefreshPolicy.NEVER:
            current = self.secrets.shop_tokens(shop_id)  # someone else may have refreshed meanwhile
            if not needed(current):
                return current
            raise TokenRefreshNeeded(shop_id, "API paths never refresh")
        lock_id = f"token-refresh#{shop_id}"
        stop_waiting = self.deadline.sooner(LEASE_SECONDS)  # another holder ends within one lease
        while True:
            if not self.deadline.has(refresh_needs_seconds()):
                current = self.secrets.shop_tokens(shop_id)
                if not needed(current):
                    return current
                raise TokenRefreshNeeded(shop_id, "too little time left for a whole refresh")
            # Started before the lease is taken, so it ends before the lease does.
            bound = self.deadline.sooner(LEASE_SECONDS - LEASE_SAFETY_SECONDS)
            owner = self.leases.acquire(lock_id, seconds=LEASE_SECONDS, now=self._now().timestamp())
            if owner is not None:
                try:
                    return self._refresh_holding_lease(shop_id, needed, owner, bound)
                finally:
                    self.leases.release(lock_id, owner)
            # Another invocation is refreshing this shop: wait for its new pair.
            self._sleep(WAIT_POLL_SECONDS)
            current = self.secrets.shop_tokens(shop_id)
            if not needed(current):
                return current
            if stop_waiting.expired():
                raise TransientError(f"token refresh of shop {shop_id} is taking too long elsewhere")

    def _refresh_holding_lease(
        self, shop_id: str, needed: Callable[[ShopTokens], bool], owner: str, bound: Deadline
    ) -> ShopTokens:
        current = self.secrets.shop_tokens(shop_id)
        if not needed(current):
            return current
        shop = self.shops.get(shop_id)
        if shop.status is ShopStatus.NEEDS_REAUTH:
            raise ShopNeedsReauth(shop_id, "already_marked")
        marker_id = f"token-refresh-started#{shop_id}"
        unfinished = self.leases.put_marker(marker_id, owner, started_at=self._now().isoformat())
        try:
            pair = self.client.refresh_tokens(
                current.refresh_token, deadline=bound.sooner(REFRESH_CALL_SECONDS)
            )
        except RefreshTokenInvalid as exc:
            latest = self.secrets.shop_tokens(shop_id)  # once more: another holder may have stored a pair
            if latest.refresh_token.get_secret_value() != current.refresh_token.get_secret_value():
                self.leases.clear_marker(marker_id, owner)
                return latest
            self._needs_reauth(shop_id, exc.reason, lost_in_crash=unfinished is not None)
            self.leases.clear_marker(marker_id, owner)
            raise ShopNeedsReauth(shop_id, exc.reason) from None
        except TransientError as exc:
            if not exc.may_have_applied:  # BASE never got it: nothing can have been rotated
                self.leases.clear_marker(marker_id, owner)
            raise
        except AppCredentialsRejected as exc:  # the app, not the shop: alert once, mark nobody
            self.leases.clear_marker(marker_id, owner)
            self._app_rejected(exc)
            raise AppNeedsAttention(shop_id, exc.reason) from None
        except BaseApiError:  # BASE answered with a refusal: nothing was rotated
            self.leases.clear_marker(marker_id, owner)
            raise
        now = self._now()
        tokens = tokens_from_pair(shop_id, pair.access_token, pair.refresh_token, pair.expires_in, now)
        try:
            self.secrets.put_shop_tokens(tokens, deadline=bound)
        except SecretWriteFailed as exc:
            # BASE has rotated: this pair now exists only here. Use it for this invocation, keep
            # the marker, and tell the operator at once.
            self._pair_not_stored(shop_id, exc)
            return tokens
        self.leases.clear_marker(marker_id, owner)
        self.shops.record_tokens_refreshed(shop_id, now_iso=now.isoformat())
        metrics.add_metric(name="TokenRefreshes", unit="Count", value=1)
        logger.info("refreshed tokens", extra={"shop_id": shop_id})
        return tokens

    def _app_rejected(self, exc: AppCredentialsRejected) -> None:
        """One alert per ``APP_ALERT_SECONDS`` however many shops meet it (a lease as the guard)."""
        metrics.add_metric(name="AppCredentialsRejected", unit="Count", value=1)
        logger.error("BASE refused the app's credentials", extra={"error_code": exc.reason})
        if self.leases.acquire(APP_ALERT_LOCK, seconds=APP_ALERT_SECONDS) is None:
            return
        why = "停止中のクライアントです（アプリが停止されています）" if exc.suspended else exc.reason
        self.alerts.send(
            "base-order-sync: BASE refuses the app itself",
            f"BASE がこのアプリのクライアント ID / シークレットを受け付けません（{why}）。"
            "ショップの再接続では直りません。BASE のアプリ管理画面でアプリの状態を確かめ、"
            "シークレット <stack>/app-client-secret と BASE_CLIENT_ID を確かめてください。"
            "直るまで、トークンの更新が必要なショップの取り込みと送信は止まります。\n\n"
            f"BASE refuses this app's client id / secret ({exc.reason}"
            + (", the app is suspended" if exc.suspended else "")
            + "). Reconnecting shops will not help: check the app in BASE's developer console, the secret "
            "<stack>/app-client-secret and BASE_CLIENT_ID. Until then, shops whose tokens need a refresh "
            "are not imported or exported.",
        )

    def _pair_not_stored(self, shop_id: str, exc: SecretWriteFailed) -> None:
        metrics.add_metric(name="TokenWritesFailed", unit="Count", value=1)
        logger.error(
            "new token pair could not be stored",
            extra={"shop_id": shop_id, "error_code": exc.code, "attempts": exc.attempts},
        )
        self.alerts.send(
            f"base-order-sync: tokens of shop {shop_id} could not be stored",
            f"ショップ {shop_id} のトークンを更新しましたが、新しいトークンを Secrets Manager に保存できませんでした"
            f"（{exc.code}、{exc.attempts} 回試行）。このショップは再接続が必要になる見込みです。"
            "Secrets Manager の状態を確認してから、POST /connect（または `base-sync connect`）で接続し直してください。\n\n"
            f"The tokens of shop {shop_id} were refreshed at BASE, but the new pair could not be stored in "
            f"Secrets Manager ({exc.code}, {exc.attempts} attempts). The shop will most likely have to be "
            "connected again: check Secrets Manager, then call POST /connect (or `base-sync connect`).",
        )

    def _needs_reauth(self, shop_id: str, reason: str, *, lost_in_crash: bool) -> None:
        if not self.shops.mark_needs_reauth(shop_id, reason=reason, now_iso=self._now().isoformat()):
            return
        metrics.add_metric(name="ShopsNeedingReauth", unit="Count", value=1)
        if lost_in_crash:
            metrics.add_metric(name="TokenPairsLost", unit="Count", value=1)
            self.alerts.send(
                f"base-order-sync: token pair of shop {shop_id} lost, reconnect it",
                f"ショップ {shop_id} のトークンは、更新中に処理が中断され（クラッシュ、タイムアウト、または BASE "
                "の応答が届かなかった）、BASE が発行した新しいトークンが保存されずに失われた可能性が高いです。"
                "古いリフレッシュトークンは使えなくなっています。このショップの取り込みと送信は止まっています。"
                "POST /connect（または `base-sync connect`）で接続し直してください。\n\n"
                f"The token pair of shop {shop_id} was most likely lost: an earlier refresh was interrupted "
                "(a crash, a timeout, or BASE's answer never arrived) after BASE may have issued a new pair, "
                f"and BASE now refuses the old refresh token ({reason}). Imports and exports of this shop are "
                "paused until it is connected again: call POST /connect (or `base-sync connect`).",
            )
            return
        self.alerts.send(
            f"base-order-sync: reconnect shop {shop_id}",
            f"BASE がショップ {shop_id} のリフレッシュトークンを受け付けなくなりました（{reason}）。"
            "接続し直すまで、このショップの取り込みと送信は止まります。"
            "POST /connect（または `base-sync connect`）を実行し、BASE でアプリを承認してください。\n\n"
            f"BASE no longer accepts the refresh token of shop {shop_id} ({reason}).\n"
            "Imports and exports of this shop are paused until it is connected again:\n"
            "call POST /connect (or `base-sync connect`) and approve the app in BASE.",
        )


class ShopTokenCaller:
    """Makes BASE calls for one shop with its access token: on an access-token error, refresh once, retry once.

    ``caller.call(client.get_me)`` runs ``client.get_me(token)``."""

    def __init__(self, client: BaseApi, tokens: TokenProvider, shop_id: str) -> None:
        self.client = client
        self.tokens = tokens
        self.shop_id = shop_id

    def call(self, operation: Callable[[str], T]) -> T:
        token = self.tokens.access_token(self.shop_id)
        try:
            try:
                return operation(token)
            except AccessTokenInvalid:
                token = self.tokens.refresh_after_rejection(self.shop_id, token)
                return operation(token)
        except RateLimited as exc:
            # The daily limit is spent until JST midnight: jobs record it, so nothing asks BASE before
            # then. The hourly one resets at the next :00, before the next tick matters: not recorded.
            if exc.window == "day" and self.tokens.policy is RefreshPolicy.MAY_REFRESH:
                until = exc.resets_at.astimezone(UTC).isoformat()
                self.tokens.shops.pause_base_calls(self.shop_id, until_iso=until, code=exc.reason)
            raise
