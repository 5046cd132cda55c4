"""Every error a service raises to its caller, in one place, and the lower layers' errors the API
and the handlers map by type (re-exported here so nothing above services imports ``dal`` or
``base_api``).

The run-stopping signal both jobs share, ``StopRun`` (budget, clock, rate limit, re-authorisation),
lives in ``domain/errors.py``; it never leaves a run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from base_sync.base_api.errors import DeadlineExceeded, TransientError
from base_sync.dal.errors import BadPageToken, ExportNotFound, OrderNotFound, ShopNotFound

if TYPE_CHECKING:
    from base_sync.services.schedule import TickReport

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
    "NoShopToExport",
    "OrderNotFound",
    "PatchConflict",
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
