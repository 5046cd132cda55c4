"""The CLI cannot be steered into another shop or route: every path segment is percent-encoded in one
place, ``shipments load`` refuses keys outside the API's key pattern, and every request that changes
something says ``Content-Type: application/json``."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from botocore.credentials import Credentials

from base_sync_cli.client import ApiClient, ApiError, Signer, api_path
from base_sync_cli.main import main

HOSTILE_KEYS = [
    "../../other-shop/orders/KEY",
    "../../../exports",
    "KEY?dry_run=true",
    "KEY#frag",
    "%2e%2e%2fexports",
    "KEY/../../other",
    "..\\..\\exports",
]


class _Recorder(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[dict[str, Any]] = []


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _answer(self) -> None:
        server: _Recorder = self.server  # type: ignore[assignment]
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        server.requests.append(
            {
                "method": self.command,
                "path": self.path,
                "content_type": self.headers.get("Content-Type"),
                "authorization": self.headers.get("Authorization"),
                "body": raw,
            }
        )
        data = json.dumps({"shops": [], "orders": [], "exports": []}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = _answer  # noqa: N815


@pytest.fixture
def api() -> Iterator[_Recorder]:
    server = _Recorder()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _url(api: _Recorder) -> str:
    return f"http://127.0.0.1:{api.server_address[1]}"


@pytest.mark.parametrize("key", HOSTILE_KEYS)
def test_a_signed_patch_for_a_hostile_key_stays_on_that_shops_order(api: _Recorder, key: str) -> None:
    signer = Signer("ap-northeast-1", Credentials("AKIDEXAMPLE", "secret", "session-token"))
    client = ApiClient(_url(api), signer=signer)
    client.patch_order("shop-a", key, {"tracking_number": "1234"})
    [sent] = api.requests
    assert sent["method"] == "PATCH"
    assert sent["authorization"].startswith("AWS4-HMAC-SHA256 ")
    path: str = sent["path"]
    # Exactly four segments: shops / shop-a / orders / <the whole key, encoded>; no query, no fragment.
    assert "?" not in path and "#" not in path
    segments = path.split("/")
    assert segments[:4] == ["", "shops", "shop-a", "orders"]
    assert len(segments) == 5
    assert "/" not in segments[4] and segments[4] not in {".", ".."}
    assert unquote(segments[4]) == key


@pytest.mark.parametrize("shop", ["../exports", "a/b", "shop?x=1", "other-shop/orders/KEY"])
def test_a_hostile_shop_id_stays_one_segment(api: _Recorder, shop: str) -> None:
    ApiClient(_url(api)).get_settings(shop)
    [sent] = api.requests
    segments = sent["path"].split("/")
    assert len(segments) == 4 and segments[1] == "shops" and segments[3] == "settings"
    assert "?" not in sent["path"]


@pytest.mark.parametrize("segment", ["", ".", ".."])
def test_dot_segments_and_empty_segments_are_refused_before_any_request(api: _Recorder, segment: str) -> None:
    with pytest.raises(ApiError) as raised:
        ApiClient(_url(api)).patch_order("shop-a", segment, {"status": "processed"})
    assert raised.value.code == "invalid_path_segment"
    assert api.requests == []
    with pytest.raises(ApiError):
        ApiClient(_url(api)).get_settings(segment)
    assert api.requests == []


def test_api_path_encodes_every_reserved_character() -> None:
    assert api_path("shops", "a/b", "orders", "K?x#y%z &") == "/shops/a%2Fb/orders/K%3Fx%23y%25z%20%26"
    assert api_path("exports", "ex-1") == "/exports/ex-1"


def test_every_changing_request_says_application_json(api: _Recorder) -> None:
    client = ApiClient(_url(api))
    client.connect()
    client.put_settings("shop-a", {"auto_export": False})
    client.patch_order("shop-a", "K1", {"status": "processed"})
    client.queue_import("shop-a")
    client.create_export(shop_id="shop-a", dry_run=True)
    client.shops()
    changing = [r for r in api.requests if r["method"] != "GET"]
    assert [r["method"] for r in changing] == ["POST", "PUT", "PATCH", "POST", "POST"]
    assert all(r["content_type"] == "application/json" for r in changing), changing
    for r in changing:
        if r["body"]:
            json.loads(r["body"])


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "shipments.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_csv_with_hostile_keys_changes_nothing(api: _Recorder, tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "unique_key,tracking_number\n"
        "GOOD0001,1111\n"  # line 2: good
        "../../other-shop/orders/KEY,2222\n"  # line 3
        "../../../exports,3333\n"  # line 4
        "KEY?x=1,4444\n"  # line 5
        "キー,5555\n"  # line 6
        f"{'K' * 201},6666\n",  # line 7: longer than the API takes
    )
    for lang, refused in (("en", "not usable"), ("ja", "使えません")):  # in the operator's language
        out, err = io.StringIO(), io.StringIO()
        args = ["--api-url", _url(api), "--lang", lang, "shipments", "load", "shop-a", str(path)]
        code = main(args, out=out, err=err)
        assert code == 1
        assert api.requests == []  # not one request, not even for the good row
        text = err.getvalue()
        assert "nothing was changed" in text or "何も変更していません" in text
        for line in (3, 4, 5, 6, 7):
            assert f"line {line}: unique_key" in text
        assert "^[A-Za-z0-9_-]{1,200}$" in text
        first = next(row for row in text.splitlines() if "line 3:" in row)
        assert refused in first


def test_a_key_of_200_letters_digits_dash_and_underscore_is_accepted(api: _Recorder, tmp_path: Path) -> None:
    key = ("Ab1_-" * 40)[:200]
    path = _write(tmp_path, f"unique_key,tracking_number\n{key},1111\n")
    out, err = io.StringIO(), io.StringIO()
    code = main(["--api-url", _url(api), "shipments", "load", "shop-a", str(path)], out=out, err=err)
    assert code == 0, err.getvalue()
    [sent] = api.requests  # the key travels in the body of the one request, never in its path
    assert sent["path"] == "/shops/shop-a/shipments"
    assert [row["unique_key"] for row in json.loads(sent["body"])["rows"]] == [key]


def test_orders_list_passes_the_deadline_filter(api: _Recorder) -> None:
    """``orders list --deadline-within 7`` asks the API for BASE's own deadlines within 7 days."""
    out, err = io.StringIO(), io.StringIO()
    assert (
        main(
            ["--api-url", _url(api), "orders", "list", "demo-shop", "--deadline-within", "7"],
            out=out,
            err=err,
        )
        == 0
    )
    [sent] = api.requests
    assert sent["path"] == "/shops/demo-shop/orders?deadline_within_days=7"
