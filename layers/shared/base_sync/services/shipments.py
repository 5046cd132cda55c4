"""A whole shipments file (``POST /shops/{shop_id}/shipments``): every line checked, then all written or none.

What is guaranteed:

- **Every line is checked before anything is written**, against the stored orders, by the same
  step as a PATCH (:meth:`ManagementService.prepare_edit`): an unknown order, one exported or
  dispatched already, one an export is sending right now, a company or value the product
  refuses, two lines for one order — every bad line is reported in one answer
  (:class:`~base_sync.services.errors.ShipmentsRefused`) and nothing is written.
- **Up to 100 changed orders (DynamoDB's transaction limit) are written in one transaction**,
  each order conditioned on the version it was checked at: all of them are written or none. An
  order written by someone else meanwhile (an import, an export, a PATCH) cancels the
  transaction; its orders are read again, checked again, and the transaction is tried again (at
  most :data:`~base_sync.dal.orders.WRITE_ATTEMPTS` times). An order that no longer passes (it
  was exported meanwhile) makes the file refused, still with nothing written.
- **A file changing more than 100 orders** (at most :data:`MAX_ROWS` lines) is checked whole
  first, then written in transactions of 100 in line order. If a later transaction loses a race
  that re-checking cannot resolve, the transactions before it stay written and the answer
  (:class:`~base_sync.services.errors.ShipmentsPartlyApplied`) names exactly which lines were
  applied and which were not; none of the lines of the failing transaction or after it is.
- ``dry_run`` runs every check and returns the same plan, writing nothing.

Each line of the plan says what changes and whether the order would now be sent to BASE: its
export state after the edit and, with the shop's ``auto_export`` on, that a ready order goes
out within a minute (a dispatch BASE cannot take back).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

from base_sync.dal.errors import TransactionConflict
from base_sync.dal.orders import TRANSACTION_MAX_ITEMS, WRITE_ATTEMPTS
from base_sync.domain.order import ExportState, Order
from base_sync.domain.reasons import Reason
from base_sync.domain.shop import Shop, ShopStatus
from base_sync.services.errors import (
    AlreadyDispatched,
    DispatchInProgress,
    InvalidInput,
    LineProblem,
    PatchConflict,
    ShipmentsPartlyApplied,
    ShipmentsRefused,
)
from base_sync.services.management import ManagementService, OrderChanges, plain_value

MAX_ROWS: Final = 1000
"""Most lines one request may carry (the CLI sends a longer file in several, checked first)."""

_FIELD_REASONS: Final = {
    "tracking_number": Reason.INVALID_TRACKING_NUMBER,
    "ship_date": Reason.INVALID_SHIP_DATE,
    "delivery_company": Reason.UNKNOWN_DELIVERY_COMPANY,
}


class Send(StrEnum):
    """Whether an order, as the file leaves it, goes to BASE and when."""

    WITHIN_A_MINUTE = "within_a_minute"  # ready, auto_export on: the change-triggered export sends it
    LATER = "later"  # deferred (ship date, payment), auto_export on: sent once that clears
    ON_EXPORT = "on_export"  # ready, but auto_export off (or the shop must be reconnected): not by itself
    NO = "no"  # not ready, or settled already


@dataclass(frozen=True)
class ShipmentLine:
    """One line of the file, its values checked and normalised (``api`` validates them)."""

    line: int
    unique_key: str
    changes: OrderChanges


@dataclass(frozen=True)
class LinePlan:
    """What one line does: each changed field (before, after) and the order's export state after it."""

    line: int
    unique_key: str
    changed: dict[str, tuple[Any, Any]]
    export_state: ExportState
    export_reason: Reason | None
    send: Send


@dataclass
class ShipmentsResult:
    shop_id: str
    dry_run: bool
    auto_export: bool
    lines: list[LinePlan] = field(default_factory=list)


def sends_by_itself(shop: Shop) -> bool:
    """Whether the shop's ready orders go to BASE without anyone asking: ``auto_export`` on and the
    shop connected (a shop that needs reconnecting is skipped until it is)."""
    return shop.settings.auto_export and shop.status is ShopStatus.CONNECTED


def _send(state: ExportState, auto_export: bool) -> Send:
    if state is ExportState.PENDING:
        return Send.WITHIN_A_MINUTE if auto_export else Send.ON_EXPORT
    if state is ExportState.DEFERRED:
        return Send.LATER if auto_export else Send.ON_EXPORT
    return Send.NO


def _refusal(line: ShipmentLine, order: Order, exc: Exception) -> list[LineProblem]:
    """What ``prepare_edit`` refused, as line problems (one per field for InvalidInput)."""
    if isinstance(exc, InvalidInput):
        return [
            LineProblem(line.line, line.unique_key, _FIELD_REASONS.get(name, Reason.INVALID_VALUE), name, why)
            for name, why in exc.fields.items()
        ]
    if isinstance(exc, DispatchInProgress):
        return [LineProblem(line.line, line.unique_key, Reason.DISPATCH_IN_PROGRESS, detail=str(exc))]
    reason = (
        Reason.EXPORTED_EARLIER if order.export_state is ExportState.EXPORTED else Reason.ALREADY_DISPATCHED
    )
    return [LineProblem(line.line, line.unique_key, reason, detail=str(exc))]


def duplicate_lines(keys: list[tuple[int, str]]) -> list[LineProblem]:
    """Every line whose order is also on an earlier line (the first line of each order is kept)."""
    first: dict[str, int] = {}
    problems: list[LineProblem] = []
    for number, key in sorted(keys):
        if key in first:
            problems.append(
                LineProblem(number, key, Reason.DUPLICATE_LINE, detail=f"{key} is also on line {first[key]}")
            )
        else:
            first[key] = number
    return problems


class ShipmentsService:
    """Checks and writes a shipments file through the management service's own edit step."""

    def __init__(self, management: ManagementService) -> None:
        self.management = management
        self.orders = management.orders

    def load(
        self,
        shop_id: str,
        lines: list[ShipmentLine],
        problems: list[LineProblem] | None = None,
        *,
        dry_run: bool = False,
        actor: str | None = None,
    ) -> ShipmentsResult:
        """Check every line, then (unless ``dry_run``) write them all; see the module's guarantees.

        ``problems`` are the lines the API already refused for their values: they are reported
        with the rest, and any of them refuses the file. Raises ShopNotFound, ShipmentsRefused,
        ShipmentsPartlyApplied, PatchConflict (the first transaction kept losing races: nothing
        written).
        """
        shop = self.management.shops.get(shop_id)  # ShopNotFound
        found = list(problems or [])
        keyed = {p.line: p.unique_key for p in found} | {line.line: line.unique_key for line in lines}
        duplicates = duplicate_lines(list(keyed.items()))
        found.extend(duplicates)
        refused_lines = {p.line for p in found}
        checked = [line for line in sorted(lines, key=lambda x: x.line) if line.line not in refused_lines]
        orders = self.orders.get_many(shop_id, [line.unique_key for line in checked])
        candidates, more = self._check(checked, orders, shop, actor)
        found.extend(more)
        if found:
            raise ShipmentsRefused(found)
        result = ShipmentsResult(shop_id, dry_run, shop.settings.auto_export)
        result.lines = [
            self._plan(line, orders[line.unique_key], candidates.get(line.line), shop) for line in checked
        ]
        if not dry_run:
            result.lines = self._write(shop, checked, orders, candidates, actor)
        return result

    def _check(
        self, lines: list[ShipmentLine], orders: dict[str, Order], shop: Shop, actor: str | None
    ) -> tuple[dict[int, Order], list[LineProblem]]:
        """Each line through ``prepare_edit``: the orders to write (by line; none where nothing
        changes) and every refusal."""
        candidates: dict[int, Order] = {}
        problems: list[LineProblem] = []
        for line in lines:
            order = orders.get(line.unique_key)
            if order is None:
                problems.append(LineProblem(line.line, line.unique_key, Reason.ORDER_NOT_FOUND))
                continue
            try:
                candidate = self.management.prepare_edit(order, dict(line.changes), shop, actor=actor)
            except (AlreadyDispatched, DispatchInProgress, InvalidInput) as exc:
                problems.extend(_refusal(line, order, exc))
                continue
            if candidate is not None:
                candidates[line.line] = candidate
        return candidates, problems

    @staticmethod
    def _plan(line: ShipmentLine, order: Order, candidate: Order | None, shop: Shop) -> LinePlan:
        after = candidate if candidate is not None else order
        changed = {
            name: (plain_value(getattr(order, name)), plain_value(getattr(after, name)))
            for name in line.changes
            if getattr(order, name) != getattr(after, name)
        }
        return LinePlan(
            line.line,
            line.unique_key,
            changed,
            after.export_state,
            after.export_reason,
            _send(after.export_state, sends_by_itself(shop)) if candidate is not None else Send.NO,
        )

    def _write(
        self,
        shop: Shop,
        lines: list[ShipmentLine],
        orders: dict[str, Order],
        candidates: dict[int, Order],
        actor: str | None,
    ) -> list[LinePlan]:
        """Write the changed orders in transactions of 100, in line order; the plan as written."""
        changing = [line for line in lines if line.line in candidates]
        written: dict[int, LinePlan] = {}
        for start in range(0, len(changing), TRANSACTION_MAX_ITEMS):
            chunk = changing[start : start + TRANSACTION_MAX_ITEMS]
            try:
                written.update(self._write_chunk(shop, chunk, orders, candidates, actor))
            except (ShipmentsRefused, PatchConflict) as exc:
                if start == 0:
                    raise  # nothing written yet: the whole file is refused (or conflicted)
                problems = (
                    exc.problems
                    if isinstance(exc, ShipmentsRefused)
                    else [LineProblem(line.line, line.unique_key, Reason.CONFLICT) for line in chunk]
                )
                not_applied = [(line.line, line.unique_key) for line in changing[start:]]
                raise ShipmentsPartlyApplied(
                    sorted(written.values(), key=lambda p: p.line), not_applied, problems
                ) from None
        return [
            written.get(line.line) or self._plan(line, orders[line.unique_key], None, shop) for line in lines
        ]

    def _write_chunk(
        self,
        shop: Shop,
        chunk: list[ShipmentLine],
        orders: dict[str, Order],
        candidates: dict[int, Order],
        actor: str | None,
    ) -> dict[int, LinePlan]:
        """One transaction; on a lost race read the chunk's orders again, check them again, retry."""
        current = {line.unique_key: orders[line.unique_key] for line in chunk}
        pending = {line.line: candidates[line.line] for line in chunk}
        for attempt in range(WRITE_ATTEMPTS):
            if attempt:
                current = self.orders.get_many(shop.shop_id, list(current))
                fresh, problems = self._check(chunk, current, shop, actor)
                if problems:
                    raise ShipmentsRefused(problems)
                pending = fresh
            try:
                self.orders.save_all([pending[line.line] for line in chunk if line.line in pending])
            except TransactionConflict:
                continue
            return {
                line.line: self._plan(line, current[line.unique_key], pending.get(line.line), shop)
                for line in chunk
            }
        raise PatchConflict(f"orders of lines {chunk[0].line}–{chunk[-1].line} kept changing; try again")
