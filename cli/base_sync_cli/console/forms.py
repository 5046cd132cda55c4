"""The 設定 form: fields drawn from the settings the API returns, and the form read back into them.

Whatever the API returns is shown: a true/false value as a checkbox, a number as a number input,
``export_filter`` as its two choices, text as a text field (the comment template as a text
area). A setting this console has no word for yet (added to the API later) still appears, under its
own key, with the right input. Ranges and defaults shown as hints come from the domain's
``ShopSettings`` where it knows the setting; the API alone judges what is saved (its 422 is shown
beside the field, in Japanese and English).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from base_sync.domain.shop import ShopSettings
from base_sync.rules.comment import COMMENT_MAX_LENGTH, render_comment, worst_case_length
from base_sync.rules.errors import CommentTooLong, InvalidCommentTemplate
from base_sync_cli.console.i18n import (
    CHOICES,
    Lang,
    has_japanese,
    pick,
    setting_help,
    setting_label,
    text,
)

TEXTAREAS = frozenset({"comment_template"})


def schema() -> dict[str, dict[str, Any]]:
    """The domain's JSON schema of each setting (minimum, maximum, maxLength, default)."""
    properties = ShopSettings.model_json_schema().get("properties", {})
    return {str(k): dict(v) for k, v in properties.items()}


@dataclass(frozen=True)
class Field:
    key: str
    kind: str  # radio | checkbox | number | textarea | text | fixed
    label: str
    value: Any
    options: tuple[tuple[str, str], ...] = ()
    hint: str | None = None
    help: str | None = None
    error_ja: str | None = None
    error_en: str | None = None


def kind_of(key: str, value: Any) -> str:
    if key in CHOICES and key != "order_status":
        return "radio"
    if isinstance(value, bool):
        return "checkbox"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "textarea" if key in TEXTAREAS else "text"
    return "fixed"


def hint(spec: Mapping[str, Any], lang: Lang) -> str | None:
    parts: list[str] = []
    low, high = spec.get("minimum"), spec.get("maximum")
    if low is not None and high is not None:
        parts.append(f"{text('range', lang)} {low}〜{high}" if lang == "ja" else f"range {low}–{high}")
    if "maxLength" in spec:
        parts.append(
            f"{spec['maxLength']} 文字まで" if lang == "ja" else f"at most {spec['maxLength']} characters"
        )
    default = spec.get("default")
    if default is not None and not isinstance(default, bool) and default != "":
        parts.append(f"{text('default', lang)} {default}")
    return "、".join(parts) if lang == "ja" and parts else ", ".join(parts) if parts else None


def japanese_error(spec: Mapping[str, Any], reason: str) -> str:
    """A Japanese sentence for the API's reason (kept as it is when it already has Japanese)."""
    if has_japanese(reason):
        return reason
    low, high = spec.get("minimum"), spec.get("maximum")
    if low is not None and high is not None:
        return f"{low}〜{high} の整数を入力してください。"
    if spec.get("type") == "boolean":
        return "オンかオフを選んでください。"
    if "maxLength" in spec:
        return f"{spec['maxLength']} 文字以内にしてください。"
    return text("invalid_value", "ja")


def field_errors(api_fields: Mapping[str, Any]) -> dict[str, str]:
    """The API's ``fields`` by setting key (``body.import_days`` -> ``import_days``)."""
    return {str(name).rsplit(".", 1)[-1]: str(reason) for name, reason in api_fields.items()}


def build_fields(
    settings: Mapping[str, Any],
    lang: Lang,
    *,
    entered: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
) -> list[Field]:
    specs = schema()
    fields: list[Field] = []
    for key, value in settings.items():
        spec = specs.get(key, {})
        kind = kind_of(key, value)
        shown = entered.get(key, value) if entered is not None else value
        reason = (errors or {}).get(key)
        options = tuple((code, pick(pair, lang)) for code, pair in CHOICES.get(key, {}).items())
        fields.append(
            Field(
                key=key,
                kind=kind,
                label=setting_label(key, lang),
                value=shown,
                options=options if kind == "radio" else (),
                hint=hint(spec, lang) if kind in ("number", "text") else None,
                help=setting_help(key, lang),
                error_ja=japanese_error(spec, reason) if reason is not None else None,
                error_en=reason,
            )
        )
    return fields


def _number(raw: str) -> Any:
    """``"14"`` -> 14, ``"1.5"`` -> 1.5; anything else stays text (the API refuses it with a 422)."""
    cleaned = raw.strip()
    try:
        return int(cleaned)
    except ValueError:
        pass
    try:
        return float(cleaned)
    except ValueError:
        return cleaned


def read_form(current: Mapping[str, Any], form: Mapping[str, list[str]]) -> dict[str, Any]:
    """The whole settings object to PUT: ``current`` with every field of the form applied, typed
    as the API returned it. A value the form does not show is sent back unchanged."""
    wanted: dict[str, Any] = {}
    for key, value in current.items():
        kind = kind_of(key, value)
        raw = form.get(key, [None])[0] if key in form else None
        if kind == "checkbox":
            wanted[key] = key in form
        elif kind == "number":
            wanted[key] = value if raw is None else _number(raw)
        elif kind in ("radio", "text", "textarea"):
            wanted[key] = value if raw is None else raw.replace("\r\n", "\n")
        else:
            wanted[key] = value
    return wanted


SAMPLE_TRACKING = "1234-5678-9012"
SAMPLE_COMPANY = "ヤマト運輸"


@dataclass(frozen=True)
class CommentPreview:
    """The comment template as BASE would get it: its longest rendering against BASE's 250, and an
    example with everyday values (``problem``: why it cannot be rendered at all)."""

    worst: int | None
    limit: int
    example: str | None
    problem: str | None

    @property
    def fits(self) -> bool:
        return self.worst is not None and self.worst <= self.limit


def comment_preview(template: str, today: date) -> CommentPreview:
    try:
        worst = worst_case_length(template)
    except InvalidCommentTemplate as exc:
        return CommentPreview(None, COMMENT_MAX_LENGTH, None, str(exc))
    try:
        example = render_comment(
            template, tracking_number=SAMPLE_TRACKING, delivery_company=SAMPLE_COMPANY, ship_date=today
        )
    except CommentTooLong:
        example = None
    return CommentPreview(worst, COMMENT_MAX_LENGTH, example, None)
