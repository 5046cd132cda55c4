"""HTTP shapes of ``POST /shops/{shop_id}/shipments``: the request (a whole shipments file, validated
once) and its answers (the plan, every refused line, or what a partly applied file wrote).

The body's shape is strict (unknown fields, wrong types, no rows, more than
:data:`~base_sync.services.shipments.MAX_ROWS` rows, a line number given twice: a 422 for the
whole body). A row's *values* are checked by the PATCH's own model (:class:`OrderPatch`), row by
row, so that a bad value is one refused line beside the others, not a refused body.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field, field_validator

from base_sync.api.models import TRACKING_INPUT_MAX_LENGTH, OrderPatch
from base_sync.api.views import View
from base_sync.domain.order import ExportState
from base_sync.domain.reasons import Reason
from base_sync.rules.companies import COMPANY_NAME_MAX_LENGTH
from base_sync.services.errors import InvalidInput, LineProblem, ShipmentsPartlyApplied, ShipmentsRefused
from base_sync.services.shipments import MAX_ROWS, LinePlan, Send, ShipmentLine, ShipmentsResult

SHIPMENTS_MAX_BODY_BYTES = 512 * 1024
"""This route's body limit (1,000 rows of long keys and company names); every other route: 64 KB."""

_FIELDS = ("status", "tracking_number", "delivery_company", "ship_date")


class ShipmentRowBody(BaseModel):
    """One line of the file: its line number, the order's key, and the fields to set (an absent
    or null field is left as it is)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    line: int = Field(ge=1, le=10_000_000, description="the line of the file (for the answer)")
    unique_key: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_-]+$")
    status: Annotated[str, Field(max_length=40)] | None = None
    tracking_number: Annotated[str, Field(max_length=TRACKING_INPUT_MAX_LENGTH)] | None = None
    delivery_company: Annotated[str, Field(max_length=COMPANY_NAME_MAX_LENGTH)] | int | None = None
    ship_date: Annotated[str, Field(max_length=40)] | None = Field(
        default=None, description="YYYY-MM-DD (JST)"
    )

    def checked(self) -> ShipmentLine | list[LineProblem]:
        """The line with its values as the PATCH checks them, or a problem per bad value."""
        given = {name: getattr(self, name) for name in _FIELDS if getattr(self, name) is not None}
        try:
            patch = OrderPatch.parse(given)
        except InvalidInput as exc:
            return [
                LineProblem(
                    self.line, self.unique_key, _reason_for(name), None if name == "body" else name, why
                )
                for name, why in exc.fields.items()
            ]
        return ShipmentLine(self.line, self.unique_key, patch.changes())


def _reason_for(name: str) -> Reason:
    return {
        "tracking_number": Reason.INVALID_TRACKING_NUMBER,
        "ship_date": Reason.INVALID_SHIP_DATE,
    }.get(name, Reason.INVALID_VALUE)


class ShipmentsRequest(BaseModel):
    """``POST /shops/{shop_id}/shipments``: the rows of one file (at most 1,000), and ``dry_run``."""

    model_config = ConfigDict(extra="forbid", strict=True)

    rows: list[ShipmentRowBody] = Field(min_length=1, max_length=MAX_ROWS)
    dry_run: bool = Field(default=False, description="check everything and answer the plan; write nothing")

    @field_validator("rows")
    @classmethod
    def _lines_once(cls, rows: list[ShipmentRowBody]) -> list[ShipmentRowBody]:
        numbers = [row.line for row in rows]
        if len(set(numbers)) != len(numbers):
            raise ValueError("a line number is given twice")
        return rows

    def split(self) -> tuple[list[ShipmentLine], list[LineProblem]]:
        """The lines whose values pass, and a problem for every bad value of the others."""
        lines: list[ShipmentLine] = []
        problems: list[LineProblem] = []
        for row in self.rows:
            checked = row.checked()
            if isinstance(checked, ShipmentLine):
                lines.append(checked)
            else:
                problems.extend(checked)
        return lines, problems


# -- answers


class FieldChange(View):
    before: Any = Field(description="the value before the file (null: none)")
    after: Any = Field(description="the value the file sets")


class ShipmentLineView(View):
    """One line of the plan: what changes, the order's export state after it, and whether it goes to BASE."""

    line: int
    unique_key: str
    changed: dict[str, FieldChange] = Field(description="only the fields that change; empty: nothing to do")
    export_state: ExportState
    export_reason: Reason | None = None
    send: Send = Field(
        description="within_a_minute: auto_export sends it to BASE within a minute (BASE cannot take a "
        "dispatch back); later: once its ship date or payment comes; on_export: only an export asked "
        "for sends it (auto_export off); no: not ready, or nothing changed"
    )

    @computed_field  # type: ignore[prop-decorator]
    @property
    def export_message(self) -> str | None:
        return self.export_reason.message if self.export_reason else None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def export_message_ja(self) -> str | None:
        return self.export_reason.message_ja if self.export_reason else None

    @classmethod
    def of(cls, plan: LinePlan) -> ShipmentLineView:
        return cls(
            line=plan.line,
            unique_key=plan.unique_key,
            changed={k: FieldChange(before=b, after=a) for k, (b, a) in plan.changed.items()},
            export_state=plan.export_state,
            export_reason=plan.export_reason,
            send=plan.send,
        )


class ShipmentsCounts(View):
    lines: int
    changed: int = Field(description="orders the file changes")
    unchanged: int = Field(description="lines that set what the order has already")
    to_send: int = Field(description="orders that go to BASE within a minute (auto_export on)")


class ShipmentsAnswer(View):
    """``200``: the file's plan; with ``dry_run`` nothing was written, else every line was applied."""

    shop_id: str
    dry_run: bool
    applied: bool = Field(description="true: every line was written; false: nothing was (dry run)")
    auto_export: bool
    counts: ShipmentsCounts
    lines: list[ShipmentLineView]

    @classmethod
    def of(cls, result: ShipmentsResult) -> ShipmentsAnswer:
        views = [ShipmentLineView.of(p) for p in result.lines]
        return cls(
            shop_id=result.shop_id,
            dry_run=result.dry_run,
            applied=not result.dry_run,
            auto_export=result.auto_export,
            counts=_counts(views),
            lines=views,
        )


def _counts(views: list[ShipmentLineView]) -> ShipmentsCounts:
    changed = sum(1 for v in views if v.changed)
    return ShipmentsCounts(
        lines=len(views),
        changed=changed,
        unchanged=len(views) - changed,
        to_send=sum(1 for v in views if v.send is Send.WITHIN_A_MINUTE),
    )


class LineProblemView(View):
    """One refused line: the reason's stable code, its Japanese and English sentence, the column
    (``field``) and what exactly was wrong (``detail``) where known."""

    line: int
    unique_key: str
    code: Reason
    field: str | None = None
    detail: str | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def message_ja(self) -> str:
        return self.code.message_ja

    @computed_field  # type: ignore[prop-decorator]
    @property
    def message(self) -> str:
        return self.code.message

    @classmethod
    def of(cls, problem: LineProblem) -> LineProblemView:
        return cls(
            line=problem.line,
            unique_key=problem.unique_key,
            code=problem.reason,
            field=problem.field,
            detail=problem.detail,
        )


def _fields(problems: list[LineProblemView]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for p in problems:
        text = f"{p.unique_key}: {p.code.value}" + (f" ({p.field})" if p.field else "")
        key = f"line {p.line}"
        fields[key] = f"{fields[key]}; {text}" if key in fields else text
    return fields


class ShipmentsRefusedBody(View):
    """``422 shipments_refused``: every bad line; nothing was written."""

    error: Literal["shipments_refused"] = "shipments_refused"
    message: str
    fields: dict[str, str] = Field(description="each refused line (`line N`) and why, in short")
    lines: list[LineProblemView]

    @classmethod
    def of(cls, refused: ShipmentsRefused) -> ShipmentsRefusedBody:
        views = [LineProblemView.of(p) for p in refused.problems]
        count = len({p.line for p in views})
        return cls(
            message=f"{count} 行を受け付けられません。何も変更していません。"
            f" / {count} line(s) refused; nothing was changed.",
            fields=_fields(views),
            lines=views,
        )


class NotAppliedLine(View):
    line: int
    unique_key: str


class ShipmentsPartlyAppliedBody(View):
    """``409 shipments_partly_applied``: a file of more than 100 changed orders whose later
    transaction lost a race: ``applied`` were written, ``not_applied`` were not, ``lines`` say why."""

    error: Literal["shipments_partly_applied"] = "shipments_partly_applied"
    message: str
    applied: list[ShipmentLineView]
    not_applied: list[NotAppliedLine]
    lines: list[LineProblemView]

    @classmethod
    def of(cls, partly: ShipmentsPartlyApplied) -> ShipmentsPartlyAppliedBody:
        return cls(
            message=f"{len(partly.applied)} 行を反映し、{len(partly.not_applied)} 行は反映していません"
            "（その間に受注が変わりました）。not_applied の行を直して、もう一度読み込んでください。"
            f" / {len(partly.applied)} line(s) applied, {len(partly.not_applied)} not (orders changed"
            " meanwhile); fix and load the not_applied lines again.",
            applied=[ShipmentLineView.of(p) for p in partly.applied],
            not_applied=[NotAppliedLine(line=n, unique_key=k) for n, k in partly.not_applied],
            lines=[LineProblemView.of(p) for p in partly.problems],
        )


__all__ = [
    "SHIPMENTS_MAX_BODY_BYTES",
    "ShipmentsAnswer",
    "ShipmentsPartlyAppliedBody",
    "ShipmentsRefusedBody",
    "ShipmentsRequest",
]
