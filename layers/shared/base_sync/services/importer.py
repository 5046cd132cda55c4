"""The importer: a shop's BASE orders of the last ``import_days`` days into the orders table.

Economy first (BASE allows 5,000 calls an hour per shop, shared with other tools): the list
is paged at 100; an order's detail is fetched only when it is new, when BASE's ``modified``
changed, or when an earlier run stopped before fetching it. A run stops before it spends more
than the shop's ``import_call_budget`` and at once on BASE's rate limits; the next run picks
up where it stopped, because orders already stored with their detail cost nothing again.
Orders still open on our side but older than the window are followed too (``_follow_open_orders``),
so a cancellation, a payment or a dispatch by hand on an old order reaches our record.
It stops the same way on the clock (``time_up``): no BASE call starts unless the job's deadline
leaves ``CALL_SECONDS`` for it and the order's write, so a run never reaches Lambda's timeout.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from base_sync.base_api import BaseApiError, DeadlineExceeded, RateLimited, TransientError
from base_sync.base_api.models import OrderDetail, OrderSummary
from base_sync.base_api.snapshots import snapshot_from_detail, snapshot_from_summary
from base_sync.dal.errors import VersionConflict
from base_sync.domain.budget import CallBudget
from base_sync.domain.deadline import Deadline
from base_sync.domain.errors import StopRun
from base_sync.domain.order import BaseSnapshot, Order
from base_sync.domain.reasons import Reason
from base_sync.domain.shop import KnownCompany, Shop
from base_sync.domain.status import ManagementStatus
from base_sync.observability import logger, metrics
from base_sync.rules.base_deadline import DEADLINE_WARNING_DAYS, base_deadline
from base_sync.rules.readiness import evaluate
from base_sync.rules.ship_date import JST, today_jst
from base_sync.services.errors import AppNeedsAttention, ShopNeedsReauth
from base_sync.services.ports import BaseApi, OrderStore, ShopStore
from base_sync.services.tokens import ShopTokenCaller

PAGE_SIZE = 100
DEADLINES_LISTED = 50  # the summary names at most this many near deadlines (the soonest)
FOLLOW_HORIZON = timedelta(days=90)
"""How far back open orders are followed: BASE's own horizon for its order list."""
CALL_SECONDS = 45.0  # one BASE call at worst (with its retries) and the order's write


@dataclass
class ImportReport:
    at: str
    window_start: str
    window_end: str
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    api_calls: int = 0
    deadlines_soon: list[dict[str, str]] = field(default_factory=list)
    """Orders BASE will close or cancel by itself within ``DEADLINE_WARNING_DAYS`` (JST), soonest first."""
    followed: int = 0
    """Open orders older than the window that this run kept current (listed, detail where changed)."""
    stopped: Reason | None = None
    """Why the run ended before the whole window was read (a :class:`Reason`)."""
    errors: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def import_window(now: datetime, import_days: int) -> tuple[datetime, datetime]:
    """[now - import_days x 24 h, now] on the JST clock (BASE's date parameters are JST)."""
    end = now.astimezone(JST).replace(microsecond=0)
    return end - timedelta(days=import_days), end


def run_import(
    shop: Shop,
    *,
    client: BaseApi,
    api: ShopTokenCaller,
    orders: OrderStore,
    shops: ShopStore,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    deadline: Deadline | None = None,
) -> ImportReport:
    """``deadline``: by when the run's BASE work must be over (the job's remaining time less what
    storing its summary takes)."""
    started = now()
    start, end = import_window(started, shop.settings.import_days)
    report = ImportReport(at=started.isoformat(), window_start=start.isoformat(), window_end=end.isoformat())
    budget = CallBudget(
        client.calls,
        shop.settings.import_call_budget,
        deadline=deadline or Deadline.never(),
        seconds_per_call=CALL_SECONDS,
    )
    run = _ImportRun(shop, report, client, api, orders, now, budget)
    try:
        _refresh_companies(run, shops)
        _import_pages(run, start, end)
        _follow_open_orders(run, started, start)
    except StopRun as stop:  # budget_spent or time_up
        report.stopped = stop.reason
    except DeadlineExceeded:
        report.stopped = Reason.TIME_UP
    except RateLimited as exc:
        report.stopped = Reason.RATE_LIMITED
        report.errors.append(
            {"reason": report.stopped, "base_error": exc.reason, "resets_at": exc.resets_at.isoformat()}
        )
    except AppNeedsAttention as exc:
        report.stopped = Reason.APP_NEEDS_ATTENTION
        report.errors.append({"reason": report.stopped, "base_error": exc.base_error})
    except ShopNeedsReauth as exc:
        report.stopped = Reason.NEEDS_REAUTH
        report.errors.append({"reason": report.stopped, "base_error": exc.reason})
    except BaseApiError as exc:  # the list itself failed: nothing more to do this run
        report.stopped = _base_failure(exc)
        report.errors.append({"reason": report.stopped, "base_error": exc.reason})
    report.api_calls = budget.used
    shops.put_run_summary(shop.shop_id, "last_import", report.as_dict())
    metrics.add_metric(name="OrdersImported", unit="Count", value=report.new + report.updated)
    metrics.add_metric(name="ImportApiCalls", unit="Count", value=report.api_calls)
    logger.info("import finished", extra={"shop_id": shop.shop_id, **report.as_dict()})
    return report


def _base_failure(exc: BaseApiError) -> Reason:
    """A BASE call that failed for this run only (transient) or that BASE refused."""
    return Reason.BASE_UNAVAILABLE if isinstance(exc, TransientError) else Reason.BASE_REFUSED


@dataclass
class _ImportRun:
    """What one run's steps share; ``seen`` de-duplicates on ``unique_key`` across pages and phases."""

    shop: Shop
    report: ImportReport
    client: BaseApi
    api: ShopTokenCaller
    orders: OrderStore
    now: Callable[[], datetime]
    budget: CallBudget
    seen: set[str] = field(default_factory=set)


def _refresh_companies(run: _ImportRun, shops: ShopStore) -> None:
    """Cache the shop's BASE delivery-company list on the shop when it is missing or a day old: edits
    are checked against it as they are entered. One call a day at most; a failure of that call
    alone leaves the old list and lets the import go on."""
    started = run.now()
    if not run.shop.companies_stale(started):
        return
    run.budget.check()
    try:
        listed = run.api.call(run.client.delivery_companies)
    except (RateLimited, DeadlineExceeded):
        raise  # the whole run stops (below)
    except BaseApiError as exc:
        logger.warning(
            "delivery-company list not refreshed",
            extra={"shop_id": run.shop.shop_id, "base_error": exc.reason},
        )
        return
    companies = [KnownCompany(delivery_company_id=c.delivery_company_id, name=c.name) for c in listed]
    shops.put_delivery_companies(run.shop.shop_id, companies, at_iso=started.astimezone(UTC).isoformat())


def _import_pages(run: _ImportRun, start: datetime, end: datetime) -> None:
    """Every order BASE lists as ordered in [start, end], page by page."""
    offset = 0
    while True:
        run.budget.check()
        page = _list_page(run.client, run.api, start, end, offset)
        _import_summaries(run, [s for s in page if s.unique_key not in run.seen])
        if len(page) < PAGE_SIZE:
            return
        offset += PAGE_SIZE


def _follow_open_orders(run: _ImportRun, started: datetime, window_start: datetime) -> None:
    """Keep the open orders older than the window current (BASE's list filters by order date only).

    Two ways to learn about an old open order: list back to it (one call per 100 orders, carrying
    ``modified``, then a detail only where it changed) or read its detail (one call each). The run
    takes the cheaper one as it goes, estimating list pages from the order density it has seen
    (the window's own orders, then each page): old open orders spread over the weeks are listed,
    a few stray ones are read one by one. Measured in ``bench/`` (issue 14).
    """
    horizon = int((started - FOLLOW_HORIZON).timestamp())
    remaining = {
        key: ordered
        for key, ordered in run.orders.open_orders(run.shop.shop_id).items()
        if horizon <= ordered < window_start.timestamp() and key not in run.seen
    }
    run.report.followed = len(remaining)
    window_seconds = max((started - window_start).total_seconds(), 1.0)
    density = len(run.seen) / window_seconds  # orders per second, from the window just listed
    listed_down_to = window_start.timestamp()
    offset = 0
    while remaining and len(remaining) > _pages_to_list(density, listed_down_to - min(remaining.values())):
        run.budget.check()
        oldest = datetime.fromtimestamp(min(remaining.values()), JST)
        page = _list_page(run.client, run.api, oldest, window_start - timedelta(seconds=1), offset)
        wanted = [s for s in page if s.unique_key in remaining]
        _import_summaries(run, wanted)
        for summary in wanted:
            remaining.pop(summary.unique_key, None)
        if len(page) < PAGE_SIZE:
            break
        offset += PAGE_SIZE
        listed_down_to = min((s.ordered for s in page if s.ordered is not None), default=listed_down_to)
        density = (offset / max(window_start.timestamp() - listed_down_to, 1.0)) or density
    for key in sorted(remaining, key=remaining.__getitem__, reverse=True):  # cheaper one by one, or unlisted
        _refresh_from_detail(run, key)


def _pages_to_list(density: float, seconds: float) -> int:
    """List calls to reach back ``seconds`` at ``density`` orders per second (a short page ends it)."""
    return int(density * max(seconds, 0.0)) // PAGE_SIZE + 1


def _note_deadline(run: _ImportRun, unique_key: str, base: BaseSnapshot) -> None:
    """Name the order in the run's summary when BASE's own deadline for it is near (or passed)."""
    deadline = base_deadline(base)
    today = today_jst(run.now())
    if deadline is None or deadline.day > today + timedelta(days=DEADLINE_WARNING_DAYS):
        return
    entry = {"unique_key": unique_key, "base_deadline": deadline.day.isoformat(), "action": deadline.action}
    run.report.deadlines_soon.append(entry)
    run.report.deadlines_soon.sort(key=lambda e: e["base_deadline"])
    del run.report.deadlines_soon[DEADLINES_LISTED:]


def _import_summaries(run: _ImportRun, summaries: list[OrderSummary]) -> None:
    run.seen.update(s.unique_key for s in summaries)
    stored = run.orders.get_many(run.shop.shop_id, [s.unique_key for s in summaries]) if summaries else {}
    for summary in summaries:
        _note_deadline(run, summary.unique_key, snapshot_from_summary(summary))
        _import_one(run, summary, stored.get(summary.unique_key))


def _refresh_from_detail(run: _ImportRun, key: str) -> None:
    """One old open order brought up to date from its detail (cheaper than listing back to it)."""
    detail = _fetch_detail(run, key)
    if detail is None:
        return
    run.seen.add(key)
    _note_deadline(run, key, snapshot_from_detail(detail))
    stored = run.orders.get(run.shop.shop_id, key)
    if _is_current(stored, detail.modified):
        run.report.unchanged += 1
        return
    upsert_from_base(run.shop, detail, stored, orders=run.orders, now=run.now())
    run.report.updated += 1


def _list_page(
    client: BaseApi, api: ShopTokenCaller, start: datetime, end: datetime, offset: int
) -> list[OrderSummary]:
    return api.call(lambda token: client.list_orders_page(token, start=start, end=end, offset=offset))


def _is_current(stored: Order | None, modified: int | None) -> bool:
    """We hold the order with BASE's detail as of ``modified``: nothing to read or write."""
    return stored is not None and stored.base.items is not None and stored.base.detail_modified == modified


def _fetch_detail(run: _ImportRun, key: str) -> OrderDetail | None:
    """One order's detail, within the budget; None when BASE failed for this order only (reported,
    the next run retries it). Run-wide problems (limits, re-authorisation, the clock) stop the run."""
    run.budget.check()
    try:
        return run.api.call(lambda token: run.client.get_order(token, key))
    except (RateLimited, ShopNeedsReauth, DeadlineExceeded):
        raise
    except BaseApiError as exc:  # one order's trouble does not stop the others
        run.report.errors.append({"unique_key": key, "reason": _base_failure(exc), "base_error": exc.reason})
        return None


def _import_one(run: _ImportRun, summary: OrderSummary, stored: Order | None) -> None:
    if _is_current(stored, summary.modified):
        run.report.unchanged += 1
        return
    detail = _fetch_detail(run, summary.unique_key)
    if detail is None:
        return
    if upsert_from_base(run.shop, detail, stored, orders=run.orders, now=run.now()):
        run.report.new += 1
    else:
        run.report.updated += 1


def upsert_from_base(
    shop: Shop, detail: OrderDetail, stored: Order | None, *, orders: OrderStore, now: datetime
) -> bool:
    """Store BASE's side of an order, never touching a management field. True if the order is new.

    ``stored`` is the order as the page's batch read found it (None: not stored); it is read
    again only after another writer got in between (``OrderStore.update``; TooManyConflicts after
    its limit).
    """
    snapshot = snapshot_from_detail(detail)
    stamp = now.isoformat()
    if stored is None:
        status = (
            ManagementStatus.CANCELLED if snapshot.dispatch_status == "cancelled" else ManagementStatus.NEW
        )
        order = Order(
            shop_id=shop.shop_id,
            unique_key=detail.unique_key,
            base=snapshot,
            status=status,
            imported_at=stamp,
            updated_at=stamp,
        ).with_history(stamp, "imported")
        state, reason = evaluate(order, shop.settings.export_filter, now)
        try:
            orders.create(order.model_copy(update={"export_state": state, "export_reason": reason}))
        except VersionConflict:
            pass  # created meanwhile by another writer: update it instead
        else:
            return True
    orders.update(
        shop.shop_id, detail.unique_key, partial(_with_base, shop, snapshot, stamp, now), current=stored
    )
    return False


def _with_base(shop: Shop, snapshot: BaseSnapshot, stamp: str, now: datetime, current: Order) -> Order:
    """The stored order with BASE's side replaced and its export state evaluated again."""
    order = current.model_copy(update={"base": snapshot, "imported_at": stamp})
    state, reason = evaluate(order, shop.settings.export_filter, now)
    if state != current.export_state:
        order = order.with_history(stamp, "base_changed", export_state=state.value, reason=reason or "")
    base_error = current.export_base_error if reason == current.export_reason else None
    return order.model_copy(
        update={"export_state": state, "export_reason": reason, "export_base_error": base_error}
    )
