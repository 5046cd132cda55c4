"""The fan-out benchmark's arithmetic: moto's excess is taken out of the one-at-a-time calls only."""

from __future__ import annotations

from bench.fan_out import SENDS, TickMeasure, markdown_table, table_rows

TEN_THOUSAND = TickMeasure(
    shops=10_000,
    calls={SENDS: 1000, "DynamoDB_20120810.Query": 2, "DynamoDB_20120810.UpdateItem": 22, "x.GetItem": 1},
    wall_seconds=12.0,
    moto_excess={SENDS: 14.0, "DynamoDB_20120810.Query": 6.5, "DynamoDB_20120810.UpdateItem": 0.5},
)


def test_only_the_one_at_a_time_calls_lose_moto_s_excess():
    assert TEN_THOUSAND.total_calls() == 1025
    assert TEN_THOUSAND.sequential_excess() == 7.0  # the sends' 14 s (eight in flight) stay in
    assert TEN_THOUSAND.at_latency() == 5.0


def test_a_row_shows_calls_per_shop_time_per_shop_and_the_share_of_the_timeout():
    (row,) = table_rows([TEN_THOUSAND], timeout=30)
    assert row == ["10,000", "1,025 (0.102)", "12.00 s", "7.00 s", "5.00 s", "0.50 ms", "17%"]


def test_excess_larger_than_the_wall_time_never_gives_a_negative_time():
    odd = TickMeasure(shops=10, calls={}, wall_seconds=1.0, moto_excess={"q": 3.0})
    assert odd.at_latency() == 0.0


def test_the_table_has_a_header_a_rule_and_one_line_per_size():
    lines = markdown_table([TEN_THOUSAND, TEN_THOUSAND]).splitlines()
    assert len(lines) == 4 and lines[1].count("---") == 7 and lines[2].startswith("| 10,000 |")
