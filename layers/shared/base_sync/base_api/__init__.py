"""The BASE API v1 client: typed calls, one error hierarchy, bounded retries, call counting."""

from base_sync.base_api.client import DEFAULT_SCOPES, AppCredentials, BaseClient, CallCounter
from base_sync.base_api.errors import (
    AccessTokenInvalid,
    AppCredentialsRejected,
    AuthorizationCodeInvalid,
    BaseApiError,
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

__all__ = [
    "DEFAULT_SCOPES",
    "AccessTokenInvalid",
    "AppCredentials",
    "AppCredentialsRejected",
    "AuthorizationCodeInvalid",
    "BaseApiError",
    "BaseClient",
    "BaseUser",
    "CallCounter",
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
    "TokenPair",
    "TransientError",
]
