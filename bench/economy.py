"""Figures 1-3 (and the one-shop export of figure 4): BASE calls and DynamoDB reads against their minimum.

Truth comes from the sandbox (its call log and its own view of every order), never from the
product's reports: the minimum for a dispatch is computed from BASE's item states before the
export, the minimum for an import from the orders BASE holds and the changes the bench made.
"""

from __future__ import annotations

import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from tests.support.flows import connect_shop
from tests.support.orders import export_now, import_now, ship
from tests.support.stack import REGION, StackUnderTest

from base_sandbox import SandboxAdmin
from base_sync import wiring
from base_sync.dal.orders import OrderRepository, ReadCost, to_item
from base_sync.domain.order import BaseSnapshot, ExportState, ItemSnapshot, Order
from bench.env import Bench
from bench.report import Report
from bench.timing import measure

PAGE = 100
IMPORT_DAYS_SPAN = 6.5  # generated orders stay inside the default 7-day import window


def say(text: str) -> None:
    print(f"[bench] {text}", file=sys.stderr, flush=True)


def calls_by_kind(base: SandboxAdmin, shop_id: str | None = None) -> Counter[str]:
    """The sandbox's call log since the last clear, by kind (list, detail, edit_status, companies, ...)."""
    kinds: Counter[str] = Counter()
    for call in base.calls(shop_id=shop_id)["calls"]:
        path = call["path"]
        if path.startswith("/1/orders/detail/"):
            kinds["detail"] += 1
        elif path == "/1/orders":
            kinds["list"] += 1
        elif path == "/1/orders/edit_status":
            kinds["edit_status"] += 1
        elif path == "/1/delivery_companies":
            kinds["companies"] += 1
        else:
            kinds[path] += 1
    return kinds


def list_pages(orders_in_window: int) -> int:
    """Pages the importer must read: it stops at the first page shorter than 100 (maybe an empty one)."""
    return orders_in_window // PAGE + 1


def dispatch_minimum(base: SandboxAdmin, keys: list[str]) -> tuple[int, int]:
    """(orders to dispatch, minimum calls): one per item still ``ordered``, one per deferred-payment order.

    Only orders BASE would let us dispatch now count (open, paid or not prepaid)."""
    orders = calls = 0
    for key in keys:
        view = base.get_order(key)
        if view["dispatch_status"] != "ordered":
            continue
        open_items = [i for i in view["order_items"] if i["status"] == "ordered"]
        if not open_items:
            continue
        orders += 1
        calls += 1 if view["payment"] == "atobarai" else len(open_items)
    return orders, calls


def open_on_base(base: SandboxAdmin, keys: list[str]) -> list[str]:
    return [k for k in keys if base.get_order(k)["dispatch_status"] in ("ordered", "unpaid")]


def ratio(value: float, minimum: float) -> float:
    return value / minimum if minimum else float("inf")


def main_shop(bench: Bench, report: Report, target: int) -> None:
    """The one-shop scenario behind figures 1, 2 and 4: ``target`` orders to dispatch (items 1-3,
    every payment, some partly dispatched already) among noise (dispatched, cancelled, unpaid);
    a fresh import, changes on BASE, re-imports, then one export."""
    stack = bench.stack()
    shop = "shop-main"
    connect_shop(stack, shop, "ベンチ商店")
    keys = _seed(bench.base, shop, target)
    _imports(bench, report, stack, shop, keys)
    _export(bench, report, stack, shop, keys)


def _seed(base: SandboxAdmin, shop: str, target: int) -> list[str]:
    partial = max(5, target // 20)
    clean = target + 5 - partial  # the changes below take 10 orders away and make 5 payable
    all_keys: list[str] = base.generate_orders(
        shop, clean, days=IMPORT_DAYS_SPAN, items_min=1, items_max=3, seed=8,
        dispatched_ratio=0, cancelled_ratio=0, unpaid_ratio=0,
    )["unique_keys"]  # fmt: skip
    all_keys += base.generate_orders(
        shop, max(10, target // 8), days=IMPORT_DAYS_SPAN, seed=9, dispatched_ratio=0.7, cancelled_ratio=0.3
    )["unique_keys"]
    ordered = int((datetime.now(UTC) - timedelta(hours=2)).timestamp())
    three = [{"title": f"商品{i}", "price": 1000 + i, "amount": 1} for i in range(3)]
    mixed = [{**three[0], "status": "dispatched"}, three[1], {**three[2], "status": "cancelled"}]
    created = base.create_orders(
        shop, [{"ordered": ordered - i, "payment": "creditcard", "items": mixed} for i in range(partial)]
    )
    created += base.create_orders(
        shop, [{"ordered": ordered - 100 - i, "payment": "cvs", "items": three[:1]} for i in range(10)]
    )
    all_keys += [o["unique_key"] for o in created]
    return all_keys


def _imports(bench: Bench, report: Report, stack: StackUnderTest, shop: str, all_keys: list[str]) -> None:
    base = bench.base
    in_window = len(all_keys)
    # Figure 2: a fresh import, an import after changes on BASE, an import over unchanged data.
    say(f"figure 2: importing {in_window} orders")
    base.clear_calls()
    with bench.latency(), measure() as import_split:
        import_now(stack, shop)
    fresh = calls_by_kind(base)
    pages = list_pages(in_window)
    report.add(
        "2", f"import, fresh ({in_window} new orders): calls ÷ (pages + new)",
        f"{ratio(fresh['list'] + fresh['detail'], pages + in_window):.2f}", "1.00",
        fresh["list"] + fresh["detail"] == pages + in_window,
        f"{fresh['list']} list + {fresh['detail']} detail calls; minimum {pages} pages + {in_window} new",
    )  # fmt: skip
    ideal = (fresh.total()) * bench.latency_ms / 1000
    report.add(
        "4", f"import of {in_window} orders, one shop: wall vs ideal",
        f"{import_split.wall:.1f}s ({ratio(import_split.wall, ideal):.2f}x)",
        f"ideal {ideal:.1f}s = {fresh.total()} calls x {bench.latency_ms} ms", None, import_split.describe(),
    )  # fmt: skip
    open_keys = open_on_base(base, all_keys)
    cvs = [k for k in open_keys if base.get_order(k)["dispatch_status"] == "unpaid"]
    payable = [k for k in open_keys if k not in cvs]
    changed = [*cvs[:5], *payable[:10]]
    for key in cvs[:5]:
        base.mark_paid(key)
    for key in payable[:5]:
        base.cancel_order(key)
    for key in payable[5:10]:
        base.dispatch_by_hand(key)
    base.clear_calls()
    with bench.latency():
        import_now(stack, shop)
    after = calls_by_kind(base)
    report.add(
        "2", f"import after {len(changed)} orders changed on BASE",
        f"{ratio(after['list'] + after['detail'], pages + len(changed)):.2f}", "1.00",
        after["list"] + after["detail"] == pages + len(changed),
        f"{after['list']} list + {after['detail']} detail calls; minimum {pages} pages + {len(changed)} changed",
    )  # fmt: skip
    base.clear_calls()
    with bench.latency():
        import_now(stack, shop)
    again = calls_by_kind(base)
    report.add(
        "2", "import re-run over unchanged data: detail calls", str(again["detail"]), "0 (list pages only)",
        again["detail"] == 0 and again["list"] == pages and again.total() == pages,
        f"{again.total()} calls in all, {again['list']} of them list pages",
    )  # fmt: skip


def _export(bench: Bench, report: Report, stack: StackUnderTest, shop: str, all_keys: list[str]) -> None:
    base = bench.base
    # Figure 1 and 4: staff enter shipping information for every open order; one export sends it.
    to_ship = open_on_base(base, all_keys)
    say(f"figure 1/4: entering tracking numbers for {len(to_ship)} orders, then one export")
    for index, key in enumerate(to_ship):
        ship(stack, shop, key, tracking=f"4000-{index:04d}-{index * 7 % 10000:04d}")
    orders, minimum = dispatch_minimum(base, to_ship)
    base.clear_calls()
    with bench.latency(), measure() as export_split:
        result = export_now(stack, shop)
    spent = calls_by_kind(base)
    dispatched = result["counts"]["dispatched"]
    report.add(
        "1", f"dispatch after a fresh import ({dispatched} orders): edit_status calls ÷ minimum",
        f"{ratio(spent['edit_status'], minimum):.2f}", "1.00", spent["edit_status"] == minimum,
        f"{spent['edit_status']} edit_status calls; minimum {minimum} "
        f"(items still ordered, 1 per deferred-payment order) for {orders} orders",
    )  # fmt: skip
    overall = spent.total()
    report.add(
        "1", "dispatch overall: all BASE calls of the export ÷ minimum", f"{ratio(overall, minimum):.3f}", "≤ 1.05",
        ratio(overall, minimum) <= 1.05,
        ", ".join(f"{k} {v}" for k, v in sorted(spent.items())),
    )  # fmt: skip
    ideal = overall * bench.latency_ms / 1000
    report.add(
        "4", f"export of {dispatched} orders, one shop: wall vs ideal",
        f"{export_split.wall:.1f}s ({ratio(export_split.wall, ideal):.2f}x)",
        f"ideal {ideal:.1f}s = {overall} calls x {bench.latency_ms} ms (one FIFO group: sequential)",
        ratio(export_split.wall, ideal) <= 1.5, export_split.describe(),
    )  # fmt: skip
    if dispatched != orders:
        report.notes.append(
            f"figure 1: the export dispatched {dispatched} orders, BASE had {orders} to dispatch"
        )


def stale_snapshot(bench: Bench, report: Report, count: int = 20, by_hand: int = 2) -> None:
    """Orders dispatched by hand in BASE after the import, before the export: what finding out costs."""
    base = bench.base
    stack = bench.stack()
    shop = "shop-stale"
    connect_shop(stack, shop, "手動発送店")
    keys: list[str] = base.generate_orders(
        shop, count, days=IMPORT_DAYS_SPAN, items_min=1, items_max=1, seed=3,
        payments=["creditcard"], dispatched_ratio=0, cancelled_ratio=0,
    )["unique_keys"]  # fmt: skip
    import_now(stack, shop)
    for key in keys:
        ship(stack, shop, key)
    for key in keys[:by_hand]:
        base.dispatch_by_hand(key)
    _, minimum = dispatch_minimum(base, keys)
    base.clear_calls()
    export_now(stack, shop)
    spent = calls_by_kind(base)
    report.add(
        "1", f"dispatch when {by_hand} of {count} orders were dispatched by hand after the import",
        f"{ratio(spent.total(), minimum):.2f}", "(no goal: BASE has no webhooks)", None,
        f"{spent.total()} calls for minimum {minimum}: "
        + ", ".join(f"{k} {v}" for k, v in sorted(spent.items()))
        + "; each such order costs 1 refused edit_status + 1 detail (the import, every 30 min, would have seen it)",
    )  # fmt: skip


# --- figure 3 -----------------------------------------------------------------------------------


def ready_index(bench: Bench, report: Report, sizes: list[int]) -> list[float]:
    """The ready query's items read per ready order, with 100x more orders than ready in the table."""
    per_ready: list[float] = []
    for total in sizes:
        stack = bench.stack()
        ready = total // 100
        say(f"figure 3: writing {total} orders ({ready} ready) with batch_writer")
        with stack.env("JobWorkerFunction"):
            repo = wiring.order_repository()
            fill_orders(repo, "shop-big", total, ready)
            cost = ReadCost()
            found = list(repo.ready("shop-big", cost))
            scan = shop_partition_read_cost(repo.table_name, "shop-big")
        per_ready.append(cost.items_read / max(len(found), 1))
        report.add(
            "3", f"DynamoDB items read per ready order, {total:,} orders in the table",
            f"{per_ready[-1]:.2f}", "≤ 1.2", per_ready[-1] <= 1.2 and len(found) == ready,
            f"{cost.items_read} items read (ScannedCount) for {len(found)} ready orders (of {ready}); "
            f"the shop's partition with a filter would read {scan / max(ready, 1):.0f} per ready order",
        )  # fmt: skip
    if len(per_ready) > 1:
        flat = max(per_ready) - min(per_ready) <= 0.05
        report.add(
            "3", "items read per ready order as the table grows", " → ".join(f"{p:.2f}" for p in per_ready),
            "flat", flat, f"tables of {', '.join(f'{s:,}' for s in sizes)} orders",
        )  # fmt: skip
    return per_ready


def fill_orders(repo: OrderRepository, shop_id: str, total: int, ready: int) -> None:
    """``total`` orders, every ``total // ready``-th one pending, as the product's own item format."""
    now = datetime.now(UTC)
    stamp = now.isoformat()
    base_time = int(now.timestamp()) - 86400

    def order(i: int, state: ExportState) -> Order:
        return Order(
            shop_id=shop_id,
            unique_key=f"B{i:07d}",
            base=BaseSnapshot(
                ordered=base_time - i, payment="creditcard", dispatch_status="ordered",
                items=[ItemSnapshot(order_item_id=i, title="商品", amount=1, status="ordered")],
                detail_modified=base_time - i, modified=base_time - i,
            ),
            tracking_number="123412341234" if state is ExportState.PENDING else None,
            delivery_company="ヤマト運輸" if state is ExportState.PENDING else None,
            export_state=state, imported_at=stamp, updated_at=stamp,
        )  # fmt: skip

    template = to_item(order(0, ExportState.NOT_READY))
    step = total // ready
    table = boto3.resource("dynamodb", region_name=REGION).Table(repo.table_name)
    with table.batch_writer() as writer:
        for i in range(total):
            if i % step == 0:
                item = to_item(order(i, ExportState.PENDING))
            else:
                item = dict(template)
                item["unique_key"] = f"B{i:07d}"
                item["ordered_sk"] = f"{base_time - i:011d}#B{i:07d}"
            writer.put_item(Item=item)


def shop_partition_read_cost(table_name: str, shop_id: str) -> int:
    """What the ready orders would cost without the sparse index: the shop's partition, filtered."""
    client = boto3.client("dynamodb", region_name=REGION)
    scanned = 0
    kwargs: dict[str, Any] = {
        "TableName": table_name,
        "KeyConditionExpression": "shop_id = :s",
        "FilterExpression": "export_state IN (:p, :d)",
        "ExpressionAttributeValues": {":s": {"S": shop_id}, ":p": {"S": "pending"}, ":d": {"S": "deferred"}},
        "Select": "COUNT",
    }
    while True:
        page = client.query(**kwargs)
        scanned += int(page["ScannedCount"])
        if "LastEvaluatedKey" not in page:
            return scanned
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
