"""Audit: who did what. Order history entries of a PATCH, a settings change and an export run record
the IAM principal API Gateway put in ``requestContext.identity`` (contract: ``actor``)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.support.flows import connect_shop
from tests.support.stack import TEMPLATE, ApiAnswer, StackUnderTest

from base_sync import wiring
from base_sync.api.http import CALLER_MAX_CHARS, caller_arn
from base_sync.domain.order import BaseSnapshot, Order
from devstack.apigw import match_route, proxy_event

pytestmark = pytest.mark.integration

SHOP = "shop-audit"
TEST_CALLER = "arn:aws:iam::123456789012:user/test"  # what tests.support.stack signs with
ROLE = "arn:aws:sts::123456789012:assumed-role/ShippingStaff/hanako"


@pytest.fixture
def shop(stack: StackUnderTest) -> StackUnderTest:
    connect_shop(stack, SHOP, "監査商店")
    with stack.env("ManagementApiFunction"):
        wiring.order_repository().create(
            Order(shop_id=SHOP, unique_key="K1", base=BaseSnapshot(ordered=1_700_000_000))
        )
    return stack


def _call(
    stack: StackUnderTest, method: str, path: str, body: Any, identity: dict[str, Any] | None
) -> ApiAnswer:
    """A request with exactly this ``requestContext.identity`` (None: no identity at all)."""
    found = match_route(TEMPLATE.routes(), method, path)
    assert found is not None
    route, params = found
    event = proxy_event(
        route,
        method=method,
        path=path,
        path_parameters=params,
        headers={"content-type": "application/json"},
        body=json.dumps(body).encode(),
    )
    if identity is None:
        event["requestContext"].pop("identity")
    else:
        event["requestContext"]["identity"] = identity
    answer = stack.invoke(route.function, event)
    headers = {k.lower(): v for k, v in (answer.get("headers") or {}).items()}
    for key, values in (answer.get("multiValueHeaders") or {}).items():
        headers[key.lower()] = values[0]
    return ApiAnswer(answer["statusCode"], headers, answer.get("body") or "")


def _history(stack: StackUnderTest) -> list[dict[str, Any]]:
    answer = stack.http("GET", f"/shops/{SHOP}/orders/K1")
    assert answer.status == 200, answer.body
    history: list[dict[str, Any]] = answer.json()["history"]
    return history


def test_patch_records_the_callers_arn_in_the_history(shop: StackUnderTest) -> None:
    answer = shop.http("PATCH", f"/shops/{SHOP}/orders/K1", body={"status": "hold"})
    assert answer.status == 200, answer.body
    assert answer.json()["history"][-1]["actor"] == TEST_CALLER
    entry = _history(shop)[-1]  # and it is stored, not only answered
    assert entry["event"] == "updated"
    assert entry["detail"] == {"status": "hold"}
    assert entry["actor"] == TEST_CALLER


def test_patch_records_an_assumed_role(shop: StackUnderTest) -> None:
    identity = {"userArn": ROLE, "caller": "AROAEXAMPLE:hanako", "user": "AROAEXAMPLE:hanako"}
    answer = _call(shop, "PATCH", f"/shops/{SHOP}/orders/K1", {"status": "processed"}, identity)
    assert answer.status == 200, answer.body
    assert _history(shop)[-1]["actor"] == ROLE


@pytest.mark.parametrize(
    ("identity", "actor"),
    [
        ({"userArn": None, "caller": "AIDAEXAMPLE", "user": "AIDAEXAMPLE"}, "AIDAEXAMPLE"),
        ({"userArn": "", "caller": None, "user": "AIDAUSER"}, "AIDAUSER"),
    ],
)
def test_patch_falls_back_to_caller_then_user(
    shop: StackUnderTest, identity: dict[str, Any], actor: str
) -> None:
    answer = _call(shop, "PATCH", f"/shops/{SHOP}/orders/K1", {"status": "hold"}, identity)
    assert answer.status == 200, answer.body
    assert _history(shop)[-1]["actor"] == actor


@pytest.mark.parametrize("identity", [None, {"userArn": None, "caller": None, "sourceIp": "1.2.3.4"}])
def test_patch_without_a_principal_records_no_actor(
    shop: StackUnderTest, identity: dict[str, Any] | None
) -> None:
    answer = _call(shop, "PATCH", f"/shops/{SHOP}/orders/K1", {"status": "hold"}, identity)
    assert answer.status == 200, answer.body
    entry = _history(shop)[-1]
    assert entry["event"] == "updated"
    assert "actor" not in entry


def test_a_hostile_principal_is_recorded_clean_and_bounded(shop: StackUnderTest) -> None:
    hostile = "arn:aws:iam::123456789012:user/a\r\n\x00b" + "x" * 5000
    answer = _call(shop, "PATCH", f"/shops/{SHOP}/orders/K1", {"status": "hold"}, {"userArn": hostile})
    assert answer.status == 200, answer.body
    actor = _history(shop)[-1]["actor"]
    assert actor.startswith("arn:aws:iam::123456789012:user/ab")
    assert len(actor) == CALLER_MAX_CHARS
    assert actor.isprintable()


def test_settings_change_records_who_and_when_on_the_shop(shop: StackUnderTest) -> None:
    before = shop.http("GET", "/shops").json()["shops"][0]
    assert before["settings_changed_by"] is None and before["settings_changed_at"] is None
    put = shop.http("PUT", f"/shops/{SHOP}/settings", body={"auto_export": False})
    assert put.status == 200, put.body
    listed = shop.http("GET", "/shops").json()["shops"][0]
    assert listed["settings_changed_by"] == TEST_CALLER
    assert listed["settings_changed_at"] and listed["settings_changed_at"].endswith("+00:00")
    assert listed["settings"]["auto_export"] is False
    # the settings body keeps the contract's shape
    settings = shop.http("GET", f"/shops/{SHOP}/settings").json()
    assert "settings_changed_by" not in settings and "settings_changed_at" not in settings

    # a later change by another principal replaces both; one without a principal leaves none
    again = _call(shop, "PUT", f"/shops/{SHOP}/settings", {"auto_export": True}, {"userArn": ROLE})
    assert again.status == 200, again.body
    changed = shop.http("GET", "/shops").json()["shops"][0]
    assert changed["settings_changed_by"] == ROLE
    assert changed["settings_changed_at"] >= listed["settings_changed_at"]
    anonymous = _call(shop, "PUT", f"/shops/{SHOP}/settings", {"auto_export": True}, None)
    assert anonymous.status == 200, anonymous.body
    assert shop.http("GET", "/shops").json()["shops"][0]["settings_changed_by"] is None


def test_export_run_records_the_principal_of_post_exports(shop: StackUnderTest) -> None:
    answer = _call(shop, "POST", "/exports", {"shop_id": SHOP}, {"userArn": ROLE})
    assert answer.status == 202, answer.body
    export_id = answer.json()["export_id"]
    run = shop.http("GET", f"/exports/{export_id}")
    assert run.status == 200, run.body
    assert run.json()["actor"] == ROLE
    log = shop.http("GET", "/exports", query={"shop_id": SHOP}).json()["exports"]
    assert [entry.get("actor") for entry in log if entry["export_id"] == export_id] == [ROLE]


def test_caller_arn_reads_only_text_from_the_identity() -> None:
    assert caller_arn({}) is None
    assert caller_arn({"requestContext": None}) is None
    assert caller_arn({"requestContext": {"identity": "x"}}) is None
    assert caller_arn({"requestContext": {"identity": {"userArn": 5, "caller": ["x"]}}}) is None
    assert caller_arn({"requestContext": {"identity": {"userArn": "  "}}}) is None
    assert caller_arn({"requestContext": {"identity": {"userArn": ROLE, "caller": "other"}}}) == ROLE
