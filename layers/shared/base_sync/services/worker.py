"""Run one job taken from the per-shop queue, within the function's time.

The handler gives the job a deadline from Lambda's remaining time (less ``STORE_SECONDS`` for
storing the run's record and summary). It bounds every BASE call (the client's own deadline) and
the importer and exporter stop starting new work when too little of it is left (``time_up``),
as they do at their call budget; the next run picks up the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from base_sync.dal.errors import ExportNotFound, ShopNotFound
from base_sync.domain.deadline import Deadline
from base_sync.domain.export import ExportCounts, ExportRun, RunStatus
from base_sync.domain.reasons import Reason
from base_sync.domain.shop import ShopStatus
from base_sync.observability import logger
from base_sync.rules.ship_date import today_jst
from base_sync.services.deadlines import warn_of_deadlines
from base_sync.services.exporter import run_export
from base_sync.services.importer import ImportReport, run_import
from base_sync.services.jobs import Job, JobKind, Trigger
from base_sync.services.ports import BaseApi, ExportRunStore, LeaseStore, OrderStore, ShopStore
from base_sync.services.tokens import ShopTokenCaller, TokenProvider

Client = TypeVar("Client", bound=BaseApi)

STORE_SECONDS = 15.0  # after the last BASE call: the run's result pages, its record, the shop's summary
IMPORT_MARKER_SECONDS = 24 * 3600  # far longer than Lambda keeps retrying an asynchronous tick (6 h)


def run_job(
    job: Job,
    *,
    shops: ShopStore,
    orders: OrderStore,
    client: Client,
    tokens: Callable[[Client], TokenProvider],
    exports: ExportRunStore,
    leases: LeaseStore,
    deadline: Deadline | None = None,
) -> dict[str, Any]:
    """The job's summary. Problems of BASE or the shop end in the summary, not in an exception,
    so a job is never retried into a storm; only our own faults raise (and SQS retries them).

    A schedule tick writes nothing per shop, so its jobs are guarded here: a scheduled export's
    run record (read, then written if there is none — safe because one shop's jobs never run side
    by side: one FIFO group per shop) and an import's marker per job id make a copy of a job a no-op."""
    try:
        shop = shops.get(job.shop_id)
    except ShopNotFound:
        logger.warning(
            "job for an unknown shop dropped", extra={"shop_id": job.shop_id, "job_id": job.job_id}
        )
        return {"job_id": job.job_id, "skipped": "shop_not_found"}
    if shop.status is not ShopStatus.CONNECTED:
        if job.kind is JobKind.EXPORT:
            _close_unrun(exports, job, Reason.NEEDS_REAUTH)
        return {"job_id": job.job_id, "skipped": shop.status.value}
    if shop.base_paused_at(datetime.now(UTC)):
        # BASE would refuse every call until its limit resets: spend none, say so in the log
        if job.kind is JobKind.EXPORT:
            _close_unrun(exports, job, Reason.RATE_LIMITED, status=RunStatus.PARTIAL)
        return {"job_id": job.job_id, "skipped": Reason.RATE_LIMITED.value, "until": shop.base_paused_until}
    limit = deadline or Deadline.never()
    if limit.at is not None:  # no BASE call may outlive the job, whatever its retries
        client.deadline = min((client.deadline, limit), key=lambda d: d.remaining())
    provider = tokens(client)
    api = ShopTokenCaller(client, provider, shop.shop_id)
    if job.kind is JobKind.IMPORT:
        report = _import_once(
            job,
            leases,
            lambda: run_import(shop, client=client, api=api, orders=orders, shops=shops, deadline=limit),
        )
        if report is None:
            return {"job_id": job.job_id, "skipped": "already_done"}  # a copy of a tick's job
        warn_of_deadlines(
            shop.shop_id,
            report.deadlines_soon,
            alerts=provider.alerts,
            leases=leases,
            today=today_jst(datetime.now(UTC)),
        )
        return {"job_id": job.job_id, **report.as_dict()}
    try:
        run = exports.get_run(job.job_id, shop.shop_id, with_results=False)
    except ExportNotFound:  # a scheduled job (the tick writes no record): open it now
        run = _new_run(job)
    if run.status in (RunStatus.SUCCEEDED, RunStatus.PARTIAL):
        return {"job_id": job.job_id, "skipped": "already_done"}  # SQS delivered the job twice
    run = run.model_copy(update={"counts": ExportCounts(), "results": [], "error": None})
    done = run_export(
        shop, run, client=client, api=api, orders=orders, exports=exports, shops=shops, deadline=limit
    )
    return {"job_id": job.job_id, **done.public()}


def _import_once(job: Job, leases: LeaseStore, run: Callable[[], ImportReport]) -> ImportReport | None:
    """The first delivery of a scheduled import takes its marker and runs; a copy (a chunk of a tick
    re-sent past SQS's de-duplication) finds it taken: None. Other imports are asked for once."""
    if job.trigger is not Trigger.SCHEDULE:
        return run()
    marker = leases.acquire(_import_marker_id(job), seconds=IMPORT_MARKER_SECONDS)
    if marker is None:
        return None
    try:
        return run()
    except BaseException:
        leases.release(_import_marker_id(job), marker)  # SQS delivers it again: let that copy run
        raise


def _import_marker_id(job: Job) -> str:
    return f"scheduled-import#{job.job_id}"


def _close_unrun(
    exports: ExportRunStore, job: Job, reason: Reason, *, status: RunStatus = RunStatus.FAILED
) -> None:
    """An export that cannot run (the shop needs re-authorisation, BASE's limit is spent) still ends
    in the log, saying why; a run that already ended (SQS delivered the job twice) stays as it is."""
    try:
        run = exports.get_run(job.job_id, job.shop_id)
    except ExportNotFound:  # a scheduled job: its record is opened here
        run = _new_run(job)
    if run.status in (RunStatus.SUCCEEDED, RunStatus.PARTIAL, RunStatus.FAILED):
        return
    exports.put(
        run.model_copy(
            update={"status": status, "error": reason, "finished_at": datetime.now(UTC).isoformat()}
        )
    )


def _new_run(job: Job) -> ExportRun:
    return ExportRun(
        export_id=job.job_id,
        shop_id=job.shop_id,
        trigger=job.trigger.value,
        queued_at=job.queued_at,
        order_keys=job.order_keys,
    )
