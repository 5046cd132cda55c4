"""The one table from the state the exporter asked for to the order's state and the run's outcome."""

from __future__ import annotations

import pytest

from base_sync.domain.export import Outcome
from base_sync.domain.order import BaseSnapshot, ExportState, ItemSnapshot
from base_sync.domain.reasons import Cause, Reason
from base_sync.rules.outcome import Settled, export_outcome, left_to_ship

E, A, F, D, P, N = (
    ExportState.EXPORTED,
    ExportState.ALREADY_DISPATCHED,
    ExportState.FAILED,
    ExportState.DEFERRED,
    ExportState.PENDING,
    ExportState.NOT_READY,
)
ASKED = Cause(Reason.AWAITING_PAYMENT, "not_change_status_cvs")
LEFT = BaseSnapshot(dispatch_status="ordered", items=[ItemSnapshot(order_item_id=1, status="ordered")])
DONE = BaseSnapshot(dispatch_status="dispatched", items=[ItemSnapshot(order_item_id=1, status="dispatched")])
SHIPPING = BaseSnapshot(dispatch_status="shipping", items=[ItemSnapshot(order_item_id=1, status="ordered")])

TABLE = [
    # asked, settling, sent, BASE's side -> state, outcome, cause
    # holds: the asked state stands; only `exported` changes the cause
    (E, False, False, DONE, E, Outcome.ALREADY_DISPATCHED, Cause(Reason.EXPORTED_EARLIER)),
    (A, False, False, DONE, A, Outcome.ALREADY_DISPATCHED, ASKED),
    (F, False, False, LEFT, F, Outcome.FAILED, ASKED),
    (D, False, False, LEFT, D, Outcome.DEFERRED, ASKED),
    (P, False, False, LEFT, P, Outcome.SKIPPED, ASKED),
    (N, False, False, LEFT, N, Outcome.SKIPPED, ASKED),
    (P, False, False, DONE, P, Outcome.SKIPPED, ASKED),  # a hold never reads BASE's side
    # settles: as asked while BASE has items left
    (E, True, True, LEFT, E, Outcome.DISPATCHED, None),
    (F, True, True, LEFT, F, Outcome.FAILED, ASKED),
    (D, True, True, LEFT, D, Outcome.DEFERRED, ASKED),
    (P, True, False, LEFT, P, Outcome.DEFERRED, ASKED),
    (N, True, False, LEFT, N, Outcome.DEFERRED, ASKED),
    # settles: sent and nothing left on BASE is exported, unless it failed
    (E, True, True, DONE, E, Outcome.DISPATCHED, None),
    (D, True, True, DONE, E, Outcome.DISPATCHED, None),
    (P, True, True, SHIPPING, E, Outcome.DISPATCHED, None),
    (F, True, True, DONE, F, Outcome.FAILED, ASKED),
    (E, True, False, DONE, E, Outcome.ALREADY_DISPATCHED, None),  # recovered: an earlier attempt sent it
    # settles asking for nothing: BASE's side decides
    (None, True, False, LEFT, P, Outcome.DEFERRED, ASKED),
    (None, True, True, LEFT, P, Outcome.DEFERRED, ASKED),
    (None, True, False, DONE, A, Outcome.ALREADY_DISPATCHED, Cause(Reason.ALREADY_DISPATCHED)),
    (None, True, True, DONE, E, Outcome.DISPATCHED, None),
]


@pytest.mark.parametrize(("asked", "settling", "sent", "base", "state", "outcome", "cause"), TABLE)
def test_the_table(
    asked: ExportState | None,
    settling: bool,
    sent: bool,
    base: BaseSnapshot,
    state: ExportState,
    outcome: Outcome,
    cause: Cause | None,
) -> None:
    assert export_outcome(asked, ASKED, settling=settling, sent=sent, base=base) == Settled(
        state, outcome, cause
    )


def test_a_hold_must_ask_for_a_state() -> None:
    with pytest.raises(ValueError, match="hold"):
        export_outcome(None, None, settling=False, sent=False, base=LEFT)


def test_left_to_ship() -> None:
    assert left_to_ship(LEFT)
    assert not left_to_ship(DONE)
    assert not left_to_ship(SHIPPING)  # a deferred-payment order ships as a whole
    assert not left_to_ship(BaseSnapshot())
