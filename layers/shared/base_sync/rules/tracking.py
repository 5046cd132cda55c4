"""Tracking-number (伝票番号) normalisation to what BASE's ``edit_status`` accepts.

BASE accepts ASCII letters and digits only. Operators paste numbers as printed on
labels (``1234-5678-9012``), type them with a Japanese IME (``１２３４ー５６７８``) or
group them with spaces; those separators carry no meaning and are removed, and
full-width letters/digits become their ASCII forms. Anything else is an error on the
order, never a silent change: a wrong number goes out in the buyer's e-mail and a
dispatch cannot be recalled.
"""

from __future__ import annotations

import unicodedata
from typing import Final

from base_sync.rules.errors import InvalidTrackingNumber

TRACKING_NUMBER_MAX_LENGTH: Final = 64
"""Longest normalised tracking number accepted.

BASE documents no limit. Domestic Japanese numbers are 10-14 digits and UPU/S10
international ones 13 characters; the longest real-world formats (some couriers'
22-34 character barcodes) fit well within 64, and the bound keeps the worst-case
``add_comment`` rendering computable (see :mod:`base_sync.rules.comment`).
"""

HYPHENS: Final = frozenset(
    "-"  # U+002D HYPHEN-MINUS
    "\u2010"  # HYPHEN
    "\u2011"  # NON-BREAKING HYPHEN
    "\u2012"  # FIGURE DASH
    "\u2013"  # EN DASH
    "\u2014"  # EM DASH
    "\u2015"  # HORIZONTAL BAR
    "\u2043"  # HYPHEN BULLET
    "\u2212"  # MINUS SIGN
    "\u30fc"  # KATAKANA-HIRAGANA PROLONGED SOUND MARK: what a Japanese IME gives for '-'
    "\ufe58"  # SMALL EM DASH
    "\ufe63"  # SMALL HYPHEN-MINUS
    "\uff0d"  # FULLWIDTH HYPHEN-MINUS
    "\uff70"  # HALFWIDTH KATAKANA-HIRAGANA PROLONGED SOUND MARK
)
"""Characters treated as a hyphen and removed.

The prolonged sound mark ``ー`` (U+30FC) is included on purpose: typing ``-`` in
Japanese input mode produces it, so order-management users routinely enter
``1234ー5678``. It never occurs in a real tracking number.
"""

SPACES: Final = frozenset(" \t\u00a0\u3000")
"""Grouping spaces removed anywhere: ASCII space, tab, no-break space, ideographic space."""

LINE_BREAKS: Final = frozenset("\n\r\v\f\x85\u2028\u2029")
"""Removed only at the ends (a pasted cell's trailing newline).

Inside the value a line break more likely separates two tracking numbers than
groups one, so there it is an error rather than a separator.
"""

SEPARATORS: Final = HYPHENS | SPACES

_EDGE_CHARS: Final = "".join(sorted(LINE_BREAKS | SPACES))

_FULLWIDTH_OFFSET: Final = 0xFEE0  # U+FF01..U+FF5E are U+0021..U+007E shifted by this


def _to_ascii_alnum(char: str) -> str | None:
    """The ASCII letter/digit ``char`` stands for, or None.

    Only ASCII and full-width Latin letters/digits qualify. Other compatibility
    forms that NFKC would also turn into ASCII (circled ``①``, superscript ``²``,
    Roman numeral ``Ⅸ``, Arabic-Indic ``١``) are rejected: they are not what a
    label shows, so mapping them would be a guess.
    """
    if char.isascii():
        return char if char.isalnum() else None
    code = ord(char)
    if 0xFF10 <= code <= 0xFF19 or 0xFF21 <= code <= 0xFF3A or 0xFF41 <= code <= 0xFF5A:
        return chr(code - _FULLWIDTH_OFFSET)
    return None


def _describe(char: str) -> str:
    name = unicodedata.name(char, "")
    return f"{char!r} (U+{ord(char):04X}{' ' + name if name else ''})"


def normalize_tracking_number(raw: str) -> str:
    """Return ``raw`` as BASE accepts it (``[A-Za-z0-9]{1,64}``) or raise.

    Full-width letters/digits become ASCII; hyphens (:data:`HYPHENS`) and spaces
    (:data:`SPACES`) are removed; leading/trailing line breaks are removed. Letter
    case is kept. Every other character raises :class:`InvalidTrackingNumber`
    naming it, so nothing meaningful is ever dropped. Idempotent.
    """
    trimmed = raw.strip(_EDGE_CHARS)

    out: list[str] = []
    offending: list[str] = []
    for char in trimmed:
        if char in SEPARATORS:
            continue
        mapped = _to_ascii_alnum(char)
        if mapped is None:
            if char not in offending:
                offending.append(char)
        else:
            out.append(mapped)

    if offending:
        shown = ", ".join(_describe(c) for c in offending[:10])
        more = f" and {len(offending) - 10} more" if len(offending) > 10 else ""
        raise InvalidTrackingNumber(
            f"tracking number may hold only letters, digits, hyphens and spaces; found {shown}{more}",
            tuple(offending),
        )
    if not out:
        raise InvalidTrackingNumber("tracking number is empty once hyphens and spaces are removed")
    if len(out) > TRACKING_NUMBER_MAX_LENGTH:
        raise InvalidTrackingNumber(
            f"tracking number has {len(out)} characters; at most {TRACKING_NUMBER_MAX_LENGTH} are accepted"
        )
    return "".join(out)


def is_valid_tracking_number(value: str) -> bool:
    """True if ``value`` is already in normalised form (what may be sent to BASE as is)."""
    return 0 < len(value) <= TRACKING_NUMBER_MAX_LENGTH and value.isascii() and value.isalnum()
