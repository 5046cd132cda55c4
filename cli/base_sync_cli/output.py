"""Human-readable output: aligned tables that count Japanese characters as two columns."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

JST = ZoneInfo("Asia/Tokyo")


def width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)


def cell(value: Any) -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    texts = [[cell(v) for v in row] for row in rows]
    widths = [width(h) for h in headers]
    for row in texts:
        for i, value in enumerate(row):
            widths[i] = max(widths[i], width(value))

    def line(values: Sequence[str]) -> str:
        padded = [v + " " * (widths[i] - width(v)) for i, v in enumerate(values)]
        return "  ".join(padded).rstrip()

    out = [line(list(headers)), line(["-" * w for w in widths])]
    out += [line(row) for row in texts]
    return "\n".join(out)


def jst(unix: Any) -> str:
    """Unix seconds as ``YYYY-MM-DD HH:MM`` in Japan time."""
    if not isinstance(unix, int | float) or isinstance(unix, bool):
        return cell(unix)
    return datetime.fromtimestamp(unix, UTC).astimezone(JST).strftime("%Y-%m-%d %H:%M")


def when(iso: Any) -> str:
    """An ISO timestamp shortened to ``YYYY-MM-DD HH:MM:SS`` in Japan time."""
    if not isinstance(iso, str) or not iso:
        return cell(iso)
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(JST).strftime("%Y-%m-%d %H:%M:%S")


def dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, default=str)
