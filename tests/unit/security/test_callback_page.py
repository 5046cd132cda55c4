"""The OAuth callback's pages escape everything they echo (shop names from BASE, BASE's error text)."""

from __future__ import annotations

import html
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from base_sync.api.pages import connected_page, failure_page

pytestmark = pytest.mark.reliability

HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'; background:url(javascript:alert(1))",
    "</title><svg/onload=alert(1)>",
    "&lt;already-escaped&gt;",
    "<!--",
    "\u2028\u2029",
]


OUR_TAGS = {"!doctype", "html", "head", "meta", "title", "style", "body", "h1", "p", "code"}


def _assert_inert(page: str, value: str) -> None:
    assert html.escape(value) in page
    assert value not in page or html.escape(value) == value
    tags = {t.lower().lstrip("/") for t in re.findall(r"<\s*(/?[A-Za-z!][^\s>/]*)", page)}
    assert tags <= OUR_TAGS, tags - OUR_TAGS


@pytest.mark.parametrize("value", HOSTILE)
def test_connected_page_escapes_shop_name_and_id(value: str):
    page = connected_page(value, value, reconnected=False)
    _assert_inert(page, value)


@pytest.mark.parametrize("value", HOSTILE)
def test_failure_page_escapes_the_detail(value: str):
    for problem in ("code_refused", "authorization_error", "no-such-problem", value):
        page = failure_page(problem, value)
        _assert_inert(page, value)


MARK = "ZqMARKqZ"


@given(st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=60))
@settings(max_examples=200, deadline=None)
def test_any_text_appears_only_escaped(value: str):
    """Exactly: the page for ``value`` is the page for a marker with the marker replaced by the
    escaped value, so nothing of ``value`` can reach the markup unescaped."""
    escaped = html.escape(value)
    connected = connected_page(MARK, MARK, reconnected=True).replace(MARK, escaped)
    assert connected_page(value, value, reconnected=True) == connected
    assert failure_page("base_refused", value) == failure_page("base_refused", MARK).replace(MARK, escaped)
