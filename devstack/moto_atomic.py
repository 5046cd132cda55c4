"""moto's server with DynamoDB's one guarantee we build on: a conditional write is atomic.

moto's server handles requests on threads and checks a ``ConditionExpression`` and then writes,
without a lock: two conditional puts of the same ``version`` arriving together can both succeed,
which real DynamoDB never lets happen. Exactly-once tests with overlapping runs then fail now and
then for a reason production does not have. This server is moto's own (same app, same handler),
with DynamoDB requests applied one at a time; every other service stays concurrent.

``python -m devstack.moto_atomic -H 127.0.0.1 -p PORT`` (what ``devstack.moto.MotoProcess`` runs).
"""

from __future__ import annotations

import argparse
import os
import threading
from collections.abc import Callable, Iterable
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import run_simple

_DYNAMODB = threading.Lock()

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def atomic_dynamodb(app: WSGIApp) -> WSGIApp:
    """Run each DynamoDB request (``X-Amz-Target: DynamoDB_…``) under one lock, body included."""

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if not str(environ.get("HTTP_X_AMZ_TARGET", "")).startswith("DynamoDB_"):
            return app(environ, start_response)
        with _DYNAMODB:
            return list(app(environ, start_response))

    return wrapped


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m devstack.moto_atomic")
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=5000)
    args = parser.parse_args()
    os.environ.setdefault("MOTO_PORT", str(args.port))
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(args.host, args.port, atomic_dynamodb(app), threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
