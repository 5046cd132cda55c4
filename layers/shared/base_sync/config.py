"""Runtime configuration, read once from the environment that template.yaml gives every function.

Each handler checks, when Lambda loads it, that the environment holds every variable it reads
(:func:`check_environment`, with the names from ``wiring.FUNCTION_ENVIRONMENT``): a missing or
bad one stops the function at start with a message naming it, not inside a request later.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from functools import cache

from pydantic import BaseModel

# API Gateway gives up after 29 s: API paths stop their own work well before it, and keep room
# (the margin) to shape and send an answer. Lambda's remaining time can only make it shorter.
API_DEADLINE_CAP_SECONDS = 25.0
API_DEADLINE_MARGIN_SECONDS = 2.0

URL_VARIABLES = frozenset({"BASE_API_URL"})
"""Variables whose value, when set, must be an http(s) URL."""
REQUIRED_WITH = {"APP_CLIENT_SECRET_NAME": "BASE_CLIENT_ID"}
"""Once the first is set, the second must be too (the client secret's secret names no client id)."""


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
            raise RuntimeError(not_set_message([name.upper()]))
        return str(value)


def not_set_message(names: Iterable[str]) -> str:
    """「環境変数 X が設定されていません / environment variable X is not set」, for one or more names."""
    listed = ", ".join(names)
    plural = "," in listed
    return (
        f"環境変数 {listed} が設定されていません / "
        f"environment variable{'s' if plural else ''} {listed} {'are' if plural else 'is'} not set"
    )


def invalid_url_message(names: Iterable[str]) -> str:
    listed = ", ".join(names)
    return (
        f"環境変数 {listed} の値が http:// または https:// で始まる URL ではありません / "
        f"environment variable {listed}: not a URL starting with http:// or https://"
    )


def check_environment(
    required: Iterable[str], optional: Iterable[str] = (), environ: Mapping[str, str] | None = None
) -> None:
    """Raise RuntimeError naming every variable of ``required`` that is unset or blank, and
    every one of ``required``/``optional`` that is set to a bad value. Values are never echoed."""
    env = os.environ if environ is None else environ

    def is_set(name: str) -> bool:
        return bool(env.get(name, "").strip())

    read = [*required, *optional]
    missing = [name for name in required if not is_set(name)]
    for name, needed in REQUIRED_WITH.items():
        if name in read and is_set(name) and not is_set(needed) and needed not in missing:
            missing.append(needed)
    bad_urls = [
        name
        for name in read
        if name in URL_VARIABLES and is_set(name) and not env[name].startswith(("http://", "https://"))
    ]
    problems = [not_set_message(missing)] if missing else []
    if bad_urls:
        problems.append(invalid_url_message(bad_urls))
    if problems:
        raise RuntimeError("; ".join(problems))


@cache
def get_config() -> Config:
    return Config.from_env()
