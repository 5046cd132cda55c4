"""The economy figures of the benchmarks (issue 8) as counts: BASE calls and DynamoDB reads at their minimum.

Counts come from the sandbox's call log and DynamoDB's ScannedCount, never from the product's reports.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from tests.support.flows import connect_shop
from tests.support.orders import export_now, import_now, ship
from tests.support.stack import REGION, StackUnderTest

from base_sandbox import SandboxAdmin
from base_sync import wiring
from base_sync.dal.orders import ReadCost, to_item
from base_sync.domain.order import BaseSnapshot, ExportState, Order
from base_sync.domain.status import ManagementStatus

pytestmark = pytest.mark.integration


def _calls(base: SandboxAdmin) -> Counter[str]:
    kinds: Counter[str] = Counter()
    for call in base.calls()["calls"]:
        path = call["path"]
        kinds["detail" if path.startswith("/1/orders/detail/") else path] += 1
    return kinds


def _item(title: str, status: str = "ordered") -> dict[str, Any]:
    return {"title": title, "price": 1000, "amount": 1, "status": status}


def test_dispatch_makes_one_call_per_item_still_ordered_plus_the_company_list(stack: StackUnderTest):
    connect_shop(stack, "shop-e", "E店")
    ordered = int((datetime.now(UTC) - timedelta(hours=1)).timestamp())
    specs: list[dict[str, Any]] = [
        {"items": [_item("a")]},
        {"items": [_item("a"), _item("b"), _item("c")]},
        {"items": [_item("a", "dispatched"), _item("b"), _item("c", "cancelled")]},  # one still ordered
        {"payment": "atobarai", "items": [_item("a"), _item("b")]},  # deferred payment: one call
        {"payment": "cvs", "items": [_item("a")]},  # unpaid: deferred without a call
    ]
    created = stack.base.create_orders(
        "shop-e", [{"ordered": ordered - i, "payment": "creditcard", **s} for i, s in enumerate(specs)]
    )
    keys = [o["unique_key"] for o in created]
    import_now(stack, "shop-e")
    for key in keys:
        ship(stack, "shop-e", key)
    stack.base.clear_calls()
    result = export_now(stack, "shop-e")
    minimum = 1 + 3 + 1 + 1
    assert result["counts"]["dispatched"] == 4 and result["counts"]["deferred"] == 1
    assert _calls(stack.base) == {"/1/orders/edit_status": minimum, "/1/delivery_companies": 1}
    assert result["api_calls"] == minimum + 1


def test_import_calls_are_pages_plus_new_or_changed_and_a_rerun_lists_only(stack: StackUnderTest):
    connect_shop(stack, "shop-i", "I店")
    keys = stack.base.generate_orders(
        "shop-i", 120, days=6.5, seed=4, dispatched_ratio=0, cancelled_ratio=0, unpaid_ratio=0
    )["unique_keys"]
    pages = 2  # 100 + 20: the short page ends the listing
    stack.base.clear_calls()
    import_now(stack, "shop-i")
    # + the shop's BASE delivery-company list, cached for a day: edits are checked against it
    assert _calls(stack.base) == {"/1/orders": pages, "detail": 120, "/1/delivery_companies": 1}
    stack.base.cancel_order(keys[0])
    stack.base.dispatch_by_hand(keys[1])
    stack.base.clear_calls()
    import_now(stack, "shop-i")
    assert _calls(stack.base) == {"/1/orders": pages, "detail": 2}
    stack.base.clear_calls()
    import_now(stack, "shop-i")
    assert _calls(stack.base) == {"/1/orders": pages}


def test_ready_index_reads_only_ready_orders_with_100x_more_in_the_table(stack: StackUnderTest):
    total, ready = 2000, 20
    stamp = datetime.now(UTC).isoformat()
    with stack.env("JobWorkerFunction"):
        repo = wiring.order_repository()
        table = boto3.resource("dynamodb", region_name=REGION).Table(repo.table_name)
        with table.batch_writer() as writer:
            for i in range(total):
                state = ExportState.PENDING if i % (total // ready) == 0 else ExportState.NOT_READY
                order = Order(
                    shop_id="shop-r",
                    unique_key=f"R{i:05d}",
                    base=BaseSnapshot(ordered=1_700_000_000 + i),
                    export_state=state,
                    imported_at=stamp,
                )
                writer.put_item(Item=to_item(order))
        cost = ReadCost()
        found = list(repo.ready("shop-r", cost))
    assert len(found) == ready
    assert cost.items_read == ready


def test_the_open_index_holds_exactly_the_orders_still_open_on_both_sides(stack: StackUnderTest):
    """The importer follows open orders older than its window from this keys-only index (issue 14)."""
    kinds: dict[str, dict[str, Any]] = {
        "open-new": {"base": BaseSnapshot(ordered=1_700_000_001, dispatch_status="ordered")},
        "open-unpaid": {"base": BaseSnapshot(ordered=1_700_000_002, dispatch_status="unpaid")},
        "open-failed": {
            "base": BaseSnapshot(ordered=1_700_000_003, dispatch_status="ordered"),
            "export_state": ExportState.FAILED,
        },
        "exported": {
            "base": BaseSnapshot(ordered=1_700_000_004, dispatch_status="ordered"),
            "export_state": ExportState.EXPORTED,
        },
        "by-hand": {
            "base": BaseSnapshot(ordered=1_700_000_005, dispatch_status="dispatched"),
            "export_state": ExportState.ALREADY_DISPATCHED,
        },
        "cancelled-here": {
            "base": BaseSnapshot(ordered=1_700_000_006, dispatch_status="ordered"),
            "status": ManagementStatus.CANCELLED,
        },
        "cancelled-on-base": {"base": BaseSnapshot(ordered=1_700_000_007, dispatch_status="cancelled")},
        "unshippable": {"base": BaseSnapshot(ordered=1_700_000_008, dispatch_status="unshippable")},
    }
    with stack.env("JobWorkerFunction"):
        repo = wiring.order_repository()
        for key, fields in kinds.items():
            repo.create(Order(shop_id="shop-o", unique_key=key, **fields))
        repo.create(Order(shop_id="shop-other", unique_key="elsewhere", base=BaseSnapshot(ordered=1)))
        found = repo.open_orders("shop-o")
        assert found == {
            "open-new": 1_700_000_001,
            "open-unpaid": 1_700_000_002,
            "open-failed": 1_700_000_003,
        }
        exported = repo.get("shop-o", "open-new").model_copy(update={"export_state": ExportState.EXPORTED})
        repo.save(exported)
        assert set(repo.open_orders("shop-o")) == {"open-unpaid", "open-failed"}
