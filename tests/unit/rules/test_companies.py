"""Delivery company resolution: always a company of the given list, never a wrong carrier."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from base_sync.domain.reasons import Reason
from base_sync.rules.companies import (
    ALIASES,
    COMPANY_NAME_MAX_LENGTH,
    DeliveryCompany,
    company_key,
    resolve_delivery_company,
    validate_delivery_company_input,
)
from base_sync.rules.errors import (
    AmbiguousDeliveryCompany,
    InvalidDeliveryCompanyInput,
    UnknownDeliveryCompany,
)


def companies(*pairs: tuple[int, str]) -> list[DeliveryCompany]:
    return [DeliveryCompany(delivery_company_id=i, name=n) for i, n in pairs]


# A plausible full BASE list (ids made up on purpose: nothing may depend on them).
FULL = companies(
    (11, "クロネコヤマト"),
    (12, "佐川急便"),
    (13, "日本通運"),
    (14, "ゆうパック"),
    (15, "ゆうパケット"),
    (16, "ゆうメール"),
    (17, "日本郵便"),
    (18, "西濃運輸"),
    (19, "福山通運"),
    (20, "クリックポスト"),
    (21, "レターパック"),
    (22, "DHL"),
    (23, "その他"),
)
DOCS_EXAMPLE = companies((1, "クロネコヤマト"), (2, "佐川急便"), (3, "日本通運"))

CARRIER_OF_BASE_NAME = {
    "クロネコヤマト": "yamato",
    "ヤマト運輸": "yamato",
    "ネコポス": "yamato",
    "佐川急便": "sagawa",
    "日本通運": "nittsu",
    "ゆうパック": "jppost",
    "ゆうパケット": "jppost",
    "ゆうメール": "jppost",
    "日本郵便": "jppost",
    "クリックポスト": "jppost",
    "レターパック": "jppost",
    "西濃運輸": "seino",
    "福山通運": "fukuyama",
    "DHL": "dhl",
    "その他": "other",
}
CARRIER_OF_ALIAS = {
    **dict.fromkeys(
        [
            *(
                "ヤマト運輸",
                "クロネコヤマト",
                "クロネコ",
                "ヤマト",
                "ヤマト宅急便",
                "宅急便",
                "宅急便コンパクト",
            ),
            *("ネコポス", "ヤマト便", "yamato", "yamato transport", "kuroneko"),
        ],
        "yamato",
    ),
    **dict.fromkeys(["佐川急便", "佐川", "飛脚宅配便", "sagawa", "sagawa express"], "sagawa"),
    **dict.fromkeys(["西濃運輸", "西濃", "カンガルー便", "seino", "seino transportation"], "seino"),
    **dict.fromkeys(["福山通運", "福山", "fukuyama", "fukuyama transporting"], "fukuyama"),
    **dict.fromkeys(["日本通運", "日通", "nittsu", "nippon express"], "nittsu"),
    **dict.fromkeys(
        [
            *(
                "日本郵便",
                "郵便",
                "郵便局",
                "日本郵政",
                "japan post",
                "jp post",
                "ゆうパック",
                "yu-pack",
                "yupack",
            ),
            *(
                "ゆうパケット",
                "ゆうパケットプラス",
                "ゆうパケットポスト",
                "yu-packet",
                "yupacket",
                "ゆうメール",
            ),
            *("クリックポスト", "click post", "レターパック", "レターパックプラス", "レターパックライト"),
            "letter pack",
        ],
        "jppost",
    ),
}


@pytest.mark.parametrize(
    ("value", "expected_id"),
    [
        (11, 11),
        ("11", 11),
        ("１１", 11),
        (" 12 ", 12),
        ("クロネコヤマト", 11),
        ("ヤマト運輸", 11),
        ("ヤマト", 11),
        ("クロネコ", 11),
        ("宅急便", 11),
        ("ヤマト宅急便", 11),
        ("ネコポス", 11),
        ("YAMATO", 11),
        ("Yamato Transport", 11),
        ("ﾔﾏﾄ運輸", 11),  # half-width katakana
        ("ヤマト運輸株式会社", 11),
        ("㈱ヤマト運輸", 11),
        ("佐川", 12),
        ("sagawa", 12),
        ("ＳＡＧＡＷＡ", 12),
        ("佐川急便（株）", 12),
        ("日通", 13),
        ("Nippon Express", 13),
        ("ゆうパック", 14),
        ("ゆうパケット", 15),  # the specific service when BASE lists it
        ("ゆうメール", 16),
        ("日本郵便", 17),
        ("japan post", 17),
        ("西濃", 18),
        ("seino", 18),
        ("福山", 19),
        ("クリックポスト", 20),
        ("レターパックプラス", 21),
        ("dhl", 22),
        ("ＤＨＬ", 22),
        ("その他", 23),
    ],
)
def test_resolves_full_list(value: str | int, expected_id: int) -> None:
    assert resolve_delivery_company(value, FULL).delivery_company_id == expected_id


@pytest.mark.parametrize(
    ("value", "listed", "expected"),
    [
        ("ゆうパケット", ["ゆうパケット", "ゆうパック", "日本郵便"], "ゆうパケット"),
        ("ゆうパケット", ["ゆうパック", "日本郵便"], "ゆうパック"),
        ("ゆうパケット", ["日本郵便"], "日本郵便"),
        ("ゆうパケットプラス", ["ゆうパック", "ゆうパケット"], "ゆうパケット"),
        ("yu-packet", ["日本郵便", "ゆうパケット", "ゆうパック"], "ゆうパケット"),
        ("ゆうパケットポスト", ["日本郵便", "ゆうパック"], "ゆうパック"),
        ("ゆうメール", ["ゆうパック", "日本郵便"], "ゆうパック"),
        ("ゆうパック", ["日本郵便", "ゆうパケット"], "日本郵便"),
        ("日本郵便", ["ゆうパケット", "ゆうパック"], "ゆうパック"),
        ("日本郵便", ["ゆうメール"], "ゆうメール"),
        ("郵便", ["日本郵便", "ゆうパック"], "日本郵便"),
        ("クリックポスト", ["ゆうパック", "日本郵便"], "日本郵便"),
        ("クリックポスト", ["ゆうパック"], "ゆうパック"),
        ("ヤマト", ["ヤマト運輸"], "ヤマト運輸"),
        ("ネコポス", ["ネコポス", "クロネコヤマト"], "ネコポス"),
        ("ネコポス", ["クロネコヤマト"], "クロネコヤマト"),
    ],
)
def test_alias_prefers_what_the_list_contains(value: str, listed: list[str], expected: str) -> None:
    listing = companies(*enumerate(listed, start=100))
    assert resolve_delivery_company(value, listing).name == expected


@pytest.mark.parametrize(
    "value",
    [
        "ゆうパック",  # alias target absent from this list: never guessed into an id
        "日本郵便",
        "西濃運輸",
        "FedEx",
        "ヤマ",  # a prefix is not a match
        "ヤマト佐川",
        "",
        "   ",
        "株式会社",
        4,
        0,
        -1,
        "99",
        True,
    ],
)
def test_unknown(value: str | int) -> None:
    with pytest.raises(UnknownDeliveryCompany) as caught:
        resolve_delivery_company(value, DOCS_EXAMPLE)
    assert caught.value.reason is Reason.UNKNOWN_DELIVERY_COMPANY
    assert isinstance(caught.value, ValueError)


def test_empty_list_resolves_nothing() -> None:
    with pytest.raises(UnknownDeliveryCompany, match="empty"):
        resolve_delivery_company("クロネコヤマト", [])


def test_duplicate_names_are_ambiguous_not_picked() -> None:
    listing = companies((1, "クロネコヤマト"), (2, "佐川急便"), (9, "クロネコ ヤマト"))
    with pytest.raises(AmbiguousDeliveryCompany) as caught:
        resolve_delivery_company("ヤマト運輸", listing)
    assert {c.delivery_company_id for c in caught.value.candidates} == {1, 9}
    assert caught.value.reason is Reason.AMBIGUOUS_DELIVERY_COMPANY
    with pytest.raises(AmbiguousDeliveryCompany):
        resolve_delivery_company("クロネコヤマト", listing)
    assert resolve_delivery_company("佐川", listing).delivery_company_id == 2


def test_duplicate_ids_are_ambiguous() -> None:
    listing = companies((1, "クロネコヤマト"), (1, "佐川急便"))
    with pytest.raises(AmbiguousDeliveryCompany):
        resolve_delivery_company(1, listing)
    with pytest.raises(AmbiguousDeliveryCompany):
        resolve_delivery_company("1", listing)


def test_identical_duplicate_entries_are_not_ambiguous() -> None:
    listing = companies((1, "クロネコヤマト"), (1, "クロネコヤマト"))
    assert resolve_delivery_company("ヤマト", listing) == DeliveryCompany(
        delivery_company_id=1, name="クロネコヤマト"
    )


def test_exact_name_beats_alias() -> None:
    # a shop whose list names "ヤマト" itself gets that entry, not the alias's first target
    listing = companies((1, "クロネコヤマト"), (7, "ヤマト"))
    assert resolve_delivery_company("ヤマト", listing).delivery_company_id == 7


@dataclass
class OtherModel:
    """A mutable, unhashable look-alike, as another module's company model might be."""

    delivery_company_id: int
    name: str


def test_accepts_any_company_shaped_objects() -> None:
    listing = [OtherModel(1, "クロネコヤマト"), OtherModel(2, "佐川急便"), OtherModel(2, "佐川急便")]
    found = resolve_delivery_company("佐川", listing)
    assert found is listing[1]
    with pytest.raises(UnknownDeliveryCompany):
        resolve_delivery_company("西濃", listing)


def test_parses_base_json() -> None:
    company = DeliveryCompany.model_validate({"delivery_company_id": 1, "name": "クロネコヤマト", "new": 1})
    assert company == DeliveryCompany(delivery_company_id=1, name="クロネコヤマト")


def test_alias_table_covers_the_documented_aliases() -> None:
    for alias in CARRIER_OF_ALIAS:
        assert company_key(alias) in ALIASES, alias
    assert set(ALIASES) == {company_key(a) for a in CARRIER_OF_ALIAS}, "alias without a carrier in the test"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ヤマト運輸", "ヤマト運輸"),
        ("  佐川 ", "佐川"),
        ("\u3000日通\u3000", "日通"),
        (3, "3"),
        ("x" * 100, "x" * 100),
    ],
)
def test_validate_input_accepts(raw: str | int, expected: str) -> None:
    assert validate_delivery_company_input(raw) == expected


@pytest.mark.parametrize("raw", ["", "   ", "\u3000", "x" * 101, "ヤマト\n運輸", "a\x00b", 0, -3, True])
def test_validate_input_rejects(raw: str | int) -> None:
    with pytest.raises(InvalidDeliveryCompanyInput):
        validate_delivery_company_input(raw)


# -- properties ------------------------------------------------------------------------

known_names = sorted(CARRIER_OF_BASE_NAME)
listing_strategy = st.lists(
    st.builds(
        DeliveryCompany,
        delivery_company_id=st.integers(min_value=1, max_value=40),
        name=st.one_of(st.sampled_from(known_names), st.text(max_size=8)),
    ),
    max_size=12,
)
value_strategy = st.one_of(
    st.sampled_from(sorted(CARRIER_OF_ALIAS)),
    st.sampled_from(known_names),
    st.integers(min_value=-2, max_value=45),
    st.integers(min_value=0, max_value=45).map(str),
    st.text(max_size=10),
)


@given(value_strategy, listing_strategy)
def test_result_is_always_in_the_list(value: str | int, listing: list[DeliveryCompany]) -> None:
    try:
        found = resolve_delivery_company(value, listing)
    except UnknownDeliveryCompany:
        return
    assert found in listing


@given(
    st.sampled_from(sorted(CARRIER_OF_ALIAS)),
    st.lists(st.sampled_from(known_names), unique=True).map(lambda names: companies(*enumerate(names, 1))),
)
def test_alias_never_resolves_to_another_carrier(alias: str, listing: list[DeliveryCompany]) -> None:
    try:
        found = resolve_delivery_company(alias, listing)
    except UnknownDeliveryCompany:
        return
    assert CARRIER_OF_BASE_NAME[found.name] == CARRIER_OF_ALIAS[alias]


@given(
    st.sampled_from(sorted(CARRIER_OF_ALIAS)),
    st.lists(st.sampled_from(known_names), unique=True).map(lambda names: companies(*enumerate(names, 1))),
)
def test_an_alias_resolves_when_its_main_name_is_listed(alias: str, listing: list[DeliveryCompany]) -> None:
    main = {"yamato": "クロネコヤマト", "sagawa": "佐川急便", "seino": "西濃運輸", "fukuyama": "福山通運"}
    main |= {"nittsu": "日本通運", "jppost": "日本郵便"}
    if main[CARRIER_OF_ALIAS[alias]] in {c.name for c in listing}:
        resolve_delivery_company(alias, listing)


def _disguise(text: str, data: st.DataObject) -> str:
    """Same name as an operator might type it: spaces, full-width Latin, other case."""
    out = []
    for original in text:
        char = original
        if char.isascii() and char.isalpha():
            char = data.draw(st.sampled_from([char.lower(), char.upper()]))
        if "!" <= char <= "~":
            char = data.draw(st.sampled_from([char, chr(ord(char) + 0xFEE0)]))
        out.append(char)
        out.append(data.draw(st.sampled_from(["", "", " ", "\u3000", "\t"])))
    return data.draw(st.sampled_from(["", " ", "\u3000"])) + "".join(out)


@given(st.data(), st.sampled_from(sorted(CARRIER_OF_ALIAS) + known_names))
def test_invariant_under_whitespace_width_and_case(data: st.DataObject, value: str) -> None:
    disguised = _disguise(value, data)
    try:
        plain = resolve_delivery_company(value, FULL)
    except UnknownDeliveryCompany as exc:
        with pytest.raises(type(exc)):
            resolve_delivery_company(disguised, FULL)
        return
    assert resolve_delivery_company(disguised, FULL) == plain


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("クロネコ ヤマト", "クロネコヤマト"),
        ("ﾔﾏﾄ運輸", "ヤマト運輸"),
        ("ＤＨＬ", "dhl"),
        ("Sagawa\u3000Express", "sagawaexpress"),
        ("株式会社 西濃運輸", "西濃運輸"),
        ("福山通運㈱", "福山通運"),
        ("(有)ヤマト", "ヤマト"),
        ("日本(株)通運", "日本(株)通運"),  # only a leading or trailing corporate form is dropped
    ],
)
def test_company_key(text: str, key: str) -> None:
    assert company_key(text) == key


@given(st.text(min_size=1, max_size=COMPANY_NAME_MAX_LENGTH + 20))
def test_validate_input_bounds(text: str) -> None:
    try:
        out = validate_delivery_company_input(text)
    except InvalidDeliveryCompanyInput:
        return
    assert 0 < len(out) <= COMPANY_NAME_MAX_LENGTH
    assert out == out.strip()
