"""``shipments load``: a CSV of tracking numbers, companies and ship dates — checked here line by line,
then checked whole against the orders by the API and written all or nothing.

**The file.** UTF-8 (with or without BOM) or Shift_JIS (CP932, what Excel in Japan saves): UTF-8
is tried first, then CP932; a file that is neither is refused naming the line. A header row is
required; its columns in any order:

- ``unique_key`` (required; 注文番号 / 受注番号 / 注文ID): BASE's order key,
  ``^[A-Za-z0-9_-]{1,200}$``;
- any of ``tracking_number`` (伝票番号 / 送り状番号 / お問い合わせ番号), ``delivery_company``
  (配送会社 / 運送会社), ``ship_date`` (出荷日 / 発送日; ``YYYY-MM-DD``, also ``YYYY/MM/DD`` as
  Excel shows dates and ``YYYYMMDD``; JST), ``status`` (ステータス; e.g. ``processed``).

``--columns 'お荷物番号=tracking_number,備考=ignore'`` maps a file's own header names (and
``ignore`` drops a column); ``--preset`` reads a carrier program's export (:data:`PRESETS`),
which implies the delivery company. An empty cell leaves that field as it is.

**The checks.** Here, before any request, every line: unknown columns, a missing or unusable
key, tracking numbers and dates the product would refuse, two lines for one order, lines that
set nothing — each named by its line. Then the API (``POST /shops/{shop_id}/shipments``) checks
every line against the stored orders (unknown orders, orders exported or dispatched already or
being sent, companies BASE does not list) and writes all of them or none; see
``base_sync.services.shipments`` for what is guaranteed. A file of more than one request
(:data:`ROWS_PER_REQUEST` rows or :data:`BYTES_PER_REQUEST` bytes each) is checked whole first
(every request as a dry run), then written request by request.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

from base_sync.domain.status import ManagementStatus
from base_sync.rules.companies import validate_delivery_company_input
from base_sync.rules.errors import RuleError
from base_sync.rules.ship_date import parse_ship_date
from base_sync.rules.tracking import normalize_tracking_number
from base_sync_cli.client import ApiError, api_path

COLUMNS: Final = ("unique_key", "tracking_number", "delivery_company", "ship_date", "status")
FIELDS: Final = COLUMNS[1:]
IGNORE: Final = "ignore"
# BASE's order keys are letters and digits; the API takes a key of 1 to 200 characters. Anything
# else (``/``, ``.``, ``%``, ``?``, spaces…) could only be a mistake or an attempt to reach another
# path, and is refused before any request.
UNIQUE_KEY_PATTERN: Final = re.compile(r"[A-Za-z0-9_-]{1,200}")
UNIQUE_KEY_RULE: Final = "^[A-Za-z0-9_-]{1,200}$"

ROWS_PER_REQUEST: Final = 1000
"""The API's limit of rows per request (``services.shipments.MAX_ROWS``)."""
BYTES_PER_REQUEST: Final = 480 * 1024
"""Below the route's 512 KB body limit."""

ALIASES: Final[dict[str, str]] = {
    "伝票番号": "tracking_number",
    "送り状番号": "tracking_number",
    "お問い合わせ番号": "tracking_number",
    "お問合せ番号": "tracking_number",
    "問い合わせ番号": "tracking_number",
    "追跡番号": "tracking_number",
    "注文番号": "unique_key",
    "受注番号": "unique_key",
    "注文ID": "unique_key",
    "配送会社": "delivery_company",
    "運送会社": "delivery_company",
    "配送業者": "delivery_company",
    "出荷日": "ship_date",
    "発送日": "ship_date",
    "ステータス": "status",
}
"""Japanese header names and what they mean (compared after NFKC and case folding: ``注文ＩＤ`` too)."""


@dataclass(frozen=True)
class Preset:
    """A carrier program's export file: which of its columns we read, and the company it implies."""

    name: str
    title: str
    columns: dict[str, str]
    company: str
    source: str


PRESETS: Final[dict[str, Preset]] = {
    "b2cloud": Preset(
        name="b2cloud",
        title="ヤマト運輸 B2クラウド（送り状発行データ / 発行済データの出力）",
        # Yamato's own layout 「B2 送り状発行データレイアウト（入出力用）」: No. 1 お客様管理番号 (half-width
        # alphanumerics, at most 20), No. 4 伝票番号 (12 digits; "データ出力用の項目"), No. 5
        # 出荷予定日 (YYYY/MM/DD), then お届け予定（指定）日, 配達時間帯, お届け先コード, お届け先電話番号, …
        # お届け先名 …; first row the item names (as the aiship manual's ヤマトB2形式 also shows).
        columns={"お客様管理番号": "unique_key", "伝票番号": "tracking_number", "出荷予定日": "ship_date"},
        company="クロネコヤマト",
        source="B2 送り状発行データレイアウト（入出力用）, copy at https://paperzz.com/doc/5980562 ; "
        "https://manual.aiship.jp/csvレイアウト（ヤマトb2形式）",
    ),
    "ehiden": Preset(
        name="ehiden",
        title="佐川急便 e飛伝Ⅱ / e飛伝Ⅲ（出荷データの出力）",
        # The order key column 「お客様管理ナンバー」 (e飛伝Ⅱ's 出荷データCSV layout, No. 9) or
        # 「お客様管理番号」; the tracking number 「お問い合せ送り状No.」 (also written お問合せ送り状 /
        # お問い合せ送り状 / 問い合せ№) — as documented for e飛伝's exported files by a shop system
        # that imports them (wasabi-inc.biz, 発送後CSV取り込み). No ship-date column is documented.
        columns={
            "お客様管理ナンバー": "unique_key",
            "お客様管理番号": "unique_key",
            "お問い合せ送り状No.": "tracking_number",
            "お問合せ送り状No.": "tracking_number",
            "お問合せ送り状": "tracking_number",
            "お問い合せ送り状": "tracking_number",
            "問い合せ№": "tracking_number",
        },
        company="佐川急便",
        source="【e飛伝Ⅱ 便種対応版】出荷データCSV入力項目レイアウト, https://paperzz.com/doc/6185757 ; "
        "https://wasabi-inc.biz/help/manual/sending-csv",
    ),
}
"""Only layouts documented publicly (see README, "Loading shipments"). ゆうプリR and クリックポスト are
not here: no public description of the column holding the tracking number in their exports was
found; read them with ``--columns``."""


def header_key(name: str) -> str:
    """How header names are compared: NFKC (full-width to half-width), trimmed, case-folded."""
    return unicodedata.normalize("NFKC", name).strip().casefold()


@dataclass(frozen=True)
class RowError:
    line: int
    message: str
    message_ja: str = ""

    def text(self, lang: str = "en") -> str:
        return f"line {self.line}: {self.message_ja if lang == 'ja' and self.message_ja else self.message}"

    def __str__(self) -> str:
        return self.text()


@dataclass(frozen=True)
class ShipmentRow:
    line: int
    unique_key: str
    changes: dict[str, str]

    def body(self) -> dict[str, Any]:
        return {"line": self.line, "unique_key": self.unique_key, **self.changes}


@dataclass
class Parsed:
    rows: list[ShipmentRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    encoding: str = "utf-8"


def parse_columns(text: str) -> dict[str, str]:
    """``--columns 'A=tracking_number,B=ignore'`` → ``{header_key(A): "tracking_number", …}``; ValueError."""
    mapping: dict[str, str] = {}
    for part in (p for p in text.split(",") if p.strip()):
        name, sep, target = part.partition("=")
        target = target.strip()
        if not sep or not name.strip() or target not in (*COLUMNS, IGNORE):
            raise ValueError(
                f"--columns {part.strip()!r}: give HEADER=COLUMN, COLUMN one of {', '.join((*COLUMNS, IGNORE))}"
            )
        mapping[header_key(name)] = target
    return mapping


def decode(data: bytes) -> tuple[str, str] | RowError:
    """The text and its encoding: UTF-8 (a BOM dropped) first, then CP932; else the line it fails on."""
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp932")
    except UnicodeDecodeError as exc:
        return _not_text(data[: exc.start].count(b"\n") + 1, f"byte 0x{data[exc.start]:02x}")
    # Python's cp932 maps the bytes no Shift_JIS text has (0x80, 0xA0, 0xFD-0xFF) to C1 controls and
    # private-use characters: a file with them is neither encoding, not a file to guess at.
    stray = _NOT_SHIFT_JIS.search(text)
    if stray is not None:
        return _not_text(text[: stray.start()].count("\n") + 1, f"U+{ord(stray.group()):04X}")
    return text, "cp932"


_NOT_SHIFT_JIS: Final = re.compile("[\x80-\x9f\ue000-\uf8ff]")


def _not_text(line: int, what: str) -> RowError:
    return RowError(
        line,
        f"neither UTF-8 nor Shift_JIS (CP932) ({what}); save the file as UTF-8 or Shift_JIS",
        f"UTF-8 でも Shift_JIS（CP932）でもありません（{what}）。UTF-8 か Shift_JIS で保存してください",
    )


_SLASHED: Final = re.compile(r"([0-9]{4})/([0-9]{1,2})/([0-9]{1,2})")
_COMPACT: Final = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})")


def iso_date(text: str) -> str:
    """``2026/12/3`` (Excel) and ``20261203`` as ``2026-12-03``; anything else as it is (checked later)."""
    value = unicodedata.normalize("NFKC", text).strip()
    match = _SLASHED.fullmatch(value) or _COMPACT.fullmatch(value)
    if match is None:
        return value
    year, month, day = match.groups()
    return f"{year}-{int(month):02d}-{int(day):02d}"


@dataclass(frozen=True)
class Layout:
    """How a file's header maps to our columns: aliases, then a preset, then ``--columns``."""

    preset: Preset | None = None
    columns: dict[str, str] = field(default_factory=dict)
    status: str | None = None  # --set-status: for every row without a status cell

    def target(self, name: str) -> str | None:
        key = header_key(name)
        if key in self.columns:
            return self.columns[key]
        if self.preset is not None:
            for header, target in self.preset.columns.items():
                if header_key(header) == key:
                    return target
        if key in COLUMNS:
            return key
        for alias, target in ALIASES.items():
            if header_key(alias) == key:
                return target
        return IGNORE if self.preset is not None else None  # a carrier file's other columns


def parse_shipments(data: bytes, layout: Layout | None = None) -> Parsed:
    """Every row checked; ``errors`` names every bad row (empty when all rows are good)."""
    layout = layout or Layout()
    parsed = Parsed()
    decoded = decode(data)
    if isinstance(decoded, RowError):
        parsed.errors.append(decoded)
        return parsed
    text, parsed.encoding = decoded
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        parsed.errors.append(
            RowError(
                1,
                f"empty file; the header must name the columns: {','.join(COLUMNS)}",
                f"空のファイルです。1 行目に列名を書いてください: {','.join(COLUMNS)}",
            )
        )
        return parsed
    except csv.Error as exc:
        parsed.errors.append(RowError(1, f"not CSV: {exc}", f"CSV ではありません: {exc}"))
        return parsed
    names, problems = _map_header(header, layout)
    parsed.errors.extend(problems)
    if parsed.errors:
        return parsed
    _read_rows(reader, names, layout, parsed)
    return parsed


def _map_header(header: list[str], layout: Layout) -> tuple[list[str], list[RowError]]:
    """Our column for each of the file's (``ignore`` for columns we drop) and the header's problems."""
    names: list[str] = []
    unknown: list[str] = []
    for raw in header:
        target = layout.target(raw)
        if target is None:
            unknown.append(raw.strip())
            target = IGNORE
        names.append(target)
    errors: list[RowError] = []
    if unknown:
        listed = ", ".join(map(repr, unknown))
        errors.append(
            RowError(
                1,
                f"unknown column(s) {listed}; the columns are {', '.join(COLUMNS)} "
                "(or their Japanese names; map others with --columns)",
                f"知らない列です: {listed}。列は {', '.join(COLUMNS)}（または日本語の列名）です。"
                "ほかの列名は --columns で対応づけてください",
            )
        )
    known = [n for n in names if n != IGNORE]
    duplicated = sorted({n for n in known if known.count(n) > 1})
    if duplicated:
        errors.append(
            RowError(
                1,
                f"column(s) given twice: {', '.join(duplicated)}",
                f"同じ意味の列が 2 つあります: {', '.join(duplicated)}",
            )
        )
    if "unique_key" not in known:
        errors.append(
            RowError(1, "the header has no unique_key column", "注文番号（unique_key）の列がありません")
        )
    has_field = any(n in FIELDS for n in known) or layout.status or (layout.preset and "delivery_company")
    if not has_field:
        errors.append(
            RowError(
                1,
                f"the header names none of {', '.join(FIELDS)}",
                f"{', '.join(FIELDS)} のどの列もありません",
            )
        )
    return names, errors


def _read_rows(reader: Any, names: list[str], layout: Layout, parsed: Parsed) -> None:
    """Check every data row; good ones go to ``parsed.rows``, problems to ``parsed.errors``."""
    first_line: dict[str, int] = {}
    line = reader.line_num
    while True:
        start = line + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            parsed.errors.append(RowError(start, f"not CSV: {exc}", f"CSV として読めません: {exc}"))
            break
        line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue  # blank line
        if len(cells) > len(names):
            parsed.errors.append(
                RowError(
                    start,
                    f"{len(cells)} cells but the header has {len(names)} columns",
                    f"セルが {len(cells)} 個ありますが、列は {len(names)} 個です",
                )
            )
            continue
        values = _values(names, cells, layout)
        row_errors = _check_row(values)
        key = values.get("unique_key", "")
        if key:
            if key in first_line:
                row_errors.append(
                    (
                        f"unique_key {key} is also on line {first_line[key]}",
                        f"注文番号 {key} は {first_line[key]} 行目にもあります",
                    )
                )
            else:
                first_line[key] = start
        parsed.errors.extend(RowError(start, en, ja) for en, ja in row_errors)
        if not row_errors:
            parsed.rows.append(ShipmentRow(start, key, _changes(values)))
    if not parsed.rows and not parsed.errors:
        parsed.errors.append(RowError(line + 1, "no rows after the header", "見出しの後に行がありません"))


def _values(names: list[str], cells: list[str], layout: Layout) -> dict[str, str]:
    """Our columns' cells of one row (trimmed), the preset's company and --set-status filled in."""
    values: dict[str, str] = {}
    for name, cell in zip(names, [*cells, *[""] * (len(names) - len(cells))], strict=True):
        if name != IGNORE:
            values[name] = cell.strip()
    if layout.preset is not None and not values.get("delivery_company"):
        values["delivery_company"] = layout.preset.company
    if layout.status and not values.get("status"):
        values["status"] = layout.status
    if values.get("ship_date"):
        values["ship_date"] = iso_date(values["ship_date"])
    return values


def _check_row(values: dict[str, str]) -> list[tuple[str, str]]:
    """Each problem of the row as (English, Japanese)."""
    errors: list[tuple[str, str]] = []
    key = values.get("unique_key", "")
    if not key:
        errors.append(("unique_key is missing", "注文番号（unique_key）がありません"))
    elif not UNIQUE_KEY_PATTERN.fullmatch(key):
        errors.append(
            (
                f"unique_key {key[:60]!r} is not usable: it must match {UNIQUE_KEY_RULE}",
                f"unique_key {key[:60]!r} は使えません（英数字・_・- の 1〜200 文字: {UNIQUE_KEY_RULE}）",
            )
        )
    if not any(values.get(name) for name in FIELDS):
        errors.append((f"nothing to set: give at least one of {', '.join(FIELDS)}", "設定する値がありません"))
    tracking = values.get("tracking_number", "")
    if tracking:
        try:
            normalize_tracking_number(tracking)
        except RuleError as exc:
            errors.append(
                (f"tracking_number {tracking!r}: {exc}", f"伝票番号 {tracking!r} を使えません: {exc}")
            )
    company = values.get("delivery_company", "")
    if company:
        try:
            validate_delivery_company_input(company)
        except RuleError as exc:
            errors.append(
                (f"delivery_company {company!r}: {exc}", f"配送会社 {company!r} を使えません: {exc}")
            )
    ship_date = values.get("ship_date", "")
    if ship_date:
        try:
            parse_ship_date(ship_date)
        except RuleError as exc:
            errors.append((f"ship_date: {exc}", f"出荷日を使えません（YYYY-MM-DD か YYYY/MM/DD）: {exc}"))
    status = values.get("status", "")
    allowed = ", ".join(s.value for s in ManagementStatus)
    if status and status not in {s.value for s in ManagementStatus}:
        errors.append(
            (
                f"status {status!r}: must be one of {allowed}",
                f"ステータス {status!r} は使えません（{allowed}）",
            )
        )
    return errors


def _changes(values: dict[str, str]) -> dict[str, str]:
    changes: dict[str, str] = {}
    tracking = values.get("tracking_number", "")
    if tracking:
        changes["tracking_number"] = normalize_tracking_number(tracking)
    for name in ("delivery_company", "ship_date", "status"):
        value = values.get(name, "")
        if value:
            changes[name] = value
    return changes


# -- sending


class Requester(Protocol):
    def request(
        self, method: str, path: str, *, params: dict[str, Any] | None = None, body: Any = None
    ) -> Any: ...


def batches(rows: list[ShipmentRow]) -> list[list[ShipmentRow]]:
    """Rows in requests of at most :data:`ROWS_PER_REQUEST` rows and :data:`BYTES_PER_REQUEST` bytes."""
    found: list[list[ShipmentRow]] = [[]]
    size = 0
    for row in rows:
        row_bytes = len(json.dumps(row.body(), ensure_ascii=False).encode()) + 2
        if found[-1] and (len(found[-1]) >= ROWS_PER_REQUEST or size + row_bytes > BYTES_PER_REQUEST):
            found.append([])
            size = 0
        found[-1].append(row)
        size += row_bytes
    return [b for b in found if b]


@dataclass
class LoadOutcome:
    """What the API answered for the file: the plan (lines), or the refused lines, or both for a
    partly applied file. ``written`` says whether anything was written."""

    dry_run: bool
    auto_export: bool = False
    lines: list[dict[str, Any]] = field(default_factory=list)
    refused: list[dict[str, Any]] = field(default_factory=list)
    not_applied: list[dict[str, Any]] = field(default_factory=list)
    error: ApiError | None = None

    @property
    def ok(self) -> bool:
        return not self.refused and self.error is None and not self.not_applied

    def as_json(self) -> dict[str, Any]:
        changed = [line for line in self.lines if line.get("changed")]
        return {
            "dry_run": self.dry_run,
            "applied": self.ok and not self.dry_run,
            "auto_export": self.auto_export,
            "counts": {
                "lines": len(self.lines),
                "changed": len(changed),
                "to_send": sum(1 for line in changed if line.get("send") == "within_a_minute"),
            },
            "lines": self.lines,
            "refused": self.refused,
            "not_applied": self.not_applied,
            **({"error": self.error.code, "message": self.error.message} if self.error else {}),
        }


def _post(client: Requester, shop_id: str, rows: list[ShipmentRow], dry_run: bool) -> dict[str, Any]:
    body = {"rows": [row.body() for row in rows], "dry_run": dry_run}
    return dict(client.request("POST", api_path("shops", shop_id, "shipments"), body=body))


def _refusal(exc: ApiError) -> list[dict[str, Any]] | None:
    lines = exc.body.get("lines") if isinstance(exc.body, dict) else None
    return list(lines) if isinstance(lines, list) else None


def load(
    client: Requester,
    shop_id: str,
    rows: list[ShipmentRow],
    *,
    dry_run: bool,
    progress: Callable[[str], None] | None = None,
) -> LoadOutcome:
    """Send the file: in one request when it fits; else every request as a dry run first (every
    refused line of the whole file is collected), and only if all pass, each for real. Refused
    lines and API errors are in the outcome, never raised."""
    parts = batches(rows)
    outcome = LoadOutcome(dry_run=dry_run)
    if len(parts) == 1 and not dry_run:
        _send(client, shop_id, parts[0], False, outcome)
        return outcome
    for index, part in enumerate(parts, start=1):
        if progress and len(parts) > 1:
            progress(f"checking lines {part[0].line}-{part[-1].line} ({index}/{len(parts)})")
        if not _send(client, shop_id, part, True, outcome) and outcome.error is not None:
            return outcome
    if dry_run or not outcome.ok:
        return outcome
    outcome.lines = []
    for index, part in enumerate(parts, start=1):
        if progress:
            progress(f"writing lines {part[0].line}-{part[-1].line} ({index}/{len(parts)})")
        if not _send(client, shop_id, part, False, outcome):
            listed = {n["line"] for n in outcome.not_applied} | {line["line"] for line in outcome.lines}
            outcome.not_applied.extend(
                {"line": row.line, "unique_key": row.unique_key}
                for later in parts[index - 1 :]
                for row in later
                if row.line not in listed
            )
            return outcome
    return outcome


def _send(
    client: Requester, shop_id: str, rows: list[ShipmentRow], dry_run: bool, outcome: LoadOutcome
) -> bool:
    """One request; its answer added to ``outcome``. False when the API refused it (or failed)."""
    try:
        answer = _post(client, shop_id, rows, dry_run)
    except ApiError as exc:
        refused = _refusal(exc)
        if refused is None:
            outcome.error = exc
            return False
        outcome.refused.extend(refused)
        if isinstance(exc.body, dict) and exc.body.get("applied") is not None:  # partly applied
            outcome.lines.extend(exc.body.get("applied") or [])
            outcome.not_applied.extend(exc.body.get("not_applied") or [])
        return False
    outcome.auto_export = bool(answer.get("auto_export"))
    outcome.lines.extend(answer.get("lines") or [])
    return True


def describe_change(name: str, change: dict[str, Any]) -> str:
    before = change.get("before")
    return f"{name}: {'-' if before in (None, '') else before} → {change.get('after')}"


SEND_TEXT: Final[dict[str, tuple[str, str]]] = {
    "within_a_minute": ("to BASE within a minute", "1 分以内に BASE へ送信"),
    "later": ("to BASE when its ship date / payment comes", "出荷日・入金後に BASE へ送信"),
    "on_export": ("only by `export` (auto_export off)", "export を実行したときだけ送信（auto_export オフ）"),
    "no": ("not sent", "送信しない"),
}


def plan_rows(lines: Iterable[dict[str, Any]], lang: str) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for line in lines:
        changed = line.get("changed") or {}
        english, japanese = SEND_TEXT.get(
            str(line.get("send")), (str(line.get("send")), str(line.get("send")))
        )
        rows.append(
            [
                line.get("line"),
                line.get("unique_key"),
                "; ".join(describe_change(k, v) for k, v in changed.items())
                or ("変更なし" if lang == "ja" else "no change"),
                line.get("export_state"),
                japanese if lang == "ja" else english,
            ]
        )
    return rows


def problem_text(problem: dict[str, Any], lang: str) -> str:
    message = problem.get("message_ja") if lang == "ja" else problem.get("message")
    detail = f" ({problem['detail']})" if problem.get("detail") else ""
    column = f" [{problem['field']}]" if problem.get("field") else ""
    return (
        f"line {problem.get('line')} {problem.get('unique_key')}: {problem.get('code')}{column}: "
        f"{message or problem.get('message') or ''}{detail}"
    )
