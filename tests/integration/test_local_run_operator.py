"""The local run as a Japanese operator meets it: `python -m devstack run` as a child process, the CLI
and plain HTTP against it. What it prints, what it logs, what the demo shop holds, and the messages,
errors and exit statuses of the CLI under ``LANG=ja_JP.UTF-8``."""

from __future__ import annotations

import io
import json
import shlex
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
import requests
from tests.integration.test_local_run import ROOT, Runner, _start, _stop, _wait

from base_sandbox import SandboxAdmin
from base_sync_cli.main import main as cli_main
from devstack.demo import approve_consent

pytestmark = pytest.mark.integration

SHOP = "demo-shop"
JST = ZoneInfo("Asia/Tokyo")
YAMATO_JA = "ヤマトのかんたん発送Appの注文はAPIから発送済みにできません。BASE管理画面で発送してください。"


def cli(runner: Runner, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli_main(["--api-url", runner.api_url, *args], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runner]:
    runner = _start(tmp_path_factory.mktemp("local-run-operator"))
    yield runner
    _stop(runner)


@pytest.fixture(scope="module")
def connected(local: Runner) -> dict[str, Any]:
    """demo-shop freshly seeded, connected through the consent page and imported."""
    seeded = SandboxAdmin(local.sandbox_url).reset(seed="demo")["seeded"]["orders"]
    code, out, err = cli(local, "--json", "connect")
    assert code == 0, err
    page = approve_consent(json.loads(out)["authorize_url"], SHOP)
    assert page.status_code == 200, page.text
    assert cli(local, "import", SHOP)[0] == 0
    assert _wait(lambda: requests.get(f"{local.api_url}/shops", timeout=10).json()["shops"][0]["last_import"])
    orders = requests.get(f"{local.api_url}/shops/{SHOP}/orders?limit=100", timeout=10).json()["orders"]
    callback = parse_qs(urlsplit(page.url).query)
    return {"seeded": seeded, "orders": {o["unique_key"]: o for o in orders}, "callback": callback}


def test_every_seeded_demo_order_is_imported_with_the_default_window(
    local: Runner, connected: dict[str, Any]
) -> None:
    settings = requests.get(f"{local.api_url}/shops/{SHOP}/settings", timeout=10).json()
    assert settings["import_days"] == 7  # the default, untouched
    assert sorted(connected["orders"]) == sorted(connected["seeded"])
    states = {o["base"]["dispatch_status"] for o in connected["orders"].values()}
    assert {"dispatched", "cancelled"} <= states  # the seed's dispatched and cancelled orders too


def test_the_access_log_never_prints_the_oauth_code_or_state(
    local: Runner, connected: dict[str, Any]
) -> None:
    (code,), (state,) = connected["callback"]["code"], connected["callback"]["state"]
    logged = local.output()
    assert "/oauth/callback?code=***&state=***" in logged
    assert code not in logged and state not in logged


def test_the_banner_before_the_run_has_no_warning_and_its_commands_run_as_printed(
    local: Runner, connected: dict[str, Any]
) -> None:
    before, _, banner = local.output().partition("base-order-sync is running locally")
    assert before.strip() == ""  # no warning-looking line ahead of the banner
    assert "here every hour" in banner
    nexts = banner.split("Next, in another terminal in ", 1)[1].splitlines()[1:]
    commands = [line.split("  #")[0].strip() for line in nexts if line.startswith("  ")]
    listing = next(c for c in commands if " orders list " in c)
    tick = next(c for c in commands if "devstack tick ImportScheduleFunction" in c)
    assert listing.startswith(".venv/bin/base-sync --api-url ")
    shown = {}
    for command in (listing, tick):
        done = subprocess.run(
            shlex.split(command), check=False, cwd=ROOT, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, (command, done.stderr)
        shown[command] = done.stdout
    assert all(key in shown[listing] for key in connected["orders"])


def test_settings_errors_in_japanese_once_and_from_the_api(
    local: Runner, connected: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LANG", "ja_JP.UTF-8")
    code, out, err = cli(local, "settings", "set", SHOP, "auto_export=yes")
    assert code == 2 and out == ""
    assert err.count("true または false") == 1 and err.count("auto_export") == 1, err
    code, _, err = cli(local, "settings", "set", SHOP, "auto_exprt=false")
    assert code == 2 and "export_call_budget" in err and err.count("auto_exprt") == 1
    answer = requests.put(
        f"{local.api_url}/shops/{SHOP}/settings", json={"auto_export": "yes", "colour": "red"}, timeout=10
    )
    assert answer.status_code == 422
    fields = answer.json()["fields"]
    assert fields["auto_export"].startswith("must be true or false")
    assert fields["colour"].startswith("unknown field; valid fields: export_filter, auto_export")
    assert requests.get(f"{local.api_url}/shops/{SHOP}/settings", timeout=10).json()["auto_export"] is True


def test_an_api_error_in_japanese(
    local: Runner, connected: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LANG", "ja_JP.UTF-8")
    code, _, err = cli(local, "orders", "show", SHOP, "NO-SUCH-ORDER")
    assert code == 1 and err.startswith("エラー: その受注はありません。") and "order_not_found" in err


def _cart_app_and_card_orders(local: Runner, connected: dict[str, Any]) -> tuple[str, str, str]:
    base = SandboxAdmin(local.sandbox_url)
    cart, cards = None, []
    for key, order in sorted(connected["orders"].items()):
        if order["base"]["payment"] != "creditcard" or order["base"]["dispatch_status"] != "ordered":
            continue
        if base.get_order(key)["_sandbox"].get("cart_app") == "YamatoDelivery":
            cart = key
        else:
            cards.append(key)
    assert cart is not None and len(cards) >= 2
    return cart, cards[0], cards[1]


def test_a_failed_export_and_a_future_ship_date_in_japanese_with_one_exit_status(
    local: Runner, connected: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    cart, future_key, today_key = _cart_app_and_card_orders(local, connected)
    assert cli(local, "settings", "set", SHOP, "auto_export=false")[0] == 0
    future = (datetime.now(UTC).astimezone(JST).date() + timedelta(days=3)).isoformat()
    for key, extra in ((cart, []), (future_key, ["--ship-date", future]), (today_key, [])):
        code, _, err = cli(
            local, "orders", "set", SHOP, key, "--status", "processed",
            "--tracking-number", "1234-5678-9012", "--company", "ヤマト運輸", *extra,
        )  # fmt: skip
        assert code == 0, err
    monkeypatch.setenv("LANG", "ja_JP.UTF-8")

    code, out, _ = cli(local, "export", "--shop", SHOP, "--order", cart, "--order", future_key, "--wait")
    assert code == 1  # failed (and deferred): not a success
    assert YAMATO_JA in out
    assert f"{future}（日本時間）に送ります。" in out
    assert "結果" in out and "理由" in out  # the table's headers too
    export_id = out.split()[1]
    status_code, status_out, _ = cli(local, "export-status", export_id)
    assert status_code == code and YAMATO_JA in status_out
    code, _, _ = cli(local, "--json", "export-status", export_id)
    assert code == status_code

    code, out, _ = cli(local, "export", "--shop", SHOP, "--order", today_key, "--wait")
    assert code == 0 and "dispatched 1" in out
    assert cli(local, "export-status", out.split()[1])[0] == 0


def test_make_help_names_the_ports() -> None:
    shown = subprocess.run(["make", "help"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert "API_PORT" in shown and "SANDBOX_PORT" in shown
