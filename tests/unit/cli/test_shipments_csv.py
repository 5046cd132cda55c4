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
        self.refuse_on_write: set[str] = set()  # refused only when written: an order changed meanwhile


class _Handler(BaseHTTPRequestHandler):
    """The shipments route as far as the CLI sees it: a 422 naming each row of a refused key, else the plan."""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        server: _Recorder = self.server  # type: ignore[assignment]
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"null")
        server.requests.append(("POST", self.path, body))
        rows = body["rows"]
        refused = [r for r in rows if r["unique_key"] in server.refuse]
        if not body["dry_run"]:
            refused += [r for r in rows if r["unique_key"] in server.refuse_on_write]
        answer: dict[str, Any]
        if refused:
            status, answer = (
                422,
                {
                    "error": "shipments_refused",
                    "message": f"{len(refused)} line(s) refused; nothing was changed.",
                    "fields": {f"line {r['line']}": "order_not_found" for r in refused},
                    "lines": [
                        {
                            "line": r["line"],
                            "unique_key": r["unique_key"],
                            "code": "order_not_found",
                            "field": None,
                            "detail": None,
                            "message": "There is no such order. Check the order key.",
                            "message_ja": "この受注はありません。受注番号を確かめてください。",
                        }
                        for r in refused
                    ],
                },
            )
        else:
            lines = [
                {
                    "line": r["line"],
                    "unique_key": r["unique_key"],
                    "changed": {
                        k: {"before": None, "after": v}
                        for k, v in r.items()
                        if k not in ("line", "unique_key")
                    },
                    "export_state": "pending" if "tracking_number" in r else "not_ready",
                    "send": "within_a_minute" if "tracking_number" in r else "no",
                }
                for r in rows
            ]
            status = 200
            answer = {
                "dry_run": body["dry_run"],
                "applied": not body["dry_run"],
                "auto_export": True,
                "lines": lines,
            }
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_PUT = do_PATCH = do_POST  # noqa: N815


@pytest.fixture
def api() -> Iterator[_Recorder]:
    server = _Recorder()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _load(api: _Recorder, path: Path, *extra: str, options: tuple[str, ...] = ()) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    url = f"http://127.0.0.1:{api.server_address[1]}"
    code = main(
        ["--api-url", url, *extra, "--lang", "en", "shipments", "load", "shop-a", str(path), *options],
        out=out,
        err=err,
    )
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
        "BAD00005,5555,ゆうパック,01/12/2026\n"  # line 5: not YYYY-MM-DD (nor YYYY/MM/DD)
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


def test_a_file_neither_utf8_nor_shift_jis_names_the_line(api: _Recorder, tmp_path: Path) -> None:
    path = tmp_path / "shipments.csv"
    path.write_bytes("unique_key,delivery_company\nK1,ヤマト運輸\n".encode() + b"K2,\x80\xff\n")
    code, _, err = _load(api, path)
    assert code == 1 and api.requests == []
    assert "line 3: neither UTF-8 nor Shift_JIS (CP932)" in err


def test_good_csv_with_bom_and_full_width_numbers_is_sent_whole_in_one_request(
    api: _Recorder, tmp_path: Path
) -> None:
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
            "POST",
            "/shops/shop-a/shipments",
            {
                "rows": [
                    {
                        "line": 2,
                        "unique_key": "K1",
                        "tracking_number": "123456789012",
                        "delivery_company": "ヤマト運輸",
                        "ship_date": "2026-12-01",
                    },
                    {
                        "line": 3,
                        "unique_key": "K2",
                        "tracking_number": "333344445555",
                        "delivery_company": "佐川急便",
                    },
                    {"line": 5, "unique_key": "K3", "tracking_number": "abc123456"},  # line 4 is blank
                ],
                "dry_run": False,
            },
        )
    ]
    assert "3 of 3 order(s) updated" in out
    assert "3 will be sent to BASE within a minute" in out and "cannot take it back" in out


def test_lines_the_api_refuses_are_all_named_and_nothing_changed(api: _Recorder, tmp_path: Path) -> None:
    api.refuse.update({"K2", "K3"})
    path = _write(tmp_path, "unique_key,tracking_number\nK1,1111\nK2,2222\nK3,3333\n")
    code, out, _err = _load(api, path)
    assert code == 1
    assert len(api.requests) == 1  # the whole file, once
    assert "2 line(s) refused" in out
    assert "line 3 K2: order_not_found: There is no such order." in out
    assert "line 4 K3: order_not_found" in out
    assert "nothing was changed" in out
    code, out, _err = _load(api, path, options=("--lang", "ja"))
    assert "line 3 K2: order_not_found: この受注はありません。" in out


def test_dry_run_shows_the_plan_and_asks_for_nothing_to_be_written(api: _Recorder, tmp_path: Path) -> None:
    path = _write(tmp_path, "unique_key,tracking_number,status\nK1,1111,processed\nK2,,hold\n")
    code, out, err = _load(api, path, options=("--dry-run",))
    assert code == 0, err
    (request,) = api.requests
    assert request[2]["dry_run"] is True
    assert (
        "dry run, nothing was written: 2 order(s) would change; 1 would be sent to BASE within a minute"
        in out
    )
    assert "tracking_number: - → 1111" in out and "to BASE within a minute" in out
    code, out, _ = _load(api, path, "--json", options=("--dry-run",))
    answer = json.loads(out)
    assert (answer["dry_run"], answer["applied"], answer["counts"]["to_send"]) == (True, False, 1)


def test_a_file_larger_than_one_request_is_checked_whole_before_any_write(
    api: _Recorder, tmp_path: Path
) -> None:
    rows = "".join(f"K{i},{i:012d}\n" for i in range(1500))
    path = _write(tmp_path, "unique_key,tracking_number\n" + rows)
    code, out, err = _load(api, path)
    assert code == 0, err
    sent = [(len(b["rows"]), b["dry_run"]) for _, _, b in api.requests]
    assert sent == [(1000, True), (500, True), (1000, False), (500, False)]
    assert "1500 of 1500 order(s) updated" in out

    api.requests.clear()
    api.refuse.add("K1200")  # a bad line in the second request: the first is never written
    code, out, _ = _load(api, path)
    assert code == 1
    assert [b["dry_run"] for _, _, b in api.requests] == [True, True]
    assert "line 1202 K1200: order_not_found" in out


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


# -- the files operators have: Shift_JIS from Excel, Japanese headers, carrier programs' exports


def _sent_rows(api: _Recorder) -> list[dict[str, Any]]:
    (request,) = api.requests
    return list(request[2]["rows"])


def test_a_shift_jis_file_with_japanese_headers_and_excel_dates_loads(api: _Recorder, tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "注文番号,伝票番号,配送会社,出荷日,ステータス\r\nK1,1234-5678-9012,ヤマト運輸,2026/12/3,processed\r\n"
        "K2,９９９９－８８８８,佐川急便,20261204,\r\n",
        encoding="cp932",
    )
    code, _out, err = _load(api, path)
    assert code == 0, err
    assert "(cp932)" in err
    assert _sent_rows(api) == [
        {
            "line": 2,
            "unique_key": "K1",
            "tracking_number": "123456789012",
            "delivery_company": "ヤマト運輸",
            "ship_date": "2026-12-03",
            "status": "processed",
        },
        {
            "line": 3,
            "unique_key": "K2",
            "tracking_number": "99998888",
            "delivery_company": "佐川急便",
            "ship_date": "2026-12-04",
        },
    ]


@pytest.mark.parametrize(
    ("header", "column"),
    [
        ("送り状番号", "tracking_number"),
        ("お問い合わせ番号", "tracking_number"),
        ("受注番号", "unique_key"),
        ("注文ＩＤ", "unique_key"),  # full-width, as Excel users type it
        ("運送会社", "delivery_company"),
        ("発送日", "ship_date"),
    ],
)
def test_japanese_header_aliases(header: str, column: str) -> None:
    value = {
        "tracking_number": "1111",
        "unique_key": "K1",
        "delivery_company": "佐川急便",
        "ship_date": "2026-12-01",
    }
    partner, partner_value = ("伝票番号", "2222") if column == "unique_key" else ("注文番号", "K9")
    parsed = parse_shipments(f"{header},{partner}\n{value[column]},{partner_value}\n".encode("cp932"))
    assert parsed.errors == []
    (row,) = parsed.rows
    assert (row.unique_key if column == "unique_key" else row.changes[column]) == value[column]


def test_columns_map_a_files_own_headers_and_unknown_ones_are_refused(api: _Recorder, tmp_path: Path) -> None:
    text = "受付No,お荷物番号,備考\nK1,1111-2222,割れ物\n"
    path = _write(tmp_path, text, encoding="cp932")
    code, _, err = _load(api, path)
    assert code == 1 and api.requests == []
    assert "line 1: unknown column(s) '受付No', 'お荷物番号', '備考'" in err and "--columns" in err
    code, _, err = _load(
        api, path, options=("--columns", "受付No=unique_key,お荷物番号=tracking_number,備考=ignore")
    )
    assert code == 0, err
    assert _sent_rows(api) == [{"line": 2, "unique_key": "K1", "tracking_number": "11112222"}]
    code, _, err = _load(api, path, options=("--columns", "受付No=order"))
    assert code == 2 and "HEADER=COLUMN" in err


def test_local_errors_in_japanese(api: _Recorder, tmp_path: Path) -> None:
    path = _write(tmp_path, "注文番号,伝票番号\nK1,12#34\n", encoding="cp932")
    code, _, err = _load(api, path, options=("--lang", "ja"))
    assert code == 1
    assert "1 行に誤りがあります。何も変更していません" in err
    assert "line 2: 伝票番号 '12#34' を使えません" in err


# B2クラウド: Yamato's 「B2 送り状発行データレイアウト（入出力用）」 (README, "Loading shipments"):
# a header row of item names; お客様管理番号 (No. 1, where the shop put BASE's order key), 伝票番号
# (No. 4, filled in the exported data), 出荷予定日 (No. 5, YYYY/MM/DD); the other columns ignored.
B2_HEADER = (
    "お客様管理番号,送り状種別,クール区分,伝票番号,出荷予定日,お届け予定（指定）日,配達時間帯,"
    "お届け先コード,お届け先電話番号,お届け先電話番号枝番,お届け先郵便番号,お届け先住所,"
    "お届け先アパートマンション名,お届け先会社・部門１,お届け先会社・部門２,お届け先名,お届け先名(ｶﾅ),敬称,"
    "ご依頼主コード,ご依頼主電話番号,ご依頼主電話番号枝番,ご依頼主郵便番号,ご依頼主住所,"
    "ご依頼主アパートマンション,ご依頼主名,ご依頼主名(ｶﾅ),品名コード１,品名１"
)


def test_b2cloud_preset_reads_the_yamato_export(api: _Recorder, tmp_path: Path) -> None:
    rows = [
        "K1,0,0,123456789012,2026/12/03,2026/12/05,0812,,03-1234-5678,,100-0001,東京都千代田区千代田1-1,"
        ",,,山田 太郎,ﾔﾏﾀﾞ ﾀﾛｳ,様,,06-0000-0000,,530-0001,大阪府大阪市北区1-1,,テスト商店,ﾃｽﾄｼｮｳﾃﾝ,,蜜蝋キャンドル",
        "K2,7,,234567890123,2026/12/04,,,,090-1111-2222,,060-0001,北海道札幌市中央区1,,,,佐藤 花子,ｻﾄｳ ﾊﾅｺ,様,"
        ",06-0000-0000,,530-0001,大阪府大阪市北区1-1,,テスト商店,ﾃｽﾄｼｮｳﾃﾝ,,石鹸",
    ]
    path = _write(tmp_path, B2_HEADER + "\r\n" + "\r\n".join(rows) + "\r\n", encoding="cp932")
    code, _, err = _load(api, path, options=("--preset", "b2cloud", "--set-status", "processed"))
    assert code == 0, err
    assert _sent_rows(api) == [
        {
            "line": 2,
            "unique_key": "K1",
            "tracking_number": "123456789012",
            "delivery_company": "クロネコヤマト",
            "ship_date": "2026-12-03",
            "status": "processed",
        },
        {
            "line": 3,
            "unique_key": "K2",
            "tracking_number": "234567890123",
            "delivery_company": "クロネコヤマト",
            "ship_date": "2026-12-04",
            "status": "processed",
        },
    ]
    api.requests.clear()
    code, _, err = _load(api, path)  # without the preset its columns are unknown
    assert code == 1 and "unknown column(s) 'お客様管理番号'" in err


# e飛伝Ⅱ/Ⅲ: the order key in お客様管理ナンバー (e飛伝Ⅱ's 出荷データ layout, No. 9), the tracking number
# in お問い合せ送り状No. (README, "Loading shipments"); the other columns ignored; no ship date.
EHIDEN_HEADER = (
    "住所録コード,お届け先電話番号,お届け先郵便番号,お届け先住所１,お届け先住所２,お届け先住所３,"
    "お届け先名称１,お届け先名称２,お客様管理ナンバー,お客様コード,部署・担当者,荷送人電話番号,"
    "ご依頼主電話番号,ご依頼主郵便番号,ご依頼主住所１,ご依頼主住所２,ご依頼主名称１,ご依頼主名称２,"
    "荷姿コード,品名１,品名２,出荷個数,便種（スピードで選択）,配達日,配達指定時間帯,お問い合せ送り状No."
)


def test_ehiden_preset_reads_the_sagawa_export(api: _Recorder, tmp_path: Path) -> None:
    row = (
        ",03-1234-5678,100-0001,東京都千代田区,千代田1-1,,山田 太郎,,K1,,,,06-0000-0000,530-0001,"
        "大阪府大阪市北区,1-1,テスト商店,,001,蜜蝋キャンドル,,1,000,,,3601-2345-6789"
    )
    path = _write(tmp_path, EHIDEN_HEADER + "\r\n" + row + "\r\n", encoding="cp932")
    code, _, err = _load(api, path, options=("--preset", "ehiden"))
    assert code == 0, err
    assert _sent_rows(api) == [
        {"line": 2, "unique_key": "K1", "tracking_number": "360123456789", "delivery_company": "佐川急便"}
    ]
    api.requests.clear()
    # --columns overrides the preset (a shop that keeps BASE's key in お客様コード)
    code, _, err = _load(
        api,
        path,
        options=("--preset", "ehiden", "--columns", "お客様管理ナンバー=ignore,お客様コード=unique_key"),
    )
    assert code == 1 and "unique_key is missing" in err


def test_a_later_request_that_loses_a_race_names_what_was_applied(api: _Recorder, tmp_path: Path) -> None:
    rows = "".join(f"K{i},{i:012d}\n" for i in range(1500))
    path = _write(tmp_path, "unique_key,tracking_number\n" + rows)
    api.refuse_on_write.add("K1100")  # every dry run passes; the second write is refused
    code, out, _ = _load(api, path, "--json")
    assert code == 1
    assert [b["dry_run"] for _, _, b in api.requests] == [True, True, False, False]
    answer = json.loads(out)
    assert answer["applied"] is False
    assert [line["unique_key"] for line in answer["lines"]] == [f"K{i}" for i in range(1000)]
    assert [n["unique_key"] for n in answer["not_applied"]] == [f"K{i}" for i in range(1000, 1500)]
    assert [p["line"] for p in answer["refused"]] == [1102]
    code, out, _ = _load(api, path)
    assert "1000 line(s) applied, 500 not (orders changed meanwhile)" in out
