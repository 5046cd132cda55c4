"""``POST /shops/{shop_id}/shipments``: a whole file checked against the stored orders, then written in
transactions (all or none), through the template's route and the real handler on moto."""

from __future__ import annotations

from typing import Any

import pytest
from tests.support.flows import connect_shop
from tests.support.stack import StackUnderTest

from base_sync import wiring
from base_sync.dal.errors import TransactionConflict
from base_sync.dal.orders import OrderRepository
from base_sync.domain.order import BaseSnapshot, DispatchAttempt, ExportState, Order
from base_sync.domain.status import ManagementStatus

pytestmark = pytest.mark.integration

SHOP = "shop-a"
PATH = f"/shops/{SHOP}/shipments"


def _order(key: str, **fields: Any) -> Order:
    return Order(
        shop_id=SHOP,
        unique_key=key,
        base=BaseSnapshot(ordered=1_700_000_000, dispatch_status="ordered"),
        **fields,
    )


def _put(stack: StackUnderTest, *orders: Order) -> None:
    with stack.env("ManagementApiFunction"):
        repo = wiring.order_repository()
        for order in orders:
            repo.create(order)


def _stored(stack: StackUnderTest, key: str) -> Order:
    with stack.env("ManagementApiFunction"):
        return wiring.order_repository().get(SHOP, key)


def _auto_export(stack: StackUnderTest, on: bool) -> None:
    settings = stack.http("GET", f"/shops/{SHOP}/settings").json()
    assert stack.http("PUT", f"/shops/{SHOP}/settings", body={**settings, "auto_export": on}).status == 200


def _row(line: int, key: str, **fields: Any) -> dict[str, Any]:
    return {"line": line, "unique_key": key, **fields}


@pytest.fixture
def shop(stack: StackUnderTest) -> StackUnderTest:
    connect_shop(stack, SHOP, "テスト商店")
    return stack


def test_every_bad_line_is_reported_at_once_and_nothing_is_written(shop: StackUnderTest) -> None:
    _put(
        shop,
        _order("GOOD1"),
        _order("SENT1", export_state=ExportState.EXPORTED, tracking_number="111122223333"),
        _order(
            "BUSY1",
            dispatch_attempt=DispatchAttempt(
                attempt_id="a", started_at="2026-12-03T00:00:00+00:00", export_id="e"
            ),
        ),
        _order("DUP01"),
    )
    rows = [
        _row(2, "GOOD1", tracking_number="1234-5678-9012", delivery_company="ヤマト運輸", status="processed"),
        _row(3, "NOPE1", tracking_number="1"),
        _row(4, "SENT1", tracking_number="999988887777"),
        _row(5, "BUSY1", tracking_number="555566667777"),
        _row(6, "GOOD1", ship_date="2030-01-01"),
        _row(7, "DUP01", tracking_number="12/34"),
        _row(8, "DUP01", ship_date="2026-02-30"),
        _row(9, "GOOD9", tracking_number="12/34", ship_date="tomorrow"),  # two bad values, one line
    ]
    answer = shop.http("POST", PATH, body={"rows": rows})
    assert answer.status == 422, answer.body
    body = answer.json()
    assert body["error"] == "shipments_refused"
    codes = {(p["line"], p["code"]) for p in body["lines"]}
    assert codes == {
        (3, "order_not_found"),
        (4, "exported_earlier"),
        (5, "dispatch_in_progress"),
        (6, "duplicate_line"),
        (7, "invalid_tracking_number"),
        (8, "invalid_ship_date"),
        (8, "duplicate_line"),
        (9, "invalid_tracking_number"),
        (9, "invalid_ship_date"),
    }
    for problem in body["lines"]:
        assert problem["message_ja"] and problem["message"] and problem["unique_key"]
    assert set(body["fields"]) == {f"line {n}" for n in (3, 4, 5, 6, 7, 8, 9)}
    good = _stored(shop, "GOOD1")  # line 2 was fine, but the file was refused: nothing written
    assert (good.tracking_number, good.status, good.version) == (None, ManagementStatus.NEW, 1)


def test_a_good_file_is_written_whole_and_says_what_goes_to_base(shop: StackUnderTest) -> None:
    _put(
        shop,
        _order("A1"),
        _order("A2"),
        _order("A3", tracking_number="999900001111", delivery_company="佐川急便"),
    )
    _auto_export(shop, True)
    rows = [
        _row(
            2,
            "A1",
            tracking_number="１２３４－５６７８－９０１２",
            delivery_company="ヤマト運輸",
            status="processed",
        ),
        _row(
            3,
            "A2",
            tracking_number="2222-3333-4444",
            delivery_company="佐川急便",
            ship_date="2099-12-31",
            status="processed",
        ),
        _row(4, "A3", tracking_number="999900001111"),  # already so: nothing to write
    ]
    dry = shop.http("POST", PATH, body={"rows": rows, "dry_run": True})
    assert dry.status == 200, dry.body
    plan = dry.json()
    assert (plan["dry_run"], plan["applied"], plan["auto_export"]) == (True, False, True)
    assert plan["counts"] == {"lines": 3, "changed": 2, "unchanged": 1, "to_send": 1}
    by_line = {p["line"]: p for p in plan["lines"]}
    assert by_line[2]["changed"]["tracking_number"] == {"before": None, "after": "123456789012"}
    assert (by_line[2]["export_state"], by_line[2]["send"]) == ("pending", "within_a_minute")
    assert (by_line[3]["export_state"], by_line[3]["send"]) == ("deferred", "later")
    assert by_line[3]["export_reason"] == "ship_date_in_future" and by_line[3]["export_message_ja"]
    assert (by_line[4]["changed"], by_line[4]["send"]) == ({}, "no")
    assert _stored(shop, "A1").version == 1  # the dry run wrote nothing

    done = shop.http("POST", PATH, body={"rows": rows})
    assert done.status == 200, done.body
    assert done.json()["applied"] is True
    assert done.json()["lines"] == plan["lines"]
    first = _stored(shop, "A1")
    assert (first.tracking_number, first.delivery_company, first.export_state) == (
        "123456789012",
        "ヤマト運輸",
        ExportState.PENDING,
    )
    assert first.history[-1].actor == "arn:aws:iam::123456789012:user/test"
    assert _stored(shop, "A3").version == 1  # unchanged line: no write


def test_a_race_between_check_and_write_is_checked_again(
    shop: StackUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An order written after the check cancels the transaction; re-checked, a now-exported order
    refuses the whole file and nothing of it is written."""
    _put(shop, _order("R1"), _order("R2"))
    real = OrderRepository.save_all
    raced: list[bool] = []

    def export_in_between(self: OrderRepository, orders: list[Order]) -> list[Order]:
        if not raced:  # the exporter sends R2 between the check and the write
            raced.append(True)
            current = self.get(SHOP, "R2")
            self.save(
                current.model_copy(update={"export_state": ExportState.EXPORTED, "tracking_number": "1"})
            )
        return real(self, orders)

    monkeypatch.setattr(OrderRepository, "save_all", export_in_between)
    rows = [_row(2, "R1", tracking_number="111122223333"), _row(3, "R2", tracking_number="444455556666")]
    answer = shop.http("POST", PATH, body={"rows": rows})
    assert answer.status == 422, answer.body
    assert [(p["line"], p["code"]) for p in answer.json()["lines"]] == [(3, "exported_earlier")]
    assert _stored(shop, "R1").tracking_number is None  # the transaction wrote neither


def test_a_race_that_still_passes_is_retried(shop: StackUnderTest, monkeypatch: pytest.MonkeyPatch) -> None:
    _put(shop, _order("S1"), _order("S2"))
    real = OrderRepository.save_all
    calls: list[int] = []

    def import_in_between(self: OrderRepository, orders: list[Order]) -> list[Order]:
        calls.append(len(orders))
        if len(calls) == 1:  # an import touches S1's BASE side: a new version, still editable
            self.save(self.get(SHOP, "S1").model_copy(update={"imported_at": "2026-12-03T01:00:00+00:00"}))
        return real(self, orders)

    monkeypatch.setattr(OrderRepository, "save_all", import_in_between)
    rows = [_row(2, "S1", tracking_number="111122223333"), _row(3, "S2", tracking_number="444455556666")]
    answer = shop.http("POST", PATH, body={"rows": rows})
    assert answer.status == 200, answer.body
    assert calls == [2, 2]
    assert _stored(shop, "S1").tracking_number == "111122223333"
    assert _stored(shop, "S1").imported_at == "2026-12-03T01:00:00+00:00"  # the import's write is kept


def test_more_than_one_transaction_reports_exactly_what_was_applied(
    shop: StackUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = [f"K{i:04d}" for i in range(150)]
    _put(shop, *(_order(k) for k in keys))
    real = OrderRepository.save_all
    calls: list[int] = []

    def second_loses(self: OrderRepository, orders: list[Order]) -> list[Order]:
        calls.append(len(orders))
        if len(calls) == 2:  # between the two transactions, the exporter sends K0120
            current = self.get(SHOP, "K0120")
            self.save(
                current.model_copy(update={"export_state": ExportState.EXPORTED, "tracking_number": "1"})
            )
        return real(self, orders)

    monkeypatch.setattr(OrderRepository, "save_all", second_loses)
    rows = [_row(i + 2, k, tracking_number=f"{i:012d}") for i, k in enumerate(keys)]
    answer = shop.http("POST", PATH, body={"rows": rows})
    assert answer.status == 409, answer.body
    body = answer.json()
    assert body["error"] == "shipments_partly_applied"
    assert [a["unique_key"] for a in body["applied"]] == keys[:100]
    assert [n["unique_key"] for n in body["not_applied"]] == keys[100:]
    assert [(p["unique_key"], p["code"]) for p in body["lines"]] == [("K0120", "exported_earlier")]
    assert _stored(shop, "K0099").tracking_number == f"{99:012d}"
    assert _stored(shop, "K0100").tracking_number is None
    assert _stored(shop, "K0149").tracking_number is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"rows": []}, "rows"),
        ({"rows": [_row(2, "A1", tracking_number="1")], "dry_run": "yes"}, "dry_run"),
        ({"rows": [_row(2, "A1", tracking_number="1")], "extra": 1}, "extra"),
        ({"rows": [{"line": 2, "unique_key": "A1", "carrier": "x"}]}, "rows"),
        ({"rows": [{"line": "2", "unique_key": "A1", "tracking_number": "1"}]}, "rows"),
        ({"rows": [{"line": 2, "unique_key": "../x", "tracking_number": "1"}]}, "rows"),
        ({"rows": [_row(2, "A1", tracking_number="1"), _row(2, "A2", tracking_number="2")]}, "rows"),
        ({"rows": [_row(n + 2, f"K{n}", tracking_number="1") for n in range(1001)]}, "rows"),
        ({}, "rows"),
    ],
)
def test_bad_bodies_are_refused_with_422(shop: StackUnderTest, body: dict[str, Any], field: str) -> None:
    _put(shop, _order("A1"))
    answer = shop.http("POST", PATH, body=body)
    assert answer.status == 422, answer.body
    assert answer.json()["error"] == "validation_failed"
    assert field in answer.json()["fields"]
    assert _stored(shop, "A1").version == 1


def test_not_json_unknown_shop_and_too_large(shop: StackUnderTest) -> None:
    assert shop.http("POST", PATH, raw_body=b"rows=1").status == 400
    assert shop.http("POST", PATH).status == 400  # no body
    unknown = shop.http(
        "POST", "/shops/nobody/shipments", body={"rows": [_row(2, "A1", tracking_number="1")]}
    )
    assert (unknown.status, unknown.json()["error"]) == (404, "shop_not_found")
    # 1,000 rows of 100-character company names (JSON escapes each as \uXXXX): over 512 KB
    huge = {"rows": [_row(n + 2, f"K{n}", delivery_company="運" * 100) for n in range(1000)]}
    assert shop.http("POST", PATH, body=huge).status == 413
    assert shop.http("POST", f"/shops/{SHOP}/imports").status == 202  # a POST without a body still works


def test_save_all_writes_every_order_or_none_and_names_the_lost_race(shop: StackUnderTest) -> None:
    _put(shop, _order("T1"), _order("T2"), _order("T3"))
    with shop.env("ManagementApiFunction"):
        repo = wiring.order_repository()
        t1, t2, t3 = (repo.get(SHOP, k) for k in ("T1", "T2", "T3"))
        repo.save(t2.model_copy(update={"tracking_number": "1"}))  # someone writes T2 after we read it
        with pytest.raises(TransactionConflict) as lost:
            repo.save_all([o.model_copy(update={"tracking_number": "9"}) for o in (t1, t2, t3)])
        assert lost.value.keys == ["T2"]
        assert [repo.get(SHOP, k).tracking_number for k in ("T1", "T2", "T3")] == [None, "1", None]
        saved = repo.save_all([o.model_copy(update={"tracking_number": "9"}) for o in (t1, t3)])
        assert [o.version for o in saved] == [2, 2]
        assert [repo.get(SHOP, k).tracking_number for k in ("T1", "T3")] == ["9", "9"]
        with pytest.raises(ValueError, match="at most 100"):
            repo.save_all([_order(f"X{i}") for i in range(101)])


def test_with_auto_export_off_nothing_goes_to_base_by_itself(shop: StackUnderTest) -> None:
    _put(shop, _order("Q1"))
    _auto_export(shop, False)
    row = _row(2, "Q1", tracking_number="111122223333", delivery_company="佐川急便", status="processed")
    answer = shop.http("POST", PATH, body={"rows": [row], "dry_run": True})
    assert answer.status == 200, answer.body
    body = answer.json()
    assert body["auto_export"] is False and body["counts"]["to_send"] == 0
    assert [(line["export_state"], line["send"]) for line in body["lines"]] == [("pending", "on_export")]
