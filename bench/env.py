"""The environment every benchmark runs in: moto in server mode (a child process) and the BASE sandbox.

The sandbox adds ``latency_ms`` before every BASE API call while a phase is measured
(:meth:`Bench.latency`); setup (connecting shops, entering tracking numbers) runs without it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from tests.support.moto import MotoServer
from tests.support.stack import StackUnderTest

from base_sandbox import SandboxAdmin, SandboxServer
from base_sync import aws, wiring

AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "ap-northeast-1",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
}


class Bench:
    """moto + sandbox for one benchmark run; ``stack()`` gives a fresh copy of the product's AWS side."""

    def __init__(self, latency_ms: int, *, aws_latency_ms: int = 0) -> None:
        self.latency_ms = latency_ms
        self.moto = MotoServer(latency_ms=aws_latency_ms)  # AWS calls: answered no sooner than this
        self.sandbox = SandboxServer(host="127.0.0.1", port=0)
        self._saved_env = dict(os.environ)

    def __enter__(self) -> Bench:
        self.moto.start()
        self.sandbox.start()
        os.environ.update({"AWS_ENDPOINT_URL": self.moto.url, **AWS_ENV})
        os.environ.pop("AWS_PROFILE", None)
        aws.reset_clients()
        self.base = SandboxAdmin(self.sandbox.url)
        return self

    def __exit__(self, *exc: object) -> None:
        wiring.reset()
        self.sandbox.stop()
        self.moto.stop()
        os.environ.clear()
        os.environ.update(self._saved_env)

    def stack(self) -> StackUnderTest:
        """An empty sandbox and a new stack on moto (new table names, so earlier data never counts)."""
        self.base.reset()
        stack = StackUnderTest(self.sandbox.url, self.base)
        stack.register_app()
        return stack

    @contextmanager
    def latency(self) -> Iterator[None]:
        """BASE answers after ``latency_ms`` while the block runs."""
        self.base.set_latency(self.latency_ms)
        try:
            yield
        finally:
            self.base.set_latency(0)
