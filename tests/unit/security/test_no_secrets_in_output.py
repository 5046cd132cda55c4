"""No access token, refresh token or client secret in any log line, error message, API answer or table.

A whole connect -> import -> edit -> export flow runs (with a token refresh in the middle and a
few failures on the way), while every log record (with its extra fields), everything written to
stdout/stderr and every API answer is kept. Then the real values are searched for.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from tests.support.flows import connect_shop
from tests.support.orders import import_now, make_orders, ship
from tests.support.stack import CLIENT_SECRET, ApiAnswer, StackUnderTest, drain_jobs

from base_sync import wiring
from base_sync.observability import logger as product_logger

pytestmark = pytest.mark.reliability

TABLES = ("ShopsTable", "OrdersTable", "ExportsTable", "OAuthStatesTable", "LocksTable")


class Keep(logging.Handler):
    """Every record, formatted the way the product's own handler formats it (JSON with extras)."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(product_logger.registered_formatter.format(record))
        self.lines.append(repr(record.__dict__))


def _token_values(stack: StackUnderTest, shop_id: str) -> set[str]:
    with stack.env("JobWorkerFunction"):
        tokens = wiring.secrets_store().shop_tokens(shop_id)
    return {tokens.access_token.get_secret_value(), tokens.refresh_token.get_secret_value()}


def test_a_full_flow_never_shows_a_secret(
    stack: StackUnderTest, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
):
    # Everything at INFO (as in Lambda), the product's own logger down to DEBUG. (Libraries' DEBUG
    # output, e.g. botocore's wire dumps, is not produced in Lambda and is not the product's.)
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger=product_logger.name)
    kept = Keep()
    logging.getLogger(product_logger.name).addHandler(kept)
    product_logger.setLevel("DEBUG")  # the client's per-call lines too
    answers: list[ApiAnswer] = []
    original_http = stack.http

    def http(method: str, path: str, **kw: Any) -> ApiAnswer:
        answer = original_http(method, path, **kw)
        answers.append(answer)
        return answer

    stack.http = http  # type: ignore[method-assign]
    secrets: set[str] = {CLIENT_SECRET}
    try:
        connect_shop(stack, "shop-sec", "秘密店")
        secrets |= _token_values(stack, "shop-sec")
        keys = make_orders(stack, "shop-sec", [{}, {}, {"cart_app": "YamatoDelivery"}])
        import_now(stack, "shop-sec")
        for key in keys:
            ship(stack, "shop-sec", key)
        # BASE drops the access token and our copy is old: the export refreshes first.
        stack.base.expire_tokens("shop-sec")
        with stack.env("JobWorkerFunction"):
            store = wiring.secrets_store()
            old = store.shop_tokens("shop-sec")
            store.put_shop_tokens(
                old.model_copy(update={"expires_at": datetime.now(UTC) - timedelta(seconds=5)})
            )
        stack.base.add_fault("5xx", rate=1.0, count=1, path_prefix="/1/orders/edit_status")
        export = stack.http("POST", "/exports", body={"shop_id": "shop-sec"})
        drain_jobs(stack)
        stack.http("GET", f"/exports/{export.json()['export_id']}")
        stack.http("POST", "/exports", body={"shop_id": "shop-sec", "dry_run": True})
        secrets |= _token_values(stack, "shop-sec")
        # Then the refresh token dies: the re-authorisation path logs and alerts too.
        stack.base.revoke_tokens("shop-sec")
        stack.base.expire_tokens("shop-sec")
        with stack.env("JobWorkerFunction"):
            store = wiring.secrets_store()
            current = store.shop_tokens("shop-sec")
            store.put_shop_tokens(
                current.model_copy(update={"expires_at": datetime.now(UTC) - timedelta(seconds=5)})
            )
        import_now(stack, "shop-sec")
        for path in (
            "/shops",
            "/shops/shop-sec/settings",
            "/shops/shop-sec/orders",
            f"/shops/shop-sec/orders/{keys[0]}",
        ):
            stack.http("GET", path)
        stack.http("GET", "/exports", query={"shop_id": "shop-sec"})
        stack.http("GET", "/oauth/callback", query={"state": "forged", "code": "x"})
    finally:
        logging.getLogger(product_logger.name).removeHandler(kept)
        product_logger.setLevel("INFO")
        stack.http = original_http  # type: ignore[method-assign]
    assert len(secrets) >= 5  # the client secret and two generations of the pair
    assert stack.base.tokens()["shops"]["shop-sec"]["refreshes_succeeded"] >= 1
    out, err = capfd.readouterr()
    records = [f"{r.getMessage()} {r.__dict__!r}" for r in caplog.records]
    ddb: Any = boto3.client("dynamodb", region_name=stack.local.region)
    tables = [
        json.dumps(ddb.scan(TableName=stack.local.refs[t])["Items"], ensure_ascii=False) for t in TABLES
    ]
    haystacks = {
        "stdout": out,
        "stderr": err,
        "log records": "\n".join(records),
        "formatted logs": "\n".join(kept.lines),
        "api answers": "\n".join(f"{a.status} {a.headers} {a.body}" for a in answers),
        "tables": "\n".join(tables),
    }
    assert kept.lines and answers and records
    for where, text in haystacks.items():
        for secret in secrets:
            assert secret not in text, f"a secret ({secret[:4]}…) appears in {where}"
