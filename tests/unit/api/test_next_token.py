"""``next_token``: exactly the shape we issue, for exactly the listing that issued it (no DynamoDB here;
the check that the named order exists is in tests/integration/test_management_api.py)."""

from __future__ import annotations

import base64
import contextlib
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from base_sync.dal.errors import BadPageToken
from base_sync.dal.orders import PAGE_TOKEN_MAX_CHARS, PageToken, parse_page_token

SHOP = "shop-a"
GOOD: dict[str, Any] = {
    "v": 1,
    "shop_id": SHOP,
    "status": None,
    "export_state": None,
    "unique_key": "A1B2",
    "ordered_sk": "01700000100#A1B2",
}


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode()


def _token(fields: dict[str, Any]) -> str:
    return _b64(json.dumps(fields, separators=(",", ":"), ensure_ascii=False).encode())


def _parse(token: str, *, status: str | None = None, export_state: str | None = None) -> PageToken:
    return parse_page_token(token, shop_id=SHOP, status=status, export_state=export_state)


def test_a_token_we_issue_round_trips() -> None:
    issued = PageToken.model_validate(GOOD).encode()
    assert issued == _token(GOOD)
    parsed = _parse(issued)
    assert parsed.start_key() == {"shop_id": SHOP, "unique_key": "A1B2", "ordered_sk": "01700000100#A1B2"}


def test_a_filtered_listing_token_is_only_good_for_that_filter() -> None:
    issued = PageToken.model_validate(GOOD | {"status": "new"}).encode()
    assert _parse(issued, status="new").status == "new"
    for status, export_state in ((None, None), ("hold", None), ("new", "pending")):
        with pytest.raises(BadPageToken):
            _parse(issued, status=status, export_state=export_state)


BAD: dict[str, str] = {
    "empty": "",
    "not_base64": "not-a-token!!",
    "not_json": _b64(b"{nope"),
    "json_list": _b64(b"[]"),
    "json_string": _b64(b'"x"'),
    "empty_object": _b64(b"{}"),
    "shop_id_alone": _token({"shop_id": SHOP}),
    "old_style_key": _token({"shop_id": SHOP, "unique_key": "A1B2", "ordered_sk": "01700000100#A1B2"}),
    "missing_ordered_sk": _token({k: v for k, v in GOOD.items() if k != "ordered_sk"}),
    "missing_unique_key": _token({k: v for k, v in GOOD.items() if k != "unique_key"}),
    "extra_attribute": _token(GOOD | {"status_x": "a"}),
    "extra_key_attribute": _token(GOOD | {"ready_shop": SHOP}),
    "other_version": _token(GOOD | {"v": 2}),
    "version_as_text": _token(GOOD | {"v": "1"}),
    "number_for_text": _token(GOOD | {"unique_key": 5}),
    "dynamodb_typed": _token(GOOD | {"unique_key": {"S": "A1B2"}}),
    "other_shop": _token(GOOD | {"shop_id": "shop-b"}),
    "sort_key_of_another_order": _token(GOOD | {"ordered_sk": "01700000100#ZZZZ"}),
    "sort_key_without_time": _token(GOOD | {"ordered_sk": "#A1B2"}),
    "sort_key_short_time": _token(GOOD | {"ordered_sk": "1700000100#A1B2"}),
    "oversize_key": _token(GOOD | {"unique_key": "K" * 300, "ordered_sk": "01700000100#" + "K" * 300}),
    "oversize_text": _token(GOOD | {"status": "n" * 2000}),
    "oversize_token": "A" * (PAGE_TOKEN_MAX_CHARS + 4),
    "spaced_json": _b64(json.dumps(GOOD).encode()),
    "reordered_json": _token(dict(reversed(GOOD.items()))),
    "duplicate_key": _b64(json.dumps(GOOD, separators=(",", ":")).encode()[:-1] + b',"v":1}'),
    "unpadded": _token(GOOD).rstrip("="),
    "standard_alphabet": base64.b64encode(json.dumps(GOOD, separators=(",", ":")).encode()).decode() + "+/",
    "trailing_garbage": _token(GOOD) + "AAAA",
    "not_utf8": _b64(b'{"v":1,"shop_id":"\xff"}'),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_anything_else_is_a_bad_page_token(name: str) -> None:
    with pytest.raises(BadPageToken):
        _parse(BAD[name])


def test_the_cap_is_above_the_longest_token_we_issue() -> None:
    longest = PageToken(
        v=1,
        shop_id="s" * 200,
        status="x" * 40,
        export_state="y" * 40,
        unique_key="k" * 200,
        ordered_sk="0" * 11 + "#" + "k" * 200,
    ).encode()
    assert len(longest) <= PAGE_TOKEN_MAX_CHARS
    parse_page_token(longest, shop_id="s" * 200, status="x" * 40, export_state="y" * 40)


@given(st.text(max_size=300) | st.binary(max_size=300).map(_b64))
@settings(max_examples=300, deadline=None)
def test_any_text_is_a_token_or_a_bad_page_token(text: str) -> None:
    """Never another exception (which the API would answer with a 500)."""
    with contextlib.suppress(BadPageToken):
        _parse(text)
