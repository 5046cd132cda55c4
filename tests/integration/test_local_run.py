"""The local run, driven like an operator would: `python -m devstack run` as a child process, the CLI over HTTP.

Everything goes over real HTTP on loopback: the CLI to the local API, the consent form to the
sandbox, the handlers to moto and the sandbox.
"""

from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests
from tests.support.moto import free_port

from base_sandbox import SandboxAdmin
from base_sync_cli.main import main as cli_main
from devstack.__main__ import main as devstack_main
from devstack.demo import approve_consent

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SHOP = "demo-shop"
JST = ZoneInfo("Asia/Tokyo")


@dataclass
class Runner:
    process: subprocess.Popen[bytes]
    api_url: str
    sandbox_url: str
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def _start(tmp: Path) -> Runner:
    api_port, sandbox_port = free_port(), free_port()
    log = tmp / "run.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "devstack",
                "run",
                "--api-port",
                str(api_port),
                "--sandbox-port",
                str(sandbox_port),
            ],
            cwd=ROOT,
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=env,
        )
    runner = Runner(process, f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{sandbox_port}", log)
    deadline = time.monotonic() + 60
    while "Ctrl-C stops everything" not in runner.output():
        if process.poll() is not None or time.monotonic() > deadline:
            _stop(runner)
            pytest.fail(f"the local run did not start:\n{runner.output()}")
        time.sleep(0.2)
    return runner


def _stop(runner: Runner) -> int:
    if runner.process.poll() is None:
        runner.process.send_signal(signal.SIGINT)
        try:
            runner.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            runner.process.kill()
            runner.process.wait(timeout=10)
    return int(runner.process.returncode)


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runner]:
    runner = _start(tmp_path_factory.mktemp("local-run"))
    yield runner
    _stop(runner)


def cli(runner: Runner, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli_main(["--api-url", runner.api_url, *args], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def cli_json(runner: Runner, *args: str) -> Any:
    code, out, err = cli(runner, "--json", *args)
    assert code == 0, err
    return json.loads(out)


def _wait(predicate: Any, timeout_s: float = 60) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.3)


@pytest.fixture(scope="module")
def connected(local: Runner) -> dict[str, dict[str, Any]]:
    """demo-shop connected through the consent page and imported; its orders by unique_key."""
    started = cli_json(local, "connect")
    assert started["authorize_url"].startswith(f"{local.sandbox_url}/1/oauth/authorize?")
    page = approve_consent(started["authorize_url"], SHOP)
    assert page.status_code == 200, page.text
    assert "デモショップ" in page.text

    (shop,) = cli_json(local, "shops")["shops"]
    assert (shop["shop_id"], shop["status"]) == (SHOP, "connected")
    code, out, _ = cli(local, "shops")
    assert code == 0 and "demo-shop" in out and "デモショップ" in out and "connected" in out

    now = int(time.time())
    SandboxAdmin(local.sandbox_url).create_orders(  # more card orders besides the demo seed's few
        SHOP,
        [
            {
                "ordered": now - (i + 1) * 3600,
                "payment": "creditcard",
                "items": [{"title": "蜜蝋キャンドル", "price": 1500, "amount": 1}],
            }
            for i in range(4)
        ],
    )
    job = cli_json(local, "import", SHOP)
    assert job["status"] == "queued" and job["job_id"]
    imported = _wait(lambda: cli_json(local, "shops")["shops"][0]["last_import"])
    assert imported, "the import job was not delivered from the queue"
    orders = cli_json(local, "orders", "list", SHOP, "--all")["orders"]
    assert len(orders) == imported["new"] > 0
    return {o["unique_key"]: o for o in orders}


def _shippable(orders: dict[str, dict[str, Any]], sandbox_url: str) -> list[str]:
    """Keys of orders BASE will accept a dispatch for: card-paid, still ordered, no cart app."""
    base = SandboxAdmin(sandbox_url)
    keys = []
    for key, order in orders.items():
        if (
            order["base"]["payment"] in ("creditcard", "paypal")
            and order["base"]["dispatch_status"] == "ordered"
        ) and not base.get_order(key)["_sandbox"].get("cart_app"):
            keys.append(key)
    return sorted(keys)


def test_unknown_routes_prefix_and_authorization(local: Runner) -> None:
    missing = requests.get(f"{local.api_url}/nowhere", timeout=10)
    assert (missing.status_code, missing.json()) == (404, {"message": "Missing Authentication Token"})
    staged = requests.get(f"{local.api_url}/prod/shops", timeout=10)
    assert staged.status_code == 200 and "shops" in staged.json()
    bearer = requests.get(f"{local.api_url}/shops", headers={"Authorization": "Bearer x"}, timeout=10)
    assert bearer.status_code == 403


def test_signed_requests_are_accepted(local: Runner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDLOCALTEST")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local-secret")
    code, out, err = cli(local, "--sign", "--region", "ap-northeast-1", "--json", "shops")
    assert code == 0, err
    assert "shops" in json.loads(out)


def test_connect_import_and_shipments_from_csv(
    local: Runner, connected: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    first, second = _shippable(connected, local.sandbox_url)[:2]

    bad = tmp_path / "bad.csv"
    bad.write_text(
        f"unique_key,tracking_number,delivery_company,ship_date\n{first},1234-5678,ヤマト運輸,\n{second},12/34,,\nNOPE,,,\n",
        encoding="utf-8",
    )
    code, _, err = cli(local, "shipments", "load", SHOP, str(bad))
    assert code == 1
    assert "line 3:" in err and "line 4:" in err and "line 2:" not in err
    assert cli_json(local, "orders", "show", SHOP, first)["tracking_number"] is None  # nothing changed

    good = tmp_path / "good.csv"
    good.write_bytes(
        (
            "\ufeffunique_key,tracking_number,delivery_company,ship_date\r\n"
            f"{first},１２３４－５６７８－９０１２,ヤマト運輸,\r\n"
            f"{second},9999 8888 7777,佐川急便,2030-01-31\r\n"
        ).encode()
    )
    code, out, err = cli(local, "shipments", "load", SHOP, str(good))
    assert code == 0, err
    assert "2 of 2 order(s) updated" in out
    shown = cli_json(local, "orders", "show", SHOP, first)
    assert (shown["tracking_number"], shown["delivery_company"]) == ("123456789012", "ヤマト運輸")
    later = cli_json(local, "orders", "show", SHOP, second)
    assert (later["tracking_number"], later["ship_date"]) == ("999988887777", "2030-01-31")

    unknown = tmp_path / "unknown.csv"
    unknown.write_text(f"unique_key,tracking_number\n{first},1111\nNO-SUCH-ORDER,2222\n", encoding="utf-8")
    code, out, _ = cli(local, "shipments", "load", SHOP, str(unknown))
    assert code == 1 and "line 3 NO-SUCH-ORDER: order_not_found" in out

    code, out, _ = cli(local, "orders", "set", SHOP, first, "--status", "hold")
    assert code == 0 and "hold" in out
    assert cli_json(local, "orders", "list", SHOP, "--status", "hold")["orders"][0]["unique_key"] == first

    code, out, err = cli(local, "settings", "set", SHOP, "import_days=10", "auto_export=false")
    assert code == 0, err
    assert cli_json(local, "settings", "get", SHOP)["import_days"] == 10
    code, _, err = cli(local, "settings", "set", SHOP, "import_days=500")
    assert code == 2 and err.startswith("error: these settings are not accepted") and "1 to 90" in err


def test_tick_now_runs_the_import_schedule(
    local: Runner, connected: dict[str, dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    assert devstack_main(["tick", "ImportScheduleFunction", "--api-url", local.api_url]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert (answer["result"]["outcome"], answer["result"]["queued"]) == ("finished", 1)  # the demo shop
    assert devstack_main(["tick", "ImportScheduleFunction.Tick", "--api-url", local.api_url]) == 0
    assert json.loads(capsys.readouterr().out)["result"]["queued"] == 1
    assert devstack_main(["tick", "ConnectFunction", "--api-url", local.api_url]) == 1  # no schedule


def test_export_log_and_the_sandbox_shows_the_dispatches(
    local: Runner, connected: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    today_key, future_key = _shippable(connected, local.sandbox_url)[2:4]
    # This test is about the on-demand export: keep the change-triggered one from racing it.
    assert cli(local, "settings", "set", SHOP, "auto_export=false")[0] == 0
    future = (datetime.now(UTC).astimezone(JST).date() + timedelta(days=3)).isoformat()
    csv_file = tmp_path / "shipments.csv"
    csv_file.write_text(
        f"unique_key,tracking_number,delivery_company,ship_date\n{today_key},5555-6666-7777,ゆうパック,\n"
        f"{future_key},4444-3333-2222,ヤマト運輸,{future}\n",
        encoding="utf-8",
    )
    code, _, err = cli(local, "shipments", "load", SHOP, str(csv_file))
    assert code == 0, err
    for key in (today_key, future_key):
        assert cli(local, "orders", "set", SHOP, key, "--status", "processed")[0] == 0

    plan = cli_json(local, "export", "--shop", SHOP, "--order", today_key, "--order", future_key, "--dry-run")
    actions = {p["unique_key"]: p["action"] for p in plan["plan"]}
    assert actions == {today_key: "dispatch", future_key: "defer"}

    run = cli_json(local, "export", "--shop", SHOP, "--order", today_key, "--order", future_key, "--wait")
    outcomes = {r["unique_key"]: r["outcome"] for r in run["results"]}
    assert outcomes == {today_key: "dispatched", future_key: "deferred"}
    assert run["status"] == "succeeded" and run["counts"]["dispatched"] == 1 and run["api_calls"] > 0

    log = cli_json(local, "log", SHOP)["exports"]
    assert log[0]["export_id"] == run["export_id"]
    code, out, _ = cli(local, "log", SHOP)
    assert code == 0 and run["export_id"] in out

    base = SandboxAdmin(local.sandbox_url)
    dispatched = base.get_order(today_key)
    assert dispatched["dispatch_status"] == "dispatched"
    assert dispatched["tracking_number"] == "555566667777"
    assert base.get_order(future_key)["dispatch_status"] == "ordered"  # never early
    assert any(e.get("unique_key") == today_key for e in base.emails(SHOP))


def test_an_edit_ships_within_a_minute_without_a_tick(
    local: Runner, connected: dict[str, dict[str, Any]]
) -> None:
    """The orders table's stream, delivered by the local run, exports the order the edit made ready."""
    key = _shippable(connected, local.sandbox_url)[4]
    code, _, err = cli(local, "settings", "set", SHOP, "auto_export=true")
    assert code == 0, err
    code, _, err = cli(
        local,
        "orders",
        "set",
        SHOP,
        key,
        "--status",
        "processed",
        "--tracking-number",
        "7777-1111-2222",
        "--company",
        "佐川急便",
    )
    assert code == 0, err
    base = SandboxAdmin(local.sandbox_url)
    assert _wait(lambda: base.get_order(key)["dispatch_status"] == "dispatched", timeout_s=30)
    log = cli_json(local, "log", SHOP)["exports"]
    assert log[0]["trigger"] == "change"
    assert [r["unique_key"] for r in log[0]["results"]] == [key]


def test_ctrl_c_stops_everything(tmp_path: Path) -> None:
    runner = _start(tmp_path)
    moto_url = next(
        line.split()[2] for line in runner.output().splitlines() if line.strip().startswith("AWS (moto)")
    )
    assert requests.get(f"{runner.api_url}/_local", timeout=10).json()["moto_url"] == moto_url
    assert _stop(runner) == 0
    assert "stopped." in runner.output()
    for url in (runner.api_url, runner.sandbox_url, moto_url):
        with pytest.raises(requests.ConnectionError):
            requests.get(url, timeout=2)


def test_the_local_run_serves_the_console_and_prints_its_url(
    local: Runner, connected: dict[str, dict[str, Any]]
) -> None:
    """``make run`` serves the operator console against its own API: the banner's URL opens it (its
    secret turns into the session cookie), the connected demo shop is on ショップ; no secret, no page."""
    found = re.search(r"console\s+(http://127\.0\.0\.1:(\d+)/\?k=\S+)", local.output())
    assert found, local.output()
    url, port = found.group(1), found.group(2)
    browser = requests.Session()
    page = browser.get(url, timeout=10)
    assert page.status_code == 200, page.text
    assert "ショップ" in page.text and SHOP in page.text and "接続中" in page.text
    assert browser.cookies, "the secret did not become a session cookie"
    assert requests.get(f"http://127.0.0.1:{port}/", timeout=10).status_code == 403
