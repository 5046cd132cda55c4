"""The BASE API v1 client: typed calls, one error hierarchy, bounded retries, call counting.

What the services use is re-exported here; the rest (the wire models, the retry policy, the call
counter) is imported from its module (``base_api.client``, ``base_api.models``, ``base_api.errors``).
"""

from base_sync.base_api.client import API_RETRY, BaseClient
from base_sync.base_api.errors import (
    AccessTokenInvalid,
    AppCredentialsRejected,
    AuthorizationCodeInvalid,
    BaseApiError,
    DeadlineExceeded,
    OrderRefused,
    PaymentPending,
    RateLimited,
    RefreshTokenInvalid,
    TransientError,
)
from base_sync.base_api.models import DeliveryCompany, TokenPair
from base_sync.domain.credentials import AppCredentials

__all__ = [
    "API_RETRY",
    "AccessTokenInvalid",
    "AppCredentials",
    "AppCredentialsRejected",
    "AuthorizationCodeInvalid",
    "BaseApiError",
    "BaseClient",
    "DeadlineExceeded",
    "DeliveryCompany",
    "OrderRefused",
    "PaymentPending",
    "RateLimited",
    "RefreshTokenInvalid",
    "TokenPair",
    "TransientError",
]
