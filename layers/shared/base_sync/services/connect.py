"""Connecting a shop: the authorize URL with a fresh single-use state, and the OAuth callback."""

from __future__ import annotations

import secrets as random_tokens
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from base_sync.base_api import (
    AppCredentialsRejected,
    AuthorizationCodeInvalid,
    BaseApiError,
    BaseClient,
    TransientError,
)
from base_sync.dal.errors import StateProblem, StateRejected
from base_sync.dal.oauth_states import OAuthStateRepository
from base_sync.dal.secrets import SecretsStore, tokens_from_pair
from base_sync.dal.shops import ShopRepository
from base_sync.domain.deadline import Deadline
from base_sync.observability import logger, metrics
from base_sync.services.errors import CallbackFailed, CallbackRejected, ConnectRefusedByBase

STATE_TTL = timedelta(minutes=10)
MAX_STATE_LENGTH = 128


@dataclass(frozen=True)
class ConnectStart:
    authorize_url: str
    expires_at: datetime


@dataclass(frozen=True)
class ConnectedShop:
    shop_id: str
    shop_name: str
    reconnected: bool


def start_connect(client: BaseClient, states: OAuthStateRepository, *, now: datetime) -> ConnectStart:
    """A fresh 256-bit state, stored for ten minutes, inside BASE's authorize URL."""
    state = random_tokens.token_urlsafe(32)
    expires_at = now + STATE_TTL
    states.create(state, expires_at=int(expires_at.timestamp()))
    return ConnectStart(authorize_url=client.authorize_url(state=state), expires_at=expires_at)


def complete_connect(
    query: Mapping[str, str],
    *,
    client: BaseClient,
    states: OAuthStateRepository,
    secrets: SecretsStore,
    shops: ShopRepository,
    deadline: Deadline | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> ConnectedShop:
    """Consume the state, trade the code for tokens, learn the shop, then store tokens and shop.

    Nothing is stored unless every BASE call succeeded; the state is spent either way. Raises
    CallbackRejected when the request itself cannot connect a shop, ConnectRefusedByBase when
    BASE refused or could not be reached (the API answers 400 and 502). The
    client's deadline (an API path's) bounds the BASE calls: when it runs out the answer is the
    failure page (``base_unreachable``, BASE's part ``DeadlineExceeded``), never a 504 after the
    work went on; ``deadline`` also bounds the retries of the secret write.
    """
    state = query.get("state") or ""
    if not state:
        raise CallbackRejected("missing_state")
    if len(state) > MAX_STATE_LENGTH:  # ours are 43 characters; never look such a value up
        raise CallbackRejected(StateProblem.UNKNOWN.value)
    try:
        states.consume(state, now=int(now().timestamp()))
    except StateRejected as rejected:
        raise CallbackRejected(rejected.problem.value) from None
    if query.get("error"):
        raise CallbackRejected(
            "access_denied" if query["error"] == "access_denied" else "authorization_error",
            query["error"],
        )
    code = query.get("code") or ""
    if not code:
        raise CallbackRejected("missing_code")
    try:
        pair = client.exchange_code(code)
        user = client.get_me(pair.access_token.get_secret_value())
    except AuthorizationCodeInvalid as exc:
        raise ConnectRefusedByBase("code_refused", exc.reason) from None
    except AppCredentialsRejected as exc:
        raise ConnectRefusedByBase("app_credentials_refused", exc.reason) from None
    except TransientError as exc:
        raise ConnectRefusedByBase("base_unreachable", exc.reason) from None
    except BaseApiError as exc:
        raise ConnectRefusedByBase("base_refused", exc.reason) from None
    issued = now()
    reconnected = secrets.shop_secret_exists(user.shop_id)
    secrets.put_shop_tokens(
        tokens_from_pair(user.shop_id, pair.access_token, pair.refresh_token, pair.expires_in, issued),
        deadline=deadline,
    )
    shops.record_connected(user.shop_id, user.shop_name, now_iso=issued.isoformat())
    metrics.add_metric(name="ShopsConnected", unit="Count", value=1)
    logger.info("shop connected", extra={"shop_id": user.shop_id, "reconnected": reconnected})
    return ConnectedShop(
        shop_id=user.shop_id, shop_name=user.shop_name or user.shop_id, reconnected=reconnected
    )


__all__ = [
    "CallbackFailed",
    "CallbackRejected",
    "ConnectRefusedByBase",
    "ConnectStart",
    "ConnectedShop",
    "StateProblem",
    "complete_connect",
    "start_connect",
]
