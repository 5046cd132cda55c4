"""The BASE API v1 client: typed calls, one error hierarchy, bounded retries, call counting."""

from base_sync.base_api.client import (
    API_RETRY,
    DEFAULT_SCOPES,
    BaseClient,
    CallCounter,
    RetryPolicy,
)
from base_sync.base_api.errors import (
    AccessTokenInvalid,
    AppCredentialsRejected,
    AuthorizationCodeInvalid,
    BaseApiError,
    DeadlineExceeded,
    OrderRefused,
    PaymentPending,
    RateLimited,
    ReauthorizationRequired,
    RefreshTokenInvalid,
    RequestRejected,
    TransientError,
)
from base_sync.base_api.models import (
    BaseUser,
    DeliveryCompany,
    OrderDetail,
    OrderItem,
    OrderSummary,
    TokenPair,
)
from base_sync.domain.credentials import AppCredentials

__all__ = [
    "API_RETRY",
    "DEFAULT_SCOPES",
    "AccessTokenInvalid",
    "AppCredentials",
    "AppCredentialsRejected",
    "AuthorizationCodeInvalid",
    "BaseApiError",
    "BaseClient",
    "BaseUser",
    "CallCounter",
    "DeadlineExceeded",
    "DeliveryCompany",
    "OrderDetail",
    "OrderItem",
    "OrderRefused",
    "OrderSummary",
    "PaymentPending",
    "RateLimited",
    "ReauthorizationRequired",
    "RefreshTokenInvalid",
    "RequestRejected",
    "RetryPolicy",
    "TokenPair",
    "TransientError",
]
