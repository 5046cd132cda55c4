"""Where the time goes: wall time split into BASE (HTTP to the sandbox, its latency included),
AWS (HTTP to moto: DynamoDB, SQS, Secrets Manager, SNS) and the rest (our code, the handlers,
pydantic, logging) — by timing the two HTTP send functions every call passes through."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import requests
from botocore.httpsession import URLLib3Session


@dataclass
class Split:
    wall: float = 0.0
    base: float = 0.0
    base_requests: int = 0
    aws: float = 0.0
    aws_requests: int = 0

    @property
    def ours(self) -> float:
        return max(self.wall - self.base - self.aws, 0.0)

    def describe(self) -> str:
        def pct(part: float) -> str:
            return f"{100 * part / self.wall:.0f}%" if self.wall else "-"

        return (
            f"BASE {self.base:.1f}s ({pct(self.base)}, {self.base_requests} req), "
            f"moto {self.aws:.1f}s ({pct(self.aws)}, {self.aws_requests} req, "
            f"{1000 * self.aws / max(self.aws_requests, 1):.1f} ms each), "
            f"our code {self.ours:.1f}s ({pct(self.ours)})"
        )


_active: list[Split] = []
_installed: list[bool] = []


def _wrap(original: Callable[..., Any], kind: str) -> Callable[..., Any]:
    def timed(self: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        if not _active or (kind == "base" and "/_sandbox" in str(getattr(request, "url", ""))):
            return original(self, request, *args, **kwargs)
        start = time.perf_counter()
        try:
            return original(self, request, *args, **kwargs)
        finally:
            spent = time.perf_counter() - start
            for split in _active:
                if kind == "base":
                    split.base += spent
                    split.base_requests += 1
                else:
                    split.aws += spent
                    split.aws_requests += 1

    return timed


def install() -> None:
    if _installed:
        return
    requests.Session.send = _wrap(requests.Session.send, "base")  # type: ignore[method-assign]
    URLLib3Session.send = _wrap(URLLib3Session.send, "aws")  # type: ignore[method-assign]
    _installed.append(True)


@contextmanager
def measure() -> Iterator[Split]:
    install()
    split = Split()
    _active.append(split)
    start = time.perf_counter()
    try:
        yield split
    finally:
        split.wall = time.perf_counter() - start
        _active.remove(split)
