"""The README's operator walk-through, followed literally against a fresh local run.

The commands are read from the README's block (so the test follows what a newcomer reads), run in
order through the CLI over the local run's HTTP API, and the BASE sandbox is asked after every step:
no dispatch may reach it before the step the README marks "sends".
"""

from __future__ import annotations

import io
import json
import re
import shlex
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.integration.test_local_run import ROOT, SHOP, Runner, _shippable, _start, _stop

from base_sandbox import SandboxAdmin
from base_sync_cli.main import main as cli_main
from devstack.__main__ import main as devstack_main
from devstack.demo import approve_consent

pytestmark = pytest.mark.integration

SETTLE_SECONDS = 4.0  # the local run delivers the orders table's stream every second


def walkthrough() -> list[str]:
    """The command lines of the README's walk-through block (the first ``sh`` block of "The local run")."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### The local run") :]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block is not None, "the walk-through block is missing from the README"
    return [line for line in block.group(1).splitlines() if line.strip()]


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Runner]:
    runner = _start(tmp_path)
    yield runner
    _stop(runner)


def _cli(runner: Runner, args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli_main(["--api-url", runner.api_url, *args], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def _dispatches(base: SandboxAdmin) -> list[dict[str, Any]]:
    calls = base.calls(shop_id=SHOP)["calls"]
    return [c for c in calls if c["path"] == "/1/orders/edit_status"]


def _wait(predicate: Any, timeout_s: float = 60) -> Any:
    deadline = time.monotonic() + timeout_s
    while not (value := predicate()) and time.monotonic() < deadline:
        time.sleep(0.3)
    return value


def test_the_walkthrough_sends_nothing_before_the_step_that_says_it_will(
    fresh: Runner, tmp_path: Path
) -> None:
    base = SandboxAdmin(fresh.sandbox_url)
    lines = walkthrough()
    sends = [i for i, line in enumerate(lines) if re.search(r"#\s*sends\b", line)]
    assert len(sends) == 1, "the walk-through must mark exactly one step as the one that sends"
    dry_runs = [i for i, line in enumerate(lines) if "--dry-run" in line]
    assert dry_runs and dry_runs[0] < sends[0], "the dry run comes before anything is sent"
    key = key2 = ""
    outputs: list[str] = []
    for index, line in enumerate(lines):
        args = shlex.split(line, comments=True)
        if index == sends[0]:
            time.sleep(SETTLE_SECONDS)  # anything an earlier step set off would have reached BASE by now
            assert _dispatches(base) == [], (
                f"BASE received a dispatch before the step that sends: {lines[:index]}"
            )
        if args[:3] == [".venv/bin/python", "-m", "devstack"]:  # as printed: the project's Python
            assert devstack_main([*args[3:], "--api-url", fresh.api_url]) == 0, line
            continue
        assert args[0] == ".venv/bin/base-sync", line
        args = [a.replace("KEY", key) if a == "KEY" else a for a in args[1:]]
        if args[0] == "connect":  # the consent page, approved as the browser would
            code, out, err = _cli(fresh, ["--json", "connect"])
            assert code == 0, err
            page = approve_consent(json.loads(out)["authorize_url"], SHOP)
            assert page.status_code == 200 and "デモショップ" in page.text
            continue
        if args[:2] == ["shipments", "load"]:
            csv_file = tmp_path / "shipments.csv"
            csv_file.write_text(
                f"unique_key,tracking_number,delivery_company,ship_date,status\n{key2},9999-8888-7777,佐川急便,,processed\n",
                encoding="utf-8",
            )
            args = [a if a != "shipments.csv" else str(csv_file) for a in args]
        code, out, err = _cli(fresh, args)
        assert code == 0, f"{line}\n{out}\n{err}"
        outputs.append(out + err)
        if args[0] == "import":
            imported = _wait(
                lambda: json.loads(_cli(fresh, ["--json", "shops"])[1])["shops"][0]["last_import"]
            )
            assert imported, "the import job was not delivered"
        if args[:2] == ["orders", "list"]:
            orders = json.loads(_cli(fresh, ["--json", "orders", "list", SHOP, "--all"])[1])["orders"]
            key, key2, *_ = _shippable({o["unique_key"]: o for o in orders}, fresh.sandbox_url)
        if args[:2] == ["orders", "set"]:
            assert "取り消せません" not in err  # auto_export is off: the edit is not a send
        if index == sends[0]:
            assert base.get_order(key)["dispatch_status"] == "dispatched"
            assert base.get_order(key)["tracking_number"] == "123456789012"
        if args[:2] == ["orders", "show"] and index > sends[0]:
            assert "sent to BASE" in out and "クロネコヤマト (id 1)" in out and "123456789012" in out
    assert len({e["unique_key"] for e in base.emails(SHOP)}) == 2  # the two entered orders, once each

    # after the walk-through auto_export is on with a delay: an edit says it will send, and when
    orders = json.loads(_cli(fresh, ["--json", "orders", "list", SHOP, "--all"])[1])["orders"]
    third = next(
        k for k in _shippable({o["unique_key"]: o for o in orders}, fresh.sandbox_url) if k not in (key, key2)
    )
    code, out, err = _cli(
        fresh,
        [
            "orders",
            "set",
            SHOP,
            third,
            "--status",
            "processed",
            "--tracking-number",
            "5555-4444-3333",
            "--company",
            "ヤマト",
        ],
    )
    assert code == 0, err
    assert (
        "BASEへ送信されます（取り消せません）" in err
        and "Will be sent to BASE (this cannot be undone)" in err
    )
    assert "export_delay" in out or "will send" in out
    assert devstack_main(["tick", "ExportScheduleFunction", "--api-url", fresh.api_url]) == 0
    time.sleep(SETTLE_SECONDS)
    assert (
        base.get_order(third)["dispatch_status"] == "ordered"
    )  # inside the window: not sent, by any trigger

    code, _, err = _cli(fresh, ["orders", "set", SHOP, third, "--company", "ABC急便"])
    assert code == 1 and "ABC急便" in err and "クロネコヤマト" in err and "佐川急便" in err
