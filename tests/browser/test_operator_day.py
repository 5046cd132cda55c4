"""An operator's day in the console, end to end in Chromium against the local run: the demo shop
connected through the sandbox's consent page, a setting changed, an order edited inline (the
company picked from the shop's BASE list), a Shift_JIS CSV with one bad line refused whole (the API
shows no order changed), the corrected file previewed and applied, 発送情報の更新's dry run, its
confirmation, the self-refreshing progress page until the run ends, the dispatch in 自動処理ログ in
Japanese, what BASE received on 受注詳細 — and the sandbox received exactly those dispatches, none
before the confirmation. axe-core checks every new screen; each one's screenshot is taken."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import BrowserContext, Page

from base_sandbox import SandboxAdmin
from base_sync_cli.client import ApiClient, ApiError
from base_sync_cli.console import RunningConsole
from tests.integration.test_local_run import Runner

from .conftest import (
    SHOP,
    assert_accessible,
    assert_fits_phone_width,
    base_url,
    screenshot,
    wait_for,
)

pytestmark = [pytest.mark.browser, pytest.mark.integration]

TEMPLATE = "出荷日: {ship_date} / 伝票番号: {tracking_number}"


def dispatches(base: SandboxAdmin, keys: set[str]) -> list[dict[str, Any]]:
    """The shipping e-mails BASE (the sandbox) sent for ``keys``: one per dispatch it received."""
    return [e for e in base.emails(SHOP) if e["unique_key"] in keys]


def csv_file(tmp_path: Path, name: str, lines: list[str]) -> Path:
    """A file as Excel in Japan saves it: Shift_JIS (CP932), CRLF."""
    path = tmp_path / name
    path.write_bytes("\r\n".join(lines).encode("cp932") + b"\r\n")
    return path


def upload(page: Page, console: RunningConsole, path: Path) -> None:
    page.goto(f"{base_url(console)}/shops/{SHOP}/upload")
    page.get_by_role("heading", name="CSV 取り込み").wait_for()
    assert_accessible(page)
    page.get_by_label("CSV ファイル").set_input_files(str(path))
    page.get_by_role("button", name="確認する").click()
    page.locator("#preview").wait_for()


def untouched(order: dict[str, Any]) -> tuple[Any, ...]:
    return (order["status"], order.get("tracking_number"), order.get("delivery_company"), order["version"])


def test_an_operators_day_in_the_console(
    connected: Page,
    context: BrowserContext,
    console: RunningConsole,
    api: ApiClient,
    local: Runner,
    tmp_path: Path,
) -> None:
    page = connected
    base = SandboxAdmin(local.sandbox_url)
    now = int(time.time())
    created = base.create_orders(
        SHOP,
        [
            {
                "ordered": now - 60 * (i + 1),
                "payment": "creditcard",
                "items": [{"title": "手ぬぐい", "price": 1200, "amount": 1}],
            }
            for i in range(2)
        ],
    )
    edited, loaded = (str(o["unique_key"]) for o in created)
    ours = {edited, loaded}

    # 設定: nothing goes to BASE by itself until the operator says so; a comment for the e-mail.
    page.goto(f"{base_url(console)}/shops/{SHOP}/settings")
    page.get_by_label("自動書き出し").uncheck()
    page.get_by_label("発送メールのコメント").fill(TEMPLATE)
    page.click("#save")
    page.get_by_role("status").filter(has_text="設定を保存しました").wait_for()
    settings = api.get_settings(SHOP)
    assert (settings["auto_export"], settings["comment_template"]) == (False, TEMPLATE)

    # ショップ: 今すぐ取得 brings the new orders (and the shop's BASE delivery-company list).
    page.goto(f"{base_url(console)}/shops")
    page.locator(f'[data-shop="{SHOP}"] button', has_text="今すぐ取得").click()
    page.get_by_role("status").filter(has_text="受注の取得を依頼しました").wait_for()
    wait_for(lambda: all(_exists(api, key) for key in ours), "the import of the new orders")

    # 受注一覧: an inline edit, the company picked from BASE's list.
    page.goto(f"{base_url(console)}/shops/{SHOP}/orders")
    options = page.locator("datalist#companies option").evaluate_all("os => os.map(o => o.value)")
    assert "佐川急便" in options and "クロネコヤマト" in options  # the shop's BASE list, cached by the import
    row = page.locator(f'tr[data-key="{edited}"]')
    row.locator("summary").click()
    row.get_by_label("状態").select_option("processed")
    row.get_by_label("伝票番号").fill("5555-6666-7777")
    company = row.get_by_label("配送会社")
    assert company.get_attribute("list") == "companies"
    company.fill("佐川急便")
    row.get_by_role("button", name="この受注を保存").click()
    page.get_by_role("status").filter(has_text="受注を保存しました").wait_for()
    assert api.get_order(SHOP, edited)["export_state"] == "pending"

    # CSV 取り込み: one bad line (an order BASE never had) and the whole file is refused.
    before = untouched(api.get_order(SHOP, loaded))
    bad = csv_file(
        tmp_path,
        "出荷_誤り.csv",
        [
            "注文番号,伝票番号,配送会社,出荷日,ステータス",
            f"{loaded},8888-9999-0000,佐川急便,{time.strftime('%Y/%m/%d')},processed",
            "NOSUCHORDER1,1111-2222-3333,佐川急便,,processed",
        ],
    )
    upload(page, console, bad)
    bad_line = page.locator('#bad-lines tr[data-line="3"]')
    assert "NOSUCHORDER1" in bad_line.inner_text()
    assert any("\u3040" <= c <= "\u9fff" for c in bad_line.locator('[lang="ja"]').inner_text())
    assert "Shift_JIS" in page.locator("#preview").inner_text()
    assert page.locator("#apply").count() == 0  # a file with a bad line cannot be applied
    assert untouched(api.get_order(SHOP, loaded)) == before  # nothing applied
    assert_accessible(page)
    screenshot(page, "upload-error")

    # The corrected file: every change previewed, applied only by 適用.
    good = csv_file(
        tmp_path,
        "出荷.csv",
        [
            "注文番号,伝票番号,配送会社,出荷日,ステータス",
            f"{loaded},8888-9999-0000,佐川急便,{time.strftime('%Y/%m/%d')},processed",
        ],
    )
    upload(page, console, good)
    change = page.locator('#changes tr[data-line="2"]').inner_text()
    assert "伝票番号: - → 888899990000" in change and "状態: 新規受付 → 処理済み" in change
    assert "「発送情報の更新」で送信" in change  # auto_export is off: nothing goes by itself
    assert untouched(api.get_order(SHOP, loaded)) == before  # a preview writes nothing
    assert_accessible(page)
    assert_fits_phone_width(page)
    screenshot(page, "upload-preview")
    page.click("#apply")
    page.locator("#applied").wait_for()
    assert "1 件の受注を変更しました" in page.locator("#applied").inner_text()
    order = api.get_order(SHOP, loaded)
    assert (order["status"], order["tracking_number"], order["export_state"]) == (
        "processed",
        "888899990000",
        "pending",
    )
    assert_accessible(page)
    assert dispatches(base, ours) == []  # nothing reached BASE so far

    # 発送情報の更新: the dry run first, then the confirmation, then the one run.
    page.goto(f"{base_url(console)}/shops/{SHOP}/send")
    plan = page.locator("#plan-send")
    plan.wait_for()
    for key in ours:
        assert plan.locator(f'tr[data-key="{key}"]').count() == 1
    assert "佐川急便" in plan.locator(f'tr[data-key="{edited}"]').inner_text()
    assert_accessible(page)
    assert_fits_phone_width(page)
    screenshot(page, "send-plan")
    page.click("#to-confirm")
    warning = page.locator("#cannot-undo")
    warning.wait_for()
    assert "BASEへ送信します。取り消せません。" in warning.inner_text()
    assert "It cannot be undone." in warning.inner_text()
    assert dispatches(base, ours) == []  # the plan and the confirmation send nothing
    assert_accessible(page)
    screenshot(page, "send-confirm")
    token = page.locator('input[name="token"]').input_value()
    runs_before = len(api.list_exports(SHOP))
    page.click("#send-now")
    page.locator("#run-done").wait_for(timeout=60_000)  # the page reloads itself until the run ends
    run_section = page.locator("section.run")
    export_id = str(run_section.get_attribute("data-export-id"))
    for key in ours:
        assert run_section.locator(f'tr[data-key="{key}"]').get_attribute("data-outcome") == "dispatched"
    assert "発送済みにした" in run_section.locator(".counts").inner_text()
    assert_accessible(page)
    assert_fits_phone_width(page)
    screenshot(page, "send-run")

    # The same confirmation posted again starts no second run.
    cookies = {c["name"]: c["value"] for c in context.cookies(base_url(console))}
    again = requests.post(
        f"{base_url(console)}/shops/{SHOP}/send",
        data={"csrf": console.guard.csrf, "token": token},
        cookies=cookies,
        headers={"Origin": base_url(console)},
        allow_redirects=False,
        timeout=10,
    )
    assert again.status_code == 303 and export_id in again.headers["Location"]
    assert len(api.list_exports(SHOP)) == runs_before + 1

    # 自動処理ログ, in Japanese: the run and each of our orders dispatched.
    page.click("#see-log")
    logged = page.locator(f'section[data-export-id="{export_id}"]')
    logged.wait_for()
    assert "手動" in logged.inner_text()
    for key in ours:
        assert "発送済みにした" in logged.locator(f'tr[data-key="{key}"]').inner_text()

    # BASE (the sandbox) received exactly these dispatches, and 受注詳細 shows what went out.
    received = {e["unique_key"]: e for e in dispatches(base, ours)}
    assert len(dispatches(base, ours)) == 2 and set(received) == ours
    assert (received[edited]["tracking_number"], received[edited]["delivery_company_name"]) == (
        "555566667777",
        "佐川急便",
    )
    assert received[loaded]["tracking_number"] == "888899990000"
    assert "伝票番号: 888899990000" in received[loaded]["add_comment"]
    assert base.get_order(edited)["dispatch_status"] == "dispatched"
    page.goto(f"{base_url(console)}/shops/{SHOP}/orders")
    page.locator(f'tr[data-key="{edited}"] a.detail').click()
    page.locator("#sent").wait_for()
    assert page.locator("#sent-company").inner_text() == "佐川急便 (ID 2)"
    assert page.locator("#sent-tracking").inner_text() == "555566667777"
    assert "伝票番号: 555566667777" in page.locator("#sent pre").inner_text()
    history = page.locator("table.history tbody tr")
    assert "BASE へ送信" in history.first.inner_text()  # newest first
    assert "編集" in page.locator("table.history").inner_text()
    assert_accessible(page)
    assert_fits_phone_width(page)
    screenshot(page, "order")
    page.click("#sent-run")
    page.locator(f"section#export-{export_id}").wait_for()


def _exists(api: ApiClient, key: str) -> bool:
    try:
        api.get_order(SHOP, key)
    except ApiError as exc:  # 404 until the import wrote it
        if exc.status != 404:
            raise
        return False
    return True
