"""Bad input on every API route: a clear 4xx, never a 5xx, never a partial write.

Routes come from template.yaml (``devstack.template.Template.routes``), so a new route is fuzzed
the day it is declared. Every answer must be a 4xx with the contract's JSON error body (HTML for
the OAuth callback), and the tables and the jobs queue must be exactly as before.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from tests.reliability.ledger import LEDGER
from tests.reliability.scenario import import_until_stored
from tests.support.flows import SCOPE, connect_shop
from tests.support.orders import make_orders
from tests.support.stack import CLIENT_ID, REDIRECT_URI, TEMPLATE, ApiAnswer, StackUnderTest

from base_sync.api.models import MAX_BODY_BYTES
from devstack.apigw import proxy_event
from devstack.template import Route

pytestmark = pytest.mark.reliability

ROUTES = TEMPLATE.routes()
TABLES = ("ShopsTable", "OrdersTable", "ExportsTable", "OAuthStatesTable", "LocksTable")

BAD_BODIES: dict[str, bytes] = {
    "malformed_json": b"{nope",
    "truncated_json": b'{"status": "processed"',
    "empty": b"",
    "json_array": b"[]",
    "json_string": b'"processed"',
    "json_number": b"42",
    "json_null": b"null",
    "wrong_types": json.dumps(
        {
            "status": 5,
            "tracking_number": ["1"],
            "delivery_company": {"id": 1},
            "ship_date": 20250101,
            "export_filter": 1,
            "auto_export": "yes",
            "import_days": "7",
            "shop_id": 1,
            "order_keys": "K1",
            "dry_run": "no",
        }
    ).encode(),
    "unknown_fields": b'{"surprise": 1, "__proto__": {"admin": true}}',
    "huge": json.dumps({"comment_template": "x" * (MAX_BODY_BYTES + 10)}).encode(),
    "deeply_nested": b"[" * 30000 + b"]" * 30000,  # 60 kB, under the 64 kB cap
    "non_utf8": b'{"tracking_number": "\xff\xfe\x80"}',
    "utf16": '{"status": "processed"}'.encode("utf-16"),
    "emoji": '{"tracking_number": "📦📦", "delivery_company": "🚚", "status": "✅", "export_filter": "🙂"}'.encode(),
    "nul_bytes": b'{"tracking_number": "12\\u000034"}',
    "lone_surrogate": b'{"tracking_number": "\\ud800"}',
    "big_numbers": b'{"import_days": 1e400, "export_call_budget": 99999999999999999999999}',
    "duplicate_keys": b'{"import_days": 7, "import_days": "x"}',
}

HOSTILE_SEGMENTS = {
    "dotdot_encoded": "..%2F..%2Fsecrets",
    "encoded_slash": "a%2Fb",
    "double_encoded": "%252e%252e%252f",
    "very_long": "k" * 3000,
    "emoji": "🛒📦",
    "nul": "a%00b",
    "html": "<script>alert(1)</script>",
    "sql_ish": "' OR '1'='1",
}
# What API Gateway hands the function after decoding the path (it decodes %2F in parameters).
DECODED_PARAMS = ["../../secrets", "a/b", "\x00", "k" * 3000, "🛒", "<img src=x onerror=alert(1)>", " "]


def _snapshot(stack: StackUnderTest) -> dict[str, Any]:
    ddb: Any = boto3.client("dynamodb", region_name=stack.local.region)
    sqs: Any = boto3.client("sqs", region_name=stack.local.region)
    state: dict[str, Any] = {}
    for logical_id in TABLES:
        items = ddb.scan(TableName=stack.local.refs[logical_id], ConsistentRead=True)["Items"]
        state[logical_id] = sorted(json.dumps(i, sort_keys=True) for i in items)
    attrs = sqs.get_queue_attributes(
        QueueUrl=stack.local.refs["JobsQueue"],
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    state["JobsQueue"] = attrs
    return state


@pytest.fixture
def shop(stack: StackUnderTest) -> Iterator[tuple[str, str]]:
    connect_shop(stack, "shop-b", "B店")
    key = make_orders(stack, "shop-b", [{}])[0]
    import_until_stored(stack, "shop-b", [key])
    yield "shop-b", key


def _path(route: Route, shop_id: str, key: str, export_id: str = "no-such-export") -> str:
    return (
        route.path.replace("{shop_id}", shop_id)
        .replace("{unique_key}", key)
        .replace("{export_id}", export_id)
    )


def _assert_clear_4xx(answer: ApiAnswer, what: str) -> None:
    assert 400 <= answer.status < 500, (what, answer.status, answer.body[:300])
    if answer.headers.get("content-type", "").startswith("application/json"):
        body = answer.json()
        assert isinstance(body.get("error"), str) and body.get("message"), (what, body)


def _invoke_raw(
    stack: StackUnderTest, route: Route, path: str, params: dict[str, str], body: bytes
) -> ApiAnswer:
    event = proxy_event(
        route,
        method=route.method,
        path=path,
        path_parameters=params,
        headers={"content-type": "application/json"} if body else {},
        body=body,
        caller="arn:aws:iam::123456789012:user/test" if route.iam else None,
    )
    answer = stack.invoke(route.function, event)
    headers = {k.lower(): v for k, v in (answer.get("headers") or {}).items()}
    for name, values in (answer.get("multiValueHeaders") or {}).items():
        headers[name.lower()] = values[0]
    return ApiAnswer(answer["statusCode"], headers, answer.get("body") or "")


# Routes that read a JSON body (the others ignore any body: POST /connect, POST .../imports).
BODY_ROUTES = [
    r for r in ROUTES if r.method in ("PUT", "PATCH") or (r.method, r.path) == ("POST", "/exports")
]
BODYLESS_POSTS = [r for r in ROUTES if r.method == "POST" and r not in BODY_ROUTES]


def test_bodyless_routes_ignore_garbage_bodies(stack: StackUnderTest, shop: tuple[str, str]):
    shop_id, key = shop
    assert BODYLESS_POSTS
    for route in BODYLESS_POSTS:
        for name, body in BAD_BODIES.items():
            LEDGER.bad_input(f"body:{name}")
            answer = stack.http(route.method, _path(route, shop_id, key), raw_body=body)
            assert answer.status < 500, (route.path, name, answer.status, answer.body[:200])


def test_deeply_nested_json_is_a_4xx(stack: StackUnderTest, shop: tuple[str, str]):
    """Guards: check_body answers JSON nested too deeply to parse (RecursionError) with a 400."""
    shop_id, key = shop
    for route in BODY_ROUTES:
        LEDGER.bad_input("body:deeply_nested")
        answer = stack.http(route.method, _path(route, shop_id, key), raw_body=BAD_BODIES["deeply_nested"])
        _assert_clear_4xx(answer, f"{route.method} {route.path} deeply_nested")


def test_every_body_route_refuses_bad_bodies_without_writing(stack: StackUnderTest, shop: tuple[str, str]):
    shop_id, key = shop
    before = _snapshot(stack)
    for route in BODY_ROUTES:
        for name, body in BAD_BODIES.items():
            if name == "deeply_nested":
                continue  # its own test above
            path = _path(route, shop_id, key)
            params = {
                k: v for k, v in (("shop_id", shop_id), ("unique_key", key)) if "{" + k + "}" in route.path
            }
            LEDGER.bad_input(f"body:{name}")
            answer = _invoke_raw(stack, route, path, params, body)
            _assert_clear_4xx(answer, f"{route.method} {route.path} {name}")
            # The same bytes base64-encoded, as API Gateway sends binary bodies.
            encoded = proxy_event(route, method=route.method, path=path, path_parameters=params)
            encoded["body"] = base64.b64encode(body).decode()
            encoded["isBase64Encoded"] = True
            raw = stack.invoke(route.function, encoded)
            assert 400 <= raw["statusCode"] < 500, (route.path, name, "base64", raw)
    assert _snapshot(stack) == before


def test_every_route_refuses_hostile_path_parameters(stack: StackUnderTest, shop: tuple[str, str]):
    shop_id, key = shop
    before = _snapshot(stack)
    templated = [r for r in ROUTES if "{" in r.path]
    assert templated
    for route in templated:
        body = b'{"status": "processed"}' if route.method == "PATCH" else b""
        for name, segment in HOSTILE_SEGMENTS.items():
            for param in ("shop_id", "unique_key", "export_id"):
                if "{" + param + "}" not in route.path:
                    continue
                values = {"shop_id": shop_id, "unique_key": key, "export_id": "x"} | {param: segment}
                path = _path(route, values["shop_id"], values["unique_key"], values["export_id"])
                LEDGER.bad_input(f"path:{name}")
                if route.method == "PUT":
                    answer = stack.http(route.method, path, body={"import_days": 7})
                else:
                    answer = stack.http(route.method, path, raw_body=body or None)
                _assert_clear_4xx(answer, f"{route.method} {path[:80]}")
            for decoded in DECODED_PARAMS:  # already decoded by API Gateway
                params = {
                    p: (decoded if p in route.path else "") for p in ("shop_id", "unique_key", "export_id")
                }
                params = {p: v for p, v in params.items() if "{" + p + "}" in route.path}
                LEDGER.bad_input("path:decoded")
                answer = _invoke_raw(
                    stack, route, route.path, params, body if route.method != "PUT" else b"{}"
                )
                _assert_clear_4xx(answer, f"{route.method} {route.path} {decoded[:20]!r}")
    assert _snapshot(stack) == before


QUERIES: list[dict[str, str] | str] = [
    {"status": "bogus"},
    {"export_state": "'; DROP TABLE"},
    {"limit": "abc"},
    {"limit": "-1"},
    {"limit": "100000000000000000000000"},
    {"next_token": "!!!"},
    {"next_token": "e30="},
    {"next_token": base64.urlsafe_b64encode(b'{"shop_id": "other", "unique_key": "k"}').decode()},
    {"next_token": "A" * 5000},
    {"shop_id": ""},
    {"shop_id": "s" * 5000},
    {"shop_id": "🛒"},
    "limit=1&limit=2&status=new&status=%00",
    "%ff%fe=%ff",
]


def test_query_strings_are_refused_or_ignored_never_500(stack: StackUnderTest, shop: tuple[str, str]):
    shop_id, key = shop
    before = _snapshot(stack)
    for route in [r for r in ROUTES if r.method == "GET" and r.path != "/oauth/callback"]:
        for query in QUERIES:
            LEDGER.bad_input("query")
            answer = stack.http("GET", _path(route, shop_id, key), query=query)
            assert answer.status < 500, (route.path, query, answer.status, answer.body[:300])
    assert _snapshot(stack) == before


def test_oauth_callback_forged_replayed_expired_and_hostile(stack: StackUnderTest):
    """The callback (the one public route): every refusal is a 400 page that echoes nothing raw,
    stores nothing, and leaves a good state usable only once."""
    stack.base.create_shop("shop-cb", "CB店")
    before = _snapshot(stack)
    hostile = '<script>alert("x")</script>&"\'`'
    cases: list[dict[str, str] | str] = [
        {},
        {"code": "abc"},
        {"state": "forged-" + "A" * 43, "code": "abc"},
        {"state": hostile, "code": hostile},
        {"state": "", "code": ""},
        {"state": "s" * 1500, "code": "c"},
        {"state": "🛒", "code": "📦"},
        {"error": hostile, "state": "forged"},
        {"error": "access_denied", "error_description": hostile},
        "state=%00&code=%ff%fe",
        "state=a&state=b&code=c",
    ]
    for query in cases:
        LEDGER.bad_input("callback:hostile")
        answer = stack.http("GET", "/oauth/callback", query=query)
        assert answer.status == 400, (query, answer.status, answer.body[:200])
        assert answer.headers.get("content-type", "").startswith("text/html")
        assert "<script>" not in answer.body and "onerror" not in answer.body
    assert _snapshot(stack) == before
    # A real state: denied by the owner (the state is spent), then replayed with a code.
    state = parse_qs(urlsplit(stack.http("POST", "/connect").json()["authorize_url"]).query)["state"][0]
    denied = stack.http("GET", "/oauth/callback", query={"error": "access_denied", "state": state})
    assert denied.status == 400
    code = stack.base.obtain_code(CLIENT_ID, REDIRECT_URI, "shop-cb", scope=SCOPE)
    replay = stack.http("GET", "/oauth/callback", query={"state": state, "code": code})
    LEDGER.bad_input("callback:replayed", 2)
    assert replay.status == 400 and "すでに使われています" in replay.body
    # An expired state: written as POST /connect would, ten minutes in the past.
    ddb: Any = boto3.client("dynamodb", region_name=stack.local.region)
    ddb.put_item(
        TableName=stack.local.refs["OAuthStatesTable"],
        Item={"state": {"S": "expired-state-1"}, "expires_at": {"N": "1000"}, "ttl": {"N": "87400"}},
    )
    expired = stack.http("GET", "/oauth/callback", query={"state": "expired-state-1", "code": code})
    LEDGER.bad_input("callback:expired")
    assert expired.status == 400 and "有効期限" in expired.body
    shops = stack.http("GET", "/shops").json()["shops"]
    assert shops == []  # nothing was connected by any of it


# -- item 19: a body route takes application/json only (415 unsupported_media_type), deployed too

REFUSED_MEDIA_TYPES: list[dict[str, str] | None] = [
    None,  # no Content-Type: a browser form or no-cors fetch can send that cross-site
    {"Content-Type": "text/plain"},
    {"content-type": "text/plain;charset=UTF-8"},
    {"Content-Type": "application/x-www-form-urlencoded"},
    {"Content-Type": "multipart/form-data; boundary=x"},
    {"Content-Type": "application/json-patch+json"},
    {"Content-Type": "application/json; charset=utf-16"},
    {"Content-Type": "application/jsonp"},
]


def _valid_body(route: Route) -> bytes:
    if route.method == "PUT":
        return b'{"import_days": 9}'
    if route.method == "PATCH":
        return b'{"status": "hold"}'
    return b'{"shop_id": "shop-b"}'


@pytest.mark.parametrize("headers", REFUSED_MEDIA_TYPES, ids=str)
def test_body_routes_refuse_other_media_types_without_writing(
    stack: StackUnderTest, shop: tuple[str, str], headers: dict[str, str] | None
):
    shop_id, key = shop
    before = _snapshot(stack)
    for route in BODY_ROUTES:
        path = _path(route, shop_id, key)
        params = {k: v for k, v in (("shop_id", shop_id), ("unique_key", key)) if "{" + k + "}" in route.path}
        event = proxy_event(
            route,
            method=route.method,
            path=path,
            path_parameters=params,
            headers=headers,
            body=_valid_body(route),
            caller="arn:aws:iam::123456789012:user/test",
        )
        answer = stack.invoke(route.function, event)
        assert answer["statusCode"] == 415, (route.method, route.path, headers, answer)
        body = json.loads(answer["body"])
        assert body["error"] == "unsupported_media_type" and "application/json" in body["message"]
    assert _snapshot(stack) == before


def test_two_content_types_are_refused(stack: StackUnderTest, shop: tuple[str, str]):
    shop_id, key = shop
    route = next(r for r in BODY_ROUTES if r.method == "PATCH")
    event = proxy_event(
        route,
        method="PATCH",
        path=_path(route, shop_id, key),
        path_parameters={"shop_id": shop_id, "unique_key": key},
        headers={"Content-Type": "application/json"},
        body=b'{"status": "hold"}',
        caller="arn:aws:iam::123456789012:user/test",
    )
    event["multiValueHeaders"] = {"Content-Type": ["application/json", "text/plain"]}
    assert stack.invoke(route.function, event)["statusCode"] == 415


@pytest.mark.parametrize(
    "content_type", ["application/json", "application/json; charset=utf-8", "Application/JSON;Charset=UTF-8"]
)
def test_json_bodies_are_still_taken(stack: StackUnderTest, shop: tuple[str, str], content_type: str):
    shop_id, key = shop
    for route in BODY_ROUTES:
        path = _path(route, shop_id, key)
        params = {k: v for k, v in (("shop_id", shop_id), ("unique_key", key)) if "{" + k + "}" in route.path}
        event = proxy_event(
            route,
            method=route.method,
            path=path,
            path_parameters=params,
            headers={"Content-Type": content_type},
            body=_valid_body(route),
            caller="arn:aws:iam::123456789012:user/test",
        )
        answer = stack.invoke(route.function, event)
        assert answer["statusCode"] in (200, 202), (route.method, route.path, content_type, answer)
