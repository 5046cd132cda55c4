"""Which shop-id ranges a tick still has to do: from where it began, round to where it began."""

from __future__ import annotations

from base_sync.services.schedule import segments


def test_a_tick_from_the_top_goes_on_after_its_cursor():
    assert segments(None, None) == [(None, None)]
    assert segments(None, "shop-0499") == [("shop-0499", None)]


def test_a_tick_begun_after_a_stopped_one_wraps_round_to_where_it_began():
    assert segments("shop-0899", None) == [("shop-0899", None), (None, "shop-0899")]
    assert segments("shop-0899", "shop-0950") == [("shop-0950", None), (None, "shop-0899")]  # not yet wrapped
    assert segments("shop-0899", "shop-0100") == [("shop-0100", "shop-0899")]  # wrapped round
    assert segments("shop-0899", "shop-0899") == []  # every shop handled
