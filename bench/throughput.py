"""Figure 4, many shops: one schedule tick over N shops with a few orders each.

Shops are connected through the real OAuth flow (POST /connect, consent, the callback handler;
no latency while setting up). Here the job worker runs one job after another in this process;
on Lambda the SQS event source runs the shops' FIFO groups in parallel, so the projection for
Lambda is the slowest single shop job (plus the tick itself).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from tests.support.flows import connect_shop
from tests.support.orders import make_orders, ship
from tests.support.stack import StackUnderTest, drain_jobs

from bench.economy import calls_by_kind, ratio, say
from bench.env import Bench
from bench.report import Report
from bench.timing import measure

ITEMS = [
    [{"title": "Tシャツ", "price": 2500, "amount": 1}],
    [{"title": "靴下", "price": 500, "amount": 2}] * 2,
]


class JobClock:
    """Times every invocation of one function (each SQS batch of the job worker is one shop's job)."""

    def __init__(self, stack: StackUnderTest, logical_id: str) -> None:
        self.times: list[float] = []
        original: Callable[[str, dict[str, Any]], Any] = stack.lambdas.invoke

        def timed(function_id: str, event: dict[str, Any]) -> Any:
            start = time.perf_counter()
            try:
                return original(function_id, event)
            finally:
                if function_id == logical_id:
                    self.times.append(time.perf_counter() - start)

        stack.lambdas.invoke = timed  # type: ignore[method-assign,assignment]


def many_shops(bench: Bench, report: Report, shops: int, orders_per_shop: int) -> None:
    base = bench.base
    stack = bench.stack()
    ids = [f"shop-{n:03d}" for n in range(shops)]
    say(f"figure 4: connecting {shops} shops through OAuth, {orders_per_shop} orders each")
    keys: dict[str, list[str]] = {}
    for shop_id in ids:
        connect_shop(stack, shop_id, f"店{shop_id}")
        keys[shop_id] = make_orders(stack, shop_id, [{"items": ITEMS[i % 2]} for i in range(orders_per_shop)])
    clock = JobClock(stack, "JobWorkerFunction")

    for kind, function in (("import", "ImportScheduleFunction"), ("export", "ExportScheduleFunction")):
        if kind == "export":
            say(f"figure 4: entering tracking numbers for {shops * orders_per_shop} orders")
            for shop_id in ids:
                for key in keys[shop_id]:
                    ship(stack, shop_id, key)
        say(f"figure 4: one {kind} tick over {shops} shops")
        base.clear_calls()
        clock.times.clear()
        with bench.latency(), measure() as split:
            tick = stack.invoke(function, {})
            drain_jobs(stack)
        calls = calls_by_kind(base)
        queued = len(tick.get("queued", []))
        ideal = calls.total() * bench.latency_ms / 1000
        slowest = max(clock.times, default=0.0)
        per_shop_calls = calls.total() / max(queued, 1)
        report.add(
            "4", f"{kind} tick, {shops} shops x {orders_per_shop} orders: wall vs ideal (sequential here)",
            f"{split.wall:.1f}s ({ratio(split.wall, ideal):.2f}x)",
            f"ideal {ideal:.1f}s = {calls.total()} calls x {bench.latency_ms} ms ÷ 1",
            ratio(split.wall, ideal) <= 1.5 if kind == "export" else None,
            f"{queued} jobs; {split.describe()}; on Lambda (shops in parallel) ≈ slowest job {slowest:.2f}s "
            f"vs ideal {per_shop_calls * bench.latency_ms / 1000:.2f}s ({per_shop_calls:.1f} calls per shop)",
        )  # fmt: skip
