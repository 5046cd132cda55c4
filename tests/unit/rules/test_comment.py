"""Comment templates: only known placeholders, and a validated template always fits 250."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from base_sync.domain.reasons import Reason
from base_sync.rules.comment import (
    COMMENT_MAX_LENGTH,
    PLACEHOLDERS,
    SHIP_DATE_RENDERED_MAX_LENGTH,
    render_comment,
    validate_comment_template,
    worst_case_length,
)
from base_sync.rules.companies import COMPANY_NAME_MAX_LENGTH
from base_sync.rules.errors import CommentTooLong, InvalidCommentTemplate
from base_sync.rules.tracking import TRACKING_NUMBER_MAX_LENGTH

ALL_THREE = "{tracking_number}{delivery_company}{ship_date}"
ALL_THREE_WORST = TRACKING_NUMBER_MAX_LENGTH + COMPANY_NAME_MAX_LENGTH + SHIP_DATE_RENDERED_MAX_LENGTH  # 175
DAY = date(2026, 11, 28)


def render(template: str, tracking: str = "123456789012", company: str = "佐川急便", day: date = DAY) -> str:
    return render_comment(template, tracking_number=tracking, delivery_company=company, ship_date=day)


def test_bounds_are_what_the_docs_say() -> None:
    assert (TRACKING_NUMBER_MAX_LENGTH, COMPANY_NAME_MAX_LENGTH, SHIP_DATE_RENDERED_MAX_LENGTH) == (
        64,
        100,
        11,
    )
    assert COMMENT_MAX_LENGTH == 250
    assert {"tracking_number", "delivery_company", "ship_date"} == PLACEHOLDERS


@pytest.mark.parametrize(
    ("template", "rendered"),
    [
        ("", ""),
        ("ご注文の商品を発送しました。", "ご注文の商品を発送しました。"),
        (
            "配送会社: {delivery_company}\n伝票番号: {tracking_number}\n出荷日: {ship_date}",
            "配送会社: 佐川急便\n伝票番号: 123456789012\n出荷日: 2026年11月28日",
        ),
        ("{ship_date}{ship_date}", "2026年11月28日2026年11月28日"),
        ("{{tracking_number}}", "{tracking_number}"),  # escaped braces are literal text
        ("{{{tracking_number}}}", "{123456789012}"),
        ("a}}b{{c", "a}b{c"),
        ("\t{tracking_number}\r\n", "\t123456789012\r\n"),
    ],
)
def test_render(template: str, rendered: str) -> None:
    validate_comment_template(template)
    assert render(template) == rendered


def test_ship_date_is_japanese_without_padding() -> None:
    assert render("{ship_date}", day=date(2027, 1, 5)) == "2027年1月5日"


def test_values_are_not_interpreted_as_templates() -> None:
    assert render("{tracking_number}", tracking="{delivery_company}") == "{delivery_company}"


@pytest.mark.parametrize(
    "template",
    [
        "{foo}",
        "{}",
        "{0}",
        "{Tracking_Number}",
        "{tracking_number.__class__}",
        "{tracking_number.__class__.__mro__}",
        "{tracking_number[0]}",
        "{ship_date.year}",
        "{tracking_number!r}",
        "{tracking_number!s}",
        "{ship_date:%Y}",
        "{tracking_number:>300}",
        "{ship_date:{tracking_number}}",
        "{ tracking_number }",
        "{",
        "}",
        "{tracking_number",
        "tracking_number}",
        "abc}def",
        "{{tracking_number}",
        "ok\x00",
        "bell\x07",
        "esc\x1b[31m",
    ],
)
def test_invalid_templates(template: str) -> None:
    with pytest.raises(InvalidCommentTemplate) as caught:
        validate_comment_template(template)
    assert caught.value.reason is Reason.INVALID_COMMENT_TEMPLATE
    with pytest.raises(InvalidCommentTemplate):
        render(template)


def test_unknown_placeholder_message_names_it() -> None:
    with pytest.raises(InvalidCommentTemplate, match=r"\{tracking_number\.__class__\}"):
        validate_comment_template("{tracking_number.__class__}")


@pytest.mark.parametrize(
    ("template", "worst"),
    [
        ("", 0),
        ("x" * 250, 250),
        (ALL_THREE, 175),
        ("{{tracking_number}}", 17),
        ("\n" * 10 + "{ship_date}", 21),
        ("{tracking_number}" * 3, 192),
    ],
)
def test_worst_case_length(template: str, worst: int) -> None:
    assert worst_case_length(template) == worst


@pytest.mark.parametrize(
    ("template", "valid"),
    [
        ("x" * 250, True),
        ("x" * 251, False),
        ("x" * (250 - ALL_THREE_WORST) + ALL_THREE, True),
        ("x" * (251 - ALL_THREE_WORST) + ALL_THREE, False),
        ("\n" * (250 - ALL_THREE_WORST) + ALL_THREE, True),
        ("\n" * (251 - ALL_THREE_WORST) + ALL_THREE, False),  # newlines count
        ("{tracking_number}" * 3 + "x" * 58, True),
        ("{tracking_number}" * 4, False),  # 256: four maximal tracking numbers do not fit
        ("{delivery_company}" * 3, False),
        ("あ" * 250, True),  # characters, not bytes
    ],
)
def test_worst_case_limit(template: str, valid: bool) -> None:
    if valid:
        validate_comment_template(template)
    else:
        with pytest.raises(InvalidCommentTemplate, match="at most 250"):
            validate_comment_template(template)


def test_render_refuses_too_long() -> None:
    template = "{delivery_company}" * 2  # worst case 200: valid
    validate_comment_template(template)
    with pytest.raises(CommentTooLong) as caught:
        render(template, company="x" * 126)  # a BASE name longer than the assumed bound
    assert caught.value.length == 252
    assert caught.value.reason is Reason.COMMENT_TOO_LONG
    assert len(render(template, company="x" * 125)) == 250


def test_render_checks_actual_length_not_worst_case() -> None:
    # saved before validation existed or edited directly: rendered text that fits is still sent
    template = "{tracking_number}" * 4
    assert render(template, tracking="1") == "1111"


# -- properties ------------------------------------------------------------------------

placeholder = st.sampled_from(sorted("{" + p + "}" for p in PLACEHOLDERS))
literal = st.text(st.characters(exclude_categories=["Cc", "Cs"]) | st.sampled_from("\n{}"), max_size=40).map(
    lambda s: s.replace("{", "{{").replace("}", "}}")
)
templates = st.lists(st.one_of(placeholder, literal), max_size=8).map("".join)
tracking_numbers = st.text(
    st.sampled_from("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"),
    min_size=1,
    max_size=TRACKING_NUMBER_MAX_LENGTH,
)
company_names = st.text(min_size=1, max_size=COMPANY_NAME_MAX_LENGTH)
ship_dates = st.dates()


@given(templates, tracking_numbers, company_names, ship_dates)
def test_validated_template_always_fits(template: str, tracking: str, company: str, day: date) -> None:
    try:
        validate_comment_template(template)
    except InvalidCommentTemplate:
        return
    rendered = render(template, tracking, company, day)
    assert len(rendered) <= COMMENT_MAX_LENGTH
    assert len(rendered) <= worst_case_length(template)


@given(templates)
def test_worst_case_is_exact(template: str) -> None:
    """The bound is reached by maximal values, so it is not looser than it needs to be."""
    worst = worst_case_length(template)
    maximal = "9" * TRACKING_NUMBER_MAX_LENGTH, "x" * COMPANY_NAME_MAX_LENGTH, date(9999, 12, 31)
    try:
        rendered = render(template, *maximal)
    except CommentTooLong as exc:
        assert worst > COMMENT_MAX_LENGTH
        assert exc.length == worst
        return
    assert len(rendered) == worst


@given(st.text(max_size=60))
def test_arbitrary_text_is_valid_or_invalid_never_a_crash(template: str) -> None:
    try:
        validate_comment_template(template)
    except InvalidCommentTemplate:
        return
    rendered = render(template)
    assert len(rendered) <= COMMENT_MAX_LENGTH


@given(st.text(st.sampled_from("{}._[]!:0ab"), max_size=20).map(lambda s: "{tracking_number" + s + "}"))
def test_only_bare_names_are_placeholders(template: str) -> None:
    try:
        validate_comment_template(template)
    except InvalidCommentTemplate:
        return
    assert "123456789012" in render(template)
    assert "<class" not in render(template)
