"""moto's server with DynamoDB's one guarantee we build on (a conditional write is atomic), and a clock.

moto's server handles requests on threads and checks a ``ConditionExpression`` and then writes,
without a lock: two conditional puts of the same ``version`` arriving together can both succeed,
which real DynamoDB never lets happen. Exactly-once tests with overlapping runs then fail now and
then for a reason production does not have. This server is moto's own (same app, same handler),
with DynamoDB requests applied one at a time; every other service stays concurrent.

moto's SQS also rebuilds a queue's whole attribute table — counting every queued message three
times over — to read one flag, three times for every message sent: sending the ten-thousandth job
costs a hundred million clock reads, where SQS answers in milliseconds. Here a queue's attributes
are read one at a time, when asked for (:func:`attributes_on_demand`; the same values, checked by
tests/integration/test_moto_atomic.py).

For benchmarks it can also answer no request sooner than ``--latency-ms`` after it arrived (AWS
in-region answers in about 10 ms; moto on loopback mostly in one or two), and it keeps, per
operation, how many requests it served, how long moto itself took over them and how much of that
went beyond the latency (``excess``: where moto is slower than the service would be, e.g. it
serialises a 1 MB DynamoDB page at about a millisecond per item). ``GET /moto-bench/stats`` answers
them as JSON, ``POST /moto-bench/reset`` starts again.

``python -m devstack.moto_atomic -H 127.0.0.1 -p PORT [--latency-ms N]`` (what ``devstack.moto.MotoProcess`` runs).
"""

from __future__ import annotations

import argparse
import json
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from moto.core.utils import camelcase_to_underscores
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from moto.sqs.models import Queue
from werkzeug.serving import run_simple

_DYNAMODB = threading.Lock()

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

STATS_PATH = "/moto-bench/stats"
RESET_PATH = "/moto-bench/reset"


def atomic_dynamodb(app: WSGIApp) -> WSGIApp:
    """Run each DynamoDB request (``X-Amz-Target: DynamoDB_…``) under one lock, body included."""

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if not str(environ.get("HTTP_X_AMZ_TARGET", "")).startswith("DynamoDB_"):
            return app(environ, start_response)
        with _DYNAMODB:
            return list(app(environ, start_response))

    return wrapped


class QueueAttributes(Mapping[str, Any]):
    """A moto queue's ``attributes`` with each value computed when it is read, as moto computes it."""

    def __init__(self, queue: Queue) -> None:
        self._queue = queue
        names = list(queue.BASE_ATTRIBUTES)
        if queue.fifo_queue:
            names += queue.FIFO_ATTRIBUTES
        if queue.kms_master_key_id:  # type: ignore[attr-defined]
            names += queue.KMS_ATTRIBUTES
        self._names = names

    def __getitem__(self, name: str) -> Any:
        if name not in self._names:
            raise KeyError(name)
        queue = self._queue
        if name == "Policy" and queue.policy:
            value: Any = queue.policy
        elif name == "RedrivePolicy" and queue.redrive_policy:
            value = json.dumps(queue.redrive_policy)
        else:
            value = getattr(queue, camelcase_to_underscores(name))
        return str(value).lower() if isinstance(value, bool) else value

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


def attributes_on_demand() -> None:
    """Make every moto queue's ``attributes`` a :class:`QueueAttributes` (this process only)."""
    Queue.attributes = property(QueueAttributes)  # type: ignore[assignment,method-assign]


class RequestClock:
    """Per operation: requests served, seconds moto spent on them, and seconds beyond the latency."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stats: dict[str, dict[str, float]] = {}

    def add(self, operation: str, seconds: float, excess: float) -> None:
        with self._lock:
            stats = self._stats.setdefault(operation, {"requests": 0, "seconds": 0.0, "excess": 0.0})
            stats["requests"] += 1
            stats["seconds"] += seconds
            stats["excess"] += excess

    def snapshot(self) -> dict[str, dict[str, float]]:
        with self._lock:
            return {op: dict(stats) for op, stats in self._stats.items()}

    def reset(self) -> None:
        with self._lock:
            self._stats.clear()


def operation_of(environ: dict[str, Any]) -> str:
    """``AmazonSQS.SendMessageBatch``, ``DynamoDB_20120810.Query`` …; query-protocol calls by ``Action``."""
    target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
    if target:
        return target
    for part in str(environ.get("QUERY_STRING", "")).split("&"):
        if part.startswith("Action="):
            return part.removeprefix("Action=")
    return f"{environ.get('REQUEST_METHOD', '?')} {environ.get('PATH_INFO', '')}"


def clocked(app: WSGIApp, clock: RequestClock, latency_seconds: float) -> WSGIApp:
    """Let moto answer, timing it, and hold the answer until ``latency_seconds`` after arrival."""

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == STATS_PATH:
            start_response("200 OK", [("Content-Type", "application/json")])
            return [json.dumps(clock.snapshot()).encode()]
        if path == RESET_PATH:
            clock.reset()
            start_response("204 No Content", [])
            return []
        if path.startswith("/moto-api"):
            return app(environ, start_response)
        started = time.perf_counter()
        body = list(app(environ, start_response))
        took = time.perf_counter() - started
        clock.add(operation_of(environ), took, max(0.0, took - latency_seconds))
        if took < latency_seconds:
            time.sleep(latency_seconds - took)
        return body

    return wrapped


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m devstack.moto_atomic")
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=5000)
    parser.add_argument("--latency-ms", type=int, default=0, help="answer no AWS request sooner than this")
    args = parser.parse_args()
    os.environ.setdefault("MOTO_PORT", str(args.port))
    attributes_on_demand()
    app = atomic_dynamodb(DomainDispatcherApplication(create_backend_app))
    served = clocked(app, RequestClock(), args.latency_ms / 1000)
    run_simple(args.host, args.port, served, threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
