"""``python -m bench.fan_out``: one export tick over 100, 1,000 and 10,000 connected shops.

Each size gets a fresh stack on moto in server mode, its shops written straight into the shops
table, then ONE tick through the real handler (``ExportScheduleFunction``, its context counting
down from the template's 30 s Timeout). moto answers no AWS call sooner than ``--aws-latency-ms``
(10 ms, as AWS in-region) after it arrived, and says per operation how long it took itself
(``devstack/moto_atomic.py``). Reported per size: the tick's AWS calls; its wall time as measured;
moto's own time beyond the latency on the tick's one-at-a-time calls (index pages, the tick's
record), which is moto's slowness, not the tick's — moto serialises a DynamoDB page at about a
millisecond per item, DynamoDB serves a 1 MB page in milliseconds; and the tick at the latency
(measured minus that). The sends are left as measured: ten to a SendMessageBatch, eight in flight,
and moto's own time on them grows with the depth of its FIFO queue (it compares each message's
de-duplication id with every message queued), so the 10,000 figure is an upper bound.

Every job is checked to be on the queue (its depth equals the number of shops) before a size counts.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
SIZES = (100, 1_000, 10_000)
TIMEOUT_SECONDS = 30.0  # ExportScheduleFunction's Timeout in template.yaml (checked at run time)
SENDS = "AmazonSQS.SendMessageBatch"
TICK = {"scheduled_time": "2026-12-02T03:30:00Z"}


@dataclass(frozen=True)
class TickMeasure:
    """One tick over ``shops`` shops, as measured."""

    shops: int
    calls: dict[str, int]
    wall_seconds: float
    moto_excess: dict[str, float]
    """Per operation: seconds moto took beyond the latency, summed over that operation's calls."""

    def total_calls(self) -> int:
        return sum(self.calls.values())

    def sequential_excess(self) -> float:
        """moto's excess on the calls the tick makes one at a time (everything but the sends)."""
        return sum(seconds for op, seconds in self.moto_excess.items() if op != SENDS)

    def at_latency(self) -> float:
        """The tick's wall time with moto's excess on its one-at-a-time calls taken out."""
        return max(0.0, self.wall_seconds - self.sequential_excess())


def table_rows(measures: list[TickMeasure], timeout: float = TIMEOUT_SECONDS) -> list[list[str]]:
    rows = []
    for m in measures:
        rows.append(
            [
                f"{m.shops:,}",
                f"{m.total_calls():,} ({m.total_calls() / m.shops:.3f})",
                f"{m.wall_seconds:.2f} s",
                f"{m.sequential_excess():.2f} s",
                f"{m.at_latency():.2f} s",
                f"{m.at_latency() / m.shops * 1000:.2f} ms",
                f"{m.at_latency() / timeout:.0%}",
            ]
        )
    return rows


HEADER = [
    "shops",
    "AWS calls (per shop)",
    "tick, measured on moto",
    "moto's excess on one-at-a-time calls",
    "tick at the latency",
    "per shop",
    "of the 30 s timeout",
]


def markdown_table(measures: list[TickMeasure], timeout: float = TIMEOUT_SECONDS) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(row) + " |" for row in table_rows(measures, timeout)]
    return "\n".join(lines)


def call_breakdown(m: TickMeasure) -> str:
    return ", ".join(f"{op} {n:,}" for op, n in sorted(m.calls.items()))


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def measure(bench: Any, shops: int) -> TickMeasure:  # pragma: no cover - the benchmark itself (moto)
    import boto3  # noqa: PLC0415
    from tests.support.aws_calls import count_aws_calls  # noqa: PLC0415
    from tests.support.flows import seed_shops  # noqa: PLC0415
    from tests.support.stack import REGION  # noqa: PLC0415

    stack = bench.stack()
    say(f"{shops:,} shops: seeding")
    seed_shops(stack, shops)
    bench.moto.reset_stats()
    say(f"{shops:,} shops: one export tick")
    with count_aws_calls() as calls:
        started = time.perf_counter()
        report = stack.invoke("ExportScheduleFunction", dict(TICK))
        wall = time.perf_counter() - started
    stats = bench.moto.request_stats()
    if (report["outcome"], report["queued"]) != ("finished", shops):
        raise RuntimeError(f"the tick did not queue every shop: {report}")
    sqs: Any = boto3.client("sqs", region_name=REGION)
    depth = sqs.get_queue_attributes(
        QueueUrl=stack.local.refs["JobsQueue"], AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]["ApproximateNumberOfMessages"]
    if int(depth) != shops:
        raise RuntimeError(f"{depth} jobs on the queue for {shops} shops")
    return TickMeasure(
        shops=shops,
        calls=dict(calls.calls),
        wall_seconds=wall,
        moto_excess={op: s["excess"] for op, s in stats.items()},
    )


def template_timeout() -> float:  # pragma: no cover - reads template.yaml
    from tests.support.stack import TEMPLATE  # noqa: PLC0415

    return float(TEMPLATE.functions()["ExportScheduleFunction"].timeout)


def write_results(measures: list[TickMeasure], aws_latency_ms: int, timeout: float) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = "\n".join(
        [
            f"# Fan-out — one export tick, measured {when}",
            "",
            f"`python -m bench.fan_out`: moto server answering each AWS call after {aws_latency_ms} ms at the"
            f" earliest, the real ExportScheduleFunction handler with its {timeout:.0f} s timeout.",
            "",
            markdown_table(measures, timeout),
            "",
            "Calls per tick: " + "; ".join(f"{m.shops:,} shops: {call_breakdown(m)}" for m in measures),
            "",
            "moto's own time beyond the latency on the sends (summed over the eight in flight, left in"
            " the figures): "
            + "; ".join(f"{m.shops:,} shops: {m.moto_excess.get(SENDS, 0.0):.1f} s" for m in measures),
            "",
        ]
    )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "fan_out.md").write_text(text, encoding="utf-8")
    return text


def main(argv: list[str] | None = None) -> None:  # pragma: no cover - the benchmark itself
    parser = argparse.ArgumentParser(prog="python -m bench.fan_out", description=__doc__.splitlines()[0])
    parser.add_argument("--aws-latency-ms", type=int, default=10, help="AWS answers no sooner (default 10)")
    parser.add_argument("--shops", default=",".join(map(str, SIZES)), help="sizes, comma-separated")
    args = parser.parse_args(argv)
    sizes = [int(n) for n in args.shops.split(",")]

    from bench.env import Bench  # noqa: PLC0415

    timeout = template_timeout()
    with Bench(0, aws_latency_ms=args.aws_latency_ms) as bench:
        measures = [measure(bench, n) for n in sizes]
    print(write_results(measures, args.aws_latency_ms, timeout))


if __name__ == "__main__":
    main()
