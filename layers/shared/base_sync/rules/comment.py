"""The shop's ``comment_template``: BASE's ``add_comment`` text in the shipping e-mail.

BASE takes at most 250 characters, newlines included. The template is checked when
it is saved against its worst-case rendering, so a template that validates can never
make an export fail for length; rendering checks the actual length again anyway.

Templates are operator input and are never passed to ``str.format``: placeholders are
found with ``string.Formatter().parse`` and substituted by hand, and only the bare
names below are allowed — no attribute or index access (``{tracking_number.__class__}``),
no conversions (``!r``) and no format specs (``:>300``, which could also pad past the limit).
"""

from __future__ import annotations

import string
import unicodedata
from datetime import date
from typing import Final

from base_sync.rules.companies import COMPANY_NAME_MAX_LENGTH
from base_sync.rules.errors import CommentTooLong, InvalidCommentTemplate
from base_sync.rules.ship_date import format_ship_date_ja
from base_sync.rules.tracking import TRACKING_NUMBER_MAX_LENGTH

COMMENT_MAX_LENGTH: Final = 250
"""BASE's ``add_comment`` limit, in characters (code points), newlines included."""

SHIP_DATE_RENDERED_MAX_LENGTH: Final = len(format_ship_date_ja(date(9999, 12, 31)))
"""11: ``YYYY年MM月DD日`` at its widest."""

PLACEHOLDER_MAX_LENGTHS: Final[dict[str, int]] = {
    "tracking_number": TRACKING_NUMBER_MAX_LENGTH,
    "delivery_company": COMPANY_NAME_MAX_LENGTH,
    "ship_date": SHIP_DATE_RENDERED_MAX_LENGTH,
}
"""Each allowed placeholder and the longest text it can render to."""

PLACEHOLDERS: Final = frozenset(PLACEHOLDER_MAX_LENGTHS)

_ALLOWED_CONTROLS: Final = frozenset("\n\r\t")


def _parse(template: str) -> list[tuple[str, str | None]]:
    """Split into (literal text, placeholder or None) pairs; ``{{``/``}}`` come back unescaped."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise InvalidCommentTemplate(f"comment template has malformed braces: {exc}") from exc
    pieces: list[tuple[str, str | None]] = []
    for literal, field, spec, conversion in parsed:
        if field is None:
            pieces.append((literal, None))
            continue
        shown = "{" + field + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
        if field not in PLACEHOLDERS:
            allowed = ", ".join("{" + p + "}" for p in sorted(PLACEHOLDERS))
            raise InvalidCommentTemplate(f"unknown placeholder {shown}; allowed: {allowed}")
        if conversion or spec:
            raise InvalidCommentTemplate(f"placeholder {shown} may not have a conversion or format spec")
        pieces.append((literal, field))
    bad = sorted({c for c in template if unicodedata.category(c) == "Cc" and c not in _ALLOWED_CONTROLS})
    if bad:
        codes = ", ".join(f"U+{ord(c):04X}" for c in bad)
        raise InvalidCommentTemplate(f"comment template has control characters: {codes}")
    return pieces


def worst_case_length(template: str) -> int:
    """Longest possible rendering of ``template`` (raises :class:`InvalidCommentTemplate` if malformed)."""
    return sum(
        len(literal) + (PLACEHOLDER_MAX_LENGTHS[field] if field else 0) for literal, field in _parse(template)
    )


def validate_comment_template(template: str) -> None:
    """Raise :class:`InvalidCommentTemplate` unless every rendering fits in 250 characters.

    Worst case: a 64-character tracking number, a 100-character company name and an
    11-character date (``9999年12月31日``). The empty template is valid (no comment).
    """
    worst = worst_case_length(template)
    if worst > COMMENT_MAX_LENGTH:
        raise InvalidCommentTemplate(
            f"comment template can render to {worst} characters (tracking number up to "
            f"{TRACKING_NUMBER_MAX_LENGTH}, delivery company up to {COMPANY_NAME_MAX_LENGTH}, ship date "
            f"{SHIP_DATE_RENDERED_MAX_LENGTH}); BASE accepts at most {COMMENT_MAX_LENGTH}"
        )


def render_comment(template: str, *, tracking_number: str, delivery_company: str, ship_date: date) -> str:
    """Fill in the placeholders; raise :class:`CommentTooLong` if the result exceeds 250.

    ``delivery_company`` should be the resolved BASE name (what the buyer's e-mail
    shows elsewhere), not the operator's alias. The ship date is written the
    Japanese way, ``2026年11月28日`` (no zero padding), since the text is read by
    Japanese buyers in a Japanese e-mail; ISO dates read as machine output there.
    Text is not otherwise changed (newlines are kept and counted).
    """
    values = {
        "tracking_number": tracking_number,
        "delivery_company": delivery_company,
        "ship_date": format_ship_date_ja(ship_date),
    }
    rendered = "".join(literal + (values[field] if field else "") for literal, field in _parse(template))
    if len(rendered) > COMMENT_MAX_LENGTH:
        raise CommentTooLong(
            f"comment is {len(rendered)} characters; BASE accepts at most {COMMENT_MAX_LENGTH}", len(rendered)
        )
    return rendered
