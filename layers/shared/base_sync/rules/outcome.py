"""Where an order ends after the exporter looked at it, and what the run's record says: one table.

Pure. The exporter either **holds** an order (decided not to send it: not ready, deferred, failed,
dispatched earlier) or **settles** one it sent, or found sent by an earlier attempt. Both ask for
a state; BASE's facts can overrule the ask of a settle:

=====================  ===========================  =========================================
state                  outcome (hold / settle)      cause of the run's result
=====================  ===========================  =========================================
exported               already_dispatched /         hold: ``exported_earlier``;
                       dispatched (items sent) or   settle: none
                       already_dispatched (none)
already_dispatched     already_dispatched           hold: as asked; settle: ``already_dispatched``
failed                 failed                       as asked
deferred               deferred                     as asked
pending, not_ready     skipped / deferred           as asked
=====================  ===========================  =========================================

A settle that asks for no state (``None``: BASE refused the call as already done) ends as BASE's
side now says: ``pending`` while an item is left to ship, else ``exported`` when this run sent any
item and ``already_dispatched`` when it sent none. A settle after sending whose order has nothing
left on BASE is ``exported`` whatever it asked for, unless it asked for ``failed``.
"""

from __future__ import annotations

from dataclasses import dataclass

from base_sync.domain.export import Outcome
from base_sync.domain.order import BaseSnapshot, ExportState
from base_sync.domain.reasons import Cause, Reason


@dataclass(frozen=True)
class Settled:
    state: ExportState
    """What the order stores as its ``export_state``."""
    outcome: Outcome
    """What the run's result says."""
    cause: Cause | None
    """Why, for the run's result (and a settled order's ``export_reason``)."""


def left_to_ship(base: BaseSnapshot) -> bool:
    """BASE's side still has an item ``ordered`` and the order is not shipped as a whole."""
    return bool(base.items_to_ship) and base.dispatch_status not in ("dispatched", "shipping")


def export_outcome(
    asked: ExportState | None, cause: Cause | None, *, settling: bool, sent: bool, base: BaseSnapshot
) -> Settled:
    """The one function from the state the exporter asked for to the order's state and the outcome.

    ``settling``: BASE was asked to ship the order (this run's calls, or an earlier attempt found);
    False for a hold. ``sent``: this run's calls shipped at least one item. ``base``: BASE's side as
    last seen (after the calls, when BASE answered).
    """
    state = asked
    if settling and (asked is None or (sent and not left_to_ship(base) and asked is not ExportState.FAILED)):
        if left_to_ship(base):
            state = ExportState.PENDING
        else:
            state = ExportState.EXPORTED if sent else ExportState.ALREADY_DISPATCHED
    if state is None:  # a hold always asks for a state
        raise ValueError("a hold must ask for a state")
    if state is ExportState.EXPORTED:
        outcome = Outcome.DISPATCHED if sent else Outcome.ALREADY_DISPATCHED
        return Settled(state, outcome, None if settling else Cause(Reason.EXPORTED_EARLIER))
    if state is ExportState.ALREADY_DISPATCHED:
        return Settled(
            state, Outcome.ALREADY_DISPATCHED, Cause(Reason.ALREADY_DISPATCHED) if settling else cause
        )
    if state is ExportState.FAILED:
        return Settled(state, Outcome.FAILED, cause)
    if state is ExportState.DEFERRED:
        return Settled(state, Outcome.DEFERRED, cause)
    return Settled(state, Outcome.DEFERRED if settling else Outcome.SKIPPED, cause)
