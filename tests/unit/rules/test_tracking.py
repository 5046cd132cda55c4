"""Tracking-number normalisation: exact, idempotent, never silently drops a character."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from base_sync.domain.reasons import Reason
from base_sync.rules.errors import InvalidTrackingNumber
from base_sync.rules.tracking import (
    HYPHENS,
    SPACES,
    TRACKING_NUMBER_MAX_LENGTH,
    is_valid_tracking_number,
    normalize_tracking_number,
)

BASE_FORM = re.compile(r"[A-Za-z0-9]{1,64}")
ASCII_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("123456789012", "123456789012"),
        ("1234-5678-9012", "123456789012"),
        ("１２３４－５６７８－９０１２", "123456789012"),
        ("１２３４ー５６７８ー９０１２", "123456789012"),  # IME prolonged sound mark as hyphen
        ("1234ｰ5678", "12345678"),  # half-width prolonged sound mark
        ("Ｙ１２３", "Y123"),
        ("ｙａｍａｔｏ１", "yamato1"),  # case is kept
        ("EJ 123 456 789 JP", "EJ123456789JP"),
        ("1234\u30005678", "12345678"),  # ideographic space
        ("1234\t5678", "12345678"),
        ("1234\u00a05678", "12345678"),  # no-break space from a web page
        ("12‐34―56−78‑90", "1234567890"),
        ("12–34—56", "123456"),
        ("  1234-5678  ", "12345678"),
        ("1234-5678\n", "12345678"),  # pasted spreadsheet cell
        ("\r\n1234\r\n", "1234"),
        ("0", "0"),
        ("x" * TRACKING_NUMBER_MAX_LENGTH, "x" * TRACKING_NUMBER_MAX_LENGTH),
        ("-".join("1" * TRACKING_NUMBER_MAX_LENGTH), "1" * TRACKING_NUMBER_MAX_LENGTH),
    ],
)
def test_normalises(raw: str, expected: str) -> None:
    assert normalize_tracking_number(raw) == expected


@pytest.mark.parametrize(
    ("raw", "offending"),
    [
        ("1234#5678", ("#",)),
        ("1234/5678", ("/",)),
        ("1234.5678", (".",)),
        ("1234,5678", (",",)),
        ("1234_5678", ("_",)),
        ("伝票1234", ("伝", "票")),
        ("1234😀", ("😀",)),
        ("１２３４＃", ("＃",)),  # full-width punctuation is not a letter or digit either
        ("①234", ("①",)),  # NFKC would make this "1": a guess, so refused
        ("12²", ("²",)),
        ("Ⅸ12", ("Ⅸ",)),
        ("١٢٣", ("١", "٢", "٣")),  # Arabic-Indic digits are str.isdigit() but not ASCII
        ("ｱｲ12", ("ｱ", "ｲ")),
        ("1234\n5678", ("\n",)),  # two numbers on two lines are not one number
        ("1234\u200b5678", ("\u200b",)),  # zero-width space: invisible, so named
        ("12#3#4", ("#",)),  # each offending character named once
    ],
)
def test_rejects_and_names_offending_characters(raw: str, offending: tuple[str, ...]) -> None:
    with pytest.raises(InvalidTrackingNumber) as caught:
        normalize_tracking_number(raw)
    assert caught.value.offending == offending
    assert caught.value.reason is Reason.INVALID_TRACKING_NUMBER
    for char in offending:
        assert f"U+{ord(char):04X}" in str(caught.value)


@pytest.mark.parametrize("raw", ["", " ", "\u3000", "-", "ーー", "- -", "\n", "\t-\t"])
def test_rejects_empty(raw: str) -> None:
    with pytest.raises(InvalidTrackingNumber, match="empty"):
        normalize_tracking_number(raw)


def test_rejects_over_max_length() -> None:
    with pytest.raises(InvalidTrackingNumber, match="65 characters"):
        normalize_tracking_number("9" * (TRACKING_NUMBER_MAX_LENGTH + 1))
    # separators do not count towards the length
    assert normalize_tracking_number("9-" * TRACKING_NUMBER_MAX_LENGTH) == "9" * TRACKING_NUMBER_MAX_LENGTH


def test_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="#"):
        normalize_tracking_number("#")


@pytest.mark.parametrize(
    ("value", "valid"),
    [("123", True), ("Y123", True), ("", False), ("12-3", False), ("１２", False), ("1" * 65, False)],
)
def test_is_valid_tracking_number(value: str, valid: bool) -> None:
    assert is_valid_tracking_number(value) is valid


# -- properties ------------------------------------------------------------------------

interesting_chars = st.sampled_from(
    [*ASCII_ALNUM, *fullwidth(ASCII_ALNUM), *HYPHENS, *SPACES, "\n", "#", "/", ".", "①", "ｱ", "漢", "😀"]
)
any_text = st.text(st.one_of(interesting_chars, st.characters()), max_size=80)


@given(any_text)
@example("１２３４ー５６７８")
@example("１ ２")
def test_output_is_base_form_or_raises(raw: str) -> None:
    try:
        out = normalize_tracking_number(raw)
    except InvalidTrackingNumber:
        return
    assert BASE_FORM.fullmatch(out)
    assert is_valid_tracking_number(out)


@given(any_text)
def test_idempotent(raw: str) -> None:
    try:
        out = normalize_tracking_number(raw)
    except InvalidTrackingNumber:
        return
    assert normalize_tracking_number(out) == out


@given(any_text)
@example("１ー２")
def test_never_drops_a_non_separator(raw: str) -> None:
    """Each letter/digit of the NFKC form survives, and nothing else does.

    ``ー`` is a letter to Python (category Lm) but a hyphen here, so it is not counted.
    """
    try:
        out = normalize_tracking_number(raw)
    except InvalidTrackingNumber:
        return
    kept = [c for c in unicodedata.normalize("NFKC", raw) if c.isalnum() and c not in HYPHENS]
    assert len(out) == len(kept)
    assert out == "".join(kept)


@given(
    st.text(st.sampled_from(ASCII_ALNUM), min_size=1, max_size=10),
    st.sampled_from([c for c in "#/.,_:;+*()[]漢ｱ①😀\x00\n" if c]),
    st.text(st.sampled_from(ASCII_ALNUM), min_size=1, max_size=10),
)
def test_a_foreign_character_inside_always_raises(head: str, bad: str, tail: str) -> None:
    with pytest.raises(InvalidTrackingNumber) as caught:
        normalize_tracking_number(head + bad + tail)
    assert bad in caught.value.offending


@given(st.text(st.sampled_from(ASCII_ALNUM), min_size=1, max_size=TRACKING_NUMBER_MAX_LENGTH))
def test_fullwidth_equals_halfwidth(number: str) -> None:
    assert normalize_tracking_number(fullwidth(number)) == number
    assert normalize_tracking_number(number) == number


@given(st.data(), st.text(st.sampled_from(ASCII_ALNUM), min_size=1, max_size=TRACKING_NUMBER_MAX_LENGTH))
def test_mixed_width_and_separators_do_not_matter(data: st.DataObject, number: str) -> None:
    pieces = []
    for char in number:
        pieces.append(data.draw(st.sampled_from([char, fullwidth(char)])))
        pieces.append(data.draw(st.text(st.sampled_from(sorted(HYPHENS | SPACES)), max_size=2)))
    assert normalize_tracking_number("".join(pieces)) == number
