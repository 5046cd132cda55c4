"""What each shop setting accepts, read from :class:`~base_sync.domain.shop.ShopSettings` itself.

The one description of the settings' values: the API's 422 for ``PUT …/settings`` names the
allowed values (or, for an unknown field, the valid fields) with it, and the CLI uses it for
``settings set --help`` and to check ``key=value`` before anything is sent. Everything comes
from the model's fields (type, bounds, choices, default), so a setting added to the model is
described everywhere without another edit.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import Enum
from typing import Any, Literal

from annotated_types import Ge, Le, MaxLen
from pydantic import BaseModel

from base_sync.domain.shop import ShopSettings

Kind = Literal["bool", "int", "choice", "text", "other"]


@dataclass(frozen=True)
class SettingSpec:
    """One setting: its name, what it accepts and its default."""

    name: str
    kind: Kind
    default: Any
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[str, ...] = ()
    max_length: int | None = None

    def allowed(self, lang: Literal["ja", "en"] = "en") -> str:
        """The values it accepts, as a phrase: ``true or false``, ``an integer from 1 to 90`` …"""
        ja = lang == "ja"
        if self.kind == "bool":
            return "true または false" if ja else "true or false"
        if self.kind == "int":
            low = "" if self.minimum is None else str(self.minimum)
            high = "" if self.maximum is None else str(self.maximum)
            if ja:
                return f"{low}〜{high} の整数"
            if low and high:
                return f"an integer from {low} to {high}"
            return "an integer" + (f" of at least {low}" if low else f" of at most {high}" if high else "")
        if self.kind == "choice":
            names = ", ".join(self.choices)
            return f"次のいずれか: {names}" if ja else f"one of: {names}"
        if self.kind == "text":
            if self.max_length is None:
                return "文字列" if ja else "text"
            return (
                f"文字列（{self.max_length:,} 文字まで）"
                if ja
                else f"text, at most {self.max_length:,} characters"
            )
        return "値" if ja else "a value"

    @property
    def default_text(self) -> str:
        """The default as it is typed (JSON): ``true``, ``7``, ``""``, ``all_except_new_and_hold``."""
        value = self.default.value if isinstance(self.default, Enum) else self.default
        if self.kind == "choice":
            return str(value)
        return json.dumps(value, ensure_ascii=False)

    def parse(self, raw: str) -> tuple[bool, Any]:
        """``raw`` (what follows ``key=`` on a command line) as this setting's value: ``(True,
        value)``, or ``(False, raw)`` when the setting does not take it (:func:`invalid_value_message`
        says what it takes). Text settings take the text as it is; the others take JSON (``true``,
        ``7``) or a choice's name."""
        if self.kind == "text":
            return True, raw
        if self.kind == "choice":
            return raw in self.choices, raw
        try:
            value = json.loads(raw)
        except ValueError:
            return False, raw
        if self.kind == "bool":
            return isinstance(value, bool), value
        if self.kind == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                return False, value
            too_low = self.minimum is not None and value < self.minimum
            too_high = self.maximum is not None and value > self.maximum
            return not (too_low or too_high), value
        return True, value


def _spec_of(name: str, annotation: Any, default: Any, metadata: list[Any]) -> SettingSpec:
    minimum: Any = next((m.ge for m in metadata if isinstance(m, Ge)), None)
    maximum: Any = next((m.le for m in metadata if isinstance(m, Le)), None)
    max_length = next((m.max_length for m in metadata if isinstance(m, MaxLen)), None)
    if annotation is bool:
        return SettingSpec(name, "bool", default)
    if annotation is int:
        return SettingSpec(
            name,
            "int",
            default,
            minimum=None if minimum is None else int(minimum),
            maximum=None if maximum is None else int(maximum),
        )
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return SettingSpec(name, "choice", default, choices=tuple(str(m.value) for m in annotation))
    if annotation is str:
        return SettingSpec(name, "text", default, max_length=max_length)
    return SettingSpec(name, "other", default)


def setting_specs(model: type[BaseModel] = ShopSettings) -> dict[str, SettingSpec]:
    """Every setting of ``model``, in the model's order."""
    return {
        name: _spec_of(
            name, info.annotation, info.get_default(call_default_factory=True), list(info.metadata)
        )
        for name, info in model.model_fields.items()
    }


def valid_fields_message(names: list[str] | tuple[str, ...], lang: Literal["ja", "en"] = "en") -> str:
    """What an unknown setting's error says: the valid ones."""
    listed = ", ".join(names)
    return (
        f"この設定はありません。使える設定: {listed}"
        if lang == "ja"
        else f"unknown field; valid fields: {listed}"
    )


def invalid_value_message(spec: SettingSpec, raw: Any, lang: Literal["ja", "en"] = "en") -> str:
    """What a wrong value's error says: the allowed values, and what was given."""
    given = json.dumps(raw, ensure_ascii=False) if not isinstance(raw, str) else repr(raw)
    if lang == "ja":
        return f"{spec.allowed('ja')}を指定してください（指定された値: {given}）"
    return f"must be {spec.allowed('en')} (got {given})"
