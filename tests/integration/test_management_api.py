"""The management API end to end: template routes -> handler -> DynamoDB/SQS on moto."""

from __future__ import annotations

import base64
import json
from typing import Any

import boto3
import pytest
from tests.support.flows import connect_shop
from tests.support.stack import REGION, StackUnderTest

from base_sync import wiring
from base_sync.domain.order import BaseSnapshot, DispatchAttempt, ExportState, Order
from base_sync.domain.shop import ShopSettings
from base_sync.domain.status import ManagementStatus

pytestmark = pytest.mark.integration

SHOP = "shop-a"


def _order(
    unique_key: str,
    ordered: int,
    *,
    status: ManagementStatus = ManagementStatus.NEW,
    export_state: ExportState = ExportState.NOT_READY,
    **fields: Any,
) -> Order:
    return Order(
        shop_id=SHOP,
        unique_key=unique_key,
        base=BaseSnapshot(ordered=ordered, dispatch_status="ordered"),
        status=status,
        export_state=export_state,
        **fields,
    )


def _put_orders(stack: StackUnderTest, *orders: Order) -> None:
    with stack.env("ManagementApiFunction"):
        repo = wiring.order_repository()
        for order in orders:
            repo.create(order)


def _stored(stack: StackUnderTest, unique_key: str) -> Order:
    with stack.env("ManagementApiFunction"):
        return wiring.order_repository().get(SHOP, unique_key)


@pytest.fixture
def shop(stack: StackUnderTest) -> StackUnderTest:
    connect_shop(stack, SHOP, "テスト商店")
    return stack


def _patch(stack: StackUnderTest, unique_key: str, body: Any) -> Any:
    return stack.http("PATCH", f"/shops/{SHOP}/orders/{unique_key}", body=body)


# -- shops and settings


def test_list_shops_has_contract_shape(shop: StackUnderTest) -> None:
    answer = shop.http("GET", "/shops")
    assert answer.status == 200, answer.body
    assert answer.headers["content-type"].startswith("application/json")
    (listed,) = answer.json()["shops"]
    assert set(listed) == {
        "shop_id",
        "shop_name",
        "status",
        "settings",
        "last_import",
        "last_export",
        "settings_changed_at",
        "settings_changed_by",
    }
    assert listed["shop_id"] == SHOP
    assert listed["shop_name"] == "テスト商店"
    assert listed["status"] == "connected"
    assert listed["settings"]["export_filter"] == "all_except_new_and_hold"
    assert listed["settings"]["import_days"] == 7
    assert listed["last_import"] is None and listed["last_export"] is None


def test_list_shops_empty(stack: StackUnderTest) -> None:
    answer = stack.http("GET", "/shops")
    assert answer.status == 200
    assert answer.json() == {"shops": []}


def test_settings_round_trip(shop: StackUnderTest) -> None:
    answer = shop.http("GET", f"/shops/{SHOP}/settings")
    assert answer.status == 200
    assert answer.json()["auto_export"] is True
    new = {
        "export_filter": "processed_only",
        "auto_export": False,
        "auto_import": True,
        "import_days": 30,
        "comment_template": "追跡番号: {tracking_number} ({delivery_company}, {ship_date})",
    }
    put = shop.http("PUT", f"/shops/{SHOP}/settings", body=new)
    assert put.status == 200, put.body
    got = shop.http("GET", f"/shops/{SHOP}/settings").json()
    assert {k: got[k] for k in new} == new
    with shop.env("ManagementApiFunction"):
        assert wiring.shop_repository().get(SHOP).settings.import_days == 30


def test_settings_of_unknown_shop_404(stack: StackUnderTest) -> None:
    for method, body in (("GET", None), ("PUT", {"import_days": 3})):
        answer = stack.http(method, "/shops/nope/settings", body=body)
        assert answer.status == 404, answer.body
        assert answer.json()["error"] == "shop_not_found"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"import_days": 7, "colour": "red"}, "colour"),
        ({"export_filter": "everything"}, "export_filter"),
        ({"import_days": 0}, "import_days"),
        ({"import_days": 91}, "import_days"),
        ({"import_days": "7"}, "import_days"),
        ({"comment_template": "番号 {tracking_no}"}, "comment_template"),
        ({"comment_template": "x" * 160 + "{delivery_company}"}, "comment_template"),
        ({"auto_export": "yes"}, "auto_export"),
        ({"auto_export": 1}, "auto_export"),
    ],
)
def test_settings_validation(shop: StackUnderTest, body: dict[str, Any], field: str) -> None:
    answer = shop.http("PUT", f"/shops/{SHOP}/settings", body=body)
    assert answer.status == 422, answer.body
    error = answer.json()
    assert error["error"] == "validation_failed"
    assert error["message"]
    assert field in error["fields"], error
    assert set(error["fields"]) == {field}
    reason = error["fields"][field]
    if field == "colour":  # an unknown field's error lists the valid ones, every field of the model
        assert reason.startswith("unknown field; valid fields: ")
        assert reason.removeprefix("unknown field; valid fields: ").split(", ") == list(
            ShopSettings.model_fields
        )
    elif field == "auto_export":
        assert reason.startswith("must be true or false (got ")
    elif field == "import_days":
        assert reason.startswith("must be an integer from 1 to 90 (got ")
    elif field == "export_filter":
        assert "all_except_new_and_hold" in reason and "processed_only" in reason
    assert error["message"].count(reason) == 1
    # nothing was stored
    assert shop.http("GET", f"/shops/{SHOP}/settings").json()["import_days"] == 7


# -- orders list


def test_orders_newest_first_filters_and_paging(shop: StackUnderTest) -> None:
    _put_orders(
        shop,
        _order("A1", 1_700_000_100, status=ManagementStatus.NEW),
        _order("A2", 1_700_000_300, status=ManagementStatus.PROCESSED, export_state=ExportState.PENDING),
        _order("A3", 1_700_000_200, status=ManagementStatus.NEW),
        _order("A4", 1_700_000_400, status=ManagementStatus.HOLD),
        _order("A5", 1_700_000_050, status=ManagementStatus.PROCESSED, export_state=ExportState.EXPORTED),
    )
    answer = shop.http("GET", f"/shops/{SHOP}/orders")
    assert answer.status == 200, answer.body
    body = answer.json()
    assert [o["unique_key"] for o in body["orders"]] == ["A4", "A2", "A3", "A1", "A5"]
    assert body["next_token"] is None

    by_status = shop.http("GET", f"/shops/{SHOP}/orders", query={"status": "new"}).json()
    assert [o["unique_key"] for o in by_status["orders"]] == ["A3", "A1"]
    by_state = shop.http("GET", f"/shops/{SHOP}/orders", query={"export_state": "pending"}).json()
    assert [o["unique_key"] for o in by_state["orders"]] == ["A2"]
    both = shop.http(
        "GET", f"/shops/{SHOP}/orders", query={"status": "processed", "export_state": "exported"}
    ).json()
    assert [o["unique_key"] for o in both["orders"]] == ["A5"]

    seen: list[str] = []
    query: dict[str, str] = {"limit": "2"}
    pages = 0
    while True:
        page = shop.http("GET", f"/shops/{SHOP}/orders", query=query)
        assert page.status == 200, page.body
        data = page.json()
        assert len(data["orders"]) <= 2
        seen += [o["unique_key"] for o in data["orders"]]
        pages += 1
        if not data["next_token"]:
            break
        query = {"limit": "2", "next_token": data["next_token"]}
    assert seen == ["A4", "A2", "A3", "A1", "A5"]
    assert pages >= 3


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"status": "shipped"}, "status"),
        ({"export_state": "done"}, "export_state"),
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"limit": "ten"}, "limit"),
    ],
)
def test_orders_list_validation(shop: StackUnderTest, query: dict[str, str], field: str) -> None:
    answer = shop.http("GET", f"/shops/{SHOP}/orders", query=query)
    assert answer.status == 422, answer.body
    assert answer.json()["error"] == "validation_failed"
    assert field in answer.json()["fields"]


@pytest.mark.parametrize("token", ["not-a-token!!", "eyJzaG9wX2lkIjogIm90aGVyIn0="])
def test_bad_next_token_is_400(shop: StackUnderTest, token: str) -> None:
    answer = shop.http("GET", f"/shops/{SHOP}/orders", query={"next_token": token})
    assert answer.status == 400, answer.body
    assert answer.json()["error"] == "invalid_next_token"


# -- next_token: only a token this listing issued (contract: else 400 invalid_next_token)


def _b64(data: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode()


def _issued(stack: StackUnderTest, **query: str) -> str:
    """A real next_token of the first page of two orders (whatever shape the code issues)."""
    page = stack.http("GET", f"/shops/{SHOP}/orders", query={"limit": "2", **query})
    assert page.status == 200, page.body
    token = page.json()["next_token"]
    assert isinstance(token, str) and token
    return token


def _edited(token: str, change: Any) -> str:
    fields = json.loads(base64.urlsafe_b64decode(token))
    change(fields)
    return _b64(fields)


def _assert_invalid_token(stack: StackUnderTest, token: str, **query: str) -> None:
    answer = stack.http("GET", f"/shops/{SHOP}/orders", query={"next_token": token, **query})
    assert answer.status == 400, (answer.status, answer.body[:300])
    assert answer.json()["error"] == "invalid_next_token"
    assert answer.json()["message"]


@pytest.fixture
def listed(shop: StackUnderTest) -> StackUnderTest:
    _put_orders(shop, *(_order(f"N{i}", 1_700_000_000 + i) for i in range(5)))
    _put_orders(shop, _order("OTHER", 1_700_000_100, status=ManagementStatus.HOLD))
    return shop


def _drop(name: str) -> Any:
    return lambda fields: fields.pop(name)


def _retarget(fields: dict[str, Any]) -> None:
    """Point the token at an order that does not exist, keeping every attribute consistent."""
    key = fields["unique_key"]
    assert key == "N4"  # the first page is OTHER, N4
    for name, value in list(fields.items()):
        if isinstance(value, str) and value.endswith(key):
            fields[name] = value.removesuffix(key) + "N9"


@pytest.mark.parametrize(
    ("case", "token"),
    [
        ("shop_id alone", lambda issued: _b64({"shop_id": SHOP})),
        ("missing ordered_sk", lambda issued: _edited(issued, _drop("ordered_sk"))),
        ("missing unique_key", lambda issued: _edited(issued, _drop("unique_key"))),
        ("extra attribute", lambda issued: _edited(issued, lambda f: f.update(colour="red"))),
        ("extra index attribute", lambda issued: _edited(issued, lambda f: f.update(ready_shop=SHOP))),
        ("oversize attribute", lambda issued: _edited(issued, lambda f: f.update(unique_key="K" * 3000))),
        ("oversize token", lambda issued: issued + "A" * 4000),
        (
            "not ours, re-encoded",
            lambda issued: base64.urlsafe_b64encode(
                json.dumps(json.loads(base64.urlsafe_b64decode(issued)), indent=1).encode()
            ).decode(),
        ),
        ("another shop", lambda issued: _edited(issued, lambda f: f.update(shop_id="shop-b"))),
        ("an order that does not exist", lambda issued: _edited(issued, _retarget)),
    ],
)
def test_next_token_we_did_not_issue_is_400(listed: StackUnderTest, case: str, token: Any) -> None:
    issued = _issued(listed)
    _assert_invalid_token(listed, token(issued))


def test_next_token_of_another_filter_is_400(listed: StackUnderTest) -> None:
    new_only = _issued(listed, status="new")
    _assert_invalid_token(listed, new_only)
    _assert_invalid_token(listed, new_only, status="hold")
    _assert_invalid_token(listed, new_only, status="new", export_state="not_ready")
    unfiltered = _issued(listed)
    _assert_invalid_token(listed, unfiltered, status="new")
    # and on its own listing it pages on
    page = listed.http("GET", f"/shops/{SHOP}/orders", query={"status": "new", "next_token": new_only})
    assert page.status == 200, page.body
    assert [o["unique_key"] for o in page.json()["orders"]] == ["N2", "N1", "N0"]


def test_next_token_of_another_shop_is_400(listed: StackUnderTest) -> None:
    connect_shop(listed, "shop-b", "B店")
    token = _issued(listed)
    answer = listed.http("GET", "/shops/shop-b/orders", query={"next_token": token})
    assert answer.status == 400, answer.body
    assert answer.json()["error"] == "invalid_next_token"


def test_orders_of_unknown_shop_404(stack: StackUnderTest) -> None:
    answer = stack.http("GET", "/shops/nope/orders")
    assert answer.status == 404
    assert answer.json()["error"] == "shop_not_found"


def test_get_order_and_unknown_order(shop: StackUnderTest) -> None:
    _put_orders(shop, _order("B1", 1_700_000_000))
    answer = shop.http("GET", f"/shops/{SHOP}/orders/B1")
    assert answer.status == 200
    body = answer.json()
    assert body["unique_key"] == "B1" and body["status"] == "new"
    assert body["export_state"] == "not_ready" and body["history"] == []
    assert body["base"]["ordered"] == 1_700_000_000
    missing = shop.http("GET", f"/shops/{SHOP}/orders/ZZZ")
    assert missing.status == 404
    assert missing.json()["error"] == "order_not_found"
    no_shop = shop.http("GET", "/shops/nope/orders/B1")
    assert no_shop.status == 404
    assert no_shop.json()["error"] == "shop_not_found"


# -- PATCH


def test_patch_normalises_full_width_tracking_number(shop: StackUnderTest) -> None:
    _put_orders(shop, _order("C1", 1_700_000_000))
    answer = _patch(shop, "C1", {"tracking_number": "１２３４－５６７８"})
    assert answer.status == 200, answer.body
    assert answer.json()["tracking_number"] == "12345678"
    stored = _stored(shop, "C1")
    assert stored.tracking_number == "12345678"
    assert stored.tracking_entered_at is not None
    assert stored.history[-1].event == "updated"
    assert stored.history[-1].detail == {"tracking_number": "12345678"}


def test_patch_to_ready_moves_to_pending(shop: StackUnderTest) -> None:
    _put_orders(shop, _order("C2", 1_700_000_000, status=ManagementStatus.AWAITING_SHIPMENT))
    answer = _patch(shop, "C2", {"tracking_number": "1234-5678-9012", "delivery_company": "ヤマト運輸"})
    assert answer.status == 200, answer.body
    body = answer.json()
    assert body["export_state"] == "pending"
    assert body["export_reason"] is None
    stored = _stored(shop, "C2")
    assert stored.export_state is ExportState.PENDING
    assert stored.history[-1].detail == {"tracking_number": "123456789012", "delivery_company": "ヤマト運輸"}
    pending = shop.http("GET", f"/shops/{SHOP}/orders", query={"export_state": "pending"}).json()
    assert [o["unique_key"] for o in pending["orders"]] == ["C2"]


def test_patch_on_new_order_stays_not_ready(shop: StackUnderTest) -> None:
    _put_orders(shop, _order("C3", 1_700_000_000, status=ManagementStatus.NEW))
    answer = _patch(shop, "C3", {"tracking_number": "12345678", "delivery_company": 5})
    assert answer.status == 200, answer.body
    body = answer.json()
    assert body["export_state"] == "not_ready"
    assert body["export_reason"] == "status_not_exportable"
    assert body["delivery_company"] == "5"
    # and the status change then makes it ready
    moved = _patch(shop, "C3", {"status": "processed"})
    assert moved.status == 200
    assert moved.json()["export_state"] == "pending"


def test_patch_future_ship_date_defers(shop: StackUnderTest) -> None:
    _put_orders(shop, _order("C4", 1_700_000_000, status=ManagementStatus.PROCESSED))
    answer = _patch(
        shop, "C4", {"tracking_number": "12345678", "delivery_company": "佐川急便", "ship_date": "2099-01-31"}
    )
    assert answer.status == 200, answer.body
    assert answer.json()["export_state"] == "deferred"
    assert answer.json()["export_reason"] == "ship_date_in_future"
    assert answer.json()["ship_date"] == "2099-01-31"
    cleared = _patch(shop, "C4", {"ship_date": None})
    assert cleared.status == 200, cleared.body
    assert cleared.json()["ship_date"] is None
    assert cleared.json()["export_state"] == "pending"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"tracking_number": "#123"}, "tracking_number"),
        ({"tracking_number": "1" * 101}, "tracking_number"),
        ({"tracking_number": 12345678}, "tracking_number"),
        ({"tracking_number": None}, "tracking_number"),
        ({"ship_date": "2026/12/01"}, "ship_date"),
        ({"ship_date": "2026-02-30"}, "ship_date"),
        ({"status": "shipped"}, "status"),
        ({"delivery_company": ""}, "delivery_company"),
        ({"delivery_company": True}, "delivery_company"),
        ({"status": "new", "note": "x"}, "note"),
        ({}, "body"),
    ],
)
def test_patch_validation(shop: StackUnderTest, body: dict[str, Any], field: str) -> None:
    _put_orders(shop, _order("D1", 1_700_000_000))
    answer = _patch(shop, "D1", body)
    assert answer.status == 422, answer.body
    error = answer.json()
    assert error["error"] == "validation_failed"
    assert set(error["fields"]) == {field}, error
    if field == "note":
        assert error["fields"]["note"] == "unknown field"
    stored = _stored(shop, "D1")
    assert stored.version == 1 and stored.history == []


def test_patch_unknown_shop_or_order_404(shop: StackUnderTest) -> None:
    answer = shop.http("PATCH", "/shops/nope/orders/X", body={"status": "hold"})
    assert answer.status == 404
    assert answer.json()["error"] == "shop_not_found"
    answer = _patch(shop, "missing", {"status": "hold"})
    assert answer.status == 404
    assert answer.json()["error"] == "order_not_found"


def test_patch_exported_order_refuses_shipping_fields(shop: StackUnderTest) -> None:
    _put_orders(
        shop,
        _order(
            "E1",
            1_700_000_000,
            status=ManagementStatus.PROCESSED,
            export_state=ExportState.EXPORTED,
            tracking_number="11112222",
            delivery_company="ヤマト運輸",
        ),
    )
    answer = _patch(shop, "E1", {"tracking_number": "99998888"})
    assert answer.status == 409, answer.body
    assert answer.json()["error"] == "already_dispatched"
    assert _stored(shop, "E1").tracking_number == "11112222"
    status_only = _patch(shop, "E1", {"status": "cancelled"})
    assert status_only.status == 200, status_only.body
    assert status_only.json()["status"] == "cancelled"
    assert status_only.json()["export_state"] == "exported"


def test_patch_failed_order_is_re_evaluated(shop: StackUnderTest) -> None:
    _put_orders(
        shop,
        _order(
            "F1",
            1_700_000_000,
            status=ManagementStatus.PROCESSED,
            export_state=ExportState.FAILED,
            export_reason="cart_app_not_supported",
            tracking_number="11112222",
            delivery_company="ヤマト運輸",
        ),
    )
    answer = _patch(shop, "F1", {"delivery_company": "佐川急便"})
    assert answer.status == 200, answer.body
    assert answer.json()["export_state"] == "pending"


@pytest.mark.parametrize(
    ("raw", "status", "code"),
    [
        (b'{"status": "hold"', 400, "malformed_json"),
        (b"[1, 2]", 400, "invalid_body"),
        (b'"hold"', 400, "invalid_body"),
        (b"null", 400, "invalid_body"),
        (b"", 400, "invalid_body"),
        (b'{"tracking_number": "\xff\xfe"}', 400, "invalid_encoding"),
        (b'{"tracking_number": "' + b"1" * (70 * 1024) + b'"}', 413, "payload_too_large"),
    ],
)
def test_patch_bad_bodies(shop: StackUnderTest, raw: bytes, status: int, code: str) -> None:
    _put_orders(shop, _order("G1", 1_700_000_000))
    answer = shop.http("PATCH", f"/shops/{SHOP}/orders/G1", raw_body=raw)
    assert answer.status == status, answer.body
    assert answer.json()["error"] == code
    assert answer.json()["message"]


def test_put_settings_malformed_json_400(shop: StackUnderTest) -> None:
    answer = shop.http("PUT", f"/shops/{SHOP}/settings", raw_body=b"{import_days: 3}")
    assert answer.status == 400
    assert answer.json()["error"] == "malformed_json"


# -- imports and the OpenAPI document


def test_queue_import(shop: StackUnderTest) -> None:
    answer = shop.http("POST", f"/shops/{SHOP}/imports")
    assert answer.status == 202, answer.body
    body = answer.json()
    assert body["status"] == "queued" and body["job_id"]
    sqs = boto3.client("sqs", region_name=REGION)
    received = sqs.receive_message(
        QueueUrl=shop.local.refs["JobsQueue"], MaxNumberOfMessages=10, AttributeNames=["All"]
    )
    (message,) = received["Messages"]
    job = json.loads(message["Body"])
    assert job["kind"] == "import" and job["shop_id"] == SHOP and job["trigger"] == "manual"
    assert job["job_id"] == body["job_id"]
    assert message["Attributes"]["MessageGroupId"] == SHOP


def test_queue_import_unknown_shop_404(stack: StackUnderTest) -> None:
    answer = stack.http("POST", "/shops/nope/imports")
    assert answer.status == 404
    assert answer.json()["error"] == "shop_not_found"
    sqs = boto3.client("sqs", region_name=REGION)
    assert not sqs.receive_message(QueueUrl=stack.local.refs["JobsQueue"]).get("Messages")


def test_openapi_document_lists_routes(stack: StackUnderTest) -> None:
    answer = stack.http("GET", "/openapi.json")
    assert answer.status == 200, answer.body
    assert answer.headers["content-type"].startswith("application/json")
    doc = answer.json()
    assert doc["openapi"].startswith("3.")
    paths = doc["paths"]
    assert set(paths["/shops/{shop_id}/orders/{unique_key}"]) >= {"get", "patch"}
    assert set(paths["/shops/{shop_id}/settings"]) >= {"get", "put"}
    assert "get" in paths["/shops"]
    assert "get" in paths["/shops/{shop_id}/orders"]
    assert "post" in paths["/shops/{shop_id}/imports"]
    assert "OrderPatch" in json.dumps(doc["components"])


def test_patch_refuses_shipping_fields_while_a_dispatch_is_in_flight(shop: StackUnderTest) -> None:
    """The exporter sends what it read; a change arriving mid-dispatch would silently never reach BASE."""
    in_flight = _order(
        "F1",
        1_700_000_000,
        status=ManagementStatus.PROCESSED,
        export_state=ExportState.PENDING,
        tracking_number="11112222",
        delivery_company="ヤマト運輸",
    )
    in_flight = in_flight.model_copy(
        update={
            "dispatch_attempt": DispatchAttempt(
                attempt_id="a1", started_at="2026-11-28T00:00:00+00:00", export_id="e1"
            )
        }
    )
    _put_orders(shop, in_flight)
    answer = _patch(shop, "F1", {"tracking_number": "99998888"})
    assert answer.status == 409, answer.body
    assert answer.json()["error"] == "dispatch_in_progress"
    assert _stored(shop, "F1").tracking_number == "11112222"
    assert _patch(shop, "F1", {"status": "hold"}).status == 200


def test_keys_longer_than_dynamodb_accepts_are_a_422(shop: StackUnderTest) -> None:
    """DynamoDB refuses keys over 1-2 KB (moto does not): such paths are refused before any lookup."""
    long_key = "K" * 2000
    for method, path in (
        ("GET", f"/shops/{long_key}/settings"),
        ("GET", f"/shops/{SHOP}/orders/{long_key}"),
        ("PATCH", f"/shops/{SHOP}/orders/{long_key}"),
    ):
        answer = shop.http(method, path, body={"status": "hold"} if method == "PATCH" else None)
        assert answer.status == 422, (path[:40], answer.body)
        assert answer.json()["error"] == "validation_failed"
