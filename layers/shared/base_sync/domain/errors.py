"""The domain's own errors: what stops a run, in the catalogue's words."""

from __future__ import annotations

from base_sync.domain.reasons import Cause, Reason


class StopRun(Exception):
    """The whole run stops (call budget, the clock, a rate limit, re-authorisation); the rest waits
    for the next run. ``cause`` says why, with BASE's own code where BASE gave one."""

    def __init__(self, reason: Reason, base_error: str | None = None) -> None:
        super().__init__(reason.value)
        self.cause = Cause(reason, base_error)

    @property
    def reason(self) -> Reason:
        return self.cause.reason
