"""Exports as the API and the schedule see them: queue, plan (dry run), read the processing log."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from base_sync.base_api import BaseApiError, BaseClient, DeadlineExceeded, DeliveryCompany
from base_sync.dal.errors import ShopNotFound
from base_sync.dal.export_runs import ExportRepository
from base_sync.dal.orders import OrderRepository
from base_sync.dal.shops import ShopRepository
from base_sync.domain.export import ExportRun, RunStatus
from base_sync.domain.reasons import Cause, Reason
from base_sync.domain.shop import Shop, ShopStatus
from base_sync.rules.export_plan import Action, needs_companies, plan_order
from base_sync.services.errors import NoShopToExport, ShopNeedsReauth, TokenRefreshNeeded
from base_sync.services.jobs import Job, JobKind, Trigger, enqueue
from base_sync.services.tokens import ShopTokenCaller, TokenProvider


@dataclass(frozen=True)
class PlanEntry:
    """One line of a dry-run plan: what an export would do with the order now, and why."""

    shop_id: str
    unique_key: str
    action: Action
    cause: Cause | None = None


@dataclass
class ExportService:
    shops: ShopRepository
    orders: OrderRepository
    exports: ExportRepository
    queue_url: str
    now: Callable[[], datetime] = lambda: datetime.now(UTC)

    def _target_shops(self, shop_id: str | None) -> list[Shop]:
        if shop_id is not None:
            return [self.shops.get(shop_id)]  # ShopNotFound -> 404
        shops = [s for s in self.shops.list() if s.status is ShopStatus.CONNECTED]
        if not shops:
            raise NoShopToExport("no connected shop to export")
        return shops

    def queue(
        self,
        *,
        shop_id: str | None,
        order_keys: list[str] | None,
        trigger: Trigger,
        dedup_id: str | None = None,
        actor: str | None = None,
    ) -> str:
        """One run record per shop (all under one export id), then one job per shop on its queue group."""
        export_id = uuid.uuid4().hex
        for shop in self._target_shops(shop_id):
            self.queue_for_shop(
                shop,
                export_id=export_id,
                order_keys=order_keys,
                trigger=trigger,
                dedup_id=dedup_id,
                actor=actor,
            )
        return export_id

    def queue_for_shop(
        self,
        shop: Shop,
        *,
        export_id: str,
        order_keys: list[str] | None,
        trigger: Trigger,
        dedup_id: str | None = None,
        actor: str | None = None,
    ) -> bool:
        """Open the run's record, only if absent, then send its job; False when nothing was sent.

        A re-processed schedule tick or stream batch names the same run again (``export_id`` and
        ``dedup_id`` come from the tick or the batch). SQS forgets a de-duplication id after five
        minutes, so the record is the guard: a run already queued, running or finished is neither
        reset nor sent again. The one exception is a record still ``queued`` whose send was never
        confirmed (``enqueued_at``): the earlier invocation stopped between the two, so the job is
        sent now (a copy that did get through finds its run done and is dropped by the worker).
        """
        run = ExportRun(
            export_id=export_id,
            shop_id=shop.shop_id,
            trigger=trigger.value,
            queued_at=self.now().astimezone(UTC).isoformat(),
            order_keys=order_keys,
            actor=actor,
        )
        existing = self.exports.create(run)
        if existing is not None:
            if existing.status is not RunStatus.QUEUED or existing.enqueued_at is not None:
                return False
            run = existing
        job = Job(
            kind=JobKind.EXPORT,
            shop_id=shop.shop_id,
            trigger=Trigger(run.trigger),
            job_id=export_id,
            order_keys=run.order_keys,
        )
        enqueue(self.queue_url, job, dedup_id=dedup_id)
        if dedup_id is not None:  # only ticks and batches can come again
            self.exports.mark_enqueued(export_id, shop.shop_id, at=self.now().astimezone(UTC).isoformat())
        return True

    def plan(
        self, *, shop_id: str | None, order_keys: list[str] | None, client: BaseClient, tokens: TokenProvider
    ) -> list[PlanEntry]:
        """What an export would do now, and why; reads BASE's company list at most once per shop, writes nothing."""
        plan: list[PlanEntry] = []
        now = self.now()
        for shop in self._target_shops(shop_id):
            candidates, missing = self.orders.export_candidates(shop.shop_id, order_keys)
            plan.extend(PlanEntry(shop.shop_id, k, "skip", Cause(Reason.ORDER_NOT_FOUND)) for k in missing)
            companies: list[DeliveryCompany] | None = None
            for order in candidates:
                key = order.unique_key
                if shop.status is not ShopStatus.CONNECTED:
                    plan.append(PlanEntry(shop.shop_id, key, "skip", Cause(Reason.SHOP_NOT_CONNECTED)))
                    continue
                if companies is None and needs_companies(order, shop.settings, now):
                    try:
                        companies = ShopTokenCaller(client, tokens, shop.shop_id).call(
                            client.delivery_companies
                        )
                    except (DeadlineExceeded, TokenRefreshNeeded):
                        raise  # the whole answer is "try again later" (the API's 503), not one order's skip
                    except (BaseApiError, ShopNeedsReauth) as exc:
                        unavailable = Cause(Reason.BASE_UNAVAILABLE, exc.reason)
                        plan.append(PlanEntry(shop.shop_id, key, "skip", unavailable))
                        continue
                decision = plan_order(order, shop.settings, now, companies or [])
                cause = Cause(decision.reason) if decision.reason else None
                plan.append(PlanEntry(shop.shop_id, key, decision.action, cause))
        return plan

    def get(self, export_id: str) -> list[ExportRun]:
        """One export's runs (one per shop; several for an export of all shops); ExportNotFound."""
        return self.exports.get(export_id)

    def log(self, shop_id: str, *, limit: int = 20) -> list[ExportRun]:
        self.shops.get(shop_id)  # 404 for an unknown shop
        return self.exports.for_shop(shop_id, limit=limit)


__all__ = ["ExportService", "NoShopToExport", "PlanEntry", "ShopNotFound"]
