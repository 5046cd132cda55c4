"""Request bodies and queries of the API. Strict where operators type: nothing is guessed.

The one place input is validated: each model hands the service typed, normalised values
(``ManagementStatus``, ``date``, the tracking number as BASE accepts it, …), and the service
checks only what needs stored state. The settings body is
:class:`base_sync.domain.shop.ShopSettings` (extra fields forbidden, strict types) with the
comment template's rule added (``SettingsBody``). ``OrderPatch`` checks shape and the rules that
need no stored state (tracking-number characters, ``YYYY-MM-DD``), so a bad value is refused
naming its field before anything is read.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Final, Self, cast

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from base_sync.domain.shop import ShopSettings
from base_sync.domain.status import ManagementStatus
from base_sync.domain.text import enum_from_text
from base_sync.rules.comment import validate_comment_template
from base_sync.rules.companies import COMPANY_NAME_MAX_LENGTH, validate_delivery_company_input
from base_sync.rules.settings import invalid_value_message, setting_specs, valid_fields_message
from base_sync.rules.ship_date import parse_ship_date
from base_sync.rules.tracking import normalize_tracking_number
from base_sync.services.errors import InvalidInput
from base_sync.services.management import PATCHABLE_FIELDS, OrderChanges

TRACKING_INPUT_MAX_LENGTH: Final = 100
"""Longest tracking-number input (before hyphens and spaces are removed; 64 remain at most)."""

MAX_BODY_BYTES: Final = 64 * 1024
"""Request bodies larger than this are refused before they are parsed."""


_LOCATIONS: Final = frozenset({"body", "query", "path", "header", "cookie"})


def field_name(loc: tuple[Any, ...] | list[Any]) -> str:
    """The field a validation error is about (``body`` for the whole body)."""
    parts = list(loc)
    if parts and parts[0] in _LOCATIONS:
        parts = parts[1:]
    names = [p for p in parts if isinstance(p, str)]
    return names[0] if names else "body"


def error_reason(error: Any) -> str:
    """A validation error's reason as the 422 shows it."""
    if error.get("type") == "extra_forbidden":
        return "unknown field"
    message = str(error.get("msg", "invalid"))
    return message.removeprefix("Value error, ")


def bad_fields(errors: list[Any]) -> dict[str, str]:
    """``{field: reason}``, the first reason of each field."""
    fields: dict[str, str] = {}
    for error in errors:
        fields.setdefault(field_name(tuple(error.get("loc", ()))), error_reason(error))
    return fields


class _Request(BaseModel):
    @classmethod
    def parse(cls, data: Any) -> Self:
        """Validate ``data`` as this model; InvalidInput naming every bad field (what a 422 names)."""
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise InvalidInput(bad_fields([dict(e) for e in exc.errors()])) from None


class SettingsBody(ShopSettings):
    """``PUT /shops/{shop_id}/settings``: the shop's settings, the comment template checked too.

    The template is checked against its worst-case rendering (``rules.comment``), so a template
    that is saved can never make an export fail for length. A wrong value's 422 names the values
    the setting accepts, an unknown field's names the valid fields (``rules.settings``, read from
    the model).
    """

    @model_validator(mode="wrap")
    @classmethod
    def _errors_name_what_is_allowed(cls, data: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        try:
            return handler(data)
        except ValidationError as exc:
            errors = exc.errors()
            if not all(e.get("loc") for e in errors):  # not an object at all: left as it is
                raise
            raise ValidationError.from_exception_data(
                exc.title, [_settings_error(dict(e)) for e in errors]
            ) from None

    @field_validator("comment_template")
    @classmethod
    def _template_renders_within_limit(cls, value: str) -> str:
        validate_comment_template(value)
        return value


def _settings_error(error: dict[str, Any]) -> InitErrorDetails:
    """One error of a settings body, its message naming what the setting accepts."""
    specs = setting_specs(ShopSettings)
    name = error["loc"][0]
    if error.get("type") == "extra_forbidden" or name not in specs:
        message = valid_fields_message(list(specs))
    elif error.get("type") == "value_error":  # a rule's own sentence (the comment template)
        message = error_reason(error)
    else:
        message = invalid_value_message(specs[name], error.get("input"))
    return InitErrorDetails(
        type=PydanticCustomError("setting_invalid", "{reason}", {"reason": message}),
        loc=tuple(error["loc"]),
        input=error.get("input"),
    )


class OrderPatch(_Request):
    """``PATCH /shops/{shop_id}/orders/{unique_key}``: any of the management fields, at least one.

    ``ship_date: null`` clears the date (the default, the day the tracking number was
    entered, applies again); the other fields cannot be null. Validated, each field holds what
    the service takes: a ``ManagementStatus``, the normalised tracking number, the company as
    text, a ``date``.
    """

    model_config = ConfigDict(extra="forbid", strict=True)

    status: ManagementStatus | None = Field(default=None, description="the order-management status")
    tracking_number: Annotated[str, Field(max_length=TRACKING_INPUT_MAX_LENGTH)] | None = Field(
        default=None, description="伝票番号; full-width, hyphens and spaces are normalised"
    )
    delivery_company: Annotated[str, Field(max_length=COMPANY_NAME_MAX_LENGTH)] | int | None = Field(
        default=None, description="BASE delivery company name, alias or id"
    )
    ship_date: date | None = Field(default=None, description="出荷日, YYYY-MM-DD (JST); null clears it")

    @field_validator("status", "tracking_number", "delivery_company", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("must not be null")
        return value

    @field_validator("status", mode="before")
    @classmethod
    def _status_from_text(cls, value: Any) -> Any:
        return enum_from_text(ManagementStatus, value)

    @field_validator("tracking_number")
    @classmethod
    def _tracking_number(cls, value: str | None) -> str | None:
        return None if value is None else normalize_tracking_number(value)

    @field_validator("delivery_company")
    @classmethod
    def _delivery_company(cls, value: str | int | None) -> str | int | None:
        return None if value is None else validate_delivery_company_input(value)

    @field_validator("ship_date", mode="before")
    @classmethod
    def _ship_date(cls, value: Any) -> Any:
        """Only ``YYYY-MM-DD`` text (or null); never a number or another date format."""
        if value is None or isinstance(value, date):
            return value
        if not isinstance(value, str):
            raise ValueError("ship date must be YYYY-MM-DD text or null")
        return parse_ship_date(value)

    @model_validator(mode="after")
    def _at_least_one(self) -> OrderPatch:
        if not self.model_fields_set:
            raise ValueError("give at least one of: " + ", ".join(PATCHABLE_FIELDS))
        return self

    def changes(self) -> OrderChanges:
        """Only the fields the request gave (so ``ship_date: null`` differs from no ship_date)."""
        return cast(OrderChanges, {name: getattr(self, name) for name in self.model_fields_set})


class ExportRequest(BaseModel):
    """``POST /exports``: one shop or all, optionally only some orders, optionally only a plan."""

    model_config = ConfigDict(extra="forbid", strict=True)

    shop_id: str | None = Field(default=None, min_length=1, max_length=200)
    order_keys: (
        list[Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")]] | None
    ) = Field(default=None, min_length=1, max_length=500)
    dry_run: bool = False

    @field_validator("order_keys")
    @classmethod
    def _keys_need_a_shop(cls, value: list[str] | None, info: ValidationInfo) -> list[str] | None:
        if value and info.data.get("shop_id") is None:
            raise ValueError("needs shop_id (order keys are per shop)")
        return value


__all__ = [
    "MAX_BODY_BYTES",
    "ExportRequest",
    "OrderPatch",
    "SettingsBody",
    "ShopSettings",
    "bad_fields",
]
