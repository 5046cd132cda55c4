"""What the new screens show, worked out from the API's answers (pure: no HTTP, no templates).

受注詳細's sentence on when the order goes to BASE and its history rows, 発送情報の更新's plan split
into what is sent and what is held back, and the CSV upload's layout read from its form.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from base_sync.domain.reasons import Reason
from base_sync_cli.console.i18n import CHOICES, EVENTS, SEND_WORDS, Lang, choice, jst_time, pick, text
from base_sync_cli.shipments import COLUMNS, IGNORE, PRESETS, Layout, RowError, parse_columns

FIELD_KEYS: Final = ("status", "tracking_number", "delivery_company", "ship_date")


def forecast_text(order: Mapping[str, Any], lang: Lang) -> str:
    """When the order goes to BASE by itself, in words (``will_send_at`` / ``will_send_how``)."""
    how = order.get("will_send_how")
    at = order.get("will_send_at")
    if not how or not at:
        return text("will_send_none", lang)
    key = f"will_{how}"
    try:
        return text(key, lang).format(jst_time(at))
    except KeyError:
        return f"{how}: {jst_time(at)}"


def reason_words(code: Any, lang: Lang) -> str | None:
    """A catalogue reason's sentence (the code itself when the catalogue does not know it)."""
    if not code:
        return None
    try:
        reason = Reason(str(code))
    except ValueError:
        return str(code)
    return reason.message_ja if lang == "ja" else reason.message


@dataclass(frozen=True)
class HistoryRow:
    at: str
    event: str
    detail: list[tuple[str, str]]
    actor: str | None


def _detail_value(name: str, value: Any, lang: Lang) -> str:
    if name == "reason":
        return reason_words(value, lang) or "-"
    if name in ("state", "export_state"):
        return choice("export_state", value, lang)
    if name == "status":
        return choice("order_status", value, lang)
    if name == "trigger":
        return choice("trigger", value, lang)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "-"
    return "-" if value in (None, "") else str(value)


def _detail_name(name: str, lang: Lang) -> str:
    names = {
        "reason": ("理由", "reason"),
        "state": ("状態", "state"),
        "export_state": ("状態", "state"),
        "trigger": ("きっかけ", "trigger"),
        "export_id": ("書き出し", "export run"),
        "items": ("商品", "items"),
    }
    if name in FIELD_KEYS:
        return text(name, lang)
    pair = names.get(name)
    return pick(pair, lang) if pair else name


def history_rows(history: Iterable[Mapping[str, Any]], lang: Lang) -> list[HistoryRow]:
    """The order's history newest first, each event and value in words."""
    rows: list[HistoryRow] = []
    for entry in reversed(list(history)):
        event = str(entry.get("event") or "")
        label = EVENTS.get(event) or CHOICES["export_state"].get(event)
        detail = entry.get("detail") or {}
        shown = [
            (_detail_name(str(k), lang), _detail_value(str(k), v, lang))
            for k, v in detail.items()
            if not (k == "reason" and not v)
        ]
        rows.append(
            HistoryRow(
                jst_time(entry.get("at")), pick(label, lang) if label else event, shown, entry.get("actor")
            )
        )
    return rows


@dataclass
class Plan:
    """The dry-run plan of one shop: the orders to send (with what goes out) and the rest with why."""

    send: list[dict[str, Any]] = field(default_factory=list)
    held: list[dict[str, Any]] = field(default_factory=list)

    @property
    def keys(self) -> list[str]:
        return [str(e["unique_key"]) for e in self.send]


def split_plan(entries: Iterable[Mapping[str, Any]], orders: Mapping[str, Mapping[str, Any]]) -> Plan:
    plan = Plan()
    for entry in entries:
        row = {**entry, "order": orders.get(str(entry.get("unique_key")), {})}
        (plan.send if entry.get("action") == "dispatch" else plan.held).append(row)
    return plan


def send_words(code: Any, lang: Lang) -> str:
    pair = SEND_WORDS.get(str(code))
    return pick(pair, lang) if pair else str(code or "-")


@dataclass(frozen=True)
class UploadChoice:
    """The upload form's choices, read back (``problem``: the column mapping cannot be read)."""

    layout: Layout
    preset: str
    status: str
    columns: str
    problem: RowError | None = None


def read_layout(form: Mapping[str, list[str]]) -> UploadChoice:
    preset = (form.get("preset") or [""])[0]
    status = (form.get("set_status") or [""])[0]
    columns = (form.get("columns") or [""])[0].strip()
    chosen_preset = PRESETS.get(preset)
    chosen_status = status if status in CHOICES["order_status"] else None
    try:
        mapping = parse_columns(columns)
    except ValueError:
        targets = ", ".join((*COLUMNS, IGNORE))
        problem = RowError(
            0, text("bad_columns", "en").format(targets), text("bad_columns", "ja").format(targets)
        )
        return UploadChoice(Layout(), preset, status, columns, problem)
    layout = Layout(preset=chosen_preset, columns=mapping, status=chosen_status)
    return UploadChoice(layout, preset if chosen_preset else "", status if chosen_status else "", columns)


def change_text(changed: Mapping[str, Any], lang: Lang) -> list[str]:
    """Each change of a line as ``伝票番号: - → 1234``."""
    shown: list[str] = []
    for name, change in changed.items():
        before, after = change.get("before"), change.get("after")
        if name == "status":
            before, after = choice("order_status", before, lang), choice("order_status", after, lang)
        label = text(name, lang) if name in FIELD_KEYS else name
        shown.append(f"{label}: {'-' if before in (None, '') else before} → {after}")
    return shown
