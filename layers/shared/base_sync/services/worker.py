"""Run one job taken from the per-shop queue."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from base_sync.base_api import BaseClient
from base_sync.dal.orders import OrderRepository
from base_sync.dal.shops import ShopNotFound, ShopRepository
from base_sync.domain.shop import ShopStatus
from base_sync.observability import logger
from base_sync.services.importer import run_import
from base_sync.services.jobs import Job, JobKind
from base_sync.services.tokens import ShopApi, TokenProvider


def run_job(
    job: Job,
    *,
    shops: ShopRepository,
    orders: OrderRepository,
    client: BaseClient,
    tokens: Callable[[BaseClient], TokenProvider],
) -> dict[str, Any]:
    """The job's summary. Problems of BASE or the shop end in the summary, not in an exception,
    so a job is never retried into a storm; only our own faults raise (and SQS retries them)."""
    try:
        shop = shops.get(job.shop_id)
    except ShopNotFound:
        logger.warning(
            "job for an unknown shop dropped", extra={"shop_id": job.shop_id, "job_id": job.job_id}
        )
        return {"job_id": job.job_id, "skipped": "shop_not_found"}
    if shop.status is not ShopStatus.CONNECTED:
        return {"job_id": job.job_id, "skipped": shop.status.value}
    api = ShopApi(client, tokens(client), shop.shop_id)
    if job.kind is JobKind.IMPORT:
        return {
            "job_id": job.job_id,
            **run_import(shop, client=client, api=api, orders=orders, shops=shops).as_dict(),
        }
    logger.error("job kind not supported yet", extra={"kind": job.kind.value, "job_id": job.job_id})
    return {"job_id": job.job_id, "skipped": f"{job.kind.value}_not_supported"}
