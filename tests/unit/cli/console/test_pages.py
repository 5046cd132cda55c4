"""The console's pages over a fake API: what each screen shows, the settings form both ways, the
connect redirect, languages, and the headers every answer carries."""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests

from base_sync.domain.export import Outcome, RunStatus
from base_sync.domain.order import ExportState
from base_sync.domain.shop import ShopStatus
from base_sync.domain.status import ExportFilter, ManagementStatus
from base_sync_cli.client import ApiError
from base_sync_cli.console import NotLoopback, start
from base_sync_cli.console.app import Console, Request, Response
from base_sync_cli.console.forms import read_form
from base_sync_cli.console.guard import Guard
from base_sync_cli.console.i18n import CHOICES

PORT = 48200
HOST = f"127.0.0.1:{PORT}"
SETTINGS = {
    "export_filter": "all_except_new_and_hold",
    "auto_export": True,
    "auto_import": False,
    "import_days": 7,
    "comment_template": "出荷日: {ship_date}",
    "import_call_budget": 1000,
    "export_call_budget": 2000,
    "export_delay_minutes": 5,  # a setting the console has never been told about beyond its label
    "brand_new_limit": 3,  # one it knows nothing of
}
HELD = {
    "unique_key": "K-HELD",
    "status": "processed",
    "tracking_number": "123456789012",
    "delivery_company": "ヤマト運輸",
    "ship_date": "2026-12-24",
    "export_state": "deferred",
    "export_reason": "ship_date_in_future",
    "export_message": "The ship date is in the future.",
    "export_message_ja": "出荷日が未来の日付です。その日に書き出します。",
    "base": {"ordered": 1764720000, "payment": "creditcard", "total": 3300, "dispatch_status": "ordered"},
}
EXPORTED = {
    "unique_key": "K-SENT",
    "status": "processed",
    "tracking_number": "999988887777",
    "delivery_company": "佐川急便",
    "export_state": "exported",
    "base": {"ordered": 1764720000, "payment": "cod", "total": 1000, "dispatch_status": "dispatched"},
}
RUN = {
    "export_id": "exp-1",
    "shop_id": "demo-shop",
    "trigger": "manual",
    "status": "partial",
    "queued_at": "2026-12-03T03:00:00+00:00",
    "started_at": "2026-12-03T03:00:01+00:00",
    "finished_at": "2026-12-03T03:00:09+00:00",
    "counts": {"dispatched": 1, "already_dispatched": 0, "deferred": 0, "skipped": 0, "failed": 1},
    "api_calls": 4,
    "results": [
        {"unique_key": "K-1", "outcome": "dispatched", "reason": None, "message": None, "message_ja": None},
        {
            "unique_key": "K-2",
            "outcome": "failed",
            "reason": "cart_app_not_supported",
            "base_error": "not_change_status_YamatoDelivery",
            "message": "Dispatch it in BASE's admin.",
            "message_ja": "BASE管理画面で発送してください。",
        },
    ],
}


class FakeApi:
    def __init__(self) -> None:
        self.settings: dict[str, Any] = dict(SETTINGS)
        self.put: list[dict[str, Any]] = []
        self.refuse: dict[str, str] | None = None
        self.authorize_url = "http://127.0.0.1:8081/1/oauth/authorize?client_id=demo&state=abc"
        self.imports: list[str] = []
        self.order_queries: list[dict[str, Any]] = []
        self.patches: list[tuple[str, dict[str, Any]]] = []
        self.refuse_patch: ApiError | None = None
        self.orders: list[dict[str, Any]] = [dict(HELD), EXPORTED]

    def connect(self) -> dict[str, Any]:
        return {"authorize_url": self.authorize_url, "expires_at": "2026-12-03T03:10:00+00:00"}

    def shops(self) -> list[dict[str, Any]]:
        return [
            {
                "shop_id": "demo-shop",
                "shop_name": "デモショップ",
                "status": "connected",
                "settings": {"auto_export": True},
                "last_import": {"at": "2026-12-03T03:00:00+00:00", "new": 12, "updated": 1},
                "last_export": {
                    "status": "succeeded",
                    "finished_at": "2026-12-03T03:30:00+00:00",
                    "counts": {"dispatched": 2},
                },
            },
            {
                "shop_id": "old-shop",
                "shop_name": None,
                "status": "needs_reauth",
                "last_import": None,
                "last_export": None,
            },
        ]

    def get_settings(self, shop_id: str) -> dict[str, Any]:
        return dict(self.settings)

    def put_settings(self, shop_id: str, settings: dict[str, Any]) -> dict[str, Any]:
        self.put.append(settings)
        if self.refuse:
            raise ApiError(422, "validation_failed", "bad", dict(self.refuse))
        self.settings = dict(settings)
        return dict(settings)

    def list_orders(self, shop_id: str, **query: Any) -> dict[str, Any]:
        self.order_queries.append(query)
        return {"orders": self.orders, "next_token": "tok-2"}

    def get_order(self, shop_id: str, unique_key: str) -> dict[str, Any]:
        return next(o for o in self.orders if o["unique_key"] == unique_key)

    def patch_order(self, shop_id: str, unique_key: str, changes: dict[str, Any]) -> dict[str, Any]:
        self.patches.append((unique_key, changes))
        if self.refuse_patch:
            raise self.refuse_patch
        return {**self.get_order(shop_id, unique_key), **changes}

    def queue_import(self, shop_id: str) -> dict[str, Any]:
        self.imports.append(shop_id)
        return {"job_id": "j", "status": "queued"}

    def list_exports(self, shop_id: str) -> list[dict[str, Any]]:
        return [RUN]


@pytest.fixture
def api() -> FakeApi:
    return FakeApi()


@pytest.fixture
def console(api: FakeApi) -> Console:
    return Console(api, Guard(port=PORT))


def get(console: Console, target: str, **headers: str) -> Response:
    cookie = f"{console.guard.cookie_name}={console.guard.session}"
    return console.handle(Request("GET", target, {"host": HOST, "cookie": cookie, **headers}))


def post(console: Console, target: str, form: dict[str, list[str]]) -> Response:
    cookie = f"{console.guard.cookie_name}={console.guard.session}"
    headers = {"host": HOST, "cookie": cookie, "origin": f"http://{HOST}"}
    return console.handle(Request("POST", target, headers, {"csrf": [console.guard.csrf], **form}))


def html(response: Response) -> str:
    return response.body.decode()


def test_every_code_of_the_domain_has_a_label_in_both_languages() -> None:
    for group, enum in (
        ("order_status", ManagementStatus),
        ("export_state", ExportState),
        ("outcome", Outcome),
        ("run_status", RunStatus),
        ("export_filter", ExportFilter),
        ("shop_status", ShopStatus),
    ):
        assert set(CHOICES[group]) == {m.value for m in enum}, group
        assert all(ja and en and ja != en for ja, en in CHOICES[group].values()), group


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize(
    "target", ["/shops", "/shops/demo-shop/settings", "/shops/demo-shop/orders", "/shops/demo-shop/log"]
)
def test_every_screen_renders_in_both_languages(console: Console, target: str, lang: str) -> None:
    response = get(console, f"{target}?lang={lang}")
    assert response.status == 200, html(response)
    page = html(response)
    assert f'<html lang="{lang}">' in page
    assert ("日本時間" in page) == (lang == "ja")
    assert ("Japan time" in page) == (lang == "en")
    assert ("Set-Cookie", f"bsc_lang={lang}; Path=/; SameSite=Strict") in response.headers


def test_shops_shows_status_last_runs_and_a_reconnect_button_only_where_needed(console: Console) -> None:
    page = html(get(console, "/shops"))
    demo, old = page.split('data-shop="demo-shop"')[1].split('data-shop="old-shop"')
    assert "接続中" in demo and "再接続" not in demo
    assert "2026-12-03 12:00:00" in demo  # 03:00 UTC is noon in Japan
    assert "新規 12" in demo and "発送済みにした 2" in demo
    assert "再接続が必要" in old and ">再接続</button>" in old and "まだありません" in old


def test_connect_sends_the_browser_to_the_authorize_url(console: Console, api: FakeApi) -> None:
    response = post(console, "/connect", {})
    assert response.status == 303
    assert ("Location", api.authorize_url) in response.headers


def test_connect_refuses_an_authorize_url_that_is_not_http(console: Console, api: FakeApi) -> None:
    api.authorize_url = "javascript:alert(1)"
    response = post(console, "/connect", {})
    assert response.status == 502 and "bad_authorize_url" in html(response)
    assert not any(name == "Location" for name, _ in response.headers)


def test_import_now_queues_an_import(console: Console, api: FakeApi) -> None:
    response = post(console, "/shops/demo-shop/imports", {})
    assert (response.status, api.imports) == (303, ["demo-shop"])
    assert "受注の取得を依頼しました" in html(get(console, "/shops?done=import"))


def test_settings_renders_whatever_the_api_returns_with_the_right_input(console: Console) -> None:
    page = html(get(console, "/shops/demo-shop/settings"))
    assert re.search(r'type="radio" name="export_filter" value="all_except_new_and_hold" checked', page)
    assert "【処理済み】以外も書き出す" in page and "【処理済み】だけ書き出す" in page
    assert re.search(r'id="s-auto_export" name="auto_export" value="true" checked', page)
    assert re.search(r'id="s-auto_import" name="auto_import" value="true"(?! checked)[ >]', page)
    assert re.search(r'id="s-import_days" name="import_days" type="number" value="7"', page)
    assert "範囲 1〜90" in page
    assert re.search(
        r'<textarea id="s-comment_template" name="comment_template"[^>]*>出荷日: \{ship_date\}</textarea>',
        page,
    )
    assert re.search(r'id="s-export_delay_minutes" name="export_delay_minutes" type="number" value="5"', page)
    assert "書き出しまでの待ち時間（分）" in page
    assert re.search(r'<label for="s-brand_new_limit">brand_new_limit</label>', page)
    assert re.search(r'id="s-brand_new_limit" name="brand_new_limit" type="number" value="3"', page)


def test_the_form_is_read_back_typed_as_the_api_returned_it() -> None:
    form = {
        "export_filter": ["processed_only"],
        "auto_import": ["true"],  # auto_export unticked: absent
        "import_days": ["14"],
        "comment_template": ["a\r\nb"],
        "export_delay_minutes": ["x"],
    }
    assert read_form(SETTINGS, form) == {
        **SETTINGS,
        "export_filter": "processed_only",
        "auto_export": False,
        "auto_import": True,
        "import_days": 14,
        "comment_template": "a\nb",
        "export_delay_minutes": "x",  # not a number: sent as typed, the API refuses it
    }


def test_saving_puts_the_whole_object_and_says_so(console: Console, api: FakeApi) -> None:
    form = {k: [str(v)] for k, v in SETTINGS.items() if not isinstance(v, bool)}
    form["import_days"] = ["30"]
    response = post(console, "/shops/demo-shop/settings", form)
    assert response.status == 303
    assert ("Location", "/shops/demo-shop/settings?done=saved") in response.headers
    assert api.put == [{**SETTINGS, "import_days": 30, "auto_export": False, "auto_import": False}]
    assert "設定を保存しました" in html(get(console, "/shops/demo-shop/settings?done=saved"))


def test_a_refused_value_is_shown_beside_its_field_in_japanese_and_english(
    console: Console, api: FakeApi
) -> None:
    api.refuse = {"import_days": "Input should be less than or equal to 90"}
    form = {k: [str(v)] for k, v in SETTINGS.items() if not isinstance(v, bool)}
    form["import_days"] = ["500"]
    response = post(console, "/shops/demo-shop/settings", form)
    assert response.status == 422
    page = html(response)
    field = page.split('data-setting="import_days"')[1].split('data-setting="comment_template"')[0]
    assert 'value="500"' in field and 'aria-invalid="true"' in field
    assert "1〜90 の整数を入力してください。" in field
    assert "Input should be less than or equal to 90" in field
    assert "保存できませんでした" in page
    assert api.settings == SETTINGS  # nothing changed


def test_orders_show_both_sides_and_the_reason_in_words(console: Console, api: FakeApi) -> None:
    page = html(
        get(
            console, "/shops/demo-shop/orders?status=processed&export_state=deferred&deadline=7&next_token=t1"
        )
    )
    row = page.split('data-key="K-HELD"')[1]
    assert "クレジットカード" in row and "3300" in row and "未対応" in row
    assert "処理済み" in row and "123456789012" in row and "ヤマト運輸" in row and "2026-12-24" in row
    assert "後で書き出し" in row and "出荷日が未来の日付です。その日に書き出します。" in row
    assert api.order_queries[-1] == {
        "status": "processed",
        "export_state": "deferred",
        "limit": 50,
        "next_token": "t1",
        "deadline_within_days": 7,
    }
    assert "status=processed&amp;export_state=deferred&amp;deadline=7&amp;next_token=tok-2" in page
    assert '<option value="7" selected>7 日以内（過ぎたものも）</option>' in page
    english = html(get(console, "/shops/demo-shop/orders?lang=en"))
    assert "The ship date is in the future." in english


def test_unknown_filters_are_not_passed_on(console: Console, api: FakeApi) -> None:
    get(console, "/shops/demo-shop/orders?status=%27%3Bdrop&export_state=nope&deadline=-1")
    query = api.order_queries[-1]
    assert query["status"] is None and query["export_state"] is None and query["deadline_within_days"] is None


def test_the_log_shows_each_run_with_counts_and_each_order_with_its_reason(console: Console) -> None:
    page = html(get(console, "/shops/demo-shop/log"))
    run = page.split('data-export-id="exp-1"')[1]
    assert "手動" in run and "一部のみ" in run and "2026-12-03 12:00:01" in run
    assert "発送済みにした 1" in run and "失敗 1" in run
    failed = run.split('data-key="K-2"')[1]
    assert "BASE管理画面で発送してください。" in failed and "not_change_status_YamatoDelivery" in failed


def test_an_api_error_is_a_page_not_a_crash(console: Console, api: FakeApi) -> None:
    def broken() -> list[dict[str, Any]]:
        raise ApiError(0, "unreachable", "GET http://127.0.0.1:3000/shops: connection refused")

    api.shops = broken  # type: ignore[method-assign]
    response = get(console, "/shops")
    assert response.status == 502 and "unreachable" in html(response)


def test_every_answer_carries_the_security_headers(console: Console) -> None:
    for response in (
        get(console, "/shops"),
        get(console, "/nowhere"),
        console.handle(Request("GET", "/", {})),
    ):
        headers = dict(response.headers)
        assert headers["Content-Security-Policy"].startswith("default-src 'none'")
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "same-origin"
        assert headers["Cache-Control"] == "no-store"


def test_it_refuses_to_listen_beyond_loopback(api: FakeApi) -> None:
    with pytest.raises(NotLoopback):
        start(api, "0.0.0.0")  # noqa: S104 - the point of the test


def test_over_http_the_secret_opens_a_session_and_drops_out_of_the_url(api: FakeApi) -> None:
    running = start(api)
    try:
        base = running.url.split("/?k=")[0]
        assert requests.get(f"{base}/shops", timeout=5).status_code == 403
        opened = requests.get(running.url.replace("/?", "/shops?lang=en&"), allow_redirects=False, timeout=5)
        assert opened.status_code == 303
        assert opened.headers["Location"] == "/shops?lang=en"
        assert (
            "HttpOnly" in opened.headers["Set-Cookie"] and "SameSite=Strict" in opened.headers["Set-Cookie"]
        )
        session = requests.Session()
        page = session.get(running.url, timeout=5)
        assert page.status_code == 200 and "デモショップ" in page.text
        assert page.url == f"{base}/shops"
        assert session.get(f"{base}/shops", headers={"Host": "evil.example"}, timeout=5).status_code == 421
        foreign = session.post(f"{base}/connect", headers={"Origin": "https://evil.example"}, timeout=5)
        assert foreign.status_code == 403
    finally:
        running.stop()


def _edit_form(**fields: str) -> dict[str, list[str]]:
    values: dict[str, Any] = {
        "status": HELD["status"],
        "tracking_number": HELD["tracking_number"],
        "delivery_company": HELD["delivery_company"],
        "ship_date": HELD["ship_date"],
        "f_status": "processed",
        "f_export_state": "",
        **fields,
    }
    return {k: [str(v)] for k, v in values.items()}


def test_an_order_is_edited_inline_and_only_what_changed_is_sent(console: Console, api: FakeApi) -> None:
    page = html(get(console, "/shops/demo-shop/orders"))
    held, sent = page.split('data-key="K-HELD"')[1].split('data-key="K-SENT"')
    assert 'action="/shops/demo-shop/orders/K-HELD"' in held and 'name="tracking_number"' in held
    assert "BASE へ送信されます（取り消せません）" in held  # auto_export is on
    assert "<form" not in sent.split("</tr>")[0]  # exported: BASE cannot take a change any more
    response = post(
        console, "/shops/demo-shop/orders/K-HELD", _edit_form(tracking_number="1111-2222-3333", ship_date="")
    )
    assert api.patches == [("K-HELD", {"tracking_number": "1111-2222-3333", "ship_date": None})]
    assert response.status == 303
    assert ("Location", "/shops/demo-shop/orders?status=processed&done=order") in response.headers
    assert post(console, "/shops/demo-shop/orders/K-HELD", _edit_form()).status == 303
    assert len(api.patches) == 1  # nothing changed, nothing sent


def test_a_refused_edit_is_shown_on_its_row_with_what_was_typed(console: Console, api: FakeApi) -> None:
    api.refuse_patch = ApiError(
        422,
        "validation_failed",
        "bad",
        {"delivery_company": "unknown delivery company: ABC急便 (closest: 佐川急便)"},
    )
    response = post(console, "/shops/demo-shop/orders/K-HELD", _edit_form(delivery_company="ABC急便"))
    assert response.status == 422
    row = html(response).split('data-key="K-HELD"')[1].split("</tr>")[0]
    assert "受注を保存できませんでした" in row and "配送会社: unknown delivery company: ABC急便" in row
    assert 'value="ABC急便"' in row and '<details class="edit" open>' in row


def test_the_comment_template_is_previewed_against_250_characters_without_saving(
    console: Console, api: FakeApi
) -> None:
    page = html(get(console, "/shops/demo-shop/settings"))
    # "出荷日: " is 5 characters and a date at most 11
    assert 'data-worst="16">最長の場合: 16 / 250 文字' in page
    assert re.search(r'<pre class="example">出荷日: \d{4}年\d{1,2}月\d{1,2}日</pre>', page)
    form = {k: [str(v)] for k, v in SETTINGS.items() if not isinstance(v, bool)}
    form["comment_template"] = ["{delivery_company} {tracking_number} " + "あ" * 90]
    form["action"] = ["preview"]
    previewed = html(post(console, "/shops/demo-shop/settings", form))
    assert 'data-worst="256">最長の場合: 256 / 250 文字' in previewed and "BASE の上限を超えます" in previewed
    assert api.put == []  # a preview saves nothing
    form["comment_template"] = ["{shop_name}"]
    broken = html(post(console, "/shops/demo-shop/settings", form))
    assert "unknown placeholder {shop_name}" in broken
