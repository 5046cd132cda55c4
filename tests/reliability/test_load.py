"""Load: many shops in one schedule tick with every token expiring mid-run; 8 overlapping jobs for one shop."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from tests.reliability.ledger import LEDGER, Planned, audit, parallel, scale
from tests.reliability.scenario import drain_until_empty, prepare_shop
from tests.support.flows import connect_shop
from tests.support.stack import StackUnderTest

from base_sync import wiring
from base_sync.base_api import BaseClient
from base_sync.dal.orders import OrderRepository
from base_sync.domain.export import ExportRun
from base_sync.services.exporter import run_export
from base_sync.services.tokens import ShopTokenCaller

pytestmark = [pytest.mark.reliability, pytest.mark.usefixtures("fast_retries")]

SHOPS = scale(10, 50)
ORDERS_PER_SHOP = scale(40, 200)


def _age_tokens(stack: StackUnderTest, shop_id: str) -> None:
    """Our stored pair says it expired (as tests/integration/test_tokens.py::_age_tokens does)."""
    with stack.env("JobWorkerFunction"):
        store = wiring.secrets_store()
        tokens = store.shop_tokens(shop_id)
        now = datetime.now(UTC)
        store.put_shop_tokens(
            tokens.model_copy(
                update={"expires_at": now - timedelta(seconds=10), "issued_at": now - timedelta(hours=1)}
            )
        )


def _refreshes(stack: StackUnderTest) -> dict[str, int]:
    return {k: int(v["refreshes_succeeded"]) for k, v in stack.base.tokens()["shops"].items()}


def test_many_shops_one_tick_with_every_token_expiring_mid_run(
    stack: StackUnderTest, monkeypatch: pytest.MonkeyPatch
):
    """Guards: per-shop FIFO jobs and per-order attempt markers keep a full tick exact at volume,
    and the token provider (refresh under a lease, refresh once and retry once on a rejected
    access token) keeps each shop to one refresh when BASE drops every token in the middle of
    its run. Ready orders only: every one must go out, once."""
    shop_ids = [f"load-{n:02d}" for n in range(SHOPS)]
    started = time.monotonic()
    for shop_id in shop_ids:
        connect_shop(stack, shop_id, f"{shop_id}店")
    planned: list[Planned] = parallel(
        lambda shop_id: prepare_shop(stack, shop_id, ORDERS_PER_SHOP, ineligible_every=0, connect=False),
        shop_ids,
        workers=1,  # the importer runs through the shared worker handler, one job at a time
    )
    setup_s = time.monotonic() - started
    with stack.env("JobWorkerFunction"):
        store = wiring.secrets_store()
        shop_of_token = {store.shop_tokens(s).access_token.get_secret_value(): s for s in shop_ids}
    before = _refreshes(stack)
    sends: Counter[str] = Counter()
    expired: set[str] = set()
    original = BaseClient.dispatch_item

    def dispatch_item(self: BaseClient, token: str, order_item_id: int, **kw: Any) -> Any:
        shop_id = shop_of_token.get(token)
        if shop_id is not None:
            sends[shop_id] += 1
            if sends[shop_id] == 5 and shop_id not in expired:  # mid-run: BASE drops the shop's tokens
                expired.add(shop_id)
                stack.base.expire_tokens(shop_id)
                _age_tokens(stack, shop_id)
                LEDGER.fault("tokens_expired_mid_run")
        return original(self, token, order_item_id, **kw)

    monkeypatch.setattr(BaseClient, "dispatch_item", dispatch_item)
    started = time.monotonic()
    tick = stack.invoke("ExportScheduleFunction", {})
    assert (tick["outcome"], tick["queued"]) == ("finished", len(shop_ids))
    drain_until_empty(stack, rounds=SHOPS * 3)
    export_s = time.monotonic() - started
    after = _refreshes(stack)
    assert expired == set(shop_ids)
    assert {s: after[s] - before.get(s, 0) for s in shop_ids} == dict.fromkeys(shop_ids, 1)
    for plan in planned:
        result = audit(stack, plan)
        assert result.clean, (plan.shop_id, result)
    items = sum(len(i) for p in planned for i in p.eligible.values())
    LEDGER.notes.append(
        f"load: {SHOPS} shops x {ORDERS_PER_SHOP} ready orders ({items} items) in one tick: "
        f"setup {setup_s:.0f} s, tick + jobs {export_s:.0f} s, one token refresh per shop"
    )


def test_eight_overlapping_export_jobs_for_one_shop(stack: StackUnderTest):
    """Guards: the version-checked ``dispatch_attempt`` claim (one run wins an order, the others
    leave a fresh attempt alone) and the token lease (eight runs needing a refresh at once make
    one). Each job has its own client, token provider and repository, as separate Lambdas would."""
    planned = prepare_shop(stack, "shop-8", scale(24, 120))
    stack.base.expire_tokens("shop-8")
    _age_tokens(stack, "shop-8")
    before = _refreshes(stack).get("shop-8", 0)
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def job(n: int) -> None:
        try:
            client = wiring.base_client()
            shop = wiring.shop_repository().get("shop-8")
            run = ExportRun(
                export_id=f"overlap-{n}",
                shop_id="shop-8",
                trigger="manual",
                queued_at=datetime.now(UTC).isoformat(),
            )
            barrier.wait()
            run_export(
                shop,
                run,
                client=client,
                api=ShopTokenCaller(client, wiring.token_provider(client), "shop-8"),
                orders=OrderRepository(stack.local.refs["OrdersTable"]),
                exports=wiring.export_repository(),
                shops=wiring.shop_repository(),
            )
        except BaseException as exc:
            errors.append(exc)

    with stack.env("JobWorkerFunction"):  # one environment for all eight (os.environ is per process)
        threads = [threading.Thread(target=job, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
    LEDGER.fault("overlapping_jobs", 8)
    assert errors == []
    assert _refreshes(stack)["shop-8"] - before == 1
    result = audit(stack, planned)
    assert result.clean, result
    calls = stack.base.calls(shop_id="shop-8", path_prefix="/1/orders/edit_status")["calls"]
    assert len(calls) == sum(len(v) for v in planned.eligible.values())
