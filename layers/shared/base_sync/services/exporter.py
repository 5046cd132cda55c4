"""The export job: shipping information to BASE for a shop's ready orders, each item exactly once.

Exactly once rests on three things:

1. BASE itself moves an item from ``ordered`` to ``dispatched`` only once (a second call is
   refused with ``not_change_status``), so a buyer can never get two e-mails for one item;
2. before the first call for an order we record a ``dispatch_attempt`` on it with a
   version-checked write: of several overlapping runs only one wins the order, the others
   leave it alone while the attempt is fresh;
3. an attempt found from an earlier run (a crash between BASE's answer and our write, a lost
   answer, a Lambda timeout) is never resolved by sending again blindly: BASE's order detail
   says which items are still ``ordered``, and only those are sent.

Every outcome is written to the order (state, reason, history) and to the run's record; where
the order ends and what the record says is one table (``rules.outcome.export_outcome``). Every
write is version-checked and, when another writer got in between, read again and redone
(``OrderRepository.update``): a decision is made again on the fresh order, a settle re-applies
BASE's facts to it.

A run stops at its call budget (``budget_spent``: ``domain.budget.CallBudget``, checked before
every call), at a rate limit, when the shop needs re-authorisation, and on the clock
(``time_up``): no order is started unless the job's deadline leaves ``ORDER_SECONDS`` for it,
so a long run ends between orders and stores its record instead of being cut off by Lambda's
timeout mid-order. The rest waits for the next run.

The code reads in that order: the run, one order (decide, claim, send, settle), the calls, the
run's record.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TypeVar

from base_sync.base_api import (
    BaseApiError,
    DeadlineExceeded,
    DeliveryCompany,
    OrderRefused,
    PaymentPending,
    RateLimited,
    TransientError,
)
from base_sync.base_api.models import OrderDetail
from base_sync.base_api.snapshots import snapshot_from_detail
from base_sync.dal.errors import TooManyConflicts, VersionConflict
from base_sync.dal.orders import ReadCost
from base_sync.domain.budget import CallBudget
from base_sync.domain.deadline import Deadline
from base_sync.domain.errors import StopRun
from base_sync.domain.export import ExportRun, OrderResult, Outcome, RunStatus
from base_sync.domain.order import BaseSnapshot, DispatchAttempt, ExportState, Order, SentToBase
from base_sync.domain.reasons import Cause, Reason
from base_sync.domain.shop import KnownCompany, Shop
from base_sync.observability import logger, metrics
from base_sync.rules.base_deadline import deadline_passed
from base_sync.rules.export_plan import Decision, Shipment, needs_companies, plan_order
from base_sync.rules.outcome import export_outcome
from base_sync.rules.readiness import dispatched_on_base
from base_sync.rules.ship_date import today_jst
from base_sync.services.errors import AppNeedsAttention, ShopNeedsReauth
from base_sync.services.ports import BaseApi, ExportRunStore, OrderStore, ShopStore
from base_sync.services.tokens import ShopTokenCaller

T = TypeVar("T")

ATTEMPT_STALE_AFTER = timedelta(minutes=16)  # longer than a job can live (Lambda's 15 minutes)
ORDER_SECONDS = 45.0  # one order at worst: its detail, the company list, an edit_status per item, retries

__all__ = ["ATTEMPT_STALE_AFTER", "ORDER_SECONDS", "ExportContext", "StopRun", "export_order", "run_export"]


@dataclass
class ExportContext:
    shop: Shop
    run: ExportRun
    client: BaseApi
    api: ShopTokenCaller
    orders: OrderStore
    now: Callable[[], datetime]
    budget: CallBudget
    companies: list[DeliveryCompany] | None = None
    read_cost: ReadCost = field(default_factory=ReadCost)
    deadline: Deadline = field(default_factory=Deadline.never)

    def stamp(self) -> str:
        return self.now().astimezone(UTC).isoformat()


def run_export(
    shop: Shop,
    run: ExportRun,
    *,
    client: BaseApi,
    api: ShopTokenCaller,
    orders: OrderStore,
    exports: ExportRunStore,
    shops: ShopStore,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    deadline: Deadline | None = None,
) -> ExportRun:
    """``deadline``: by when the run's BASE work must be over (the job's remaining time less what
    storing the run takes); no order starts unless ``ORDER_SECONDS`` of it remain."""
    budget = CallBudget(client.calls, shop.settings.export_call_budget)  # the clock: per order, below
    ctx = ExportContext(shop, run, client, api, orders, now, budget, deadline=deadline or Deadline.never())
    run.status = RunStatus.RUNNING
    run.started_at = ctx.stamp()
    exports.put(run)
    stopped: Cause | None = None
    try:
        for order in _candidates(ctx):
            if stopped is None and not ctx.deadline.has(ORDER_SECONDS):
                stopped = Cause(Reason.TIME_UP)
            if stopped is not None:
                _record(ctx, order.unique_key, Outcome.DEFERRED, stopped)
                if ctx.deadline.has(ORDER_SECONDS):  # with the clock running out, only the run's record
                    _defer_untouched(ctx, order, stopped.reason)
                continue
            try:
                outcome, cause = export_order(ctx, order)
            except StopRun as stop:
                stopped = stop.cause
                outcome, cause = Outcome.DEFERRED, stop.cause
            _record(ctx, order.unique_key, outcome, cause)
    except Exception as exc:  # our own fault: record it, then let the queue retry the job
        run.status = RunStatus.FAILED
        run.error = Reason.INTERNAL_ERROR
        logger.exception("export run failed", extra={"shop_id": run.shop_id, "error": type(exc).__name__})
        _finish(ctx, exports, shops)
        raise
    failed = run.counts.failed > 0 or stopped is not None
    run.status = RunStatus.PARTIAL if failed else RunStatus.SUCCEEDED
    run.error = stopped.reason if stopped else None
    _finish(ctx, exports, shops)
    return run


def _candidates(ctx: ExportContext) -> list[Order]:
    """The ready orders (sparse index), or exactly the orders asked for."""
    candidates, missing = ctx.orders.export_candidates(ctx.shop.shop_id, ctx.run.order_keys, ctx.read_cost)
    for key in missing:
        _record(ctx, key, Outcome.SKIPPED, Cause(Reason.ORDER_NOT_FOUND))
    return candidates


# -- one order: decide (2., 3.), claim, send, settle


@dataclass
class _Decided:
    """What deciding an order came to: the write it needs (``write``), then either an answer for
    the run's record, an order found shipped by an earlier attempt (``recovered``), or a shipment."""

    write: Order | None = None
    outcome: Outcome = Outcome.SKIPPED
    cause: Cause | None = None
    recovered: Order | None = None
    shipment: Shipment | None = None


def export_order(ctx: ExportContext, order: Order) -> tuple[Outcome, Cause | None]:
    """Decide and act on one order; returns its outcome for the run's record.

    The decision (a hold, or the claim before sending) is written with the version check; when
    another writer got in between, the order is read again and decided again. After the
    ``WRITE_ATTEMPTS`` limit the order is left for the next run (``conflict``); so is an order
    whose outcome could not be stored after sending: its attempt marker stays, and the next run
    resolves it from BASE's order detail.
    """
    decided = _Decided()

    def decide(current: Order) -> Order | None:
        nonlocal decided
        decided = _decide(ctx, current)
        return decided.write

    try:
        stored = ctx.orders.update(order.shop_id, order.unique_key, decide, current=order)
        if decided.shipment is not None:
            return _send(ctx, stored, decided.shipment)
        if decided.recovered is not None:  # an earlier attempt had sent all of it
            return _settle(
                ctx,
                decided.recovered,
                detail=None,
                state=ExportState.EXPORTED,
                cause=None,
                sent=[],
                note="recovered",
            )
    except TooManyConflicts:
        return Outcome.SKIPPED, Cause(Reason.CONFLICT)
    return decided.outcome, decided.cause


def _decide(ctx: ExportContext, order: Order) -> _Decided:
    now = ctx.now()
    attempt = order.dispatch_attempt
    if attempt is not None:
        if attempt.resolve_after and now < datetime.fromisoformat(attempt.resolve_after):
            # BASE may still be applying a call we gave up waiting for
            return _Decided(cause=Cause(Reason.DISPATCH_IN_PROGRESS))
        fresh = attempt.in_flight and now - datetime.fromisoformat(attempt.started_at) < ATTEMPT_STALE_AFTER
        if fresh and attempt.export_id != ctx.run.export_id:
            return _Decided(cause=Cause(Reason.DISPATCH_IN_PROGRESS))  # another run is sending it right now
        order = _learn_from_base(ctx, order)  # an earlier run may have sent some of it
        if dispatched_on_base(order):
            return _Decided(recovered=order)
    elif order.base.items is None or deadline_passed(order.base, today_jst(now)):
        order = _learn_from_base(ctx, order)  # never guess the items; BASE may have closed it itself
    companies: Sequence[DeliveryCompany] = (
        _company_list(ctx) if needs_companies(order, ctx.shop.settings, now) else []
    )
    decision = plan_order(order, ctx.shop.settings, now, companies)
    if decision.action != "dispatch" or decision.shipment is None:
        asked = Cause(decision.reason) if decision.reason else None
        held = export_outcome(decision.export_state, asked, settling=False, sent=False, base=order.base)
        return _Decided(write=_held(ctx, order, decision), outcome=held.outcome, cause=held.cause)
    attempt = DispatchAttempt(
        attempt_id=uuid.uuid4().hex, started_at=ctx.stamp(), export_id=ctx.run.export_id
    )
    return _Decided(write=order.model_copy(update={"dispatch_attempt": attempt}), shipment=decision.shipment)


def _learn_from_base(ctx: ExportContext, order: Order) -> Order:
    """Refresh BASE's side of the order from its detail (one call) before deciding anything."""
    try:
        detail = _call(ctx, lambda token: ctx.client.get_order(token, order.unique_key))
    except DeadlineExceeded:  # a read: nothing was changed on BASE
        raise StopRun(Reason.TIME_UP) from None
    return order.model_copy(update={"base": snapshot_from_detail(detail)})


def _company_list(ctx: ExportContext) -> Sequence[DeliveryCompany]:
    """BASE's delivery companies, fetched at most once per run and only when an order needs them."""
    if ctx.companies is None:
        try:
            ctx.companies = _call(ctx, ctx.client.delivery_companies)
        except DeadlineExceeded:  # a read: nothing was changed on BASE
            raise StopRun(Reason.TIME_UP) from None
    return ctx.companies


def _held(ctx: ExportContext, order: Order, decision: Decision) -> Order | None:
    """The new state of an order that is not dispatched, or None when nothing changed.

    Any attempt marker is cleared: by now BASE was asked (or the attempt was this run's own).
    """
    unchanged = (order.export_state, order.export_reason) == (decision.export_state, decision.reason)
    if unchanged and order.dispatch_attempt is None:
        return None
    updated = order.model_copy(
        update={
            "export_state": decision.export_state,
            "export_reason": decision.reason,
            "export_base_error": order.export_base_error if unchanged else None,
            "dispatch_attempt": None,
        }
    )
    if not unchanged:
        updated = updated.with_history(
            ctx.stamp(),
            decision.export_state.value,
            reason=decision.reason or "",
            export_id=ctx.run.export_id,
            trigger=ctx.run.trigger,
        )
    return updated


def _send(ctx: ExportContext, order: Order, shipment: Shipment) -> tuple[Outcome, Cause | None]:
    """The edit_status calls, then the outcome stored. The attempt marker stays when the outcome is unknown."""
    last: OrderDetail | None = None
    sent: list[int] = []
    settle = partial(_settle, ctx, sent=sent, shipment=shipment)
    try:
        for item in shipment.items:
            last = _call(ctx, partial(_edit, ctx, item_id=item.order_item_id, shipment=shipment))
            sent.append(item.order_item_id)
    except PaymentPending as exc:
        cause = Cause(Reason.AWAITING_PAYMENT, exc.code)
        return settle(order, detail=last, state=ExportState.DEFERRED, cause=cause, note=exc.code)
    except OrderRefused as exc:
        if exc.code == "not_change_status":  # BASE says the item moved already: learn what is true
            refreshed = _learn_from_base(ctx, order)
            if item.order_item_id in {i.order_item_id for i in refreshed.base.items_to_ship}:
                # BASE still shows it to ship: not a race but a refusal (e.g. a payment BASE will not
                # let ship); fail it once with BASE's reason instead of asking again every run
                cause = Cause(Reason.BASE_REFUSED, exc.code)
                return settle(refreshed, detail=None, state=ExportState.FAILED, cause=cause, note=exc.code)
            cause = Cause(Reason.STATUS_CHANGED_ON_BASE, exc.code)
            return settle(refreshed, detail=None, state=None, cause=cause, note=exc.code)
        refused = Reason.CART_APP_NOT_SUPPORTED if exc.is_cart_app else Reason.BASE_REFUSED
        cause = Cause(refused, exc.reason)
        return settle(order, detail=last, state=ExportState.FAILED, cause=cause, note=exc.reason)
    except TransientError as exc:
        if exc.may_have_applied:  # unknown outcome: keep the attempt so the next run asks BASE first
            cause = Cause(Reason.OUTCOME_UNKNOWN, exc.reason)
            _settle_unknown(ctx, order, detail=last, error=exc, cause=cause)
            return Outcome.DEFERRED, cause
        cause = Cause(Reason.BASE_UNAVAILABLE, exc.reason)
        return settle(order, detail=last, state=ExportState.PENDING, cause=cause, note=exc.reason)
    except StopRun as stop:
        settle(
            order, detail=last, state=None, cause=stop.cause, note=stop.cause.base_error or stop.cause.reason
        )
        raise
    except BaseApiError as exc:
        cause = Cause(Reason.BASE_REFUSED, exc.reason)
        return settle(order, detail=last, state=ExportState.FAILED, cause=cause, note=exc.reason)
    return settle(order, detail=last, state=ExportState.EXPORTED, cause=None, note=None)


def _edit(ctx: ExportContext, token: str, *, item_id: int, shipment: Shipment) -> OrderDetail:
    send = ctx.client.ship_deferred_payment if shipment.deferred_payment else ctx.client.dispatch_item
    return send(
        token,
        item_id,
        delivery_company_id=shipment.delivery_company_id,
        tracking_number=shipment.tracking_number,
        add_comment=shipment.comment,
    )


def _settle(
    ctx: ExportContext,
    order: Order,
    *,
    detail: OrderDetail | None,
    state: ExportState | None,
    cause: Cause | None,
    sent: list[int],
    note: str | None,
    shipment: Shipment | None = None,
) -> tuple[Outcome, Cause | None]:
    """Store the outcome and clear the attempt, re-applied to a fresh read on conflicts (BASE's
    facts always win). ``state`` None: whatever BASE's side now says. Where items went out (or an
    earlier attempt is found to have sent them all), the order records what BASE received."""
    snapshot = snapshot_from_detail(detail) if detail is not None else order.base
    settled = export_outcome(state, cause, settling=True, sent=bool(sent), base=snapshot)
    final, kept = settled.state, settled.cause

    def store(current: Order) -> Order:
        stamp = ctx.stamp()
        received = _received(ctx, stamp, snapshot, shipment, sent, recovered=note == "recovered")
        return current.model_copy(
            update={
                "sent_to_base": received or current.sent_to_base,
                "base": snapshot,
                "export_state": final,
                "export_reason": kept.reason if kept else None,
                "export_base_error": kept.base_error if kept else None,
                "dispatch_attempt": None,
                "exported_at": stamp if final is ExportState.EXPORTED else current.exported_at,
            }
        ).with_history(
            stamp,
            "dispatched" if sent else "export_attempt",
            items=sent,
            state=final.value,
            reason=note or "",
            export_id=ctx.run.export_id,
            trigger=ctx.run.trigger,
        )

    ctx.orders.update(order.shop_id, order.unique_key, store, current=order)
    return settled.outcome, kept


def _received(
    ctx: ExportContext,
    stamp: str,
    snapshot: BaseSnapshot,
    shipment: Shipment | None,
    sent: list[int],
    *,
    recovered: bool,
) -> SentToBase | None:
    """What BASE received: the shipment as sent, or (an earlier attempt's, answer lost) what BASE shows."""
    if shipment is not None and sent:
        return SentToBase(
            delivery_company_id=shipment.delivery_company_id,
            delivery_company_name=shipment.delivery_company_name,
            tracking_number=shipment.tracking_number,
            ship_date=shipment.ship_date,
            comment=shipment.comment,
            items=list(sent),
            sent_at=stamp,
            export_id=ctx.run.export_id,
            trigger=ctx.run.trigger,
        )
    if recovered:
        return SentToBase(
            delivery_company_id=snapshot.delivery_company_id,
            tracking_number=snapshot.tracking_number,
            items=[i.order_item_id for i in snapshot.items or [] if i.status == "dispatched"],
            sent_at=stamp,
            export_id=ctx.run.export_id,
            trigger=ctx.run.trigger,
            recovered=True,
        )
    return None


def _settle_unknown(
    ctx: ExportContext, order: Order, *, detail: OrderDetail | None, error: TransientError, cause: Cause
) -> None:
    """Keep the attempt, so the next run asks BASE before sending, and say the run stopped waiting.

    After a read timeout BASE may still be applying the call: for one more read timeout nobody
    looks (its order detail would not be final), then the next run resolves it.
    """
    snapshot = snapshot_from_detail(detail) if detail is not None else order.base
    resolve_after = (
        (ctx.now() + timedelta(seconds=ctx.client.timeouts[1])).astimezone(UTC).isoformat()
        if error.may_still_run
        else None
    )

    def store(current: Order) -> Order:
        attempt = current.dispatch_attempt
        return current.model_copy(
            update={
                "base": snapshot,
                "export_state": ExportState.PENDING,
                "export_reason": cause.reason,
                "export_base_error": cause.base_error,
                "dispatch_attempt": attempt.model_copy(
                    update={"in_flight": False, "resolve_after": resolve_after}
                )
                if attempt
                else None,
            }
        ).with_history(ctx.stamp(), "outcome_unknown", reason=error.reason, export_id=ctx.run.export_id)

    with suppress(TooManyConflicts):  # the attempt stays in flight: a later run resolves it once stale
        ctx.orders.update(order.shop_id, order.unique_key, store, current=order)


def _call(ctx: ExportContext, operation: Callable[[str], T]) -> T:
    """A BASE call within the run's budget; run-wide problems stop the run."""
    ctx.budget.check()
    try:
        return ctx.api.call(operation)
    except RateLimited as exc:
        raise StopRun(Reason.RATE_LIMITED, exc.code) from None
    except ShopNeedsReauth:
        raise StopRun(Reason.NEEDS_REAUTH) from None
    except AppNeedsAttention as exc:
        raise StopRun(Reason.APP_NEEDS_ATTENTION, exc.base_error) from None


# -- the run's record


def _record(ctx: ExportContext, unique_key: str, outcome: Outcome, cause: Cause | None) -> None:
    ctx.run.results.append(
        OrderResult(
            unique_key=unique_key,
            outcome=outcome,
            reason=cause.reason if cause else None,
            base_error=cause.base_error if cause else None,
        )
    )
    ctx.run.counts.add(outcome)


def _defer_untouched(ctx: ExportContext, order: Order, reason: Reason) -> None:
    """After the run stopped: say why on orders nobody is sending, and let any writer win."""
    if order.dispatch_attempt is not None or order.export_state is not ExportState.PENDING:
        return
    held = _held(ctx, order, Decision("defer", reason, ExportState.DEFERRED))
    if held is not None:
        with suppress(VersionConflict):
            ctx.orders.save(held)


def _keep_companies(ctx: ExportContext, shops: ShopStore) -> None:
    """The run read BASE's live company list: cache it on the shop (for checking edits as they are
    entered) when the shop has none yet or it is a day old — no BASE call of its own."""
    if ctx.companies is None or not ctx.shop.companies_stale(ctx.now()):
        return
    listed = [KnownCompany(delivery_company_id=c.delivery_company_id, name=c.name) for c in ctx.companies]
    shops.put_delivery_companies(ctx.shop.shop_id, listed, at_iso=ctx.stamp())


def _finish(ctx: ExportContext, exports: ExportRunStore, shops: ShopStore) -> None:
    run = ctx.run
    _keep_companies(ctx, shops)
    run.finished_at = ctx.stamp()
    run.api_calls = ctx.budget.used
    exports.put(run)
    shops.put_run_summary(
        ctx.shop.shop_id,
        "last_export",
        {
            "export_id": run.export_id,
            "trigger": run.trigger,
            "status": run.status.value,
            "finished_at": run.finished_at,
            "counts": run.counts.model_dump(),
            "api_calls": run.api_calls,
        },
    )
    for outcome in ("dispatched", "deferred", "failed"):
        metrics.add_metric(
            name=f"Orders{outcome.capitalize()}", unit="Count", value=getattr(run.counts, outcome)
        )
    metrics.add_metric(name="ExportApiCalls", unit="Count", value=run.api_calls)
    logger.info(
        "export finished",
        extra={
            "shop_id": run.shop_id,
            "export_id": run.export_id,
            "status": run.status.value,
            **run.counts.model_dump(),
            "api_calls": run.api_calls,
        },
    )
