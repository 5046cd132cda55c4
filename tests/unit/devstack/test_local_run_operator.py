"""The local run as a newcomer meets it: ports, the commands it prints, the demo seed, the access log,
the schedule notice and the connect page."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest

from base_sandbox import SandboxAdmin, SandboxServer
from base_sync.api.pages import connected_page, failure_page
from base_sync.domain.shop import ShopSettings
from devstack.__main__ import main as devstack_main
from devstack.run import ROOT, command_prefix
from devstack.schedules import schedule_interval
from devstack.server import logged_target


@contextlib.contextmanager
def busy_port() -> Iterator[int]:
    """A loopback port something else listens on."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield int(taken.getsockname()[1])


@pytest.mark.parametrize(
    ("flag", "variable"), [("--api-port", "API_PORT"), ("--sandbox-port", "SANDBOX_PORT")]
)
def test_a_busy_port_names_the_port_and_how_to_choose_another(
    flag: str, variable: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with busy_port() as port:
        other = "--sandbox-port" if flag == "--api-port" else "--api-port"
        assert devstack_main(["run", flag, str(port), other, "0"]) == 1
    err = capsys.readouterr().err
    assert f"ポート {port}" in err and "使用中" in err  # Japanese
    assert f"port {port}" in err and "in use" in err  # and English
    assert f"make run {variable}=" in err and f"{flag} " in err
    assert "Traceback" not in err


def test_the_printed_commands_run_from_the_repository_root() -> None:
    inside = str(ROOT / ".venv" / "bin" / "python")
    cli, python = command_prefix(inside)
    assert python == ".venv/bin/python"
    if (ROOT / ".venv" / "bin" / "base-sync").exists():
        assert cli == ".venv/bin/base-sync"
    outside_cli, outside_python = command_prefix("/opt/elsewhere/bin/python3")
    assert outside_python == "/opt/elsewhere/bin/python3"
    assert outside_cli == "/opt/elsewhere/bin/python3 -m base_sync_cli"  # no base-sync script there


def test_every_demo_order_is_inside_the_default_import_window() -> None:
    """With 12 hours to spare: a local run left running still imports every seeded order."""
    window_s = ShopSettings().import_days * 86400
    server = SandboxServer(port=0, seed="demo").start()
    try:
        admin = SandboxAdmin(server.url)
        keys = admin.reset(seed="demo")["seeded"]["orders"]
        now = time.time()
        ages = {key: now - admin.get_order(key)["ordered"] for key in keys}
    finally:
        server.stop()
    assert len(ages) >= 12
    assert all(age < window_s - 12 * 3600 for age in ages.values()), ages


def test_the_access_log_hides_the_oauth_code_and_state() -> None:
    logged = logged_target("/oauth/callback?code=SECRETCODE&state=SECRETSTATE")
    assert "SECRETCODE" not in logged and "SECRETSTATE" not in logged
    assert logged.startswith("/oauth/callback?code=") and "state=" in logged
    assert logged_target("/shops/s/orders?status=new") == "/shops/s/orders?status=new"


def test_the_schedule_notice_is_a_note_not_a_warning() -> None:
    _, note = schedule_interval("cron(0 0 * * ? *)")
    assert note is not None and "here every hour" in note
    assert "instead" not in note and "not evaluated locally" in note


def test_the_connect_page_tells_the_truth_about_auto_export() -> None:
    first = connected_page("デモショップ", "demo-shop", reconnected=False)
    assert "auto_export" in first and "取り消せません" in first and "cannot take it back" in first
    assert "base-sync settings set demo-shop auto_export=false" in first
    assert "base-sync connect" in first
    again = connected_page("デモショップ", "demo-shop", reconnected=True)
    assert "以前の設定のまま" in again and "kept as they were" in again
    assert "automatically" not in first + again  # the old page promised an automatic export of everything
    for problem in ("expired_state", "reused_state", "code_refused"):
        assert "base-sync connect" in failure_page(problem)


def test_make_run_takes_the_ports() -> None:
    def planned(*variables: str) -> str:
        outer = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")  # under `make test` too: not a sub-make's output
        env = {k: v for k, v in os.environ.items() if k not in outer}
        done = subprocess.run(
            ["make", "-n", "run", *variables], cwd=ROOT, capture_output=True, text=True, check=True, env=env
        )
        return next(line for line in done.stdout.splitlines() if "-m devstack run" in line)

    assert planned("API_PORT=3005", "SANDBOX_PORT=8090").endswith(
        "-m devstack run --api-port 3005 --sandbox-port 8090"
    )
    assert planned("CONSOLE_PORT=3100").endswith("-m devstack run --console-port 3100")
    assert planned().split() == [".venv/bin/python", "-m", "devstack", "run"]


TEXT_SUFFIXES = frozenset({".md", ".json", ".txt", ".html", ".yaml", ".yml"})


def test_the_make_help_and_readme_carry_no_internal_issue_numbers() -> None:
    pattern = re.compile(r"\(issue \d+\)|\bissue \d+\b", re.IGNORECASE)
    for path in [
        ROOT / "Makefile",
        ROOT / "bench" / "__main__.py",
        *sorted(p for p in (ROOT / "docs").rglob("*") if p.suffix in TEXT_SUFFIXES),
    ]:
        assert not pattern.search(path.read_text(encoding="utf-8")), path
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    sections = re.split(r"^## ", readme, flags=re.MULTILINE)
    mine = [s for s in sections if not s.startswith(("Benchmarks", "What it costs"))]
    found = [m.group(0) for s in mine for m in pattern.finditer(s)]
    assert found == [], found
