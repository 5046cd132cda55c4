"""Runtime configuration, read once from the environment that template.yaml gives every function."""

from __future__ import annotations

import os
from functools import cache

from pydantic import BaseModel

# API Gateway gives up after 29 s: API paths stop their own work well before it, and keep room
# (the margin) to shape and send an answer. Lambda's remaining time can only make it shorter.
API_DEADLINE_CAP_SECONDS = 25.0
API_DEADLINE_MARGIN_SECONDS = 2.0


class Config(BaseModel):
    """Names and URLs of everything a function talks to. Missing values fail loudly at first use."""

    base_api_url: str = "https://api.thebase.in"
    app_credentials_secret: str = ""
    """Secret whose JSON field ``redirect_uri`` is the registered OAuth callback URL."""
    app_client_secret_name: str = ""
    """Secret whose whole SecretString is BASE's client secret (no JSON: any value BASE issues fits)."""
    base_client_id: str = ""
    """BASE's client id of the app (not a secret)."""
    shop_secret_prefix: str = "base-order-sync/shops/"
    shops_table: str = ""
    oauth_states_table: str = ""
    locks_table: str = ""
    orders_table: str = ""
    exports_table: str = ""
    jobs_queue_url: str = ""
    alert_topic_arn: str = ""

    @classmethod
    def from_env(cls) -> Config:
        values = {name: os.environ[name.upper()] for name in cls.model_fields if name.upper() in os.environ}
        return cls.model_validate(values)

    def require(self, name: str) -> str:
        value = getattr(self, name)
        if not value:
            raise RuntimeError(f"environment variable {name.upper()} is not set")
        return str(value)


@cache
def get_config() -> Config:
    return Config.from_env()
