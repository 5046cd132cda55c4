"""``shipments load`` as the operator meets it: the local run (``python -m devstack run``) as a child
process, the CLI over HTTP, files as Excel and carrier programs write them, ``auto_export`` on — so a
line that is applied reaches BASE (the sandbox) within seconds, and a file that is refused must leave
every order, the processing log and BASE untouched."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.integration.test_local_run import SHOP, Runner, _start, _stop, _wait, cli, cli_json

from base_sandbox import SandboxAdmin
from devstack.demo import approve_consent

pytestmark = pytest.mark.integration

QUIET_S = 4.0
"""How long a refused file is watched for anything reaching BASE: the local run delivers the orders
stream every second and an edit ships in about 1.2 s (README, benchmarks)."""


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runner]:
    runner = _start(tmp_path_factory.mktemp("shipments-run"))
    yield runner
    _stop(runner)


@pytest.fixture(scope="module")
def keys(run: Runner) -> list[str]:
    """demo-shop connected and imported, with ten fresh card orders BASE will accept a dispatch for."""
    page = approve_consent(cli_json(run, "connect")["authorize_url"], SHOP)
    assert page.status_code == 200, page.text
    now = int(time.time())
    created = SandboxAdmin(run.sandbox_url).create_orders(
        SHOP,
        [
            {
                "ordered": now - (i + 1) * 600,
                "payment": "creditcard",
                "items": [{"title": "石鹸", "price": 800, "amount": 1}],
            }
            for i in range(10)
        ],
    )
    cli_json(run, "import", SHOP)
    assert _wait(lambda: cli_json(run, "shops")["shops"][0]["last_import"]), "the import did not run"
    stored = {o["unique_key"] for o in cli_json(run, "orders", "list", SHOP, "--all")["orders"]}
    found = [str(o["unique_key"]) for o in created]
    assert set(found) <= stored
    assert cli_json(run, "settings", "get", SHOP)["auto_export"] is True  # the default: edits ship
    return found


def _order(run: Runner, key: str) -> dict[str, Any]:
    return dict(cli_json(run, "orders", "show", SHOP, key))


def _runs(run: Runner) -> int:
    return len(cli_json(run, "log", SHOP)["exports"])


def _nothing_happens(run: Runner, keys: list[str], runs_before: int, emails_before: int) -> None:
    """No order changed, no export run, nothing at BASE — watched for QUIET_S seconds."""
    time.sleep(QUIET_S)
    base = SandboxAdmin(run.sandbox_url)
    for key in keys:
        order = _order(run, key)
        assert (order["tracking_number"], order["status"], order["export_state"]) == (
            None,
            "new",
            "not_ready",
        ), key
        assert base.get_order(key)["dispatch_status"] == "ordered", key
    assert _runs(run) == runs_before
    assert len(base.emails(SHOP)) == emails_before


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def test_a_file_with_one_unknown_key_changes_nothing(run: Runner, keys: list[str], tmp_path: Path) -> None:
    first, second = keys[0], keys[1]
    runs, emails = _runs(run), len(SandboxAdmin(run.sandbox_url).emails(SHOP))
    csv_file = _write(
        tmp_path / "unknown.csv",
        "unique_key,tracking_number,delivery_company,status\n"
        f"{first},1111-2222-3333,ヤマト運輸,processed\n"
        "NOSUCHORDER1,2222-3333-4444,ヤマト運輸,processed\n"
        f"{second},3333-4444-5555,佐川急便,processed\n",
    )
    code, out, _ = cli(run, "--lang", "en", "shipments", "load", SHOP, str(csv_file))
    assert code == 1
    assert "line 3 NOSUCHORDER1: order_not_found" in out and "nothing was changed" in out
    _nothing_happens(run, [first, second], runs, emails)


def test_two_lines_for_one_order_are_refused_before_any_request(
    run: Runner, keys: list[str], tmp_path: Path
) -> None:
    first = keys[0]
    csv_file = _write(
        tmp_path / "twice.csv",
        f"unique_key,tracking_number,status\n{first},1111,processed\n{first},2222,processed\n",
    )
    code, _, err = cli(run, "--lang", "en", "shipments", "load", SHOP, str(csv_file))
    assert code == 1
    assert f"line 3: unique_key {first} is also on line 2" in err
    assert _order(run, first)["tracking_number"] is None


def test_a_file_with_one_exported_order_changes_nothing(run: Runner, keys: list[str], tmp_path: Path) -> None:
    sent, other = keys[2], keys[3]
    code, _, err = cli(
        run,
        "orders",
        "set",
        SHOP,
        sent,
        "--status",
        "processed",
        "--tracking-number",
        "9999-0000-1111",
        "--company",
        "佐川急便",
    )
    assert code == 0, err
    base = SandboxAdmin(run.sandbox_url)
    assert _wait(lambda: _order(run, sent)["export_state"] == "exported", timeout_s=30)
    runs, emails = _runs(run), len(base.emails(SHOP))

    csv_file = _write(
        tmp_path / "exported.csv",
        f"unique_key,tracking_number,status\n{other},5555-6666-7777,processed\n{sent},1234-1234-1234,processed\n",
    )
    code, out, _ = cli(run, "--lang", "en", "shipments", "load", SHOP, str(csv_file))
    assert code == 1
    assert f"line 3 {sent}: exported_earlier" in out and "nothing was changed" in out
    assert _order(run, sent)["tracking_number"] == "999900001111"  # what went to BASE stays
    _nothing_happens(run, [other], runs, emails)


def test_a_shift_jis_file_with_japanese_headers_dry_run_then_load(
    run: Runner, keys: list[str], tmp_path: Path
) -> None:
    """Excel's CSV: Shift_JIS, Japanese headers, dates as 2026/12/03. The dry run writes nothing and
    says what would go to BASE; the load then ships them within seconds."""
    first, second = keys[4], keys[5]
    today = time.strftime("%Y/%m/%d", time.gmtime(time.time() + 9 * 3600))  # JST
    csv_file = _write(
        tmp_path / "excel.csv",
        "注文番号,伝票番号,配送会社,出荷日,ステータス\r\n"
        f"{first},1234-5678-9012,ヤマト運輸,{today},processed\r\n"
        f"{second},２３４５－６７８９－０１２３,佐川急便,,processed\r\n",
        encoding="cp932",
    )
    runs, emails = _runs(run), len(SandboxAdmin(run.sandbox_url).emails(SHOP))
    code, out, err = cli(run, "--lang", "ja", "shipments", "load", SHOP, str(csv_file), "--dry-run")
    assert code == 0, err
    assert (
        "試行のみ（何も書き込んでいません）: 2 件の受注が変わり、2 件は 1 分以内に BASEへ送信されます（取り消せません）"
        in out
    )
    assert "tracking_number: - → 123456789012" in out
    plan = cli_json(run, "shipments", "load", SHOP, str(csv_file), "--dry-run")
    assert [(line["unique_key"], line["export_state"], line["send"]) for line in plan["lines"]] == [
        (first, "pending", "within_a_minute"),
        (second, "pending", "within_a_minute"),
    ]
    _nothing_happens(run, [first, second], runs, emails)

    code, out, err = cli(run, "--lang", "en", "shipments", "load", SHOP, str(csv_file))
    assert code == 0, err
    assert "2 of 2 order(s) updated" in out and "2 will be sent to BASE within a minute" in out
    shown = _order(run, first)
    assert (shown["tracking_number"], shown["delivery_company"], shown["status"]) == (
        "123456789012",
        "ヤマト運輸",
        "processed",
    )
    base = SandboxAdmin(run.sandbox_url)
    assert _wait(
        lambda: all(base.get_order(k)["dispatch_status"] == "dispatched" for k in (first, second)), 30
    )
    assert base.get_order(second)["tracking_number"] == "234567890123"


def test_a_b2cloud_export_loads_with_its_implied_company(
    run: Runner, keys: list[str], tmp_path: Path
) -> None:
    """B2クラウド's export (Yamato's documented layout): the shop's お客様管理番号 is BASE's order key."""
    key = keys[6]
    today = time.strftime("%Y/%m/%d", time.gmtime(time.time() + 9 * 3600))
    header = (
        "お客様管理番号,送り状種別,クール区分,伝票番号,出荷予定日,お届け予定（指定）日,配達時間帯,"
        "お届け先コード,お届け先電話番号,お届け先電話番号枝番,お届け先郵便番号,お届け先住所,"
        "お届け先アパートマンション名,お届け先会社・部門１,お届け先会社・部門２,お届け先名"
    )
    row = f"{key},0,0,345678901234,{today},,,,03-1234-5678,,100-0001,東京都千代田区千代田1-1,,,,山田 太郎"
    csv_file = _write(tmp_path / "b2.csv", f"{header}\r\n{row}\r\n", encoding="cp932")
    code, out, err = cli(
        run,
        "--lang",
        "en",
        "shipments",
        "load",
        SHOP,
        str(csv_file),
        "--preset",
        "b2cloud",
        "--set-status",
        "processed",
    )
    assert code == 0, err
    assert "1 of 1 order(s) updated" in out
    assert _order(run, key)["delivery_company"] == "クロネコヤマト"
    base = SandboxAdmin(run.sandbox_url)
    assert _wait(lambda: base.get_order(key)["dispatch_status"] == "dispatched", 30)
    assert (base.get_order(key)["tracking_number"], base.get_order(key)["delivery_company_id"]) == (
        "345678901234",
        1,
    )
