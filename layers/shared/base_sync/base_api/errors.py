"""BASE's errors as one small exception hierarchy.

BASE answers every error with HTTP 400 and ``{"error": code, "error_description": text}``; the
code alone is sometimes ambiguous (``invalid_request`` means a bad access token on an API call,
a bad code on a code exchange, a bad refresh token on a refresh, and also a missing client
id/secret), so the mapping takes the code, the description AND which endpoint answered
(shared/base-api/README.md: "Map on the code AND the description"). Callers catch by meaning,
never by string:

* dead refresh token - ``invalid_request`` on a refresh (「不正なリフレッシュトークンです。」, or
  「リフレッシュトークンの有効期限が切れています。」 with ``expired`` set), and ``invalid_grant`` (not in
  BASE's docs, but integrators see it) -> :class:`RefreshTokenInvalid` (a :class:`ReauthorizationRequired`:
  the SHOP must be connected again);
* missing, unknown or suspended client - ``unauthorized_client`` (any text), or 「client_idもしくは
  client_secretがありません。」 / 「停止中のクライアントです。」 under any code -> :class:`AppCredentialsRejected`
  (``suspended`` / ``missing`` tell which): the APP needs an operator, not every shop a re-auth;
* ``server_error`` ("DB error") and ``db_error`` -> :class:`TransientError`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

JST = ZoneInfo("Asia/Tokyo")

# Cart apps whose orders BASE refuses to dispatch through the API (permanent for that order).
CART_APP_REFUSALS = frozenset(
    {"not_change_status_YamatoDelivery", "not_change_status_ClubT", "not_change_status_SpCase"}
)
# Payment not yet received: the same call succeeds once the buyer pays.
PAYMENT_PENDING_CODES = frozenset({"not_change_status_cvs", "not_change_status_base_bt"})
# BASE's token-endpoint descriptions (README, from baseinc/api-docs) that name the APP, not the shop.
SUSPENDED_CLIENT_TEXT = "停止中のクライアントです。"
MISSING_CLIENT_TEXT = "client_idもしくはclient_secretがありません。"
# Markers of an expired (rather than unknown or spent) credential in a description.
EXPIRED_MARKERS = ("有効期限", "expired")


class Endpoint(StrEnum):
    """Which kind of BASE endpoint answered; it decides what an ambiguous error code means."""

    CODE_EXCHANGE = "code_exchange"
    TOKEN_REFRESH = "token_refresh"
    API = "api"


class BaseApiError(Exception):
    """Anything BASE (or the way to it) refused. ``code`` is BASE's ``error`` field where there was one."""

    def __init__(self, message: str, *, code: str | None = None, http_status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.http_status = http_status

    @property
    def reason(self) -> str:
        """A short machine-readable reason for logs, histories and API answers."""
        return self.code or type(self).__name__


class TransientError(BaseApiError):
    """5xx, timeout, dropped connection or ``db_error``: worth trying again later.

    ``may_have_applied`` is true when the request may have reached BASE before it failed
    (a read timeout or a dropped answer): for a write, only BASE's order detail can tell.
    ``may_still_run`` is true when we stopped waiting (a read timeout): BASE may still be
    working on it, so even its order detail is not final yet.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        http_status: int | None = None,
        may_have_applied: bool = False,
        may_still_run: bool = False,
    ) -> None:
        super().__init__(message, code=code, http_status=http_status)
        self.may_have_applied = may_have_applied
        self.may_still_run = may_still_run


class DeadlineExceeded(TransientError):
    """Our own time ran out before (another) attempt could start: nothing more was sent to BASE.

    Raised instead of starting an attempt or a backoff sleep that would outlive the caller's
    deadline (API Gateway's 29 s, a job's timeout, a token lease). The flags carry what the last
    attempt, if any, left open, so a write's caller still knows whether BASE may have applied it.
    """


class AccessTokenInvalid(BaseApiError):
    """The access token is invalid or expired: refresh once and try again."""


class ReauthorizationRequired(BaseApiError):
    """Only the shop owner can fix this, by connecting the shop again."""


class RefreshTokenInvalid(ReauthorizationRequired):
    """The refresh token is invalid, expired or already used; ``expired`` when BASE said it timed out."""

    def __init__(
        self, message: str, *, code: str | None = None, http_status: int | None = None, expired: bool = False
    ) -> None:
        super().__init__(message, code=code, http_status=http_status)
        self.expired = expired


class AuthorizationCodeInvalid(ReauthorizationRequired):
    """The OAuth code is invalid, expired or already used."""


class AppCredentialsRejected(BaseApiError):
    """BASE does not accept our client id/secret (missing, unknown or suspended app): an operator must
    fix the app; no shop's re-authorization would help. ``suspended``: BASE stopped the app
    (「停止中のクライアントです。」); ``missing``: the id or secret did not reach BASE."""

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        http_status: int | None = None,
        suspended: bool = False,
        missing: bool = False,
    ) -> None:
        super().__init__(message, code=code, http_status=http_status)
        self.suspended = suspended
        self.missing = missing


class RateLimited(BaseApiError):
    """``hour_api_limit`` or ``day_api_limit``: stop now, resume after ``resets_at``."""

    def __init__(self, message: str, *, code: str, resets_at: datetime) -> None:
        super().__init__(message, code=code, http_status=400)
        self.resets_at = resets_at

    @property
    def window(self) -> str:
        return "day" if self.code == "day_api_limit" else "hour"


class OrderRefused(BaseApiError):
    """BASE refuses this change for this order for good (cart apps, no such order, bad parameters …)."""

    @property
    def is_cart_app(self) -> bool:
        return self.code in CART_APP_REFUSALS


class PaymentPending(BaseApiError):
    """A ``cvs``/``base_bt`` order that is not paid yet: dispatch later, it is not an error of the order."""


class RequestRejected(BaseApiError):
    """Any other refusal (``invalid_scope``, ``access_denied`` …): a defect or a configuration problem."""


def limit_reset_time(code: str, now: datetime) -> datetime:
    """When BASE's counter for ``code`` resets: the next full hour, or the next midnight, on the JST clock."""
    local = now.astimezone(JST)
    if code == "day_api_limit":
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        return midnight + timedelta(days=1)
    return local.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


def error_from_response(
    code: str, description: str, *, endpoint: Endpoint, now: datetime, http_status: int = 400
) -> BaseApiError:
    """Map BASE's ``error`` code (and which endpoint gave it) to the exception a caller can act on."""
    message = f"BASE refused the request: {code}" + (f" ({description})" if description else "")
    if code in ("hour_api_limit", "day_api_limit"):
        return RateLimited(message, code=code, resets_at=limit_reset_time(code, now))
    if code in ("db_error", "server_error"):
        return TransientError(message, code=code, http_status=http_status, may_have_applied=True)
    app_error = _app_credentials_error(code, description, message, http_status)
    if app_error is not None:
        return app_error
    token_error = _dead_credential_error(code, description, message, endpoint, http_status)
    if token_error is not None:
        return token_error
    if endpoint is Endpoint.API and code == "invalid_request" and "アクセストークン" in description:
        return AccessTokenInvalid(message, code=code, http_status=http_status)
    if code in PAYMENT_PENDING_CODES:
        return PaymentPending(message, code=code, http_status=http_status)
    if (
        code.startswith("not_change_status")
        or code.startswith("not_cancel_")
        or code in ("no_order", "bad_params", "no_params")
    ):
        return OrderRefused(message, code=code, http_status=http_status)
    return RequestRejected(message, code=code, http_status=http_status)


def _app_credentials_error(
    code: str, description: str, message: str, http_status: int
) -> AppCredentialsRejected | None:
    """``unauthorized_client``, or BASE's missing/suspended-client texts under any code: the app's fault."""
    suspended = SUSPENDED_CLIENT_TEXT in description
    missing = MISSING_CLIENT_TEXT in description
    if code == "unauthorized_client" or suspended or missing:
        return AppCredentialsRejected(
            message, code=code, http_status=http_status, suspended=suspended, missing=missing
        )
    return None


def _dead_credential_error(
    code: str, description: str, message: str, endpoint: Endpoint, http_status: int
) -> ReauthorizationRequired | None:
    """A refused refresh token or authorization code (``invalid_request``, or OAuth's ``invalid_grant``)."""
    if code not in ("invalid_request", "invalid_grant"):
        return None
    expired = any(marker in description for marker in EXPIRED_MARKERS)
    if endpoint is Endpoint.TOKEN_REFRESH:
        return RefreshTokenInvalid(message, code=code, http_status=http_status, expired=expired)
    if endpoint is Endpoint.CODE_EXCHANGE:
        return AuthorizationCodeInvalid(message, code=code, http_status=http_status)
    return None
