"""``shipments load``: a CSV of tracking numbers, companies and ship dates, checked whole before any change.

Columns (header required, any order): ``unique_key`` (required) and any of ``tracking_number``,
``delivery_company``, ``ship_date`` (``YYYY-MM-DD``, JST), and optionally ``status`` (e.g.
``processed``: imported orders start ``new``, which never exports, so a shipping list usually
moves them on too). UTF-8 with or without BOM. An empty cell
leaves that field as it is. Every row is checked first — unknown columns, a missing
``unique_key`` or one outside ``^[A-Za-z0-9_-]{1,200}$``, tracking numbers and dates the product
would refuse, duplicate keys, rows that set nothing — and if any row is bad, every bad row is
reported with its line number and nothing is changed. Only then is each order PATCHed.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

from base_sync.domain.status import ManagementStatus
from base_sync.rules.companies import validate_delivery_company_input
from base_sync.rules.errors import RuleError
from base_sync.rules.ship_date import parse_ship_date
from base_sync.rules.tracking import normalize_tracking_number
from base_sync_cli.client import ApiError

COLUMNS: Final = ("unique_key", "tracking_number", "delivery_company", "ship_date", "status")
FIELDS: Final = COLUMNS[1:]
# BASE's order keys are letters and digits; the API takes a key of 1 to 200 characters. Anything
# else (``/``, ``.``, ``%``, ``?``, spaces…) could only be a mistake or an attempt to reach another
# path, and is refused before any request.
UNIQUE_KEY_PATTERN: Final = re.compile(r"[A-Za-z0-9_-]{1,200}")
UNIQUE_KEY_RULE: Final = "^[A-Za-z0-9_-]{1,200}$"


@dataclass(frozen=True)
class RowError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass(frozen=True)
class ShipmentRow:
    line: int
    unique_key: str
    changes: dict[str, str]


@dataclass
class Parsed:
    rows: list[ShipmentRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def _decode(data: bytes) -> tuple[str | None, RowError | None]:
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, RowError(line, f"not UTF-8 (byte 0x{data[exc.start]:02x}); save the file as UTF-8")


def parse_shipments(data: bytes) -> Parsed:
    """Every row checked; ``errors`` names every bad row (empty when all rows are good)."""
    parsed = Parsed()
    text, problem = _decode(data)
    if text is None:
        assert problem is not None
        parsed.errors.append(problem)
        return parsed
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        parsed.errors.append(
            RowError(1, f"empty file; the header must name the columns: {','.join(COLUMNS)}")
        )
        return parsed
    except csv.Error as exc:
        parsed.errors.append(RowError(1, f"not CSV: {exc}"))
        return parsed
    names = [name.strip() for name in header]
    parsed.errors.extend(_check_header(names))
    if parsed.errors:
        return parsed
    _read_rows(reader, names, parsed)
    return parsed


def _check_header(names: list[str]) -> list[RowError]:
    errors: list[RowError] = []
    unknown = [n for n in names if n not in COLUMNS]
    if unknown:
        errors.append(
            RowError(
                1, f"unknown column(s) {', '.join(map(repr, unknown))}; the columns are {', '.join(COLUMNS)}"
            )
        )
    known = [n for n in names if n in COLUMNS]
    duplicated = sorted({n for n in known if known.count(n) > 1})
    if duplicated:
        errors.append(RowError(1, f"column(s) given twice: {', '.join(duplicated)}"))
    if "unique_key" not in names:
        errors.append(RowError(1, "the header has no unique_key column"))
    if not any(n in FIELDS for n in names):
        errors.append(RowError(1, f"the header names none of {', '.join(FIELDS)}"))
    return errors


def _read_rows(reader: Any, names: list[str], parsed: Parsed) -> None:
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
            parsed.errors.append(RowError(start, f"not CSV: {exc}"))
            break
        line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue  # blank line
        if len(cells) > len(names):
            parsed.errors.append(
                RowError(start, f"{len(cells)} cells but the header has {len(names)} columns")
            )
            continue
        values = dict(zip(names, [*cells, *[""] * (len(names) - len(cells))], strict=True))
        row_errors = _check_row(values)
        key = values.get("unique_key", "").strip()
        if key:
            if key in first_line:
                row_errors.append(f"unique_key {key} is also on line {first_line[key]}")
            else:
                first_line[key] = start
        parsed.errors.extend(RowError(start, message) for message in row_errors)
        if not row_errors:
            parsed.rows.append(ShipmentRow(start, key, _changes(values)))
    if not parsed.rows and not parsed.errors:
        parsed.errors.append(RowError(line + 1, "no rows after the header"))


def _check_row(values: dict[str, str]) -> list[str]:
    errors: list[str] = []
    key = values.get("unique_key", "").strip()
    if not key:
        errors.append("unique_key is missing")
    elif not UNIQUE_KEY_PATTERN.fullmatch(key):
        errors.append(
            f"unique_key {key[:60]!r} は使えません（英数字・_・- の 1〜200 文字: {UNIQUE_KEY_RULE}）"
            f" / unique_key is not usable: it must match {UNIQUE_KEY_RULE}"
        )
    if not any(values.get(name, "").strip() for name in FIELDS):
        errors.append(f"nothing to set: give at least one of {', '.join(FIELDS)}")
    tracking = values.get("tracking_number", "")
    if tracking.strip():
        try:
            normalize_tracking_number(tracking)
        except RuleError as exc:
            errors.append(f"tracking_number {tracking!r}: {exc}")
    company = values.get("delivery_company", "").strip()
    if company:
        try:
            validate_delivery_company_input(company)
        except RuleError as exc:
            errors.append(f"delivery_company {company!r}: {exc}")
    ship_date = values.get("ship_date", "").strip()
    if ship_date:
        try:
            parse_ship_date(ship_date)
        except RuleError as exc:
            errors.append(f"ship_date: {exc}")
    status = values.get("status", "").strip()
    if status and status not in {s.value for s in ManagementStatus}:
        errors.append(f"status {status!r}: must be one of {', '.join(s.value for s in ManagementStatus)}")
    return errors


def _changes(values: dict[str, str]) -> dict[str, str]:
    changes: dict[str, str] = {}
    tracking = values.get("tracking_number", "")
    if tracking.strip():
        changes["tracking_number"] = normalize_tracking_number(tracking)
    for name in ("delivery_company", "ship_date", "status"):
        value = values.get(name, "").strip()
        if value:
            changes[name] = value
    return changes


class OrderPatcher(Protocol):
    def patch_order(self, shop_id: str, unique_key: str, changes: dict[str, Any]) -> dict[str, Any]: ...


@dataclass
class LoadResult:
    updated: list[ShipmentRow] = field(default_factory=list)
    failed: list[tuple[ShipmentRow, ApiError]] = field(default_factory=list)
    not_tried: list[ShipmentRow] = field(default_factory=list)


def apply_shipments(
    client: OrderPatcher,
    shop_id: str,
    rows: list[ShipmentRow],
    progress: Callable[[int, int, ShipmentRow, ApiError | None], None] | None = None,
) -> LoadResult:
    """PATCH each row's order; an API error on a row is recorded and the load goes on.

    If the API cannot be reached at all (status 0), the remaining rows are not tried.
    """
    result = LoadResult()
    for index, row in enumerate(rows, start=1):
        try:
            client.patch_order(shop_id, row.unique_key, row.changes)
        except ApiError as exc:
            result.failed.append((row, exc))
            if progress:
                progress(index, len(rows), row, exc)
            if exc.status == 0:
                result.not_tried = rows[index:]
                break
            continue
        result.updated.append(row)
        if progress:
            progress(index, len(rows), row, None)
    return result
