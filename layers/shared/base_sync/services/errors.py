"""Every error a service raises to its caller, in one place, and the lower layers' errors the API
and the handlers map by type (re-exported here so nothing above services imports ``dal`` or
``base_api``).

The run-stopping signal both jobs share, ``StopRun`` (budget, clock, rate limit, re-authorisation),
lives in ``domain/errors.py``; it never leaves a run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from base_sync.base_api.errors import DeadlineExceeded, TransientError
from base_sync.dal.errors import BadPageToken, ExportNotFound, OrderNotFound, ShopNotFound
from base_sync.domain.reasons import Reason

if TYPE_CHECKING:
    from base_sync.services.schedule import TickReport
    from base_sync.services.shipments import LinePlan

__all__ = [
    "AlreadyDispatched",
    "AppNeedsAttention",
    "BadPageToken",
    "CallbackFailed",
    "CallbackRejected",
    "ConnectRefusedByBase",
    "DeadlineExceeded",
    "DispatchInProgress",
    "ExportNotFound",
    "InvalidInput",
    "JobsNotQueued",
    "LineProblem",
    "NoShopToExport",
    "OrderNotFound",
    "PatchConflict",
    "ShipmentsPartlyApplied",
    "ShipmentsRefused",
    "ShopNeedsReauth",
    "ShopNotFound",
    "TickUnfinished",
    "TokenRefreshNeeded",
]


class ShopNeedsReauth(Exception):
    """The shop's refresh token is dead: only reconnecting the shop helps. Skip the shop."""

    def __init__(self, shop_id: str, reason: str) -> None:
        super().__init__(f"shop {shop_id} needs to be connected again ({reason})")
        self.shop_id = shop_id
        self.reason = reason


class AppNeedsAttention(Exception):
    """BASE refuses the app itself (unknown, missing or suspended client): no shop's re-authorisation
    helps, so no shop is marked; the operator gets one alert for the app and runs stop until fixed."""

    def __init__(self, shop_id: str, base_error: str) -> None:
        super().__init__(f"BASE refused the app's credentials while refreshing shop {shop_id} ({base_error})")
        self.shop_id = shop_id
        self.base_error = base_error


class TokenRefreshNeeded(TransientError):
    """The shop's tokens need a refresh that this invocation may not (an API path) or cannot (too
    little time left) make now. Nothing was sent to BASE; try again later."""

    def __init__(self, shop_id: str, why: str) -> None:
        super().__init__(f"the tokens of shop {shop_id} need a refresh first ({why})")
        self.shop_id = shop_id
        self.why = why

    @property
    def reason(self) -> str:
        return "token_refresh_needed"


class NoShopToExport(Exception):
    """An export of every shop found no connected shop."""


class CallbackFailed(Exception):
    """The callback cannot connect the shop; nothing was stored. ``problem`` is machine-readable
    (the failure page's text); ``detail`` is BASE's reason, where BASE gave one."""

    def __init__(self, problem: str, detail: str = "") -> None:
        super().__init__(problem)
        self.problem = problem
        self.detail = detail


class CallbackRejected(CallbackFailed):
    """The callback's own request cannot connect a shop: no, an unknown, an expired or a reused
    state, no code, or the operator declined (or BASE's consent page reported an error)."""


class ConnectRefusedByBase(CallbackFailed):
    """BASE refused the code or the app's credentials, refused the request, or could not be
    reached in time (the request itself was fine)."""


class InvalidInput(ValueError):
    """One or more inputs break a rule; ``fields`` names each (``{field: reason}``)."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("; ".join(f"{name}: {reason}" for name, reason in fields.items()))
        self.fields = fields


class AlreadyDispatched(Exception):
    """The order was dispatched on BASE already; its shipping fields can no longer change."""


class DispatchInProgress(Exception):
    """An export is sending this order to BASE right now; its shipping fields wait until it is done."""


class PatchConflict(Exception):
    """Other writers kept changing the order; the patch was not applied."""


class JobsNotQueued(Exception):
    """SQS refused some jobs on every attempt: the caller has not queued them (a tick retries)."""

    def __init__(self, failed: list[dict[str, str]]) -> None:
        codes = sorted({f.get("Code", "?") for f in failed})
        super().__init__(f"{len(failed)} job(s) not queued: {', '.join(codes)}")
        self.failed = failed


class TickUnfinished(Exception):
    """The tick ran out of time; its cursor is recorded and Lambda's retry goes on from there."""

    def __init__(self, report: TickReport) -> None:
        super().__init__(
            f"{report.kind} tick {report.tick} stopped after shop {report.cursor} ({report.queued} queued)"
        )
        self.report = report


@dataclass(frozen=True)
class LineProblem:
    """Why one line of a shipments file is refused: its reason (``code``), the column it is about
    (``field``, where there is one) and what exactly was wrong (``detail``, where known)."""

    line: int
    unique_key: str
    reason: Reason
    field: str | None = None
    detail: str | None = None


class ShipmentsRefused(Exception):
    """A shipments file with at least one bad line: nothing was written; ``problems`` names every one."""

    def __init__(self, problems: list[LineProblem]) -> None:
        lines = sorted({p.line for p in problems})
        super().__init__(f"{len(lines)} line(s) refused: {', '.join(map(str, lines))}")
        self.problems = sorted(problems, key=lambda p: (p.line, p.reason.value))


class ShipmentsPartlyApplied(Exception):
    """A file of more than one transaction whose later transaction lost a race after earlier ones were
    written: ``applied`` were written, ``problems`` say why the first unwritten transaction failed,
    ``not_applied`` are the lines of it and every later one (none of them written)."""

    def __init__(
        self, applied: list[LinePlan], not_applied: list[tuple[int, str]], problems: list[LineProblem]
    ) -> None:
        super().__init__(f"{len(applied)} line(s) applied, {len(not_applied)} not")
        self.applied = applied
        self.not_applied = not_applied
        self.problems = sorted(problems, key=lambda p: (p.line, p.reason.value))
