"""``base-sync console`` as an operator starts it: it prints its URL, serves it, stops on Ctrl-C,
and refuses a bind address beyond loopback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[4]


def _console(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "base_sync_cli", "--api-url", "http://127.0.0.1:9", "console", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(ROOT / "cli"), str(ROOT / "layers" / "shared")]),
        },
    )


def test_it_prints_its_url_serves_it_and_stops_on_ctrl_c() -> None:
    process = _console()
    try:
        assert process.stdout is not None
        url = ""
        deadline = time.monotonic() + 30
        while not url and time.monotonic() < deadline:
            line = process.stdout.readline()
            if line.strip().startswith("http://127.0.0.1:"):
                url = line.strip()
        assert "/?k=" in url, "no URL printed"
        session = requests.Session()
        page = session.get(url, timeout=10)
        # the API at :9 is not there: the console says so on a page, it does not crash
        assert page.status_code == 502 and "unreachable" in page.text
        assert requests.get(url.split("?")[0], timeout=10).status_code == 403
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=15)
    assert process.returncode == 0


def test_it_refuses_to_listen_beyond_loopback() -> None:
    process = _console("--host", "0.0.0.0")  # noqa: S104 - the point of the test
    _, err = process.communicate(timeout=30)
    assert process.returncode == 2
    assert "loopback" in err and "ループバック" in err
