"""The one place that talks HTTP to BASE.

One pooled ``requests.Session`` with explicit connect/read timeouts. Retries are ours, not
urllib3's, for three reasons that matter here: BASE reports ``db_error`` inside an HTTP 400
body (urllib3 cannot see it); every attempt must be counted against the shop's hourly
budget; and a write (``edit_status``, the token endpoint) may only be retried when the
request provably never reached BASE — re-sending a dispatch or a single-use refresh token
whose answer was lost could notify a buyer twice or burn the refresh token. Such failures
surface as ``TransientError(may_have_applied=True)`` so the caller can check BASE's state.

A client may carry a :class:`~base_sync.domain.deadline.Deadline` (and a single call may bring a
shorter one): no attempt and no backoff sleep starts unless it fits, and each attempt's timeouts
shrink to the time that remains. Running out raises ``DeadlineExceeded`` (a ``TransientError``
that carries what the last attempt left open), never a hang past API Gateway's 29 seconds.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar
from urllib.parse import urlencode

import requests
from pydantic import BaseModel, SecretStr, ValidationError
from requests.adapters import HTTPAdapter

from base_sync.base_api.errors import (
    JST,
    BaseApiError,
    DeadlineExceeded,
    Endpoint,
    TransientError,
    error_from_response,
)
from base_sync.base_api.models import (
    BaseUser,
    DeliveryCompany,
    DeliveryCompanyList,
    OrderDetail,
    OrderEnvelope,
    OrderList,
    OrderSummary,
    TokenPair,
    UserEnvelope,
)
from base_sync.domain.credentials import AppCredentials
from base_sync.domain.deadline import Deadline
from base_sync.observability import logger

_M = TypeVar("_M", bound=BaseModel)

DEFAULT_SCOPES = ("read_users", "read_orders", "write_orders")
PAGE_SIZE = 100  # BASE's maximum
DEFAULT_TIMEOUTS = (3.05, 15.0)  # connect, read (seconds)
MIN_ATTEMPT_SECONDS = 1.0  # an attempt is not started with less time than this left on the deadline
USER_AGENT = "base-order-sync/0.1"


@dataclass
class CallCounter:
    """Every HTTP attempt made to BASE, by endpoint; budgets and run reports read it."""

    by_endpoint: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.by_endpoint.values())

    def add(self, endpoint: str) -> None:
        self.by_endpoint[endpoint] += 1


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded exponential backoff with full jitter."""

    max_attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 8.0

    def delay(self, attempt: int) -> float:
        return random.uniform(0, min(self.max_delay, self.base_delay * 2 ** (attempt - 1)))  # noqa: S311


# API paths answer inside API Gateway's 29 s: one retry, short waits (jobs keep the default four attempts).
API_RETRY = RetryPolicy(max_attempts=2, base_delay=0.2, max_delay=1.0)


def pooled_session() -> requests.Session:
    """The HTTP connection pool to BASE: one per Lambda container (``wiring.http_session``), shared
    by every client built there; urllib3 never retries (the clients do, see above)."""
    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=16, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers["User-Agent"] = USER_AGENT
    return session


def _format_jst(moment: datetime | date) -> str:
    """BASE's date parameters are shop-local (JST) ``yyyy-mm-dd hh:mm:ss``."""
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            raise ValueError("datetimes passed to BASE must be timezone-aware")
        return moment.astimezone(JST).strftime("%Y-%m-%d %H:%M:%S")
    return moment.isoformat()


class BaseClient:
    """Typed BASE API v1 calls. Access tokens are passed per call; this object holds no shop state.

    A client is cheap: one per job or request, carrying that invocation's deadline and call count.
    The connection pool is ``session``: pass the container's shared one (``wiring.http_session``);
    without it the client makes its own (:func:`pooled_session`).
    """

    def __init__(
        self,
        api_url: str,
        credentials: AppCredentials | None = None,
        *,
        timeouts: tuple[float, float] = DEFAULT_TIMEOUTS,
        retry: RetryPolicy | None = None,
        deadline: Deadline | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], datetime] = lambda: datetime.now(JST),
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.credentials = credentials
        self.timeouts = timeouts
        self.retry = retry or RetryPolicy()
        self.deadline = deadline or Deadline.never()
        self.calls = CallCounter()
        self._sleep = sleep
        self._now = now
        self.session = session if session is not None else pooled_session()

    # --- OAuth -----------------------------------------------------------------------------

    def authorize_url(self, *, state: str, scopes: tuple[str, ...] = DEFAULT_SCOPES) -> str:
        """The page where the shop owner approves our app; BASE sends the browser back with a code."""
        creds = self._require_credentials()
        query = urlencode(
            {
                "response_type": "code",
                "client_id": creds.client_id,
                "redirect_uri": creds.redirect_uri,
                "scope": " ".join(scopes),
                "state": state,
            }
        )
        return f"{self.api_url}/1/oauth/authorize?{query}"

    def exchange_code(self, code: str, *, deadline: Deadline | None = None) -> TokenPair:
        """Trade the one-time code from the callback for a token pair."""
        creds = self._require_credentials()
        form = {
            "grant_type": "authorization_code",
            "client_id": creds.client_id,
            "client_secret": creds.client_secret.get_secret_value(),
            "code": code,
            "redirect_uri": creds.redirect_uri,
        }
        data = self._call(
            "POST",
            "/1/oauth/token",
            "oauth_token",
            data=form,
            endpoint=Endpoint.CODE_EXCHANGE,
            deadline=deadline,
        )
        return self._parse(TokenPair, data)

    def refresh_tokens(
        self, refresh_token: SecretStr | str, *, deadline: Deadline | None = None
    ) -> TokenPair:
        """Use a (single-use) refresh token; the answer carries the new pair, which must be stored at once.

        ``deadline`` (with the client's own) bounds the call and its retries: a refresh must end
        inside the lease it runs under."""
        creds = self._require_credentials()
        token = refresh_token.get_secret_value() if isinstance(refresh_token, SecretStr) else refresh_token
        form = {
            "grant_type": "refresh_token",
            "client_id": creds.client_id,
            "client_secret": creds.client_secret.get_secret_value(),
            "refresh_token": token,
            "redirect_uri": creds.redirect_uri,
        }
        data = self._call(
            "POST",
            "/1/oauth/token",
            "oauth_token",
            data=form,
            endpoint=Endpoint.TOKEN_REFRESH,
            deadline=deadline,
        )
        return self._parse(TokenPair, data)

    # --- API -------------------------------------------------------------------------------

    def get_me(self, access_token: str) -> BaseUser:
        data = self._call("GET", "/1/users/me", "users_me", token=access_token)
        return self._parse(UserEnvelope, data).user

    def list_orders_page(
        self,
        access_token: str,
        *,
        start: datetime | date,
        end: datetime | date,
        offset: int = 0,
        limit: int = PAGE_SIZE,
    ) -> list[OrderSummary]:
        params = {
            "start_ordered": _format_jst(start),
            "end_ordered": _format_jst(end),
            "limit": str(limit),
            "offset": str(offset),
        }
        data = self._call("GET", "/1/orders", "orders", token=access_token, params=params)
        return self._parse(OrderList, data).orders

    def get_order(self, access_token: str, unique_key: str) -> OrderDetail:
        data = self._call(
            "GET", f"/1/orders/detail/{_path_segment(unique_key)}", "order_detail", token=access_token
        )
        return self._parse(OrderEnvelope, data).order

    def dispatch_item(
        self,
        access_token: str,
        order_item_id: int,
        *,
        delivery_company_id: int,
        tracking_number: str,
        add_comment: str | None = None,
    ) -> OrderDetail:
        """Mark one item dispatched; BASE e-mails the buyer. Never retried once it may have reached BASE."""
        return self._edit_status(
            access_token,
            order_item_id,
            {"status": "dispatched"},
            delivery_company_id,
            tracking_number,
            add_comment,
        )

    def ship_deferred_payment(
        self,
        access_token: str,
        order_item_id: int,
        *,
        delivery_company_id: int,
        tracking_number: str,
        add_comment: str | None = None,
    ) -> OrderDetail:
        """A deferred-payment (atobarai) order: one call with any of its items updates the whole order."""
        return self._edit_status(
            access_token,
            order_item_id,
            {"atobarai_status": "shipping"},
            delivery_company_id,
            tracking_number,
            add_comment,
        )

    def _edit_status(
        self,
        access_token: str,
        order_item_id: int,
        change: dict[str, str],
        delivery_company_id: int,
        tracking_number: str,
        add_comment: str | None,
    ) -> OrderDetail:
        form = {
            "order_item_id": str(order_item_id),
            **change,
            "delivery_company_id": str(delivery_company_id),
            "tracking_number": tracking_number,
        }
        if add_comment:
            form["add_comment"] = add_comment
        data = self._call("POST", "/1/orders/edit_status", "edit_status", token=access_token, data=form)
        return self._parse(OrderEnvelope, data).order

    def delivery_companies(self, access_token: str) -> list[DeliveryCompany]:
        data = self._call("GET", "/1/delivery_companies", "delivery_companies", token=access_token)
        return self._parse(DeliveryCompanyList, data).delivery_companies

    # --- plumbing --------------------------------------------------------------------------

    def _require_credentials(self) -> AppCredentials:
        if self.credentials is None:
            raise ValueError("this BaseClient has no app credentials; OAuth calls need them")
        return self.credentials

    @staticmethod
    def _parse(model: type[_M], data: Any) -> _M:
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            raise TransientError(
                f"BASE answered an unexpected {model.__name__} shape: {exc.error_count()} errors"
            ) from None

    def _call(
        self,
        method: str,
        path: str,
        name: str,
        *,
        token: str | None = None,
        params: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
        endpoint: Endpoint = Endpoint.API,
        deadline: Deadline | None = None,
    ) -> Any:
        """One logical call with its retries; returns the decoded JSON body or raises a BaseApiError."""
        idempotent = method == "GET"
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        limit = self._limit(deadline)
        attempt = 0
        while True:
            if not limit.has(MIN_ATTEMPT_SECONDS):
                raise _out_of_time(name, attempt, None)
            attempt += 1
            try:
                return self._attempt(
                    method, path, name, headers, params, data, endpoint, attempt, self._timeouts_within(limit)
                )
            except TransientError as exc:
                retryable = idempotent or not exc.may_have_applied
                if not retryable or attempt >= self.retry.max_attempts:
                    raise
                delay = self.retry.delay(attempt)
                if not limit.has(delay + MIN_ATTEMPT_SECONDS):
                    raise _out_of_time(name, attempt, exc) from None
                logger.info(
                    "BASE call failed, retrying",
                    extra={
                        "base_call": name,
                        "attempt": attempt,
                        "reason": exc.reason,
                        "retry_in_s": round(delay, 3),
                    },
                )
                self._sleep(delay)

    def _limit(self, deadline: Deadline | None) -> Deadline:
        """The client's deadline or the call's, whichever comes first."""
        if deadline is None:
            return self.deadline
        return min((self.deadline, deadline), key=lambda d: d.remaining())

    def _timeouts_within(self, limit: Deadline) -> tuple[float, float]:
        """Connect and read timeouts, shrunk so that one attempt cannot outlive ``limit``."""
        remaining = limit.remaining()
        connect, read = self.timeouts
        return (min(connect, remaining), min(read, remaining))

    def _attempt(
        self,
        method: str,
        path: str,
        name: str,
        headers: Mapping[str, str],
        params: Mapping[str, str] | None,
        data: Mapping[str, str] | None,
        endpoint: Endpoint,
        attempt: int,
        timeouts: tuple[float, float],
    ) -> Any:
        self.calls.add(name)
        started = time.monotonic()
        try:
            response = self.session.request(
                method, self.api_url + path, headers=headers, params=params, data=data, timeout=timeouts
            )
        except requests.exceptions.ConnectionError as exc:
            # A refused or failed connection never reached BASE; anything else (reset, dropped
            # answer, read timeout) may have.
            not_sent = isinstance(exc, requests.exceptions.ConnectTimeout) or _is_connect_failure(exc)
            raise TransientError(
                f"could not reach BASE ({type(exc).__name__})", may_have_applied=not not_sent
            ) from None
        except requests.exceptions.Timeout:
            raise TransientError(
                "BASE did not answer in time", may_have_applied=True, may_still_run=True
            ) from None
        elapsed_ms = round((time.monotonic() - started) * 1000)
        logger.debug(
            "BASE call",
            extra={
                "base_call": name,
                "method": method,
                "status": response.status_code,
                "ms": elapsed_ms,
                "attempt": attempt,
            },
        )
        if response.status_code >= 500:
            raise TransientError(
                f"BASE answered HTTP {response.status_code}",
                http_status=response.status_code,
                may_have_applied=True,
            )
        try:
            body = response.json()
        except ValueError:
            raise TransientError(
                f"BASE answered HTTP {response.status_code} without JSON",
                http_status=response.status_code,
                may_have_applied=response.status_code < 400,
            ) from None
        if response.status_code >= 400 or (isinstance(body, dict) and "error" in body and len(body) <= 2):
            code = str(body.get("error") or "unknown_error") if isinstance(body, dict) else "unknown_error"
            description = str(body.get("error_description") or "") if isinstance(body, dict) else ""
            error: BaseApiError = error_from_response(
                code, description, endpoint=endpoint, now=self._now(), http_status=response.status_code
            )
            logger.info(
                "BASE refused a call", extra={"base_call": name, "error_code": code, "attempt": attempt}
            )
            raise error
        return body


def _out_of_time(name: str, attempts: int, last: TransientError | None) -> DeadlineExceeded:
    """No time for (another) attempt: say so, keeping what the last attempt left open."""
    logger.info(
        "BASE call stopped by its deadline",
        extra={"base_call": name, "attempts": attempts, "reason": last.reason if last else None},
    )
    message = f"no time left for {'another' if last else 'an'} attempt at BASE call {name}"
    if last is None:
        return DeadlineExceeded(message)
    return DeadlineExceeded(
        f"{message} (last: {last})",
        http_status=last.http_status,
        may_have_applied=last.may_have_applied,
        may_still_run=last.may_still_run,
    )


def _is_connect_failure(exc: requests.exceptions.ConnectionError) -> bool:
    """True when the TCP connection itself failed (refused, unreachable), so nothing was sent."""
    text = repr(exc.args[0]) if exc.args else ""
    return "NewConnectionError" in text or "Connection refused" in text or "NameResolutionError" in text


def _path_segment(value: str) -> str:
    """Order keys go into the URL path: refuse anything that could change the path."""
    if not value or any(ch in value for ch in "/?#%\\") or value in (".", ".."):
        raise ValueError(f"not a valid BASE order key: {value!r}")
    return value
