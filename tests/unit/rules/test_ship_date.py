"""Ship dates are Japan dates: due iff on or before today in JST, never early."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from base_sync.rules.errors import InvalidShipDate
from base_sync.rules.ship_date import (
    JST,
    default_ship_date,
    format_ship_date_ja,
    parse_ship_date,
    ship_date_due,
    today_jst,
)

NINE_HOURS = timedelta(hours=9)


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, us: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, us, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "today"),
    [
        (utc(2026, 11, 28, 0, 0), date(2026, 11, 28)),
        (utc(2026, 11, 28, 14, 59, 59), date(2026, 11, 28)),
        (utc(2026, 11, 28, 15, 0), date(2026, 11, 29)),  # midnight in Tokyo
        (utc(2026, 11, 28, 15, 30), date(2026, 11, 29)),
        (utc(2026, 12, 31, 15, 0), date(2027, 1, 1)),
        (datetime(2026, 11, 29, 0, 30, tzinfo=JST), date(2026, 11, 29)),
        (datetime(2026, 11, 28, 10, 0, tzinfo=timezone(timedelta(hours=-5))), date(2026, 11, 29)),
    ],
)
def test_today_jst(now: datetime, today: date) -> None:
    assert today_jst(now) == today


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        today_jst(datetime(2026, 11, 28, 12, 0))
    with pytest.raises(ValueError, match="timezone-aware"):
        ship_date_due(date(2026, 11, 28), datetime(2026, 11, 28, 12, 0))


@pytest.mark.parametrize(
    ("ship", "now", "due"),
    [
        (date(2026, 11, 28), utc(2026, 11, 28, 3, 0), True),
        (date(2026, 11, 27), utc(2026, 11, 28, 3, 0), True),
        (date(2026, 11, 29), utc(2026, 11, 28, 3, 0), False),
        (date(2026, 11, 29), utc(2026, 11, 28, 14, 59, 59), False),  # 23:59:59 JST the day before
        (date(2026, 11, 29), utc(2026, 11, 28, 15, 0), True),
        (date(2026, 11, 29), utc(2026, 11, 28, 15, 30), True),  # already the 29th in Japan
        (date(2026, 11, 30), utc(2026, 11, 28, 15, 30), False),
        (date(2020, 1, 1), utc(2026, 11, 28, 15, 30), True),
    ],
)
def test_ship_date_due(ship: date, now: datetime, due: bool) -> None:
    assert ship_date_due(ship, now) is due


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-02-03", date(2026, 2, 3)),
        ("2026-11-28", date(2026, 11, 28)),
        ("2024-02-29", date(2024, 2, 29)),
        ("0001-01-01", date(1, 1, 1)),
        ("9999-12-31", date(9999, 12, 31)),
    ],
)
def test_parse_ship_date(text: str, expected: date) -> None:
    assert parse_ship_date(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2026-2-3",
        "2026-02-3",
        "2026/02/03",
        "2026.02.03",
        "20260203",
        "2026-02-30",
        "2025-02-29",
        "2026-13-01",
        "2026-00-10",
        "0000-01-01",
        "２０２６-０２-０３",  # full-width digits
        "2026-02-03 ",
        " 2026-02-03",
        "2026-02-03\n",
        "2026-02-03T00:00:00",
        "2026-02-03+09:00",
        "26-02-03",
        "+2026-02-03",
        "2026年2月3日",
        "",
    ],
)
def test_parse_ship_date_rejects(text: str) -> None:
    with pytest.raises(InvalidShipDate):
        parse_ship_date(text)


def test_default_ship_date_is_the_jst_entry_day() -> None:
    assert default_ship_date(utc(2026, 11, 28, 15, 30)) == date(2026, 11, 29)
    assert default_ship_date(utc(2026, 11, 28, 14, 30)) == date(2026, 11, 28)


@pytest.mark.parametrize(
    ("day", "text"),
    [
        (date(2026, 11, 28), "2026年11月28日"),
        (date(2026, 1, 5), "2026年1月5日"),
        (date(9999, 12, 31), "9999年12月31日"),
    ],
)
def test_format_ship_date_ja(day: date, text: str) -> None:
    assert format_ship_date_ja(day) == text


# -- properties ------------------------------------------------------------------------

dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))
offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
instants = st.builds(
    lambda naive, tz: naive.replace(tzinfo=UTC).astimezone(tz),
    st.datetimes(min_value=datetime(2000, 1, 2), max_value=datetime(2099, 12, 30)),
    st.one_of(st.just(UTC), st.just(JST), offsets),
)


@given(dates, instants)
@example(date(2026, 11, 29), utc(2026, 11, 28, 15, 0))
@example(date(2026, 11, 29), utc(2026, 11, 28, 14, 59, 59, 999999))
def test_due_iff_past_midnight_tokyo(ship: date, now: datetime) -> None:
    """Japan has had no daylight saving since 1951, so JST midnight is always 15:00 UTC the day before."""
    tokyo_midnight_in_utc = datetime.combine(ship, time(0), tzinfo=UTC) - NINE_HOURS
    assert ship_date_due(ship, now) is (now >= tokyo_midnight_in_utc)


@given(dates, st.integers(min_value=0, max_value=24 * 3600 - 1))
def test_around_15_utc(ship: date, seconds: int) -> None:
    now = datetime.combine(ship - timedelta(days=1), time(0), tzinfo=UTC) + timedelta(seconds=seconds)
    assert ship_date_due(ship, now) is (seconds >= 15 * 3600)


@given(st.dates(min_value=date(1000, 1, 1)))
def test_parse_round_trips_isoformat(day: date) -> None:
    assert parse_ship_date(day.isoformat()) == day


@given(st.text(max_size=12))
def test_parse_is_strict(text: str) -> None:
    try:
        day = parse_ship_date(text)
    except InvalidShipDate:
        return
    assert day.isoformat() == text
