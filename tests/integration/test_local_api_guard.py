"""The local API refuses what a web page the developer visits could send it, over real HTTP.

``python -m devstack run`` as a child process (as tests/integration/test_local_run.py starts it),
then requests as a browser on another site would make them: no Content-Type or ``text/plain``
(a form, a ``no-cors`` fetch), a foreign ``Origin``, a foreign ``Host`` (DNS rebinding). None is
answered by a handler and nothing is queued; the same requests made properly are.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from tests.integration.test_local_run import SHOP, Runner, _start, _stop

from base_sync_cli.main import main as cli_main
from devstack.demo import approve_consent

pytestmark = pytest.mark.integration

EXPORT_BODY = json.dumps({"shop_id": SHOP}).encode()


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runner]:
    runner = _start(tmp_path_factory.mktemp("local-guard"))
    try:
        out, err = io.StringIO(), io.StringIO()
        assert cli_main(["--api-url", runner.api_url, "--json", "connect"], out=out, err=err) == 0, (
            err.getvalue()
        )
        page = approve_consent(json.loads(out.getvalue())["authorize_url"], SHOP)
        assert page.status_code == 200, page.text
        yield runner
    finally:
        _stop(runner)


def _port(runner: Runner) -> int:
    return int(runner.api_url.rsplit(":", 1)[1])


def _exports(runner: Runner) -> list[dict[str, Any]]:
    answer = requests.get(f"{runner.api_url}/exports", params={"shop_id": SHOP}, timeout=10)
    assert answer.status_code == 200, answer.text
    exports: list[dict[str, Any]] = answer.json()["exports"]
    return exports


def _settings(runner: Runner) -> dict[str, Any]:
    answer = requests.get(f"{runner.api_url}/shops/{SHOP}/settings", timeout=10)
    assert answer.status_code == 200, answer.text
    settings: dict[str, Any] = answer.json()
    return settings


def _send(runner: Runner, method: str, path: str, body: bytes, headers: dict[str, str]) -> requests.Response:
    # bytes as data: requests adds no Content-Type of its own
    return requests.request(method, f"{runner.api_url}{path}", data=body, headers=headers, timeout=30)


MEDIA_TYPES: dict[str, dict[str, str]] = {
    "no content type": {},
    "text/plain": {"Content-Type": "text/plain"},
    "text/plain json charset": {"Content-Type": "text/plain; charset=utf-8"},
    "form": {"Content-Type": "application/x-www-form-urlencoded"},
    "multipart": {"Content-Type": "multipart/form-data; boundary=x"},
    "json lookalike": {"Content-Type": "application/json-patch+json"},
    "utf-16 json": {"Content-Type": "application/json; charset=utf-16"},
}


@pytest.mark.parametrize("case", sorted(MEDIA_TYPES))
def test_body_routes_refuse_anything_but_json_and_queue_nothing(local: Runner, case: str) -> None:
    headers = MEDIA_TYPES[case]
    settings, exports = _settings(local), _exports(local)
    requests_ = [
        ("POST", "/exports", EXPORT_BODY),
        (
            "PUT",
            f"/shops/{SHOP}/settings",
            json.dumps({**settings, "auto_export": not settings["auto_export"]}).encode(),
        ),
        ("PATCH", f"/shops/{SHOP}/orders/ANYKEY", b'{"status": "hold"}'),
    ]
    for method, path, body in requests_:
        answer = _send(local, method, path, body, headers)
        assert answer.status_code == 415, (case, method, path, answer.status_code, answer.text[:300])
        error = answer.json()
        assert error["error"] == "unsupported_media_type"
        assert "application/json" in error["message"]
    assert [e["export_id"] for e in _exports(local)] == [e["export_id"] for e in exports]
    assert _settings(local) == settings


CROSS_SITE: dict[str, dict[str, str]] = {
    "foreign host": {"Host": "evil.example"},
    "foreign host, our port": {"Host": "evil.example:{port}"},
    "loopback, another port": {"Host": "127.0.0.1:1"},
    "foreign origin": {"Origin": "http://evil.example"},
    "foreign origin, our port": {"Origin": "http://evil.example:{port}"},
    "opaque origin": {"Origin": "null"},
    "https loopback origin": {"Origin": "https://127.0.0.1:{port}"},
    "loopback origin, another port": {"Origin": "http://localhost:1"},
}


@pytest.mark.parametrize("case", sorted(CROSS_SITE))
def test_foreign_host_or_origin_is_refused_and_nothing_is_queued(local: Runner, case: str) -> None:
    port = _port(local)
    headers = {k: v.format(port=port) for k, v in CROSS_SITE[case].items()}
    expected = 421 if "Host" in headers else 403
    exports = _exports(local)
    posted = _send(local, "POST", "/exports", EXPORT_BODY, {"Content-Type": "application/json", **headers})
    assert posted.status_code == expected, (case, posted.status_code, posted.text[:300])
    error = posted.json()
    assert error["error"] == ("misdirected_request" if expected == 421 else "cross_origin_refused")
    assert error["message"]
    read = requests.get(f"{local.api_url}/shops", headers=headers, timeout=10)  # reads too
    assert read.status_code == expected, (case, read.status_code)
    tick = _send(local, "POST", "/_local/tick/ImportScheduleFunction", b"", headers)  # and the local extras
    assert tick.status_code == expected, (case, tick.status_code)
    assert [e["export_id"] for e in _exports(local)] == [e["export_id"] for e in exports]


def test_the_same_requests_made_properly_are_answered(local: Runner, tmp_path: Path) -> None:
    """Not a guard that refuses everything: loopback Host names and the same-origin Origin pass."""
    port, before = _port(local), _exports(local)
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"LOCALHOST:{port}"):
        assert requests.get(f"{local.api_url}/shops", headers={"Host": host}, timeout=10).status_code == 200
    posted = _send(
        local,
        "POST",
        "/exports",
        EXPORT_BODY,
        {"Content-Type": "application/json; charset=UTF-8", "Origin": f"http://127.0.0.1:{port}"},
    )
    assert posted.status_code == 202, posted.text
    before_ids = {e["export_id"] for e in before}
    (run,) = [e for e in _exports(local) if e["export_id"] not in before_ids]
    assert run["export_id"] == posted.json()["export_id"]
    assert run["actor"].startswith("arn:aws:iam::")  # the local run's principal is recorded
