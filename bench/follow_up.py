"""Figure 6: what keeping old open orders current costs an import run.

BASE's order list filters by order date only, so an order we still hold open but older than the
import window is invisible to the window's list. The importer follows such orders every run,
listing back to them or reading their details, whichever costs fewer calls. This measures a shop
with 3,000 orders over 90 days, 50 of them still open, against the simple alternative of one
detail per open order per run, and checks the figure sits inside the run's call budget.
Calls come from the sandbox's call log.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.support.flows import connect_shop
from tests.support.orders import import_now
from tests.support.stack import StackUnderTest

from base_sync import wiring
from bench.economy import calls_by_kind, say
from bench.env import Bench
from bench.report import Report

ORDERS, OPEN, DAYS, WINDOW_DAYS, CHANGED = 3_000, 50, 90, 7, 5
ITEM = [{"title": "商品", "price": 1200, "amount": 1}]


def _set_import_days(stack: StackUnderTest, shop: str, days: int, budget: int = 1_000) -> None:
    with stack.env("JobWorkerFunction"):
        repo = wiring.shop_repository()
        update = {"import_days": days, "import_call_budget": budget}
        repo.put_settings(shop, repo.get(shop).settings.model_copy(update=update))


def _last_import(stack: StackUnderTest, shop: str) -> dict[str, Any]:
    with stack.env("JobWorkerFunction"):
        last = wiring.shop_repository().get(shop).last_import
    assert last is not None
    return last


def follow_open_orders(bench: Bench, report: Report, seed: int = 14) -> None:
    base, stack, shop = bench.base, bench.stack(), "shop-follow"
    connect_shop(stack, shop, "追跡店")
    rng = random.Random(seed)
    now = datetime.now(UTC)
    say(f"figure 6: {ORDERS} orders over {DAYS} days, {OPEN} open")
    specs: list[dict[str, Any]] = []
    for i in range(ORDERS):
        ordered = int((now - timedelta(days=rng.uniform(0.01, DAYS - 1))).timestamp())
        specs.append({"ordered": ordered, "payment": "creditcard", "items": ITEM, "n": i})
    open_ids = set(rng.sample(range(ORDERS), OPEN))
    created = []
    for start in range(0, ORDERS, 500):
        chunk = [{k: v for k, v in s.items() if k != "n"} for s in specs[start : start + 500]]
        created += base.create_orders(shop, chunk)
    keys = [o["unique_key"] for o in created]
    _set_import_days(stack, shop, DAYS, budget=4_000)
    import_now(stack, shop)  # setup: every order stored while inside the window
    for i, key in enumerate(keys):
        if i not in open_ids:
            (base.dispatch_by_hand if i % 10 else base.cancel_order)(key)
    base.set_limits(shop, hour=5_000, hour_used=0)
    import_now(stack, shop)  # setup: the closed ones learn it
    _set_import_days(stack, shop, WINDOW_DAYS)
    window_start = (now - timedelta(days=WINDOW_DAYS)).timestamp()
    old_open = [k for i, k in enumerate(keys) if i in open_ids and specs[i]["ordered"] < window_start]
    for key in old_open[:CHANGED]:
        base.cancel_order(key)
    base.set_limits(shop, hour=5_000, hour_used=0)  # setup spent this hour's calls; the runs start afresh
    budget = 1_000  # the default import_call_budget
    figures = []
    for label in (f"{CHANGED} of them changed on BASE", "nothing changed"):
        base.clear_calls()
        with bench.latency():
            import_now(stack, shop)
        spent = calls_by_kind(base, shop)
        last = _last_import(stack, shop)
        figures.append((label, spent, last))
    in_window = sum(1 for s in specs if s["ordered"] >= window_start)
    window_pages = in_window // 100 + 1
    assert all(last["stopped"] is None for _, _, last in figures), figures
    for label, spent, last in figures:
        follow = spent.total() - window_pages - (CHANGED if label.startswith(str(CHANGED)) else 0)
        per_detail = len(old_open)
        report.add(
            "6", f"calls an import spends following {len(old_open)} open orders older than the "
            f"{WINDOW_DAYS}-day window ({ORDERS:,} orders in {DAYS} days), {label}",
            f"{spent.total()} ({follow} to follow)", f"≤ {budget} (run budget); vs {per_detail} + window",
            spent.total() <= budget and follow <= per_detail,
            f"list {spent['list']}, detail {spent['detail']}; the window alone: {window_pages} list pages "
            f"({in_window} orders); one detail per open order would cost {per_detail} every run; "
            f"followed={last.get('followed')}",
        )  # fmt: skip
