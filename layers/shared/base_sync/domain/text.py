"""Helpers for models that operators type into."""

from __future__ import annotations

from enum import StrEnum
from typing import Any


def enum_from_text(enum: type[StrEnum], value: Any) -> Any:
    """JSON carries enums as strings, which strict models would refuse; a bad one names the choices."""
    if isinstance(value, str):
        try:
            return enum(value)
        except ValueError:
            raise ValueError(f"must be one of: {', '.join(member.value for member in enum)}") from None
    return value
