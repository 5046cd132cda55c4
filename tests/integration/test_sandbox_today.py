"""The BASE sandbox follows BASE as it behaves today (issue 14, item 6), over real HTTP.

Every expectation here comes from shared/base-api/README.md, not from our client: the token endpoint's
error descriptions, ``server_error``, open payment strings (``bnpl``), partner-shop null buyer fields,
``shipping_lines``, ``unshippable`` as a final state, BASE's own 60-day close, and changes to orders
older than any list window.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests
from pydantic import SecretStr

from base_sandbox import SandboxAdmin, SandboxAdminError, SandboxServer
from base_sync.base_api import (
    AppCredentials,
    AppCredentialsRejected,
    BaseClient,
    OrderRefused,
    RefreshTokenInvalid,
    TransientError,
)
from base_sync.base_api.client import RetryPolicy
from base_sync.base_api.errors import ReauthorizationRequired

pytestmark = pytest.mark.integration

JST = ZoneInfo("Asia/Tokyo")
CLIENT_ID = "today-client"
CLIENT_SECRET = "today-secret"
REDIRECT = "http://127.0.0.1:9/oauth/callback"
SHOP = "shop-today"
SCOPES = "read_users read_orders write_orders"
DAY = 86400

# BASE's texts, verbatim from the README.
INVALID_REFRESH = "不正なリフレッシュトークンです。"
EXPIRED_REFRESH = "リフレッシュトークンの有効期限が切れています。"
INVALID_CODE = "不正な認可コードです。"
EXPIRED_CODE = "認可コードの有効期限が切れています。"
NO_CLIENT = "client_idもしくはclient_secretがありません。"
SUSPENDED = "停止中のクライアントです。"
UNSHIPPABLE_FINAL = "unshippableから他ステータスへの更新はできません。"


@pytest.fixture
def admin(base: SandboxAdmin) -> SandboxAdmin:
    base.create_app(CLIENT_ID, CLIENT_SECRET, REDIRECT)
    base.create_shop(SHOP, "今日のショップ")
    return base


@pytest.fixture
def url(sandbox_server: SandboxServer) -> str:
    return sandbox_server.url


def token_call(url: str, **form: str) -> requests.Response:
    body = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uri": REDIRECT, **form}
    return requests.post(f"{url}/1/oauth/token", data=body, timeout=5)


def connect(admin: SandboxAdmin, url: str) -> dict[str, Any]:
    code = admin.obtain_code(CLIENT_ID, REDIRECT, SHOP, scope=SCOPES)
    resp = token_call(url, grant_type="authorization_code", code=code)
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


def api(url: str, token: str, path: str, method: str = "GET", **kw: Any) -> requests.Response:
    return requests.request(
        method, f"{url}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=5, **kw
    )


def error_of(resp: requests.Response) -> tuple[int, str, str]:
    body = resp.json()
    assert set(body) == {"error", "error_description"}
    return resp.status_code, body["error"], body["error_description"]


def detail(url: str, token: str, key: str) -> dict[str, Any]:
    resp = api(url, token, f"/1/orders/detail/{key}")
    assert resp.status_code == 200, resp.text
    return dict(resp.json()["order"])


def listed(url: str, token: str, start: int, end: int) -> dict[str, dict[str, Any]]:
    params = {"start_ordered": jst_day(start), "end_ordered": jst_day(end), "limit": 100}
    resp = api(url, token, "/1/orders", params=params)
    assert resp.status_code == 200, resp.text
    return {o["unique_key"]: o for o in resp.json()["orders"]}


def edit(url: str, token: str, **form: Any) -> requests.Response:
    return api(url, token, "/1/orders/edit_status", "POST", data=form)


def jst_day(unix: float) -> str:
    return datetime.fromtimestamp(unix, JST).strftime("%Y-%m-%d")


def now(admin: SandboxAdmin) -> int:
    return int(admin.clock()["now"])


# ---------------------------------------------------------------- 1. token error descriptions
def test_dead_refresh_tokens_are_told_apart_by_description(admin: SandboxAdmin, url: str) -> None:
    pair = connect(admin, url)
    assert admin.expire_refresh_tokens(SHOP)["expired"] == 1
    expired = token_call(url, grant_type="refresh_token", refresh_token=pair["refresh_token"])
    assert error_of(expired) == (400, "invalid_request", EXPIRED_REFRESH)
    fresh = connect(admin, url)
    assert (
        token_call(url, grant_type="refresh_token", refresh_token=fresh["refresh_token"]).status_code == 200
    )
    spent = token_call(url, grant_type="refresh_token", refresh_token=fresh["refresh_token"])
    assert error_of(spent) == (400, "invalid_request", INVALID_REFRESH)
    assert (
        error_of(token_call(url, grant_type="refresh_token", refresh_token="nonsense"))[2] == INVALID_REFRESH
    )


def test_code_errors_and_missing_client_use_bases_texts(admin: SandboxAdmin, url: str) -> None:
    code = admin.obtain_code(CLIENT_ID, REDIRECT, SHOP)
    assert error_of(token_call(url, grant_type="authorization_code", code="nope")) == (
        400,
        "invalid_request",
        INVALID_CODE,
    )
    assert error_of(token_call(url, grant_type="authorization_code", code=code, client_secret="")) == (
        400,
        "invalid_request",
        NO_CLIENT,
    )
    admin.advance_clock(601)
    assert error_of(token_call(url, grant_type="authorization_code", code=code)) == (
        400,
        "invalid_request",
        EXPIRED_CODE,
    )


def test_a_suspended_app_is_refused_at_token_and_authorize_until_unsuspended(
    admin: SandboxAdmin, url: str
) -> None:
    pair = connect(admin, url)
    assert admin.suspend_app(CLIENT_ID) == {"client_id": CLIENT_ID, "suspended": True}
    refused = token_call(url, grant_type="refresh_token", refresh_token=pair["refresh_token"])
    assert error_of(refused) == (400, "unauthorized_client", SUSPENDED)
    params = {"response_type": "code", "client_id": CLIENT_ID, "redirect_uri": REDIRECT}
    page = requests.get(f"{url}/1/oauth/authorize", params=params, allow_redirects=False, timeout=5)
    assert page.status_code == 400 and "Location" not in page.headers
    assert 'data-error="unauthorized_client"' in page.text and SUSPENDED in page.text
    with pytest.raises(SandboxAdminError):
        admin.obtain_code(CLIENT_ID, REDIRECT, SHOP)
    # The refused call did not spend the refresh token: once BASE restarts the app, it works.
    admin.unsuspend_app(CLIENT_ID)
    assert token_call(url, grant_type="refresh_token", refresh_token=pair["refresh_token"]).status_code == 200
    with pytest.raises(SandboxAdminError) as unknown:
        admin.suspend_app("no-such-app")
    assert unknown.value.status == 404


# ---------------------------------------------------------------- 2. faults with BASE's error codes
def test_server_error_fault_answers_like_base_and_applies_nothing(admin: SandboxAdmin, url: str) -> None:
    pair = connect(admin, url)
    admin.add_fault("server_error", count=1, path_prefix="/1/oauth/token")
    failed = token_call(url, grant_type="refresh_token", refresh_token=pair["refresh_token"])
    assert error_of(failed) == (400, "server_error", "DB error")
    # Nothing was applied: the refresh token is still good.
    assert token_call(url, grant_type="refresh_token", refresh_token=pair["refresh_token"]).status_code == 200
    assert admin.faults()["injected"] == {"server_error": 1}
    assert admin.calls(path_prefix="/1/oauth/token")["errors"] == {"server_error": 1}


def test_any_readme_error_code_can_be_injected(admin: SandboxAdmin, url: str) -> None:
    pair = connect(admin, url)
    admin.add_fault("error", error="invalid_grant", count=1, path_prefix="/1/oauth/token")
    grant = token_call(url, grant_type="refresh_token", refresh_token=pair["refresh_token"])
    assert error_of(grant) == (400, "invalid_grant", INVALID_REFRESH)
    admin.add_fault("error", error="unauthorized_client", count=1, path_prefix="/1/oauth/token")
    assert error_of(token_call(url, grant_type="refresh_token", refresh_token="x")) == (
        400,
        "unauthorized_client",
        SUSPENDED,
    )
    admin.add_fault("error", error="hour_api_limit", error_description="上限です", count=1)
    assert error_of(api(url, pair["access_token"], "/1/orders")) == (400, "hour_api_limit", "上限です")
    assert api(url, pair["access_token"], "/1/orders").status_code == 200
    bad = requests.post(f"{url}/_sandbox/faults", json={"mode": "error", "error": "made_up"}, timeout=5)
    assert bad.status_code == 400 and bad.json()["error"] == "bad_spec"


# ---------------------------------------------------------------- 3. payments and refusals
@pytest.mark.parametrize("payment", ["bnpl", "bnpl_installment_3", "future_pay"])
def test_any_payment_string_is_accepted_and_dispatches_like_a_card(
    admin: SandboxAdmin, url: str, payment: str
) -> None:
    order = admin.create_orders(SHOP, [{"payment": payment}])[0]
    tok = connect(admin, url)["access_token"]
    assert detail(url, tok, order["unique_key"])["payment"] == payment
    assert detail(url, tok, order["unique_key"])["dispatch_status"] == "ordered"
    assert listed(url, tok, now(admin) - DAY, now(admin))[order["unique_key"]]["payment"] == payment
    item = order["order_items"][0]["order_item_id"]
    done = edit(url, tok, order_item_id=item, status="dispatched")
    assert done.status_code == 200, done.text
    assert done.json()["order"]["dispatch_status"] == "dispatched"


def test_malformed_payment_names_are_a_bad_spec(admin: SandboxAdmin) -> None:
    for name in ("Pay ID!", "CreditCard", ""):
        with pytest.raises(SandboxAdminError) as bad:
            admin.create_orders(SHOP, [{"payment": name}])
        assert bad.value.status == 400, name


def test_refuse_dispatch_answers_bases_error_every_time_and_sends_no_mail(
    admin: SandboxAdmin, url: str
) -> None:
    preset = admin.preset_order(SHOP, "bnpl_refused")
    custom = admin.create_orders(
        SHOP,
        [
            {
                "payment": "bnpl",
                "refuse_dispatch": {
                    "error": "not_change_status_bnpl",
                    "error_description": "あと払いの審査中です。",
                },
            }
        ],
    )[0]
    tok = connect(admin, url)["access_token"]
    item = preset["order_item_ids"][0]
    for _ in range(2):
        refused = edit(url, tok, order_item_id=item, status="dispatched", delivery_company_id=1)
        assert error_of(refused) == (400, "not_change_status", "ステータスを変更できません。")
    custom_item = custom["order_items"][0]["order_item_id"]
    assert error_of(edit(url, tok, order_item_id=custom_item, status="dispatched")) == (
        400,
        "not_change_status_bnpl",
        "あと払いの審査中です。",
    )
    assert detail(url, tok, preset["unique_key"])["dispatch_status"] == "ordered"
    assert admin.emails() == []
    with pytest.raises(SandboxAdminError) as bad:
        admin.create_orders(SHOP, [{"payment": "bnpl", "refuse_dispatch": "made_up_refusal"}])
    assert bad.value.status == 400
    # The shop owner can lift the refusal; then it dispatches like a card order.
    admin.patch_order(preset["unique_key"], refuse_dispatch=False)
    assert edit(url, tok, order_item_id=item, status="dispatched").status_code == 200


# ---------------------------------------------------------------- 4. partner shops, shipping_lines
def test_partner_shop_orders_have_null_buyer_contact_fields(admin: SandboxAdmin, url: str) -> None:
    preset = admin.preset_order(SHOP, "partner_shop")
    tok = connect(admin, url)["access_token"]
    order = detail(url, tok, preset["unique_key"])
    for key in ("country", "zip_code", "address", "address2", "mail_address", "tel"):
        assert order[key] is None, key
    assert order["last_name"] == "山田" and order["first_name"] == "太郎"
    assert "shipping_lines" not in order  # a partner-shop sale alone does not change the shape
    assert preset["order"]["_sandbox"]["partner_shop"] is True
    item = preset["order_item_ids"][0]
    assert edit(url, tok, order_item_id=item, status="dispatched").status_code == 200


def test_shipping_lines_orders_carry_the_newer_fields(admin: SandboxAdmin, url: str) -> None:
    preset = admin.preset_order(SHOP, "shipping_lines")
    tok = connect(admin, url)["access_token"]
    order = detail(url, tok, preset["unique_key"])
    assert order["shipping_method"] is None  # README: with shipping_lines, shipping_method is null
    assert order["country_code"] == "JP"
    assert order["shipping_lines"] == [
        {"shipping_method": "ゆうパケット", "shipping_fee": 370, "order_item_ids": preset["order_item_ids"]}
    ]
    assert set(order["order_discount"]) >= {"discount", "note"}
    assert set(order["order_charge"]) == {"collected_fee"}
    plain = admin.create_orders(SHOP, [{"shipping_method": "宅急便"}])[0]
    plain_detail = detail(url, tok, plain["unique_key"])
    assert plain_detail["shipping_method"] == "宅急便"
    assert "shipping_lines" not in plain_detail and "country_code" not in plain_detail


# ---------------------------------------------------------------- 5. unshippable is final
def test_unshippable_is_final_for_every_edit_and_for_the_owner(admin: SandboxAdmin, url: str) -> None:
    card = admin.preset_order(SHOP, "unshippable")
    cod = admin.create_orders(SHOP, [{"payment": "cod", "dispatch_status": "unshippable"}])[0]
    atobarai = admin.create_orders(SHOP, [{"payment": "atobarai", "dispatch_status": "unshippable"}])[0]
    tok = connect(admin, url)["access_token"]
    final = (400, "not_change_status", UNSHIPPABLE_FINAL)
    assert error_of(edit(url, tok, order_item_id=card["order_item_ids"][0], status="dispatched")) == final
    cod_item = cod["order_items"][0]["order_item_id"]
    assert error_of(edit(url, tok, order_item_id=cod_item, status="cancelled")) == final
    ship = edit(
        url,
        tok,
        order_item_id=atobarai["order_items"][0]["order_item_id"],
        atobarai_status="shipping",
        delivery_company_id=1,
        tracking_number="123456789012",
    )
    assert error_of(ship) == final
    for key in (card["unique_key"], cod["unique_key"], atobarai["unique_key"]):
        assert detail(url, tok, key)["dispatch_status"] == "unshippable"
    with pytest.raises(SandboxAdminError) as owner:
        admin.cancel_order(card["unique_key"])
    assert owner.value.status == 409 and owner.value.body["error_description"] == UNSHIPPABLE_FINAL
    assert admin.emails() == []


# ---------------------------------------------------------------- 6. BASE's own 60-day close
def test_paid_cvs_order_is_closed_by_base_at_its_deadline_without_mail(admin: SandboxAdmin, url: str) -> None:
    preset = admin.preset_order(SHOP, "near_auto_close")
    key = preset["unique_key"]
    ordered = preset["order"]["ordered"]
    side = preset["order"]["_sandbox"]
    assert side["base_deadline_at"] == ordered + 60 * DAY
    assert side["base_deadline"] == jst_day(ordered + 60 * DAY)
    assert side["closed_by_base"] is None
    tok = connect(admin, url)["access_token"]
    assert detail(url, tok, key)["dispatch_status"] == "ordered"

    admin.advance_clock(side["base_deadline_at"] - now(admin) + 1)
    tok = connect(admin, url)["access_token"]  # the old access token expired meanwhile
    closed = detail(url, tok, key)
    assert closed["dispatch_status"] == "dispatched"  # 対応済
    assert closed["dispatched"] == side["base_deadline_at"]
    assert closed["modified"] == side["base_deadline_at"] > preset["order"]["modified"]
    assert [i["status"] for i in closed["order_items"]] == ["dispatched"]
    after = admin.get_order(key)["_sandbox"]
    assert after["closed_by_base"] == "paid_unshipped_60_days"
    assert after["base_deadline"] == side["base_deadline"]
    assert admin.emails() == []
    item = preset["order_item_ids"][0]
    assert error_of(edit(url, tok, order_item_id=item, status="dispatched"))[:2] == (400, "not_change_status")


def test_past_auto_close_is_closed_when_first_read(admin: SandboxAdmin, url: str) -> None:
    preset = admin.preset_order(SHOP, "past_auto_close")
    assert preset["order"]["payment"] == "base_bt"
    assert preset["order"]["dispatch_status"] == "dispatched"
    assert preset["order"]["_sandbox"]["closed_by_base"] == "paid_unshipped_60_days"
    tok = connect(admin, url)["access_token"]
    assert listed(url, tok, now(admin) - 62 * DAY, now(admin))[preset["unique_key"]]["dispatch_status"] == (
        "dispatched"
    )
    assert admin.emails() == []


def test_only_paid_bank_transfer_and_cvs_orders_are_closed(admin: SandboxAdmin, url: str) -> None:
    seventy = now(admin) - 70 * DAY
    unpaid, card, bt = admin.create_orders(
        SHOP,
        [
            {"payment": "cvs", "paid": False, "ordered": seventy},
            {"payment": "creditcard", "ordered": seventy},
            {"payment": "bt", "ordered": seventy},
        ],
    )
    assert admin.auto_close() == {"closed": []}
    assert admin.get_order(unpaid["unique_key"])["dispatch_status"] == "unpaid"
    assert admin.get_order(unpaid["unique_key"])["_sandbox"]["base_deadline_at"] is None
    for other in (card, bt):
        view = admin.get_order(other["unique_key"])
        assert view["dispatch_status"] == "ordered" and view["_sandbox"]["base_deadline"] is None
    # Paid after its deadline: BASE closes it at once.
    paid = admin.mark_paid(unpaid["unique_key"])
    assert paid["dispatch_status"] == "dispatched"
    assert paid["_sandbox"]["closed_by_base"] == "paid_unshipped_60_days"


def test_post_auto_close_reports_what_it_closed(admin: SandboxAdmin) -> None:
    preset = admin.preset_order(SHOP, "near_auto_close", ordered_days_ago=59.5)
    assert admin.auto_close() == {"closed": []}
    admin.advance_clock(DAY)
    assert admin.auto_close() == {"closed": [preset["unique_key"]]}
    assert admin.auto_close() == {"closed": []}


# ---------------------------------------------------------------- 7. changes to old orders
def test_changes_to_old_orders_move_modified_but_not_the_list_window(admin: SandboxAdmin, url: str) -> None:
    old = admin.preset_order(SHOP, "old_open")
    nine = admin.create_orders(SHOP, [{"payment": "cvs", "paid": False, "ordered": now(admin) - 9 * DAY}])[0]
    by_hand = admin.preset_order(SHOP, "old_open", ordered_days_ago=30)
    tok = connect(admin, url)["access_token"]
    t = now(admin)
    recent = listed(url, tok, t - 3 * DAY, t)
    assert not {old["unique_key"], nine["unique_key"], by_hand["unique_key"]} & set(recent)

    admin.advance_clock(60)
    cancelled = admin.cancel_order(old["unique_key"])
    paid = admin.mark_paid(nine["unique_key"])
    shipped = admin.patch_order(by_hand["unique_key"], dispatch_status="dispatched")
    assert cancelled["dispatch_status"] == "cancelled"
    assert paid["dispatch_status"] == "ordered"
    assert shipped["dispatch_status"] == "dispatched"
    assert cancelled["modified"] > old["order"]["modified"]
    assert paid["modified"] > nine["modified"]
    assert shipped["modified"] > by_hand["order"]["modified"]

    # Still invisible to a 3-day list (it filters by ORDER date only) ...
    t = now(admin)
    assert not {old["unique_key"], nine["unique_key"], by_hand["unique_key"]} & set(
        listed(url, tok, t - 3 * DAY, t)
    )
    # ... visible in the detail and in a list reaching back to the order date, with the new `modified`.
    assert detail(url, tok, old["unique_key"])["dispatch_status"] == "cancelled"
    wide = listed(url, tok, t - 45 * DAY, t)
    assert wide[old["unique_key"]]["modified"] == cancelled["modified"]
    assert wide[nine["unique_key"]]["dispatch_status"] == "ordered"
    assert wide[by_hand["unique_key"]]["dispatch_status"] == "dispatched"


def test_patch_can_change_payment_and_rejects_unknown_status(admin: SandboxAdmin) -> None:
    order = admin.preset_order(SHOP, "old_open")
    changed = admin.patch_order(order["unique_key"], payment="bnpl")
    assert changed["payment"] == "bnpl"
    with pytest.raises(SandboxAdminError) as bad:
        admin.patch_order(order["unique_key"], dispatch_status="shipping")
    assert bad.value.status == 400


# ---------------------------------------------------------------- 8. presets
PRESET_KINDS = (
    "partner_shop",
    "bnpl",
    "bnpl_refused",
    "new_payment",
    "unshippable",
    "shipping_lines",
    "old_open",
    "near_auto_close",
    "past_auto_close",
)


def test_every_preset_kind_creates_one_order(admin: SandboxAdmin) -> None:
    keys: dict[str, str] = {}
    for kind in PRESET_KINDS:
        made = admin.preset_order(SHOP, kind)
        assert made["kind"] == kind
        assert made["order"]["unique_key"] == made["unique_key"]
        assert made["order"]["_sandbox"]["shop_id"] == SHOP
        assert made["order_item_ids"] == [i["order_item_id"] for i in made["order"]["order_items"]]
        keys[kind] = made["unique_key"]
    assert len(set(keys.values())) == len(PRESET_KINDS)
    views = {kind: admin.get_order(key) for kind, key in keys.items()}
    assert views["bnpl"]["payment"] == "bnpl"
    assert views["new_payment"]["payment"] == "future_pay"
    assert views["unshippable"]["dispatch_status"] == "unshippable"
    assert views["bnpl_refused"]["_sandbox"]["refuse_dispatch"] == "not_change_status"


def test_preset_days_and_errors(admin: SandboxAdmin) -> None:
    t = now(admin)
    made = admin.preset_order(SHOP, "old_open", ordered_days_ago=12, unique_key="OLD12")
    assert made["unique_key"] == "OLD12"
    assert abs(made["order"]["ordered"] - (t - 12 * DAY)) <= 5
    default = admin.preset_order(SHOP, "old_open")
    assert abs(default["order"]["ordered"] - (t - 40 * DAY)) <= 5
    with pytest.raises(SandboxAdminError) as unknown:
        admin.preset_order(SHOP, "teleport")
    assert unknown.value.status == 400
    with pytest.raises(SandboxAdminError) as no_shop:
        admin.preset_order("ghost", "bnpl")
    assert no_shop.value.status == 404


# ---------------------------------------------------------------- our client reads what the sandbox sends
@pytest.fixture
def client(sandbox_server: SandboxServer, admin: SandboxAdmin) -> BaseClient:
    creds = AppCredentials(client_id=CLIENT_ID, client_secret=SecretStr(CLIENT_SECRET), redirect_uri=REDIRECT)
    return BaseClient(
        sandbox_server.url,
        creds,
        timeouts=(1.0, 1.0),
        retry=RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.02),
    )


def _pair(client: BaseClient, admin: SandboxAdmin) -> tuple[str, str]:
    pair = client.exchange_code(admin.obtain_code(CLIENT_ID, REDIRECT, SHOP, scope=SCOPES))
    return pair.access_token.get_secret_value(), pair.refresh_token.get_secret_value()


def test_client_tells_dead_refresh_tokens_from_a_stopped_app(client: BaseClient, admin: SandboxAdmin) -> None:
    _, refresh = _pair(client, admin)
    admin.expire_refresh_tokens(SHOP)
    with pytest.raises(RefreshTokenInvalid) as expired:
        client.refresh_tokens(refresh)
    assert expired.value.expired is True

    _, refresh = _pair(client, admin)
    client.refresh_tokens(refresh)
    with pytest.raises(RefreshTokenInvalid) as spent:
        client.refresh_tokens(refresh)
    assert spent.value.expired is False

    _, refresh = _pair(client, admin)
    admin.add_fault("error", error="invalid_grant", count=1, path_prefix="/1/oauth/token")
    with pytest.raises(RefreshTokenInvalid) as grant:
        client.refresh_tokens(refresh)
    assert grant.value.code == "invalid_grant"

    admin.suspend_app(CLIENT_ID)
    with pytest.raises(AppCredentialsRejected) as stopped:
        client.refresh_tokens(refresh)
    assert stopped.value.suspended is True
    assert not isinstance(stopped.value, ReauthorizationRequired)

    admin.unsuspend_app(CLIENT_ID)
    admin.add_fault("server_error", path_prefix="/1/oauth/token")
    with pytest.raises(TransientError) as down:
        client.refresh_tokens(refresh)
    assert down.value.code == "server_error"
    admin.clear_faults()
    assert client.refresh_tokens(refresh).access_token.get_secret_value()


def test_client_parses_todays_orders_and_refusals(client: BaseClient, admin: SandboxAdmin) -> None:
    made = {kind: admin.preset_order(SHOP, kind) for kind in PRESET_KINDS}
    access, _ = _pair(client, admin)
    lines = client.get_order(access, made["shipping_lines"]["unique_key"])
    assert lines.shipping_method is None and lines.shipping_method_name == "ゆうパケット"
    assert lines.order_charge is not None and lines.order_discount is not None
    partner = client.get_order(access, made["partner_shop"]["unique_key"])
    assert partner.last_name == "山田"
    assert client.get_order(access, made["new_payment"]["unique_key"]).payment == "future_pay"
    assert client.get_order(access, made["past_auto_close"]["unique_key"]).dispatch_status == "dispatched"

    shipped = client.dispatch_item(
        access, made["bnpl"]["order_item_ids"][0], delivery_company_id=1, tracking_number="123456789012"
    )
    assert shipped.dispatch_status == "dispatched"
    for kind in ("bnpl_refused", "unshippable"):
        with pytest.raises(OrderRefused) as refused:
            client.dispatch_item(
                access, made[kind]["order_item_ids"][0], delivery_company_id=1, tracking_number="123456789012"
            )
        assert refused.value.code == "not_change_status"
