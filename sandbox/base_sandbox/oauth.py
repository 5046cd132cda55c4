"""OAuth 2.0 as BASE runs it: the consent decision, single-use codes, rotating refresh tokens, bearer checks.

Codes are single-use, bound to app + shop + scopes + redirect_uri; rejected attempts do not consume
them. Error texts are BASE's (README): an unknown/used code 「不正な認可コードです。」, a timed-out one
「認可コードの有効期限が切れています。」; an unknown/used/revoked refresh token 「不正なリフレッシュトークンです。」,
a timed-out one 「リフレッシュトークンの有効期限が切れています。」; a suspended app ``unauthorized_client``
「停止中のクライアントです。」 (authorize and token endpoint; its access tokens keep working for API calls,
which the README does not cover); no client id/secret 「client_idもしくはclient_secretがありません。」. Refresh rotates both tokens; the old refresh token is spent but the old ACCESS token stays valid
until it expires. ``read_users`` is always granted. :meth:`OAuth.token_report` counts tokens; it never
shows them.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from urllib.parse import urlencode

from .clock import Clock
from .errors import JSON, err
from .shops import App, Directory

ALL_SCOPES = (
    "read_users",
    "read_users_mail",
    "read_items",
    "read_orders",
    "read_savings",
    "write_items",
    "write_orders",
)
SCOPE_LABELS = {
    "read_users": "ショップ情報を見る",
    "read_users_mail": "ショップのメールアドレスを見る",
    "read_items": "商品情報を見る",
    "read_orders": "注文情報を見る",
    "read_savings": "売上情報を見る",
    "write_items": "商品情報を書き込む",
    "write_orders": "注文情報を書き込む",
}


def new_key(nbytes: int = 16) -> str:
    """Random opaque credential (code or token); 32 hex chars like BASE's."""
    return secrets.token_hex(nbytes)


def _bearer(authorization: str | None) -> str | None:
    if not authorization:
        return None
    parts = authorization.split(None, 1)
    if len(parts) != 2 or parts[0].lower() != "bearer":
        return None
    return parts[1].strip() or None


@dataclass
class AuthCode:
    """A single-use authorization code bound to (app, shop, scopes, redirect_uri)."""

    client_id: str
    shop_id: str
    scopes: tuple[str, ...]
    redirect_uri: str
    expires_at: float
    used: bool = False


@dataclass
class Token:
    """An access or refresh token bound to (app, shop, scopes)."""

    kind: str  # "access" | "refresh"
    client_id: str
    shop_id: str
    scopes: tuple[str, ...]
    expires_at: float
    used: bool = False
    revoked: bool = False


@dataclass
class TokenStats:
    """Per-shop issuance counters for /_sandbox/tokens (never token values)."""

    codes_issued: int = 0
    codes_exchanged: int = 0
    code_exchange_failed: int = 0
    refreshes_succeeded: int = 0
    refreshes_failed: int = 0
    access_tokens_issued: int = 0

    def to_json(self) -> JSON:
        """Counters as a dict."""
        return dict(self.__dict__)


class OAuth:
    """Codes, tokens and their per-shop counters, with the lifetimes for new grants (caller holds the lock)."""

    def __init__(
        self, clock: Clock, directory: Directory, *, code_ttl: int, access_ttl: int, refresh_ttl: int
    ) -> None:
        self.clock = clock
        self.directory = directory
        self.code_ttl = code_ttl
        self.access_ttl = access_ttl
        self.refresh_ttl = refresh_ttl
        self.codes: dict[str, AuthCode] = {}
        self.tokens: dict[str, Token] = {}
        self.token_stats: dict[str, TokenStats] = {}
        self.unattributed = TokenStats()

    def configure(self, values: JSON) -> JSON:
        """Change lifetimes (code_ttl, access_ttl, refresh_ttl) for grants issued from now on."""
        for key in ("code_ttl", "access_ttl", "refresh_ttl"):
            if key in values:
                setattr(self, key, int(values[key]))
        return {"code_ttl": self.code_ttl, "access_ttl": self.access_ttl, "refresh_ttl": self.refresh_ttl}

    def validate_authorize(self, params: dict[str, str]) -> tuple[App, tuple[str, ...]]:
        """Check an authorize request; BASE shows an error page (no redirect) when this fails."""
        client_id = params.get("client_id", "")
        app = self.directory.apps.get(client_id)
        if not client_id or app is None:
            raise err("unauthorized_client", "unknown_client")
        if app.suspended:
            raise err("unauthorized_client", "suspended_client")
        redirect_uri = params.get("redirect_uri", "")
        if not redirect_uri:
            raise err("invalid_request", "no_redirect")
        if redirect_uri != app.redirect_uri:
            raise err("invalid_request", "bad_redirect")
        if params.get("response_type") != "code":
            raise err("invalid_request", "bad_response_type")
        return app, self.parse_scopes(params.get("scope"))

    @staticmethod
    def parse_scopes(raw: str | None) -> tuple[str, ...]:
        """Space/comma separated scopes; read_users is always granted; unknown scope is an error."""
        wanted = [s for s in (raw or "").replace(",", " ").split() if s]
        for scope in wanted:
            if scope not in ALL_SCOPES:
                raise err("invalid_scope", "bad_scope_param")
        chosen = {"read_users", *wanted}
        return tuple(s for s in ALL_SCOPES if s in chosen)

    def authorize_decision(self, params: dict[str, str], shop_id: str | None, approve: bool) -> str:
        """Validate, then return the redirect Location the browser would be sent to."""
        app, scopes = self.validate_authorize(params)
        state = params.get("state")
        query: list[tuple[str, str]] = []
        if approve:
            if not shop_id or shop_id not in self.directory.shops:
                raise err("access_denied", "unknown_shop")
            code = new_key()
            self.codes[code] = AuthCode(
                client_id=app.client_id,
                shop_id=shop_id,
                scopes=scopes,
                redirect_uri=app.redirect_uri,
                expires_at=self.clock.now() + self.code_ttl,
            )
            self._stats(shop_id).codes_issued += 1
            query.append(("code", code))
        else:
            query.append(("error", "access_denied"))
        if state is not None:
            query.append(("state", state))
        sep = "&" if "?" in app.redirect_uri else "?"
        return app.redirect_uri + sep + urlencode(query)

    def _stats(self, shop_id: str | None) -> TokenStats:
        if shop_id is None:
            return self.unattributed
        return self.token_stats.setdefault(shop_id, TokenStats())

    def token_grant(self, form: dict[str, str], basic: tuple[str, str] | None) -> tuple[JSON, str | None]:
        """POST /1/oauth/token; returns (response body, shop_id for the call log)."""
        grant_type = form.get("grant_type", "")
        if grant_type not in ("authorization_code", "refresh_token"):
            raise err("invalid_request", "bad_grant")
        client_id = form.get("client_id") or (basic[0] if basic else "")
        client_secret = form.get("client_secret") or (basic[1] if basic else "")
        if not client_id or not client_secret:
            raise err("invalid_request", "no_client")
        app = self.directory.apps.get(client_id)
        if app is None:
            raise err("unauthorized_client", "unknown_client")
        if not secrets.compare_digest(app.client_secret, client_secret):
            raise err("unauthorized_client", "bad_secret")
        if app.suspended:
            raise err("unauthorized_client", "suspended_client")
        redirect_uri = form.get("redirect_uri", "")
        if not redirect_uri:
            raise err("invalid_request", "no_redirect")
        if redirect_uri != app.redirect_uri:
            raise err("invalid_request", "bad_redirect")
        now = self.clock.now()
        if grant_type == "authorization_code":
            return self._exchange_code(app, form.get("code", ""), redirect_uri, now)
        raw = form.get("refresh_token", "")
        old = self.tokens.get(raw) if raw else None
        if old is not None and old.kind != "refresh":
            old = None
        shop_id = old.shop_id if old else None
        if old is None or old.used or old.revoked or old.client_id != app.client_id:
            self._stats(shop_id).refreshes_failed += 1
            raise err("invalid_request", "invalid_refresh")
        if now >= old.expires_at:
            self._stats(shop_id).refreshes_failed += 1
            raise err("invalid_request", "expired_refresh")
        old.used = True
        self._stats(old.shop_id).refreshes_succeeded += 1
        return self._issue(app.client_id, old.shop_id, old.scopes, now), old.shop_id

    def _exchange_code(self, app: App, raw: str, redirect_uri: str, now: float) -> tuple[JSON, str | None]:
        """grant_type=authorization_code: an unknown/used/foreign code is 「不正な認可コードです。」, a known
        but timed-out one 「認可コードの有効期限が切れています。」 (BASE's two texts)."""
        code = self.codes.get(raw) if raw else None
        shop_id = code.shop_id if code else None
        if code is None or code.used or code.client_id != app.client_id or code.redirect_uri != redirect_uri:
            self._stats(shop_id).code_exchange_failed += 1
            raise err("invalid_request", "invalid_code")
        if now >= code.expires_at:
            self._stats(shop_id).code_exchange_failed += 1
            raise err("invalid_request", "expired_code")
        if code.shop_id not in self.directory.shops:
            self._stats(shop_id).code_exchange_failed += 1
            raise err("access_denied", "no_user")
        code.used = True
        self._stats(code.shop_id).codes_exchanged += 1
        return self._issue(app.client_id, code.shop_id, code.scopes, now), code.shop_id

    def _issue(self, client_id: str, shop_id: str, scopes: tuple[str, ...], now: float) -> JSON:
        access, refresh = new_key(), new_key()
        self.tokens[access] = Token("access", client_id, shop_id, scopes, now + self.access_ttl)
        self.tokens[refresh] = Token("refresh", client_id, shop_id, scopes, now + self.refresh_ttl)
        self._stats(shop_id).access_tokens_issued += 1
        return {
            "access_token": access,
            "token_type": "bearer",
            "expires_in": self.access_ttl,
            "refresh_token": refresh,
        }

    def peek_shop(self, authorization: str | None) -> str | None:
        """Shop of a bearer token without validating or counting (for logging injected faults)."""
        tok = self.tokens.get(_bearer(authorization) or "")
        return tok.shop_id if tok and tok.kind == "access" else None

    def access_token(self, authorization: str | None, now: float) -> Token:
        """The live access token of a bearer header, or ``invalid_request`` 「アクセストークンが無効です。」."""
        raw = _bearer(authorization)
        tok = self.tokens.get(raw) if raw else None
        if tok is None or tok.kind != "access" or tok.revoked or now >= tok.expires_at:
            raise err("invalid_request", "invalid_token")
        return tok

    def scopes_of(self, authorization: str | None) -> tuple[str, ...]:
        """Scopes of a (known) bearer token."""
        tok = self.tokens.get(_bearer(authorization) or "")
        return tok.scopes if tok else ()

    def expire_tokens(self, shop_id: str) -> JSON:
        """Make every access token of the shop expired now."""
        now = self.clock.now()
        n = 0
        for tok in self.tokens.values():
            if tok.shop_id == shop_id and tok.kind == "access" and tok.expires_at > now:
                tok.expires_at = now
                n += 1
        return {"shop_id": shop_id, "expired": n}

    def expire_refresh_tokens(self, shop_id: str) -> JSON:
        """Make every live refresh token of the shop expired now (「リフレッシュトークンの有効期限が切れています。」)."""
        now = self.clock.now()
        n = 0
        for tok in self.tokens.values():
            live = not (tok.used or tok.revoked) and tok.expires_at > now
            if tok.shop_id == shop_id and tok.kind == "refresh" and live:
                tok.expires_at = now
                n += 1
        return {"shop_id": shop_id, "expired": n}

    def revoke_tokens(self, shop_id: str) -> JSON:
        """Revoke every refresh token of the shop (access tokens live on until they expire)."""
        n = 0
        for tok in self.tokens.values():
            if tok.shop_id == shop_id and tok.kind == "refresh" and not tok.revoked and not tok.used:
                tok.revoked = True
                n += 1
        return {"shop_id": shop_id, "revoked": n}

    def token_report(self) -> JSON:
        """Issuance counters and active-token counts per shop; never the token values."""
        now = self.clock.now()
        shops: dict[str, JSON] = {}
        for shop_id in sorted(set(self.directory.shops) | set(self.token_stats)):
            entry = self._stats(shop_id).to_json()
            entry["active_access_tokens"] = sum(
                1
                for t in self.tokens.values()
                if t.shop_id == shop_id and t.kind == "access" and not t.revoked and t.expires_at > now
            )
            entry["active_refresh_tokens"] = sum(
                1
                for t in self.tokens.values()
                if t.shop_id == shop_id
                and t.kind == "refresh"
                and not (t.revoked or t.used)
                and t.expires_at > now
            )
            entry["pending_codes"] = sum(
                1 for c in self.codes.values() if c.shop_id == shop_id and not c.used and c.expires_at > now
            )
            shops[shop_id] = entry
        return {"shops": shops, "unattributed": self.unattributed.to_json()}
