"""`base-sync shipments load`: every row checked first; a bad file changes nothing and names every bad row."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from base_sync_cli.main import main
from base_sync_cli.shipments import parse_shipments

BOM = "\ufeff"


class _Recorder(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[tuple[str, str, Any]] = []
        self.refuse: set[str] = set()


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_PATCH(self) -> None:
        server: _Recorder = self.server  # type: ignore[assignment]
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"null")
        server.requests.append(("PATCH", self.path, body))
        key = self.path.rsplit("/", 1)[1]
        if key in server.refuse:
            status, answer = 404, {"error": "not_found", "message": f"order {key} not found"}
        else:
            status, answer = 200, {"unique_key": key, **body}
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH  # noqa: N815


@pytest.fixture
def api() -> Iterator[_Recorder]:
    server = _Recorder()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _load(api: _Recorder, path: Path, *extra: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    url = f"http://127.0.0.1:{api.server_address[1]}"
    code = main(["--api-url", url, *extra, "shipments", "load", "shop-a", str(path)], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def _write(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "shipments.csv"
    path.write_bytes(text.encode(encoding))
    return path


def test_several_bad_rows_change_nothing_and_every_bad_row_is_named(api: _Recorder, tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "unique_key,tracking_number,delivery_company,ship_date\n"
        "GOOD0001,1234-5678-9012,ヤマト運輸,2026-12-01\n"  # line 2: good
        ",1111,佐川急便,\n"  # line 3: no unique_key
        "BAD00004,12#34,佐川急便,\n"  # line 4: tracking number BASE cannot take
        "BAD00005,5555,ゆうパック,2026/12/01\n"  # line 5: not YYYY-MM-DD
        "GOOD0006,6666,,\n"  # line 6: good
        "GOOD0001,7777,,\n"  # line 7: duplicate of line 2
        "BAD00008,,,2026-02-30\n"  # line 8: no such day
        "BAD00009,,,\n",  # line 9: sets nothing
    )
    code, _out, err = _load(api, path)
    assert code == 1
    assert api.requests == []  # nothing changed: not one PATCH
    assert "nothing was changed" in err
    bad = {int(line.split()[1].rstrip(":")) for line in err.splitlines() if line.strip().startswith("line ")}
    assert bad == {3, 4, 5, 7, 8, 9}
    assert "line 3: unique_key is missing" in err
    assert "line 4: tracking_number '12#34'" in err and "'#'" in err
    assert "line 5: ship_date" in err
    assert "line 7: unique_key GOOD0001 is also on line 2" in err
    assert "line 8: ship_date" in err and "2026-02-30" in err
    assert "line 9: nothing to set" in err


def test_unknown_columns_are_refused_before_any_row(api: _Recorder, tmp_path: Path) -> None:
    path = _write(tmp_path, "unique_key,tracking_no,carrier\nK1,123,ヤマト\n")
    code, _, err = _load(api, path)
    assert code == 1
    assert api.requests == []
    assert "line 1: unknown column(s) 'tracking_no', 'carrier'" in err


def test_missing_header_and_json_error_listing(api: _Recorder, tmp_path: Path) -> None:
    path = _write(tmp_path, "K1,1234,ヤマト運輸,2026-12-01\n")
    code, out, _err = _load(api, path, "--json")
    assert code == 1
    assert api.requests == []
    listed = json.loads(out)
    assert listed["changed"] == 0
    assert {e["line"] for e in listed["errors"]} == {1}


def test_not_utf8_names_the_line(api: _Recorder, tmp_path: Path) -> None:
    path = _write(tmp_path, "unique_key,delivery_company\nK1,ヤマト運輸\nK2,佐川急便\n", encoding="shift_jis")
    code, _, err = _load(api, path)
    assert code == 1 and api.requests == []
    assert "line 2: not UTF-8" in err


def test_good_csv_with_bom_and_full_width_numbers_is_loaded(api: _Recorder, tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        BOM + "ship_date,unique_key,delivery_company,tracking_number\r\n"
        "2026-12-01,K1,ヤマト運輸,１２３４－５６７８－９０１２\r\n"
        ",K2, 佐川急便 ,3333 4444 5555\r\n"
        "\r\n"
        ",K3,,ａｂｃ１２３ー４５６\r\n",
    )
    code, out, err = _load(api, path)
    assert code == 0, err
    assert api.requests == [
        (
            "PATCH",
            "/shops/shop-a/orders/K1",
            {"tracking_number": "123456789012", "delivery_company": "ヤマト運輸", "ship_date": "2026-12-01"},
        ),
        (
            "PATCH",
            "/shops/shop-a/orders/K2",
            {"tracking_number": "333344445555", "delivery_company": "佐川急便"},
        ),
        ("PATCH", "/shops/shop-a/orders/K3", {"tracking_number": "abc123456"}),
    ]
    assert "3 of 3 order(s) updated" in out
    assert "[3/3] line 5 K3: ok" in err  # progress names the file's line (line 4 is blank)


def test_an_api_error_on_a_row_is_reported_with_its_line_and_the_load_goes_on(
    api: _Recorder, tmp_path: Path
) -> None:
    api.refuse.add("K2")
    path = _write(tmp_path, "unique_key,tracking_number\nK1,1111\nK2,2222\nK3,3333\n")
    code, out, _err = _load(api, path)
    assert code == 1
    assert [r[1] for r in api.requests] == [f"/shops/shop-a/orders/{k}" for k in ("K1", "K2", "K3")]
    assert "2 of 3 order(s) updated, 1 failed" in out
    assert "line 3 K2: not_found: order K2 not found" in out


def test_parse_reports_rows_with_too_many_cells() -> None:
    parsed = parse_shipments(b"unique_key,tracking_number\nK1,1,extra\nK2,2\n")
    assert [(e.line, e.message) for e in parsed.errors] == [(2, "3 cells but the header has 2 columns")]
    assert [r.unique_key for r in parsed.rows] == ["K2"]


def test_parse_names_the_line_a_quoted_multiline_record_starts_on() -> None:
    parsed = parse_shipments('unique_key,delivery_company\nK1,"ヤマト\n運輸"\nK2,\nK3,佐川急便\n'.encode())
    assert [e.line for e in parsed.errors] == [2, 4]
    assert "control characters" in parsed.errors[0].message
    assert parsed.errors[1].message.startswith("nothing to set")
    assert [(r.line, r.unique_key) for r in parsed.rows] == [(5, "K3")]


def test_an_optional_status_column_moves_orders_on_and_is_checked() -> None:
    parsed = parse_shipments(
        b"unique_key,tracking_number,status\nK1,1234,processed\nK2,5678,shipped\nK3,,hold\n"
    )
    assert [(e.line, e.message.split(":")[0]) for e in parsed.errors] == [(3, "status 'shipped'")]
    assert [(r.unique_key, r.changes) for r in parsed.rows] == [
        ("K1", {"tracking_number": "1234", "status": "processed"}),
        ("K3", {"status": "hold"}),
    ]
