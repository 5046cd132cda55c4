"""The importer's budget, clock and resume paths in milliseconds, on the in-memory fakes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.support.fakes import FakeOrders
from tests.support.reasons_seen import IMPORTER_REASONS, covered_in, covers
from tests.support.world import SHOP, World

from base_sync.base_api import (
    AppCredentialsRejected,
    DeadlineExceeded,
    OrderRefused,
    RateLimited,
    RefreshTokenInvalid,
    TransientError,
)
from base_sync.base_api.snapshots import snapshot_from_detail
from base_sync.dal.orders import WRITE_ATTEMPTS
from base_sync.domain.deadline import Deadline
from base_sync.domain.order import ExportState, Order
from base_sync.domain.reasons import Reason
from base_sync.domain.status import ManagementStatus
from base_sync.services.importer import CALL_SECONDS, upsert_from_base


def _details(world: World) -> int:
    return world.base.calls.by_endpoint["order_detail"]


def _orders_on_base(world: World, count: int) -> list[str]:
    keys = [f"o{n:02d}" for n in range(1, count + 1)]
    for n, key in enumerate(keys):
        world.on_base(key, ordered=world.ago(hours=1, minutes=n))
    return keys


@covers(Reason.BUDGET_SPENT)
def test_a_spent_budget_stops_mid_window_and_the_next_run_resumes_without_rereading() -> None:
    world = World(import_call_budget=10)
    keys = _orders_on_base(world, 15)
    first = world.import_()
    assert (first.stopped, first.new, first.api_calls) == (
        Reason.BUDGET_SPENT,
        8,
        10,
    )  # the day's delivery-company list, one list page, eight details
    assert len(world.orders.get_many(SHOP, keys)) == 8
    world.base.calls.by_endpoint.clear()
    second = world.import_()
    assert (second.stopped, second.new, second.unchanged) == (None, 7, 8)
    assert _details(world) == 7  # the eight stored with their detail cost nothing again
    assert "delivery_companies" not in world.base.calls.by_endpoint  # cached for the day
    assert len(world.orders.get_many(SHOP, keys)) == 15


@covers(Reason.RATE_LIMITED)
def test_a_rate_limit_stops_the_run_at_once_with_when_it_resets() -> None:
    world = World()
    _orders_on_base(world, 3)
    resets = datetime(2026, 12, 3, 4, 0, tzinfo=UTC)
    world.base.script("order_detail", RateLimited("limit", code="hour_api_limit", resets_at=resets))
    report = world.import_()
    assert report.stopped is Reason.RATE_LIMITED
    assert report.errors == [
        {"reason": Reason.RATE_LIMITED, "base_error": "hour_api_limit", "resets_at": resets.isoformat()}
    ]
    assert _details(world) == 1
    assert report.new == 0


@covers(Reason.TIME_UP)
def test_too_little_time_for_a_call_stops_before_it() -> None:
    world = World()
    _orders_on_base(world, 2)
    report = world.import_(deadline=Deadline(at=CALL_SECONDS - 1, clock=lambda: 0.0))
    assert report.stopped is Reason.TIME_UP
    assert world.base.calls.total == 0


@covers(Reason.TIME_UP)
def test_a_call_cut_short_by_the_deadline_is_time_up() -> None:
    world = World()
    _orders_on_base(world, 2)
    world.base.script("order_detail", DeadlineExceeded("no time"))
    report = world.import_()
    assert (report.stopped, report.new) == (Reason.TIME_UP, 0)


@covers(Reason.BASE_UNAVAILABLE, Reason.BASE_REFUSED)
def test_one_orders_base_error_does_not_stop_the_others() -> None:
    world = World()
    keys = _orders_on_base(world, 4)
    world.base.script(
        "order_detail", TransientError("flaky", code="server_error"), OrderRefused("gone", code="no_order")
    )
    report = world.import_()
    assert report.stopped is None
    assert report.new == 2
    assert report.errors == [
        {"unique_key": keys[0], "reason": Reason.BASE_UNAVAILABLE, "base_error": "server_error"},
        {"unique_key": keys[1], "reason": Reason.BASE_REFUSED, "base_error": "no_order"},
    ]
    again = world.import_()  # the next run fetches the two it missed, and only those
    assert (again.new, again.unchanged, again.errors) == (2, 2, [])


@covers(Reason.BASE_UNAVAILABLE)
def test_a_failed_list_ends_the_run() -> None:
    world = World()
    _orders_on_base(world, 1)
    world.base.script("orders", TransientError("down", code="server_error"))
    report = world.import_()
    assert report.stopped is Reason.BASE_UNAVAILABLE
    assert report.errors == [{"reason": Reason.BASE_UNAVAILABLE, "base_error": "server_error"}]


@covers(Reason.NEEDS_REAUTH)
def test_a_dead_refresh_token_stops_the_import() -> None:
    world = World()
    _orders_on_base(world, 1)
    tokens = world.secrets.shop_tokens(SHOP)
    world.secrets.put_shop_tokens(tokens.model_copy(update={"expires_at": world.now + timedelta(minutes=1)}))
    world.base.script("token", RefreshTokenInvalid("dead", code="invalid_request"))
    report = world.import_()
    assert report.stopped is Reason.NEEDS_REAUTH
    assert report.errors == [{"reason": Reason.NEEDS_REAUTH, "base_error": "invalid_request"}]


@covers(Reason.APP_NEEDS_ATTENTION)
def test_an_app_base_refuses_stops_the_import() -> None:
    world = World()
    _orders_on_base(world, 1)
    tokens = world.secrets.shop_tokens(SHOP)
    world.secrets.put_shop_tokens(tokens.model_copy(update={"expires_at": world.now + timedelta(minutes=1)}))
    world.base.script("token", AppCredentialsRejected("app", code="unauthorized_client"))
    report = world.import_()
    assert report.stopped is Reason.APP_NEEDS_ATTENTION
    assert report.errors == [{"reason": Reason.APP_NEEDS_ATTENTION, "base_error": "unauthorized_client"}]


@covers(Reason.CANCELLED_ON_BASE)
def test_an_order_cancelled_on_base_is_held_and_a_new_one_is_cancelled() -> None:
    world = World()
    world.ready("o1")
    world.on_base("o1", dispatch_status="cancelled", item_status="cancelled", modified=2)
    world.on_base("o2", dispatch_status="cancelled", item_status="cancelled")
    report = world.import_()
    assert (report.new, report.updated) == (1, 1)
    managed, new = world.stored("o1"), world.stored("o2")
    assert (managed.status, managed.export_state, managed.export_reason) == (
        ManagementStatus.PROCESSED,
        ExportState.NOT_READY,
        Reason.CANCELLED_ON_BASE,
    )
    assert new.status is ManagementStatus.CANCELLED


def test_an_order_created_meanwhile_is_updated_instead() -> None:
    world = World()
    world.on_base("o1", modified=5)
    detail = world.base.orders["o1"]
    other = Order(
        shop_id=SHOP, unique_key="o1", base=snapshot_from_detail(detail), status=ManagementStatus.HOLD
    )
    world.orders.put_raw(other)  # another writer's import stored it after our batch read found nothing
    created = upsert_from_base(world.shops.get(SHOP), detail, None, orders=world.orders, now=world.now)
    assert created is False
    stored = world.stored("o1")
    assert (stored.status, stored.imported_at, stored.version) == (
        ManagementStatus.HOLD,
        world.now.isoformat(),
        2,
    )


def test_concurrent_writers_are_outlasted_up_to_the_limit() -> None:
    world = World()
    stored = world.ready("o1")
    world.on_base("o1", modified=7)
    for _ in range(WRITE_ATTEMPTS - 1):
        world.orders.meanwhile.append(lambda store: store.bump(SHOP, "o1", tracking_number="999999"))

    def staff(store: FakeOrders) -> None:
        assert store.get(SHOP, "o1").tracking_number == "999999"

    world.orders.meanwhile.append(staff)
    upsert_from_base(
        world.shops.get(SHOP), world.base.orders["o1"], stored, orders=world.orders, now=world.now
    )
    after = world.stored("o1")
    assert after.base.detail_modified == 7
    assert after.tracking_number == "999999"  # the staff's writes kept: only BASE's side was replaced


def test_the_fast_tests_cover_every_reason_the_importer_can_emit() -> None:
    assert covered_in(__name__) >= IMPORTER_REASONS, sorted(IMPORTER_REASONS - covered_in(__name__))
