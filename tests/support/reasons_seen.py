"""Which reasons of the catalogue the exporter's and importer's fast tests saw happen.

A test marked ``@covers(Reason.X, …)`` records every reason its runs produced (``observe``) and
fails unless each reason it claims was among them. Each module then checks that its claims
cover what its service can emit, and that those two sets are the whole catalogue but for
:data:`NOT_FROM_JOBS` (reasons other code produces).
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any, ParamSpec, TypeVar

from base_sync.domain.export import ExportRun
from base_sync.domain.order import Order
from base_sync.domain.reasons import Reason

P = ParamSpec("P")
R = TypeVar("R")

NOT_FROM_JOBS: dict[Reason, str] = {
    Reason.SHOP_NOT_CONNECTED: "an export plan or queue for a shop that is not connected (services/export_requests.py)",
    Reason.AUTO_EXPORT_DISABLED: "the schedule's and the dry run's word for a shop with auto_export off",
    Reason.INVALID_SHIP_DATE: "a PATCH refused at input",
    Reason.INVALID_COMMENT_TEMPLATE: "a settings PUT refused at input",
    Reason.ITEMS_UNKNOWN: "dry-run plans only: the exporter reads an order's detail before planning it",
    Reason.DUPLICATE_LINE: "a shipments file refused at input: two lines for one order (services/shipments.py)",
    Reason.INVALID_VALUE: "a shipments file refused at input: a value no field reason covers (services/shipments.py)",
}

IMPORTER_REASONS = frozenset(
    {
        Reason.BUDGET_SPENT,
        Reason.TIME_UP,
        Reason.RATE_LIMITED,
        Reason.NEEDS_REAUTH,
        Reason.APP_NEEDS_ATTENTION,
        Reason.BASE_UNAVAILABLE,
        Reason.BASE_REFUSED,
        Reason.CANCELLED_ON_BASE,
    }
)
EXPORTER_REASONS = frozenset(
    {
        # the exporter's own
        Reason.ORDER_NOT_FOUND,
        Reason.DISPATCH_IN_PROGRESS,
        Reason.EXPORTED_EARLIER,
        Reason.ALREADY_DISPATCHED,
        Reason.AWAITING_PAYMENT,
        Reason.CART_APP_NOT_SUPPORTED,
        Reason.STATUS_CHANGED_ON_BASE,
        Reason.BASE_REFUSED,
        Reason.OUTCOME_UNKNOWN,
        Reason.BASE_UNAVAILABLE,
        Reason.RATE_LIMITED,
        Reason.NEEDS_REAUTH,
        Reason.APP_NEEDS_ATTENTION,
        Reason.BUDGET_SPENT,
        Reason.TIME_UP,
        Reason.CONFLICT,
        Reason.INTERNAL_ERROR,
        # the rules' (readiness, companies, comment, plan) on the orders it looks at
        Reason.STATUS_NOT_EXPORTABLE,
        Reason.CANCELLED,
        Reason.CANCELLED_ON_BASE,
        Reason.NO_TRACKING_NUMBER,
        Reason.INVALID_TRACKING_NUMBER,
        Reason.NO_DELIVERY_COMPANY,
        Reason.UNKNOWN_DELIVERY_COMPANY,
        Reason.AMBIGUOUS_DELIVERY_COMPANY,
        Reason.SHIP_DATE_IN_FUTURE,
        Reason.EXPORT_DELAY,
        Reason.COMMENT_TOO_LONG,
        Reason.UNSHIPPABLE,
        Reason.UNKNOWN_BASE_STATUS,
        Reason.CLOSED_BY_BASE,
    }
)
"""Listed by hand: a reason added to the catalogue fails the check until it is placed here, in
:data:`IMPORTER_REASONS` or in :data:`NOT_FROM_JOBS`."""

_current: set[Reason] | None = None
_covered: dict[str, set[Reason]] = defaultdict(set)


def observe(
    *, runs: Iterable[ExportRun] = (), orders: Iterable[Order] = (), reasons: Iterable[Any] = ()
) -> None:
    """Record the reasons of runs (their results and error), orders, and any reason values."""
    if _current is None:
        return
    for run in runs:
        _current.update(r.reason for r in run.results if r.reason is not None)
        if run.error is not None:
            _current.add(run.error)
    _current.update(o.export_reason for o in orders if o.export_reason is not None)
    _current.update(Reason(r) for r in reasons if r is not None)


def covers(*claimed: Reason) -> Callable[[Callable[P, R]], Callable[P, R]]:
    def mark(test: Callable[P, R]) -> Callable[P, R]:
        _covered[test.__module__].update(claimed)

        @functools.wraps(test)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            global _current  # noqa: PLW0603 - one test at a time records into it
            _current = set()
            try:
                result = test(*args, **kwargs)
                missing = set(claimed) - _current
                assert not missing, f"claimed but never produced: {sorted(missing)}"
                return result
            finally:
                _current = None

        return run

    return mark


def covered_in(module: str) -> set[Reason]:
    return set(_covered[module])


def register(module: str, *reasons: Reason) -> None:
    """Claims of a parametrised test whose every case asserts its own reason."""
    _covered[module].update(reasons)
