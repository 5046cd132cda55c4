"""The OAuth callback's pages escape everything they echo (shop names from BASE, BASE's error text)."""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.support.flows import SCOPE
from tests.support.stack import CLIENT_ID, REDIRECT_URI, ApiAnswer, StackUnderTest

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


# -- the headers of every answer of GET /oauth/callback (item 17): over the template's route

PAGE_HEADERS = {
    "cache-control": "no-store",
    "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
}


def _assert_page_headers(answer: ApiAnswer, status: int) -> None:
    assert answer.status == status, answer.body[:300]
    assert answer.headers["content-type"].startswith("text/html")
    assert {name: answer.headers.get(name) for name in PAGE_HEADERS} == PAGE_HEADERS


def _state(stack: StackUnderTest) -> str:
    started = stack.http("POST", "/connect")
    assert started.status == 201, started.body
    authorize_url: str = started.json()["authorize_url"]
    return parse_qs(urlsplit(authorize_url).query)["state"][0]


def test_callback_success_page_has_the_security_headers(stack: StackUnderTest):
    stack.base.create_shop("shop-h", "H店")
    state = _state(stack)
    location = stack.base.authorize(CLIENT_ID, REDIRECT_URI, "shop-h", scope=SCOPE, state=state)
    query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    answer = stack.http("GET", "/oauth/callback", query=query)
    _assert_page_headers(answer, 200)
    assert "H店" in answer.body


@pytest.mark.parametrize(
    "query",
    [
        {},  # missing state
        {"state": "forged", "code": "c"},  # unknown state
        {"error": "access_denied", "state": "forged"},
        {"state": "s" * 1500, "code": "c"},
    ],
)
def test_callback_failure_pages_have_the_security_headers(stack: StackUnderTest, query: dict[str, str]):
    _assert_page_headers(stack.http("GET", "/oauth/callback", query=query), 400)


def test_callback_refused_code_page_has_the_security_headers(stack: StackUnderTest):
    answer = stack.http("GET", "/oauth/callback", query={"state": _state(stack), "code": "not-a-code"})
    _assert_page_headers(answer, 502)


def test_callback_unexpected_error_page_has_the_security_headers(stack: StackUnderTest):
    """Our own fault (here: the states table is gone) is still a page with every header."""
    state = _state(stack)
    ddb: Any = boto3.client("dynamodb", region_name=stack.local.region)
    ddb.delete_table(TableName=stack.local.refs["OAuthStatesTable"])
    answer = stack.http("GET", "/oauth/callback", query={"state": state, "code": "c"})
    _assert_page_headers(answer, 500)
    assert "システムで問題が発生しました" in answer.body
