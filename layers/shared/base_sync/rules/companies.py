"""Delivery company (配送会社) resolution against the shop's BASE company list.

BASE identifies carriers by ``delivery_company_id`` from ``GET /1/delivery_companies``;
the list differs by shop and changes over time, so ids are never hard-coded. The
order-management system stores whatever the operator typed — an id, BASE's own
name, or a common carrier name (``ヤマト運輸`` for BASE's ``クロネコヤマト``). This module
maps that to exactly one company of the given list or refuses: sending the wrong
carrier puts a broken tracking link in the buyer's e-mail, and a dispatch cannot be
recalled.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from difflib import SequenceMatcher
from typing import Final, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict

from base_sync.rules.errors import (
    AmbiguousDeliveryCompany,
    InvalidDeliveryCompanyInput,
    UnknownDeliveryCompany,
)

COMPANY_NAME_MAX_LENGTH: Final = 100
"""Longest delivery-company value accepted from the API (and assumed for a BASE name)."""


class DeliveryCompany(BaseModel):
    """One entry of BASE's ``delivery_companies`` list; parses the API JSON directly."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    delivery_company_id: int
    name: str


class CompanyLike(Protocol):
    """Anything shaped like a BASE company entry (this module's model or the API client's)."""

    @property
    def delivery_company_id(self) -> int: ...

    @property
    def name(self) -> str: ...


C = TypeVar("C", bound=CompanyLike)


_CORPORATE_AFFIXES: Final = ("株式会社", "(株)", "有限会社", "(有)")


def company_key(text: str) -> str:
    """Comparison key: NFKC, all whitespace removed, case-folded, ``株式会社``/``(株)`` dropped.

    NFKC folds full-width Latin and half-width katakana (``ﾔﾏﾄ`` = ``ヤマト``) and
    ``㈱``/``（株）`` to ``(株)``; the corporate-form affixes say nothing about which
    carrier is meant, so ``佐川急便株式会社`` is ``佐川急便``.
    """
    key = "".join(unicodedata.normalize("NFKC", text).split()).casefold()
    for affix in _CORPORATE_AFFIXES:
        key = key.removeprefix(affix).removesuffix(affix)
    return key


# Names operators use -> BASE names to look for, most specific first. Resolution tries
# an exact BASE name before this table, so a service BASE lists by itself (say
# ゆうパケット or ネコポス) resolves to that entry; the table only falls back to the
# same carrier's other names. Every target belongs to the same carrier as its alias.
_YAMATO: Final = ("クロネコヤマト", "ヤマト運輸")
_SAGAWA: Final = ("佐川急便",)
_SEINO: Final = ("西濃運輸",)
_FUKUYAMA: Final = ("福山通運",)
_NITTSU: Final = ("日本通運",)
_JP_POST: Final = ("日本郵便", "ゆうパック", "ゆうパケット", "ゆうメール")

_ALIAS_GROUPS: Final[tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]] = (
    (
        (
            "ヤマト運輸",
            "クロネコヤマト",
            "クロネコ",
            "ヤマト",
            "ヤマト宅急便",
            "宅急便",
            "宅急便コンパクト",
            "ネコポス",
            "ヤマト便",
            "yamato",
            "yamato transport",
            "kuroneko",
        ),
        _YAMATO,
    ),
    (("佐川急便", "佐川", "飛脚宅配便", "sagawa", "sagawa express"), _SAGAWA),
    (("西濃運輸", "西濃", "カンガルー便", "seino", "seino transportation"), _SEINO),
    (("福山通運", "福山", "fukuyama", "fukuyama transporting"), _FUKUYAMA),
    (("日本通運", "日通", "nittsu", "nippon express"), _NITTSU),
    (("日本郵便", "郵便", "郵便局", "日本郵政", "japan post", "jp post"), _JP_POST),
    (("ゆうパック", "yu-pack", "yupack"), ("ゆうパック", "日本郵便")),
    (
        ("ゆうパケット", "ゆうパケットプラス", "ゆうパケットポスト", "yu-packet", "yupacket"),
        ("ゆうパケット", "ゆうパック", "日本郵便"),
    ),
    (("ゆうメール",), ("ゆうメール", "ゆうパック", "日本郵便")),
    (("クリックポスト", "click post"), ("クリックポスト", "日本郵便", "ゆうパック")),
    (
        ("レターパック", "レターパックプラス", "レターパックライト", "letter pack"),
        ("レターパック", "日本郵便", "ゆうパック"),
    ),
)


def _build_alias_table() -> dict[str, tuple[str, ...]]:
    table: dict[str, tuple[str, ...]] = {}
    for aliases, targets in _ALIAS_GROUPS:
        for alias in aliases:
            key = company_key(alias)
            if key in table and table[key] != targets:
                raise AssertionError(f"alias {alias!r} is mapped twice")  # pragma: no cover
            table[key] = targets
    return table


ALIASES: Final[dict[str, tuple[str, ...]]] = _build_alias_table()
"""Alias key (see :func:`company_key`) -> BASE names to try, in order of preference."""


def _unique(value: str | int, matches: list[C], what: str) -> C | None:
    by_identity: dict[tuple[int, str], C] = {}
    for company in matches:  # an entry listed twice verbatim is one company, not an ambiguity
        by_identity.setdefault((company.delivery_company_id, company.name), company)
    distinct = tuple(by_identity.values())
    if not distinct:
        return None
    if len(distinct) > 1:
        listed = ", ".join(f"{c.name} (id {c.delivery_company_id})" for c in distinct)
        raise AmbiguousDeliveryCompany(
            f"delivery company {value!r} matches several BASE companies by {what}: {listed}",
            value,
            distinct,
        )
    return distinct[0]


def resolve_delivery_company(value: str | int, companies: Sequence[C]) -> C:
    """The one company of ``companies`` that ``value`` means, else :class:`UnknownDeliveryCompany`.

    Tried in order, the first rule that matches decides:

    1. an int, or a string of digits (full-width allowed), equal to a ``delivery_company_id``;
    2. a company name equal under :func:`company_key` (width, case, spaces, ``株式会社``);
    3. an alias (:data:`ALIASES`), resolved to the first of its target names that is in
       ``companies`` — so ``ゆうパケット`` gives ゆうパケット if listed, else ゆうパック, else 日本郵便.

    ``companies`` may be :class:`DeliveryCompany` or any :class:`CompanyLike` (such as
    the API client's model); the result is always an element of ``companies``. When one rule matches several
    companies (duplicate names or ids in the list) :class:`AmbiguousDeliveryCompany`
    is raised instead of picking one.
    """
    if isinstance(value, bool):
        raise UnknownDeliveryCompany(f"delivery company {value!r} is not a name or id", value)
    if isinstance(value, int):
        found = _unique(value, [c for c in companies if c.delivery_company_id == value], "id")
        if found is None:
            raise UnknownDeliveryCompany(f"no BASE delivery company has id {value}", value)
        return found

    nfkc = unicodedata.normalize("NFKC", value).strip()
    if nfkc.isascii() and nfkc.isdigit():
        found = _unique(value, [c for c in companies if c.delivery_company_id == int(nfkc)], "id")
        if found is not None:
            return found

    key = company_key(value)
    if key:
        found = _unique(value, [c for c in companies if company_key(c.name) == key], "name")
        if found is not None:
            return found
        for target in ALIASES.get(key, ()):
            target_key = company_key(target)
            found = _unique(value, [c for c in companies if company_key(c.name) == target_key], "alias")
            if found is not None:
                return found

    known = ", ".join(c.name for c in companies[:30]) or "(the list is empty)"
    raise UnknownDeliveryCompany(
        f"delivery company {value!r} matches no BASE delivery company; known: {known}", value
    )


SUGGESTIONS: Final = 3
"""How many close BASE companies an unknown entry is answered with."""


def _similarity(a: str, b: str) -> float:
    if not a or not b:
        return 0.0
    if a in b or b in a:  # ヤマト / クロネコヤマト, 佐川 / 佐川急便
        return 0.9 + 0.1 * min(len(a), len(b)) / max(len(a), len(b))
    return SequenceMatcher(None, a, b).ratio()


def closest_companies(value: str | int, companies: Sequence[C], limit: int = SUGGESTIONS) -> list[C]:
    """The companies of ``companies`` closest to ``value``, best first (at most ``limit``).

    Each company is compared by its name and by every alias of :data:`ALIASES` that leads to it,
    so ``sagwa`` finds 佐川急便 and ``ABC急便`` finds 佐川急便 (``急便``). Never empty for a
    non-empty list: with nothing similar, the list's first companies are named, so the operator
    always sees what BASE accepts."""
    key = company_key(str(value))
    scores: dict[int, float] = {}
    for index, company in enumerate(companies):
        name_key = company_key(company.name)
        best = _similarity(key, name_key)
        for alias, targets in ALIASES.items():
            if name_key in (company_key(t) for t in targets[:1]):
                best = max(best, _similarity(key, alias))
        scores[index] = best
    ranked = sorted(scores, key=lambda i: (-scores[i], i))
    return [companies[i] for i in ranked[:limit]]


def validate_delivery_company_input(value: str | int) -> str:
    """Check an API-supplied delivery company (name, alias or id) and return it stripped.

    Only shape is checked here (non-empty, at most :data:`COMPANY_NAME_MAX_LENGTH`
    characters, no control characters); whether it resolves depends on the shop's
    BASE list, which the edit is checked against where it is applied
    (``ManagementService.prepare_edit``, with the list cached on the shop) and again at
    export time. An int id is returned as its decimal string.
    """
    if isinstance(value, bool):
        raise InvalidDeliveryCompanyInput("delivery company must be a name or an id")
    if isinstance(value, int):
        if value <= 0:
            raise InvalidDeliveryCompanyInput("delivery company id must be positive")
        return str(value)
    stripped = value.strip()
    if not stripped:
        raise InvalidDeliveryCompanyInput("delivery company must not be empty")
    if len(stripped) > COMPANY_NAME_MAX_LENGTH:
        raise InvalidDeliveryCompanyInput(
            f"delivery company has {len(stripped)} characters; at most {COMPANY_NAME_MAX_LENGTH} allowed"
        )
    if any(unicodedata.category(c) == "Cc" for c in stripped):
        raise InvalidDeliveryCompanyInput("delivery company must not contain control characters")
    return stripped
