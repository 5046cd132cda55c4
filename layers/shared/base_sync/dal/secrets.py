"""The one place that reads and writes Secrets Manager: the app's credentials and each shop's tokens."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta

from aws_lambda_powertools.utilities.parameters import SecretsProvider
from botocore.exceptions import ClientError
from pydantic import SecretStr

from base_sync.aws import secretsmanager
from base_sync.base_api import AppCredentials
from base_sync.dal.items import NOT_FOUND, error_code
from base_sync.domain.shop import ShopTokens

_SAFE_NAME = re.compile(r"[^A-Za-z0-9_.@+=-]")


class SecretNotFound(LookupError):
    """The secret does not exist (a shop that was never connected, or a misconfigured stack)."""


def shop_secret_name(prefix: str, shop_id: str) -> str:
    """One secret per shop under the prefix the IAM policy is scoped to; odd characters are hex-escaped."""
    safe = _SAFE_NAME.sub(lambda m: f"_{ord(m.group()):x}_", shop_id)
    return f"{prefix}{safe}"


class SecretsStore:
    def __init__(self, *, app_secret_name: str, shop_prefix: str) -> None:
        self.app_secret_name = app_secret_name
        self.shop_prefix = shop_prefix
        self._provider: SecretsProvider | None = None

    def app_credentials(self) -> AppCredentials:
        """Cached for five minutes (powertools Parameters): it changes only on redeploy."""
        if self._provider is None:  # on our one Secrets Manager client (base_sync.aws)
            self._provider = SecretsProvider(boto3_client=secretsmanager())
        data = json.loads(str(self._provider.get(self.app_secret_name, max_age=300)))
        return AppCredentials(
            client_id=data["client_id"],
            client_secret=SecretStr(data["client_secret"]),
            redirect_uri=data["redirect_uri"],
        )

    def shop_tokens(self, shop_id: str) -> ShopTokens:
        return ShopTokens.model_validate_json(self._get(shop_secret_name(self.shop_prefix, shop_id)))

    def put_shop_tokens(self, tokens: ShopTokens) -> None:
        """Store a new pair; creates the shop's secret on first connection."""
        name = shop_secret_name(self.shop_prefix, tokens.shop_id)
        value = tokens.to_secret_string()
        client = secretsmanager()
        try:
            client.put_secret_value(SecretId=name, SecretString=value)
        except ClientError as exc:
            if error_code(exc) != NOT_FOUND:
                raise
            client.create_secret(
                Name=name,
                SecretString=value,
                Description=f"BASE OAuth tokens of shop {tokens.shop_id} (base-order-sync)",
            )

    def shop_secret_exists(self, shop_id: str) -> bool:
        try:
            secretsmanager().describe_secret(SecretId=shop_secret_name(self.shop_prefix, shop_id))
        except ClientError as exc:
            if error_code(exc) == NOT_FOUND:
                return False
            raise
        return True

    @staticmethod
    def _get(name: str) -> str:
        try:
            return secretsmanager().get_secret_value(SecretId=name)["SecretString"]
        except ClientError as exc:
            if error_code(exc) == NOT_FOUND:
                raise SecretNotFound(f"secret {name} not found") from None
            raise


def tokens_from_pair(
    shop_id: str, access_token: SecretStr, refresh_token: SecretStr, expires_in: int, now: datetime
) -> ShopTokens:
    """A token pair as BASE issued it at ``now``."""
    return ShopTokens(
        shop_id=shop_id,
        access_token=access_token,
        refresh_token=refresh_token,
        expires_at=now + timedelta(seconds=expires_in),
        issued_at=now,
    )
