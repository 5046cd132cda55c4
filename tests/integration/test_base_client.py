"""Every BaseClient method against the BASE sandbox over real HTTP, including expiry, limits and faults."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from pydantic import SecretStr

from base_sandbox import SandboxAdmin, SandboxServer
from base_sync.base_api import (
    AccessTokenInvalid,
    AppCredentials,
    AppCredentialsRejected,
    AuthorizationCodeInvalid,
    BaseClient,
    OrderRefused,
    PaymentPending,
    RateLimited,
    RefreshTokenInvalid,
    TransientError,
)
from base_sync.base_api.client import RetryPolicy
from base_sync.base_api.errors import JST

pytestmark = pytest.mark.integration
REDIRECT = "http://127.0.0.1:3000/oauth/callback"
SCOPE = "read_users read_orders write_orders"


@pytest.fixture
def client(sandbox_server: SandboxServer, base: SandboxAdmin) -> Iterator[BaseClient]:
    base.create_app("cid", "csecret", REDIRECT)
    base.create_shop("shop-x", "エックス商店")
    creds = AppCredentials(client_id="cid", client_secret=SecretStr("csecret"), redirect_uri=REDIRECT)
    yield BaseClient(
        sandbox_server.url,
        creds,
        timeouts=(1.0, 1.0),
        retry=RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.05),
    )


def _token(client: BaseClient, base: SandboxAdmin) -> tuple[str, str]:
    code = base.obtain_code("cid", REDIRECT, "shop-x", scope=SCOPE)
    pair = client.exchange_code(code)
    return pair.access_token.get_secret_value(), pair.refresh_token.get_secret_value()


def _orders(
    base: SandboxAdmin, count: int, *, start: datetime, step: timedelta, **extra: Any
) -> list[dict[str, Any]]:
    return base.create_orders(
        "shop-x",
        [
            {
                "ordered": int((start + i * step).timestamp()),
                "payment": "creditcard",
                "items": [{"title": f"商品{i}", "price": 1000, "amount": 1}],
                **extra,
            }
            for i in range(count)
        ],
    )


def test_code_exchange_users_me_and_refresh(client: BaseClient, base: SandboxAdmin):
    access, refresh = _token(client, base)
    assert client.get_me(access).shop_id == "shop-x"
    pair = client.refresh_tokens(refresh)
    assert pair.expires_in == 3600
    assert client.get_me(pair.access_token.get_secret_value()).shop_name == "エックス商店"
    with pytest.raises(RefreshTokenInvalid):  # single-use
        client.refresh_tokens(refresh)


def test_code_is_single_use_and_expires(client: BaseClient, base: SandboxAdmin):
    code = base.obtain_code("cid", REDIRECT, "shop-x", scope=SCOPE)
    client.exchange_code(code)
    with pytest.raises(AuthorizationCodeInvalid):
        client.exchange_code(code)
    late = base.obtain_code("cid", REDIRECT, "shop-x", scope=SCOPE)
    base.advance_clock(601)
    with pytest.raises(AuthorizationCodeInvalid):
        client.exchange_code(late)


def test_wrong_client_secret_is_app_credentials_rejected(sandbox_server: SandboxServer, base: SandboxAdmin):
    base.create_app("cid", "csecret", REDIRECT)
    base.create_shop("shop-x", "x")
    code = base.obtain_code("cid", REDIRECT, "shop-x", scope=SCOPE)
    bad = BaseClient(
        sandbox_server.url,
        AppCredentials(client_id="cid", client_secret=SecretStr("wrong"), redirect_uri=REDIRECT),
    )
    with pytest.raises(AppCredentialsRejected):
        bad.exchange_code(code)


def test_access_token_expiry(client: BaseClient, base: SandboxAdmin):
    access, _ = _token(client, base)
    base.advance_clock(3601)
    with pytest.raises(AccessTokenInvalid):
        client.get_me(access)


def test_order_listing_pages_through_a_jst_window(client: BaseClient, base: SandboxAdmin):
    access, _ = _token(client, base)
    start = datetime(2026, 11, 20, 0, 0, tzinfo=JST)
    _orders(base, 250, start=start, step=timedelta(minutes=10))  # 20th 00:00 .. 21st 17:30 JST
    _orders(base, 3, start=datetime(2026, 11, 19, 23, 30, tzinfo=JST), step=timedelta(minutes=1))
    end = datetime(2026, 11, 22, tzinfo=JST)
    client.calls.by_endpoint.clear()
    pages = [client.list_orders_page(access, start=start, end=end, offset=offset) for offset in (0, 100, 200)]
    assert [len(page) for page in pages] == [100, 100, 50]
    assert len({o.unique_key for page in pages for o in page}) == 250  # the three of the 19th are outside
    assert client.calls.by_endpoint["orders"] == 3


def test_order_detail_dispatch_and_companies(client: BaseClient, base: SandboxAdmin):
    access, _ = _token(client, base)
    created = base.create_orders(
        "shop-x",
        [
            {
                "ordered": int(datetime.now(JST).timestamp()),
                "payment": "creditcard",
                "items": [
                    {"title": "A", "price": 100, "amount": 1},
                    {"title": "B", "price": 200, "amount": 2},
                ],
            }
        ],
    )[0]
    key = created["unique_key"]
    detail = client.get_order(access, key)
    assert [i.status for i in detail.order_items] == ["ordered", "ordered"]
    companies = client.delivery_companies(access)
    yamato = next(c for c in companies if c.name == "クロネコヤマト")
    after = client.dispatch_item(
        access,
        detail.order_items[0].order_item_id,
        delivery_company_id=yamato.delivery_company_id,
        tracking_number="123456789012",
        add_comment="発送日: 2026年11月28日",
    )
    assert [i.status for i in after.order_items] == ["dispatched", "ordered"]
    assert after.tracking_number == "123456789012"
    emails = base.emails("shop-x")
    assert len(emails) == 1 and emails[0]["tracking_number"] == "123456789012"
    with pytest.raises(OrderRefused):  # never twice
        client.dispatch_item(
            access,
            detail.order_items[0].order_item_id,
            delivery_company_id=yamato.delivery_company_id,
            tracking_number="123456789012",
        )
    with pytest.raises(OrderRefused):
        client.get_order(access, "no-such-order")


def test_deferred_payment_payment_gating_and_cart_apps(client: BaseClient, base: SandboxAdmin):
    access, _ = _token(client, base)
    now = int(datetime.now(JST).timestamp())
    item = [{"title": "A", "price": 100, "amount": 1}]
    atobarai, cvs, cart = base.create_orders(
        "shop-x",
        [
            {"ordered": now, "payment": "atobarai", "items": item},
            {"ordered": now, "payment": "cvs", "items": item},
            {"ordered": now, "payment": "creditcard", "cart_app": "YamatoDelivery", "items": item},
        ],
    )

    def first_item(order: dict[str, Any]) -> int:
        return client.get_order(access, order["unique_key"]).order_items[0].order_item_id

    shipped = client.ship_deferred_payment(
        access, first_item(atobarai), delivery_company_id=1, tracking_number="A1"
    )
    assert shipped.dispatch_status == "shipping"
    with pytest.raises(PaymentPending):
        client.dispatch_item(access, first_item(cvs), delivery_company_id=1, tracking_number="C1")
    base.mark_paid(cvs["unique_key"])
    assert (
        client.dispatch_item(
            access, first_item(cvs), delivery_company_id=1, tracking_number="C1"
        ).dispatch_status
        == "dispatched"
    )
    with pytest.raises(OrderRefused) as refused:
        client.dispatch_item(access, first_item(cart), delivery_company_id=1, tracking_number="Y1")
    assert refused.value.is_cart_app
    assert refused.value.code == "not_change_status_YamatoDelivery"


def test_rate_limits_carry_their_reset_time(client: BaseClient, base: SandboxAdmin):
    access, _ = _token(client, base)
    base.set_limits("shop-x", hour=3)
    client.get_me(access)
    client.get_me(access)
    client.get_me(access)
    with pytest.raises(RateLimited) as limited:
        client.get_me(access)
    assert limited.value.window == "hour"
    assert limited.value.resets_at.minute == 0
    assert limited.value.resets_at > datetime.now(JST)
    base.set_limits("shop-x", hour=5000, day=1, day_used=1)
    with pytest.raises(RateLimited) as daily:
        client.get_me(access)
    assert daily.value.window == "day"


def test_transient_faults_are_retried_for_reads(client: BaseClient, base: SandboxAdmin):
    access, _ = _token(client, base)
    for mode in ("5xx", "db_error", "drop_before"):
        base.add_fault(mode, count=2, path_prefix="/1/users/me")
        client.calls.by_endpoint.clear()
        assert client.get_me(access).shop_id == "shop-x"
        assert client.calls.by_endpoint["users_me"] == 3, mode
        base.clear_faults()


def test_slow_answers_past_the_read_timeout_are_transient(client: BaseClient, base: SandboxAdmin):
    access, _ = _token(client, base)
    base.add_fault("slow", delay_seconds=1.5, path_prefix="/1/users/me")
    with pytest.raises(TransientError) as caught:
        client.get_me(access)
    assert caught.value.may_have_applied
    assert client.calls.by_endpoint["users_me"] == 3


def test_a_dispatch_whose_answer_was_dropped_is_not_resent(client: BaseClient, base: SandboxAdmin):
    access, _ = _token(client, base)
    order = _orders(base, 1, start=datetime.now(JST), step=timedelta(0))[0]
    item_id = client.get_order(access, order["unique_key"]).order_items[0].order_item_id
    base.add_fault("drop_after", count=1, path_prefix="/1/orders/edit_status")
    with pytest.raises(TransientError) as caught:
        client.dispatch_item(access, item_id, delivery_company_id=1, tracking_number="123")
    assert caught.value.may_have_applied
    assert client.calls.by_endpoint["edit_status"] == 1
    assert len(base.emails("shop-x")) == 1  # BASE did it; we must learn that from the order detail
    assert client.get_order(access, order["unique_key"]).order_items[0].status == "dispatched"
