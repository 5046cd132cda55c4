"""A wall-clock limit on a piece of work, taken from Lambda's remaining time.

API paths must answer inside API Gateway's 29 seconds, a job must stop before its function's
timeout, and a token refresh must end before its lease does. Each of them carries one of
these and asks it before starting anything that could outlive it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol


class HasRemainingTime(Protocol):
    """What Lambda's context object offers (and what tests can fake)."""

    def get_remaining_time_in_millis(self) -> int: ...


@dataclass(frozen=True)
class Deadline:
    """A moment on the monotonic clock; ``None`` means no limit."""

    at: float | None
    clock: Callable[[], float] = field(default=time.monotonic, compare=False, repr=False)

    @classmethod
    def never(cls) -> Deadline:
        return cls(None)

    @classmethod
    def after(cls, seconds: float, *, clock: Callable[[], float] = time.monotonic) -> Deadline:
        return cls(clock() + seconds, clock)

    @classmethod
    def from_context(
        cls,
        context: HasRemainingTime | None,
        *,
        margin_seconds: float,
        cap_seconds: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> Deadline:
        """The function's remaining time less ``margin_seconds`` (to shape and store an answer), at most
        ``cap_seconds``. Without a context (a script, a unit test) only the cap applies."""
        limits: list[float] = []
        if context is not None:
            limits.append(context.get_remaining_time_in_millis() / 1000 - margin_seconds)
        if cap_seconds is not None:
            limits.append(cap_seconds)
        if not limits:
            return cls(None, clock)
        return cls(clock() + max(0.0, min(limits)), clock)

    def remaining(self) -> float:
        """Seconds left (``inf`` without a limit, never negative)."""
        if self.at is None:
            return float("inf")
        return max(0.0, self.at - self.clock())

    def expired(self) -> bool:
        return self.remaining() <= 0

    def has(self, seconds: float) -> bool:
        """Whether at least ``seconds`` remain: ask before starting work that takes that long."""
        return self.remaining() >= seconds

    def sooner(self, seconds: float) -> Deadline:
        """This deadline or ``seconds`` from now, whichever comes first."""
        other = self.clock() + seconds
        return Deadline(other if self.at is None else min(self.at, other), self.clock)
