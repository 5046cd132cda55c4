"""One suite, two implementations: the tests' in-memory fakes and the real repositories on moto.

Whatever a fast test learns from a fake holds for DynamoDB and Secrets Manager, because both
sides pass the same assertions here (``base_sync.services.ports`` is what they implement).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from tests.support.fakes import (
    FakeExports,
    FakeLeases,
    FakeOrders,
    FakeSecrets,
    FakeShops,
    valid_tokens,
)
from tests.support.stack import StackUnderTest

from base_sandbox import SandboxAdmin, SandboxServer
from base_sync import wiring
from base_sync.dal.errors import (
    ExportNotFound,
    OrderNotFound,
    SecretNotFound,
    ShopNotFound,
    TooManyConflicts,
    VersionConflict,
)
from base_sync.dal.orders import WRITE_ATTEMPTS, ReadCost
from base_sync.domain.export import ExportRun, OrderResult, Outcome, RunStatus
from base_sync.domain.order import BaseSnapshot, ExportState, Order
from base_sync.domain.reasons import Reason
from base_sync.domain.shop import KnownCompany, Shop, ShopStatus
from base_sync.services.ports import ExportRunStore, LeaseStore, OrderStore, SecretStore, ShopStore

NOW = datetime(2026, 12, 3, 3, 0, tzinfo=UTC)


@dataclass
class Stores:
    kind: str
    orders: OrderStore
    shops: ShopStore
    exports: ExportRunStore
    leases: LeaseStore
    secrets: SecretStore
    add_shop: Callable[[str], None]


@pytest.fixture(scope="module")
def moto_stack(moto_url: str, sandbox_server: SandboxServer) -> Iterator[StackUnderTest]:
    """One stack for the module: every test uses shop ids of its own."""
    yield StackUnderTest(sandbox_server.url, SandboxAdmin(sandbox_server.url))
    wiring.reset()


def _fakes() -> Stores:
    shops = FakeShops()
    return Stores(
        "fake",
        FakeOrders(),
        shops,
        FakeExports(),
        FakeLeases(),
        FakeSecrets(),
        lambda shop_id: shops.add(Shop(shop_id=shop_id, shop_name=shop_id, connected_at=NOW.isoformat())),
    )


@pytest.fixture(params=["fake", "moto"])
def stores(request: pytest.FixtureRequest) -> Iterator[Stores]:
    if request.param == "fake":
        yield _fakes()
        return
    stack: StackUnderTest = request.getfixturevalue("moto_stack")
    with stack.env("JobWorkerFunction"):
        shops = wiring.shop_repository()
        yield Stores(
            "moto",
            wiring.order_repository(),
            shops,
            wiring.export_repository(),
            wiring.lease_repository(),
            wiring.secrets_store(),
            lambda shop_id: shops.record_connected(shop_id, shop_id, now_iso=NOW.isoformat()),
        )


@pytest.fixture
def shop_id() -> str:
    return f"shop-{uuid.uuid4().hex[:8]}"


def _order(shop_id: str, key: str, **fields: Any) -> Order:
    base = BaseSnapshot(ordered=int(NOW.timestamp()) - 3600, dispatch_status="ordered", items=[])
    return Order(shop_id=shop_id, unique_key=key, base=fields.pop("base", base), **fields)


# -- orders


def test_create_is_conditional_and_get_reads_it_back(stores: Stores, shop_id: str) -> None:
    created = stores.orders.create(_order(shop_id, "k1", tracking_number="123"))
    assert created.version == 1
    assert stores.orders.get(shop_id, "k1") == created
    with pytest.raises(VersionConflict):
        stores.orders.create(_order(shop_id, "k1"))
    with pytest.raises(OrderNotFound):
        stores.orders.get(shop_id, "nope")


def test_save_checks_the_version(stores: Stores, shop_id: str) -> None:
    created = stores.orders.create(_order(shop_id, "k1"))
    saved = stores.orders.save(created.model_copy(update={"tracking_number": "555"}))
    assert saved.version == 2
    assert stores.orders.get(shop_id, "k1").tracking_number == "555"
    with pytest.raises(VersionConflict):
        stores.orders.save(created.model_copy(update={"tracking_number": "stale"}))
    with pytest.raises(VersionConflict):
        stores.orders.save(_order(shop_id, "never-created"))
    assert stores.orders.get(shop_id, "k1").tracking_number == "555"


def test_update_applies_the_change_and_none_writes_nothing(stores: Stores, shop_id: str) -> None:
    stores.orders.create(_order(shop_id, "k1"))
    updated = stores.orders.update(shop_id, "k1", lambda o: o.model_copy(update={"tracking_number": "1"}))
    assert (updated.tracking_number, updated.version) == ("1", 2)
    same = stores.orders.update(shop_id, "k1", lambda o: None)
    assert same == stores.orders.get(shop_id, "k1") == updated
    with pytest.raises(OrderNotFound):
        stores.orders.update(shop_id, "nope", lambda o: o)


def test_update_reads_again_and_reapplies_after_another_writer(stores: Stores, shop_id: str) -> None:
    first = stores.orders.create(_order(shop_id, "k1"))
    seen: list[Order] = []

    def change(current: Order) -> Order:
        seen.append(current)
        if len(seen) == 1:  # another writer gets in between our read and our save
            stores.orders.save(current.model_copy(update={"delivery_company": "ヤマト運輸"}))
        return current.model_copy(update={"tracking_number": "42"})

    stored = stores.orders.update(shop_id, "k1", change, current=first)
    assert [o.version for o in seen] == [1, 2]
    assert (stored.tracking_number, stored.delivery_company, stored.version) == ("42", "ヤマト運輸", 3)


def test_update_gives_up_after_the_limit(stores: Stores, shop_id: str) -> None:
    stores.orders.create(_order(shop_id, "k1"))
    calls = 0

    def always_beaten(current: Order) -> Order:
        nonlocal calls
        calls += 1
        stores.orders.save(current.model_copy(update={"tracking_number": str(calls)}))
        return current.model_copy(update={"delivery_company": "mine"})

    with pytest.raises(TooManyConflicts):
        stores.orders.update(shop_id, "k1", always_beaten)
    assert calls == WRITE_ATTEMPTS
    assert stores.orders.get(shop_id, "k1").delivery_company is None


def test_get_many_returns_what_exists(stores: Stores, shop_id: str) -> None:
    for key in ("a", "b"):
        stores.orders.create(_order(shop_id, key))
    found = stores.orders.get_many(shop_id, ["a", "missing", "b", "a"])
    assert sorted(found) == ["a", "b"]
    assert found["a"].unique_key == "a"
    assert stores.orders.get_many(shop_id, []) == {}


def test_export_candidates_are_the_ready_orders_or_the_asked_ones(stores: Stores, shop_id: str) -> None:
    states = {
        "p2": (ExportState.PENDING, date(2026, 12, 2)),
        "p1": (ExportState.PENDING, None),
        "d1": (ExportState.DEFERRED, date(2026, 12, 9)),
        "n1": (ExportState.NOT_READY, None),
        "e1": (ExportState.EXPORTED, None),
        "f1": (ExportState.FAILED, None),
    }
    for key, (state, ship) in states.items():
        stores.orders.create(_order(shop_id, key, export_state=state, ship_date=ship))
    stores.orders.create(_order("another-shop-" + shop_id, "p9", export_state=ExportState.PENDING))
    cost = ReadCost()
    ready, missing = stores.orders.export_candidates(shop_id, None, cost)
    assert [o.unique_key for o in ready] == ["p1", "p2", "d1"]  # ship date first (none first), then key
    assert (missing, cost.items_read) == ([], 3)
    asked, missing = stores.orders.export_candidates(shop_id, ["e1", "zz", "n1"])
    assert ([o.unique_key for o in asked], missing) == (["e1", "n1"], ["zz"])
    moved = stores.orders.get(shop_id, "p1")
    stores.orders.save(moved.model_copy(update={"export_state": ExportState.EXPORTED}))
    ready, _ = stores.orders.export_candidates(shop_id, None)
    assert [o.unique_key for o in ready] == ["p2", "d1"]  # the sparse index follows the state


def test_open_orders_are_the_ones_still_open_on_both_sides(stores: Stores, shop_id: str) -> None:
    ordered = int(NOW.timestamp()) - 7200
    open_base = BaseSnapshot(ordered=ordered, dispatch_status="ordered")
    stores.orders.create(_order(shop_id, "open", base=open_base))
    stores.orders.create(_order(shop_id, "done", base=open_base, export_state=ExportState.EXPORTED))
    closed = open_base.model_copy(update={"dispatch_status": "cancelled"})
    stores.orders.create(_order(shop_id, "cancelled", base=closed))
    assert stores.orders.open_orders(shop_id) == {"open": ordered}


# -- export runs


def test_a_run_is_stored_with_all_its_results(stores: Stores, shop_id: str) -> None:
    results = [
        OrderResult(unique_key=f"k{n:05d}", outcome=Outcome.DEFERRED, reason=Reason.BUDGET_SPENT)
        for n in range(1500)
    ]
    run = ExportRun(
        export_id=f"exp-{uuid.uuid4().hex[:8]}",
        shop_id=shop_id,
        trigger="manual",
        queued_at=NOW.isoformat(),
        status=RunStatus.PARTIAL,
        error=Reason.BUDGET_SPENT,
        results=results,
    )
    stores.exports.put(run)
    back = stores.exports.get_run(run.export_id, shop_id)
    assert back.results == results
    assert (back.status, back.error) == (RunStatus.PARTIAL, Reason.BUDGET_SPENT)
    assert stores.exports.get_run(run.export_id, shop_id, with_results=False).results == []
    shorter = run.model_copy(update={"results": results[:2], "status": RunStatus.SUCCEEDED})
    stores.exports.put(shorter)
    assert stores.exports.get_run(run.export_id, shop_id).results == results[:2]
    with pytest.raises(ExportNotFound):
        stores.exports.get_run("nope", shop_id)


# -- shops


def test_shops_summaries_and_reauth(stores: Stores, shop_id: str) -> None:
    with pytest.raises(ShopNotFound):
        stores.shops.get(shop_id)
    stores.add_shop(shop_id)
    stores.shops.put_run_summary(shop_id, "last_import", {"new": 3, "stopped": None})
    assert stores.shops.get(shop_id).last_import == {"new": 3, "stopped": None}
    with pytest.raises(ValueError, match="elsewhere"):
        stores.shops.put_run_summary(shop_id, "elsewhere", {})
    stores.shops.record_tokens_refreshed(shop_id, now_iso="2026-12-03T03:00:00+00:00")
    assert stores.shops.get(shop_id).tokens_refreshed_at == "2026-12-03T03:00:00+00:00"
    assert stores.shops.mark_needs_reauth(shop_id, reason="invalid_request", now_iso=NOW.isoformat()) is True
    assert stores.shops.mark_needs_reauth(shop_id, reason="invalid_request", now_iso=NOW.isoformat()) is False
    assert stores.shops.get(shop_id).status is ShopStatus.NEEDS_REAUTH


def test_a_shops_delivery_company_list_is_cached_on_the_shop(stores: Stores, shop_id: str) -> None:
    stores.add_shop(shop_id)
    assert (
        stores.shops.get(shop_id).delivery_companies,
        stores.shops.get(shop_id).delivery_companies_at,
    ) == (
        None,
        None,
    )
    listed = [
        KnownCompany(delivery_company_id=1, name="クロネコヤマト"),
        KnownCompany(delivery_company_id=2, name="佐川急便"),
    ]
    stores.shops.put_delivery_companies(shop_id, listed, at_iso=NOW.isoformat())
    shop = stores.shops.get(shop_id)
    assert (shop.delivery_companies, shop.delivery_companies_at) == (listed, NOW.isoformat())


# -- leases and markers


def test_a_lease_has_one_holder_until_released_or_expired(stores: Stores, shop_id: str) -> None:
    lock = f"token-refresh#{shop_id}"
    now = NOW.timestamp()
    owner = stores.leases.acquire(lock, seconds=30, now=now)
    assert owner is not None
    assert stores.leases.acquire(lock, seconds=30, now=now + 1) is None
    stores.leases.release(lock, "someone-else")
    assert stores.leases.acquire(lock, seconds=30, now=now + 2) is None
    stores.leases.release(lock, owner)
    second = stores.leases.acquire(lock, seconds=30, now=now + 3)
    assert second is not None
    third = stores.leases.acquire(lock, seconds=30, now=now + 34)  # the second holder's lease expired
    assert third is not None
    assert third != second


def test_a_marker_tells_of_a_holder_that_never_finished(stores: Stores, shop_id: str) -> None:
    marker = f"token-refresh-started#{shop_id}"
    assert stores.leases.put_marker(marker, "owner-1", started_at="t1") is None
    old = stores.leases.put_marker(marker, "owner-2", started_at="t2")
    assert old is not None
    assert (old["owner"], old["started_at"]) == ("owner-1", "t1")
    stores.leases.clear_marker(marker, "owner-1")  # an older holder's clear leaves the newer marker
    again = stores.leases.put_marker(marker, "owner-3", started_at="t3")
    assert again is not None
    assert again["owner"] == "owner-2"
    stores.leases.clear_marker(marker, "owner-3")
    assert stores.leases.put_marker(marker, "owner-4", started_at="t4") is None


# -- secrets


def test_a_shops_tokens_round_trip(stores: Stores, shop_id: str) -> None:
    with pytest.raises(SecretNotFound):
        stores.secrets.shop_tokens(shop_id)
    tokens = valid_tokens(shop_id, NOW)
    stores.secrets.put_shop_tokens(tokens)
    back = stores.secrets.shop_tokens(shop_id)
    assert back.access_token.get_secret_value() == tokens.access_token.get_secret_value()
    assert back.refresh_token.get_secret_value() == tokens.refresh_token.get_secret_value()
    assert (back.expires_at, back.issued_at) == (tokens.expires_at, tokens.issued_at)
    newer = valid_tokens(shop_id, NOW + timedelta(hours=1))
    stores.secrets.put_shop_tokens(newer)
    assert stores.secrets.shop_tokens(shop_id).issued_at == newer.issued_at
