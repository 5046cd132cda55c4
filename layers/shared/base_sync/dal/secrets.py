"""The one place that reads and writes Secrets Manager: the app's credentials and each shop's tokens.

App credentials: the client secret is the whole SecretString of its own secret (no JSON around it,
so any value BASE issues survives, ``"`` and ``\\`` included); the client id comes from the
environment; the redirect URI is the ``redirect_uri`` field of the app-credentials secret.

Shop tokens: one secret per shop, named by :func:`shop_secret_name` (injective), and every read
checks that the secret is the asked shop's (``shop_id`` inside it), so a token is never used for
another shop.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from aws_lambda_powertools.utilities.parameters import SecretsProvider
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import SecretStr

from base_sync.aws import secretsmanager
from base_sync.config import not_set_message
from base_sync.dal.dynamo import NOT_FOUND, error_code
from base_sync.dal.errors import SecretNotFound, SecretShopMismatch, SecretWriteFailed
from base_sync.domain.credentials import AppCredentials
from base_sync.domain.deadline import Deadline
from base_sync.domain.shop import ShopTokens

_PLAIN_ID = re.compile(r"[A-Za-z0-9_.@+=-]+")
_LEGACY_ESCAPE = re.compile(r"[^A-Za-z0-9_.@+=-]")
WRITE_ATTEMPTS = 4  # each is one boto3 call with botocore's own retries inside
WRITE_ATTEMPT_SECONDS = 2.0  # no write attempt is started with less than this left on the deadline
WRITE_BACKOFF_SECONDS = 0.25
ENCODED_MARKER = "x/"
"""Names of shop ids that are not plain start with this after the prefix. A plain id never
contains ``/``, so no plain id can produce an encoded name."""


def shop_secret_name(prefix: str, shop_id: str) -> str:
    """One secret per shop under the prefix the IAM policy is scoped to. Injective: a plain id
    (``A-Za-z0-9_.@+=-``) is its own name, as it always was; any other id is the marker ``x/``
    and the hex of its UTF-8 bytes, which no plain id can produce (plain ids have no ``/``)."""
    if not shop_id:
        raise ValueError("a shop id cannot be empty")
    if _PLAIN_ID.fullmatch(shop_id):
        return f"{prefix}{shop_id}"
    return f"{prefix}{ENCODED_MARKER}{shop_id.encode('utf-8').hex()}"


def legacy_shop_secret_name(prefix: str, shop_id: str) -> str | None:
    """Where an earlier version stored a non-plain id's secret (``a/b`` -> ``a_2f_b``, not injective).
    Read only as a fallback, and only with the ``shop_id`` check; None for plain ids."""
    if _PLAIN_ID.fullmatch(shop_id):
        return None
    return prefix + _LEGACY_ESCAPE.sub(lambda m: f"_{ord(m.group()):x}_", shop_id)


class SecretsStore:
    def __init__(
        self,
        *,
        app_secret_name: str,
        shop_prefix: str,
        client_secret_name: str = "",
        client_id: str = "",
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.app_secret_name = app_secret_name
        self._sleep = sleep
        self.client_secret_name = client_secret_name
        self.client_id = client_id
        self.shop_prefix = shop_prefix
        self._provider: SecretsProvider | None = None

    def app_credentials(self, *, include_secret: bool = True) -> AppCredentials:
        """Cached for five minutes (powertools Parameters): they change only on redeploy.

        ``include_secret=False`` (building BASE's authorize URL needs only the id and the redirect
        URI) leaves the client secret unread and empty, so POST /connect needs no permission on it.

        With ``client_secret_name`` (env ``APP_CLIENT_SECRET_NAME``) the client secret is that
        secret's whole value and the client id is ``client_id`` (env ``BASE_CLIENT_ID``); the
        app-credentials secret then needs only ``redirect_uri``. Without it (a stack deployed
        before this shape) all three come from the app-credentials JSON.
        """
        if self._provider is None:  # on our one Secrets Manager client (base_sync.aws)
            self._provider = SecretsProvider(boto3_client=secretsmanager())
        data = json.loads(str(self._provider.get(self.app_secret_name, max_age=300)))
        if not self.client_secret_name:
            return AppCredentials(
                client_id=data["client_id"],
                client_secret=SecretStr(data["client_secret"]),
                redirect_uri=data["redirect_uri"],
            )
        if not self.client_id:
            raise RuntimeError(not_set_message(["BASE_CLIENT_ID"]))
        secret = str(self._provider.get(self.client_secret_name, max_age=300)) if include_secret else ""
        return AppCredentials(
            client_id=self.client_id,
            client_secret=SecretStr(secret),
            redirect_uri=data["redirect_uri"],
        )

    def shop_tokens(self, shop_id: str) -> ShopTokens:
        """The shop's pair; raises SecretNotFound, or SecretShopMismatch when the secret is another shop's."""
        name = shop_secret_name(self.shop_prefix, shop_id)
        try:
            text = self._get(name)
        except SecretNotFound:
            legacy = legacy_shop_secret_name(self.shop_prefix, shop_id)
            if legacy is None:
                raise
            name, text = legacy, self._get(legacy)
        tokens = ShopTokens.model_validate_json(text)
        if tokens.shop_id != shop_id:
            raise SecretShopMismatch(name, shop_id, tokens.shop_id)
        return tokens

    def put_shop_tokens(self, tokens: ShopTokens, *, deadline: Deadline | None = None) -> None:
        """Store a new pair (creating the shop's secret on first connection), retrying a failed write.

        BASE has already rotated the pair when this runs, so a lost write loses the shop: up to
        ``WRITE_ATTEMPTS`` attempts with a short backoff, none started unless ``deadline`` leaves
        ``WRITE_ATTEMPT_SECONDS``. Raises SecretWriteFailed when every attempt failed.
        """
        limit = deadline or Deadline.never()
        name = shop_secret_name(self.shop_prefix, tokens.shop_id)
        value = tokens.to_secret_string()
        attempt = 0
        while True:
            attempt += 1
            try:
                self._put_once(name, value, tokens.shop_id)
                return
            except (ClientError, BotoCoreError) as exc:
                code = error_code(exc) if isinstance(exc, ClientError) else type(exc).__name__
                delay = WRITE_BACKOFF_SECONDS * 2 ** (attempt - 1)
                if attempt >= WRITE_ATTEMPTS or not limit.has(delay + WRITE_ATTEMPT_SECONDS):
                    raise SecretWriteFailed(tokens.shop_id, attempt, code) from None
                self._sleep(delay)

    @staticmethod
    def _put_once(name: str, value: str, shop_id: str) -> None:
        client = secretsmanager()
        try:
            client.put_secret_value(SecretId=name, SecretString=value)
        except ClientError as exc:
            if error_code(exc) != NOT_FOUND:
                raise
            client.create_secret(
                Name=name,
                SecretString=value,
                Description=f"BASE OAuth tokens of shop {shop_id} (base-order-sync)",
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
