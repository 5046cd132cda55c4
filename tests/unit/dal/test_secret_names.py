"""Shop secret names (issue 12, item 14): one shop, one secret; no two shop ids share a name."""

from __future__ import annotations

import string

from hypothesis import example, given, settings
from hypothesis import strategies as st

from base_sync.dal.secrets import ENCODED_MARKER, legacy_shop_secret_name, shop_secret_name

PREFIX = "stack/shops/"
PLAIN = string.ascii_letters + string.digits + "_.@+=-"
# Secrets Manager allows these characters in a name; every name we make must use only them.
ALLOWED_IN_NAMES = set(string.ascii_letters + string.digits + "/_+=.@-")

shop_ids = st.text(min_size=1, max_size=60) | st.text(alphabet=PLAIN + "/_%:~ あ", min_size=1, max_size=30)


@settings(max_examples=3000)
@given(shop_ids, shop_ids)
@example("a/b", "a_2f_b")  # the pair that shared one secret
@example("a b", "a_20_b")
@example("x/61", "a")
def test_two_different_shop_ids_never_share_a_secret(first: str, second: str) -> None:
    if first != second:
        assert shop_secret_name(PREFIX, first) != shop_secret_name(PREFIX, second)


@given(st.text(alphabet=PLAIN, min_size=1, max_size=100))
def test_plain_ids_keep_the_names_they_always_had(shop_id: str) -> None:
    assert shop_secret_name(PREFIX, shop_id) == PREFIX + shop_id
    assert legacy_shop_secret_name(PREFIX, shop_id) is None


@given(shop_ids)
def test_every_name_is_under_the_prefix_and_uses_only_allowed_characters(shop_id: str) -> None:
    name = shop_secret_name(PREFIX, shop_id)
    assert name.startswith(PREFIX)
    assert set(name) <= ALLOWED_IN_NAMES
    assert len(name) <= 512


def test_odd_ids_are_encoded_under_a_marker_no_plain_id_can_produce() -> None:
    assert shop_secret_name(PREFIX, "a/b") == PREFIX + ENCODED_MARKER + "612f62"
    assert shop_secret_name(PREFIX, "a_2f_b") == PREFIX + "a_2f_b"
    assert "/" in ENCODED_MARKER  # plain ids never contain "/"
    assert legacy_shop_secret_name(PREFIX, "a/b") == PREFIX + "a_2f_b"
