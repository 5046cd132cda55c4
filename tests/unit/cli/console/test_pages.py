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
        self.companies: list[dict[str, Any]] | None = None  # None: the API has no such route
        self.plan: list[dict[str, Any]] = []
        self.exports: list[dict[str, Any]] = []
        self.shipments: list[dict[str, Any]] = []
        self.shipments_refuse: list[dict[str, Any]] | None = None
        self.run_status = "succeeded"

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
        last = query.get("next_token") == "tok-2"
        return {"orders": [] if last else self.orders, "next_token": None if last else "tok-2"}

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

    # -- what the later screens use
    def request(self, method: str, path: str, *, params: Any = None, body: Any = None) -> Any:
        if (method, path) == ("GET", "/shops/demo-shop/delivery-companies"):
            if self.companies is None:
                raise ApiError(404, "not_found", "no such route")
            return {"delivery_companies": self.companies, "fetched_at": "2026-12-03T00:00:00+00:00"}
        if (method, path) == ("POST", "/shops/demo-shop/shipments"):
            self.shipments.append(body)
            if self.shipments_refuse:
                raise ApiError(422, "shipments_refused", "refused", None, {"lines": self.shipments_refuse})
            lines = [
                {
                    "line": row["line"],
                    "unique_key": row["unique_key"],
                    "changed": {
                        k: {"before": None, "after": v}
                        for k, v in row.items()
                        if k not in ("line", "unique_key")
                    },
                    "export_state": "pending",
                    "send": "within_a_minute",
                }
                for row in body["rows"]
            ]
            return {"dry_run": body["dry_run"], "auto_export": True, "lines": lines}
        raise AssertionError((method, path))

    def create_export(
        self, *, shop_id: str | None = None, order_keys: list[str] | None = None, dry_run: bool = False
    ) -> dict[str, Any]:
        if dry_run:
            return {"plan": list(self.plan)}
        self.exports.append({"shop_id": shop_id, "order_keys": order_keys})
        return {"export_id": f"exp-{len(self.exports)}", "status": "queued"}

    def get_export(self, export_id: str) -> dict[str, Any]:
        return {**RUN, "export_id": export_id, "status": self.run_status}


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
    "target",
    [
        "/shops",
        "/shops/demo-shop/settings",
        "/shops/demo-shop/orders",
        "/shops/demo-shop/log",
        "/shops/demo-shop/orders/K-HELD",
        "/shops/demo-shop/upload",
        "/shops/demo-shop/send",
        "/shops/demo-shop/send/exp-1",
    ],
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


# -- 受注詳細, 発送情報の更新, CSV 取り込み


SENT = {
    **EXPORTED,
    "status": "processed",
    "delivery_company": "sagawa",
    "sent_to_base": {
        "delivery_company_id": 2,
        "delivery_company_name": "佐川急便",
        "tracking_number": "999988887777",
        "ship_date": "2026-12-03",
        "comment": "出荷日: 2026年12月3日",
        "items": [1],
        "sent_at": "2026-12-03T03:00:05+00:00",
        "export_id": "exp-1",
        "trigger": "manual",
        "recovered": False,
    },
    "history": [
        {"at": "2026-12-03T01:00:00+00:00", "event": "imported", "detail": {}},
        {
            "at": "2026-12-03T02:00:00+00:00",
            "event": "updated",
            "detail": {"tracking_number": "999988887777", "delivery_company": "sagawa"},
            "actor": "arn:aws:iam::123456789012:user/operator",
        },
        {
            "at": "2026-12-03T03:00:05+00:00",
            "event": "dispatched",
            "detail": {
                "items": [1],
                "state": "exported",
                "reason": "",
                "export_id": "exp-1",
                "trigger": "manual",
            },
        },
    ],
}


def test_the_order_detail_shows_what_base_received_and_the_history_newest_first(
    console: Console, api: FakeApi
) -> None:
    api.orders = [dict(HELD), SENT]
    page = html(get(console, "/shops/demo-shop/orders/K-SENT"))
    sent = page.split('id="sent"')[1].split("</section>")[0]
    assert "佐川急便 (ID 2)" in sent and "999988887777" in sent and "出荷日: 2026年12月3日" in sent
    assert "2026-12-03 12:00:05" in sent  # JST
    assert 'href="/shops/demo-shop/log#export-exp-1"' in sent
    history = page.split('id="h-history"')[1]
    assert (
        history.index("BASE へ送信（発送済み）") < history.index("編集") < history.index("BASE から取り込み")
    )
    assert "arn:aws:iam::123456789012:user/operator" in history and "書き出し済み" in history
    assert "sagawa" in page.split('id="our-fields"')[1].split("</dl>")[0]  # what was typed stays ours
    held = html(get(console, "/shops/demo-shop/orders/K-HELD"))
    assert "出荷日が未来の日付です。その日に書き出します。" in held
    assert "まだ BASE へ送信していません。" in held
    listing = html(get(console, "/shops/demo-shop/orders"))
    assert 'href="/shops/demo-shop/orders/K-SENT"' in listing


def test_the_order_detail_says_when_it_will_go(console: Console, api: FakeApi) -> None:
    api.orders = [
        {**HELD, "will_send_at": "2026-12-24T15:00:00+00:00", "will_send_how": "next_scheduled_export"}
    ]
    page = html(get(console, "/shops/demo-shop/orders/K-HELD"))
    assert (
        "2026-12-25 00:00:00 以降の最初の定期書き出し（30 分ごと）で BASE へ送信されます（取り消せません）。"
        in page
    )
    english = html(get(console, "/shops/demo-shop/orders/K-HELD?lang=en"))
    assert "first scheduled export after 2026-12-25 00:00:00" in english


def test_the_company_field_offers_the_shops_base_list(console: Console, api: FakeApi) -> None:
    assert "<datalist" not in html(get(console, "/shops/demo-shop/orders"))  # no list: free text still
    api.companies = [
        {"delivery_company_id": 1, "name": "クロネコヤマト"},
        {"delivery_company_id": 2, "name": "佐川急便"},
    ]
    page = html(get(console, "/shops/demo-shop/orders"))
    assert '<datalist id="companies"><option value="クロネコヤマト">クロネコヤマト (ID 1)</option>' in page
    assert (
        'name="delivery_company" type="text" value="ヤマト運輸" autocomplete="off" list="companies">' in page
    )


PLAN: list[dict[str, Any]] = [
    {
        "shop_id": "demo-shop",
        "unique_key": "K-HELD",
        "action": "dispatch",
        "reason": None,
        "message": None,
        "message_ja": None,
    },
    {
        "shop_id": "demo-shop",
        "unique_key": "K-LATER",
        "action": "defer",
        "reason": "ship_date_in_future",
        "message": "The ship date is in the future.",
        "message_ja": "出荷日が未来の日付です。その日に書き出します。",
    },
]


def _token(page: str) -> str:
    found = re.search(r'name="token" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


def test_sending_is_a_dry_run_then_a_confirmation_then_exactly_one_run(
    console: Console, api: FakeApi
) -> None:
    api.plan = PLAN
    plan = html(get(console, "/shops/demo-shop/send"))
    assert api.exports == []  # the plan sends nothing
    sent, held = plan.split('id="plan-send"')[1].split('id="plan-held"')
    assert 'data-key="K-HELD"' in sent and "123456789012" in sent and "ヤマト運輸" in sent
    assert 'data-key="K-LATER"' in held and "出荷日が未来の日付です。その日に書き出します。" in held
    assert 'name="token"' not in plan and "取り消せません" not in plan
    confirm = html(post(console, "/shops/demo-shop/send/confirm", {}))
    assert "BASEへ送信します。取り消せません。" in confirm and "It cannot be undone." in confirm
    assert "1 件の受注を BASE で発送済みにします。" in confirm
    assert api.exports == []
    token = _token(confirm)
    first = post(console, "/shops/demo-shop/send", {"token": [token]})
    assert first.status == 303 and ("Location", "/shops/demo-shop/send/exp-1") in first.headers
    assert api.exports == [{"shop_id": "demo-shop", "order_keys": ["K-HELD"]}]
    again = post(console, "/shops/demo-shop/send", {"token": [token]})
    assert ("Location", "/shops/demo-shop/send/exp-1?done=again") in again.headers
    assert len(api.exports) == 1  # the same confirmation never starts a second run
    assert "この送信は既に開始しています" in html(get(console, "/shops/demo-shop/send/exp-1?done=again"))
    failing = _token(html(post(console, "/shops/demo-shop/send/confirm", {})))
    api.create_export = _unreachable  # type: ignore[method-assign]
    assert post(console, "/shops/demo-shop/send", {"token": [failing]}).status == 502
    retried = post(console, "/shops/demo-shop/send", {"token": [failing]})
    assert retried.status == 409 and "この確認は既に使われました" in html(retried)  # not "started"
    forged = post(console, "/shops/demo-shop/send", {"token": ["made-up"]})
    assert forged.status == 409 and "期限切れ" in html(forged) and len(api.exports) == 1


def _unreachable(**_: Any) -> dict[str, Any]:
    raise ApiError(0, "unreachable", "POST http://127.0.0.1:3000/exports: connection refused")


def test_nothing_to_send_offers_no_confirmation(console: Console, api: FakeApi) -> None:
    api.plan = PLAN[1:]
    page = html(get(console, "/shops/demo-shop/send"))
    assert "今送信できる受注はありません。" in page and 'id="to-confirm"' not in page
    assert 'name="token"' not in html(post(console, "/shops/demo-shop/send/confirm", {}))


def test_the_progress_page_refreshes_itself_until_the_run_ends(console: Console, api: FakeApi) -> None:
    api.run_status = "running"
    running = html(get(console, "/shops/demo-shop/send/exp-1"))
    assert '<meta http-equiv="refresh" content="2">' in running and "実行中" in running
    api.run_status = "partial"
    done = html(get(console, "/shops/demo-shop/send/exp-1"))
    assert 'http-equiv="refresh"' not in done and "一部のみ" in done
    assert "BASE管理画面で発送してください。" in done and 'href="/shops/demo-shop/log#export-exp-1"' in done


def _multipart(fields: dict[str, str], data: bytes, filename: str = "出荷.csv") -> tuple[str, bytes]:
    boundary = "----console-test-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: text/csv\r\n\r\n".encode()
        + data
        + b"\r\n"
    )
    return f"multipart/form-data; boundary={boundary}", b"".join(parts) + f"--{boundary}--\r\n".encode()


def _upload(
    running: Any, session: requests.Session, path: str, data: bytes, **fields: str
) -> requests.Response:
    base = running.url.split("/?k=")[0]
    content_type, body = _multipart({"csrf": running.guard.csrf, **fields}, data)
    return session.post(
        f"{base}{path}", data=body, headers={"Content-Type": content_type, "Origin": base}, timeout=10
    )


def test_a_shift_jis_file_is_previewed_and_applied_once_and_a_bad_line_blocks_it(api: FakeApi) -> None:
    running = start(api)
    try:
        session = requests.Session()
        session.get(running.url, timeout=5)
        bad = (
            "注文番号,伝票番号,配送会社\r\nK-HELD,1111-2222-3333,佐川急便\r\nK-X/1,2222,佐川急便\r\n".encode(
                "cp932"
            )
        )
        refused = _upload(running, session, "/shops/demo-shop/upload", bad)
        assert refused.status_code == 422
        assert "Shift_JIS" in refused.text and 'data-line="3"' in refused.text
        assert "unique_key &#39;K-X/1&#39; は使えません" in refused.text and "is not usable" in refused.text
        assert 'id="apply"' not in refused.text and 'name="token"' not in refused.text
        assert [b["dry_run"] for b in api.shipments] == [True]  # the good line checked, nothing applied

        good = "注文番号,伝票番号,配送会社,出荷日\r\nK-HELD,1111-2222-3333,佐川急便,2026/12/24\r\n".encode(
            "cp932"
        )
        preview = _upload(running, session, "/shops/demo-shop/upload", good)
        assert preview.status_code == 200, preview.text
        row = preview.text.split('data-line="2"')[1]
        assert "伝票番号: - → 111122223333" in row and "出荷日: - → 2026-12-24" in row
        assert "1 分以内に BASE へ送信（取り消せません）" in row
        assert "適用すると 1 件の受注が 1 分以内に BASE へ送信されます（取り消せません）。" in preview.text
        assert [b["dry_run"] for b in api.shipments] == [True, True]
        token = _token(preview.text)
        form = {"csrf": running.guard.csrf, "token": token}
        base = running.url.split("/?k=")[0]
        applied = session.post(
            f"{base}/shops/demo-shop/upload/apply", data=form, headers={"Origin": base}, timeout=5
        )
        assert applied.status_code == 200 and "適用しました: 1 件の受注を変更しました。" in applied.text
        assert [b["dry_run"] for b in api.shipments] == [True, True, False]
        assert api.shipments[-1]["rows"] == [
            {
                "line": 2,
                "unique_key": "K-HELD",
                "tracking_number": "111122223333",
                "delivery_company": "佐川急便",
                "ship_date": "2026-12-24",
            }
        ]
        twice = session.post(
            f"{base}/shops/demo-shop/upload/apply", data=form, headers={"Origin": base}, timeout=5
        )
        assert twice.status_code == 409 and len(api.shipments) == 3  # applied once only
    finally:
        running.stop()


def test_a_line_the_api_refuses_is_shown_and_the_file_cannot_be_applied(api: FakeApi) -> None:
    api.shipments_refuse = [
        {
            "line": 2,
            "unique_key": "K-SENT",
            "code": "exported_earlier",
            "message": "Already exported.",
            "message_ja": "既に書き出し済みです。",
        }
    ]
    running = start(api)
    try:
        session = requests.Session()
        session.get(running.url, timeout=5)
        answer = _upload(
            running, session, "/shops/demo-shop/upload", b"unique_key,tracking_number\nK-SENT,1234\n"
        )
        assert answer.status_code == 422
        assert "既に書き出し済みです。" in answer.text and "Already exported." in answer.text
        assert 'id="apply"' not in answer.text
    finally:
        running.stop()


def test_a_preset_and_a_status_are_chosen_on_the_form(api: FakeApi) -> None:
    running = start(api)
    try:
        session = requests.Session()
        session.get(running.url, timeout=5)
        b2 = "お客様管理番号,送り状種類,伝票番号,出荷予定日\r\nK-HELD,0,123456789012,2026/12/24\r\n".encode(
            "cp932"
        )
        answer = _upload(
            running, session, "/shops/demo-shop/upload", b2, preset="b2cloud", set_status="processed"
        )
        assert answer.status_code == 200, answer.text
        assert api.shipments[-1]["rows"] == [
            {
                "line": 2,
                "unique_key": "K-HELD",
                "tracking_number": "123456789012",
                "delivery_company": "クロネコヤマト",
                "ship_date": "2026-12-24",
                "status": "processed",
            }
        ]
        assert '<option value="b2cloud" selected>' in answer.text
        bad_map = _upload(running, session, "/shops/demo-shop/upload", b2, columns="nonsense")
        assert bad_map.status_code == 422 and "列の対応を読めません" in bad_map.text
    finally:
        running.stop()


def test_an_upload_over_the_limit_is_refused_in_words(api: FakeApi) -> None:
    running = start(api)
    try:
        session = requests.Session()
        session.get(running.url, timeout=5)
        answer = _upload(running, session, "/shops/demo-shop/upload", b"x" * (2 * 1024 * 1024 + 1))
        assert answer.status_code == 413
        assert "ファイルが大きすぎます（上限 2 MB）" in answer.text and "at most 2 MB" in answer.text
        assert api.shipments == []
        base = running.url.split("/?k=")[0]
        stranger = requests.post(
            f"{base}/shops/demo-shop/upload",
            data=b"x" * (2 * 1024 * 1024 + 1),
            headers={"Content-Type": "multipart/form-data; boundary=x"},
            timeout=10,
        )
        assert stranger.status_code == 403  # no session: refused before anything else
    finally:
        running.stop()
