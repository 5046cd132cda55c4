"""The composition root: builds the services from the environment, once per Lambda container.

Lifetimes. Once per container (``@cache``): the HTTP connection pool to BASE, the secrets store
(which re-reads the app's credentials every five minutes), every repository and the stateless
services. Once per job or request: a ``BaseClient`` (cheap: it takes the shared pool and carries
that invocation's deadline and call count) and a ``TokenProvider`` (bound to that client and
deadline, with its own token cache).

Environment. ``FUNCTION_ENVIRONMENT`` says which variables each handler reads, built from what
the factories it uses read (``SHOPS``, ``TOKENS``, …); every handler checks them when Lambda loads
it (:func:`check_environment`).
tests/unit/template checks that template.yaml gives every function what its handler reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Final

from base_sync import config
from base_sync.config import API_DEADLINE_CAP_SECONDS, API_DEADLINE_MARGIN_SECONDS, get_config
from base_sync.domain.deadline import Deadline, HasRemainingTime

# Each factory imports what it builds: a handler's cold start then loads only the parts it uses
# (bench/, figure 5). The names below are for type checking only.
if TYPE_CHECKING:
    import requests

    from base_sync.base_api import BaseClient
    from base_sync.dal.export_runs import ExportRepository
    from base_sync.dal.locks import LeaseRepository
    from base_sync.dal.oauth_states import OAuthStateRepository
    from base_sync.dal.orders import OrderRepository
    from base_sync.dal.secrets import SecretsStore
    from base_sync.dal.shops import ShopRepository
    from base_sync.dal.ticks import TickRepository
    from base_sync.services.alerts import Alerts
    from base_sync.services.export_requests import ExportService
    from base_sync.services.management import ManagementService
    from base_sync.services.tokens import RefreshPolicy, TokenProvider


@dataclass(frozen=True)
class Reads:
    """Environment variables a factory (or a handler) reads: ``required`` ones must be set;
    ``optional`` ones have a default or an older stack's fallback, and are checked when set."""

    required: frozenset[str] = frozenset()
    optional: frozenset[str] = frozenset()

    def __or__(self, other: Reads) -> Reads:
        required = self.required | other.required
        return Reads(required, (self.optional | other.optional) - required)


def _reads(*required: str, optional: tuple[str, ...] = ()) -> Reads:
    return Reads(frozenset(required), frozenset(optional))


SECRETS: Final = _reads(
    "APP_CREDENTIALS_SECRET", "SHOP_SECRET_PREFIX", optional=("APP_CLIENT_SECRET_NAME", "BASE_CLIENT_ID")
)
BASE: Final = SECRETS | _reads(optional=("BASE_API_URL",))
SHOPS: Final = _reads("SHOPS_TABLE")
OAUTH_STATES: Final = _reads("OAUTH_STATES_TABLE")
ORDERS: Final = _reads("ORDERS_TABLE")
EXPORTS: Final = _reads("EXPORTS_TABLE")
LOCKS: Final = _reads("LOCKS_TABLE")
ALERTS: Final = _reads("ALERT_TOPIC_ARN")
JOBS_QUEUE: Final = _reads("JOBS_QUEUE_URL")
TOKENS: Final = SECRETS | SHOPS | LOCKS | ALERTS  # token_provider, api_token_provider
EXPORT_SERVICE: Final = SHOPS | ORDERS | EXPORTS | JOBS_QUEUE
MANAGEMENT_SERVICE: Final = SHOPS | ORDERS | JOBS_QUEUE

FUNCTION_ENVIRONMENT: Final[dict[str, Reads]] = {
    # handler module (template.yaml's Handler, before the dot) -> what it reads through this module
    "connect": BASE | OAUTH_STATES,
    "oauth_callback": BASE | OAUTH_STATES | SHOPS,
    "token_keepalive": BASE | SHOPS | TOKENS,
    "management_api": MANAGEMENT_SERVICE,
    "export_api": EXPORT_SERVICE | BASE | TOKENS,
    "import_schedule": SHOPS | JOBS_QUEUE | LOCKS,
    "export_schedule": SHOPS | JOBS_QUEUE | LOCKS,
    "job_worker": SHOPS | ORDERS | EXPORTS | BASE | TOKENS | LOCKS,
    "order_change": SHOPS | EXPORT_SERVICE,
}


def check_environment(function: str) -> None:
    """Stop the function's start (RuntimeError, Japanese and English) if its environment lacks a
    variable it reads or holds a bad value; called by each handler when Lambda loads it."""
    reads = FUNCTION_ENVIRONMENT[function]
    config.check_environment(sorted(reads.required), sorted(reads.optional))


@cache
def http_session() -> requests.Session:
    """The container's one connection pool to BASE, shared by every client built below."""
    from base_sync.base_api.client import pooled_session  # noqa: PLC0415

    return pooled_session()


@cache
def secrets_store() -> SecretsStore:
    from base_sync.dal.secrets import SecretsStore  # noqa: PLC0415

    settings = get_config()
    return SecretsStore(
        app_secret_name=settings.require("app_credentials_secret"),
        shop_prefix=settings.require("shop_secret_prefix"),
        client_secret_name=settings.app_client_secret_name,
        client_id=settings.base_client_id,
    )


def base_client(*, deadline: Deadline | None = None) -> BaseClient:
    """A client with the app's credentials (re-read every five minutes; see SecretsStore), for jobs."""
    from base_sync.base_api import BaseClient  # noqa: PLC0415

    return BaseClient(
        get_config().base_api_url,
        secrets_store().app_credentials(),
        deadline=deadline,
        session=http_session(),
    )


def authorize_client() -> BaseClient:
    """A client that can only build BASE's authorize URL: the client secret is never read."""
    from base_sync.base_api import BaseClient  # noqa: PLC0415

    return BaseClient(
        get_config().base_api_url,
        secrets_store().app_credentials(include_secret=False),
        session=http_session(),
    )


def api_deadline(context: HasRemainingTime | None) -> Deadline:
    """An API path's deadline: Lambda's remaining time less a margin, at most 25 s (API Gateway: 29 s)."""
    return Deadline.from_context(
        context, margin_seconds=API_DEADLINE_MARGIN_SECONDS, cap_seconds=API_DEADLINE_CAP_SECONDS
    )


def api_client(deadline: Deadline) -> BaseClient:
    """A client for API paths: bounded by ``deadline`` and with the lighter API retry policy."""
    from base_sync.base_api import API_RETRY, BaseClient  # noqa: PLC0415

    return BaseClient(
        get_config().base_api_url,
        secrets_store().app_credentials(),
        deadline=deadline,
        retry=API_RETRY,
        session=http_session(),
    )


@cache
def shop_repository() -> ShopRepository:
    from base_sync.dal.shops import ShopRepository  # noqa: PLC0415

    return ShopRepository(get_config().require("shops_table"))


@cache
def oauth_state_repository() -> OAuthStateRepository:
    from base_sync.dal.oauth_states import OAuthStateRepository  # noqa: PLC0415

    return OAuthStateRepository(get_config().require("oauth_states_table"))


@cache
def order_repository() -> OrderRepository:
    from base_sync.dal.orders import OrderRepository  # noqa: PLC0415

    return OrderRepository(get_config().require("orders_table"))


@cache
def export_repository() -> ExportRepository:
    from base_sync.dal.export_runs import ExportRepository  # noqa: PLC0415

    return ExportRepository(get_config().require("exports_table"))


def jobs_queue_url() -> str:
    return get_config().require("jobs_queue_url")


@cache
def export_service() -> ExportService:
    from base_sync.services.export_requests import ExportService  # noqa: PLC0415

    return ExportService(shop_repository(), order_repository(), export_repository(), jobs_queue_url())


@cache
def management_service() -> ManagementService:
    from base_sync.services.management import ManagementService  # noqa: PLC0415

    return ManagementService(
        shop_repository(), order_repository(), jobs_queue_url=get_config().jobs_queue_url or None
    )


@cache
def tick_repository() -> TickRepository:
    from base_sync.dal.ticks import TickRepository  # noqa: PLC0415

    return TickRepository(get_config().require("locks_table"))


@cache
def lease_repository() -> LeaseRepository:
    from base_sync.dal.locks import LeaseRepository  # noqa: PLC0415

    return LeaseRepository(get_config().require("locks_table"))


@cache
def alerts() -> Alerts:
    from base_sync.services.alerts import Alerts  # noqa: PLC0415

    return Alerts(get_config().require("alert_topic_arn"))


def token_provider(
    client: BaseClient, *, deadline: Deadline | None = None, policy: RefreshPolicy | None = None
) -> TokenProvider:
    """Tokens for jobs (the worker, keep-alive): they may refresh, bounded by ``deadline``."""
    from base_sync.services.tokens import RefreshPolicy, TokenProvider  # noqa: PLC0415

    return TokenProvider(
        client=client,
        secrets=secrets_store(),
        shops=shop_repository(),
        leases=lease_repository(),
        alerts=alerts(),
        policy=policy or RefreshPolicy.MAY_REFRESH,
        deadline=deadline,
    )


def api_token_provider(client: BaseClient) -> TokenProvider:
    """Tokens for API paths: never refresh (a valid token, or TokenRefreshNeeded -> 503 Retry-After).

    In this mode it never calls the lease table or the alert topic: an API function needs no
    permission on them."""
    from base_sync.services.tokens import RefreshPolicy  # noqa: PLC0415

    return token_provider(client, deadline=client.deadline, policy=RefreshPolicy.NEVER)


def reset() -> None:
    """Forget everything built (tests change the environment between sessions)."""
    for factory in (
        http_session,
        secrets_store,
        shop_repository,
        oauth_state_repository,
        order_repository,
        export_repository,
        lease_repository,
        tick_repository,
        alerts,
        export_service,
        management_service,
    ):
        factory.cache_clear()
    get_config.cache_clear()
