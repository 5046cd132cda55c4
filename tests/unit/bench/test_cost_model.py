"""The cost model's arithmetic (bench/cost.py): quantities x prices -> the month, without a run."""

from __future__ import annotations

import math

import pytest
from bench import cost
from bench.cost import Line, Part, Usage, constant


def _usage(**changes: float) -> Usage:
    base = Usage(
        lambda_gb_seconds=10.0, lambda_requests=300.0, wru=2_000.0, rru=1_000.0, storage_gb=0.01,
        sqs_fifo_requests=400.0, secrets_calls=100.0, log_bytes=500_000.0, api_requests=100.0,
        kms_requests=100.0, tick_log_bytes=600.0, keepalive_gb_seconds=0.01, metrics=14, alarms=23,
    )  # fmt: skip
    for name, value in changes.items():
        setattr(base, name, value)
    return base


def _line(lines: list[Line], name: str) -> Line:
    (found,) = [line for line in lines if line.name == name]
    return found


def test_a_per_deployment_part_costs_the_same_for_any_number_of_shops():
    part = Part(unit_price=0.10, deployment=constant(23))
    assert part.cost(1) == part.cost(100) == part.cost(10_000) == pytest.approx(2.30)


def test_a_per_shop_part_scales_linearly_with_shops():
    part = Part(unit_price=0.5, per_shop=4)
    assert part.cost(1) == pytest.approx(2.0)
    assert part.cost(10_000) == pytest.approx(20_000.0)


def test_the_secrets_line_is_shops_times_40_cents_plus_the_two_app_secrets():
    secrets = _line(cost.month_lines(_usage()), "Secrets Manager secrets")
    for shops in (1, 100, 10_000):
        assert secrets.cost(shops) == pytest.approx(shops * 0.40 + 2 * 0.40)
    assert secrets.cost(10_000) == pytest.approx(4_000.80)


def test_metrics_and_alarms_do_not_scale_with_shops():
    line = _line(cost.month_lines(_usage()), "CloudWatch metrics + alarms")
    assert line.cost(1) == line.cost(10_000) == pytest.approx(14 * 0.30 + 23 * 0.10)


def test_the_kms_line_is_one_key_plus_requests():
    line = _line(cost.month_lines(_usage(kms_requests=0)), "KMS")
    requests = cost.DYNAMODB_KMS_REQUESTS_PER_MONTH * 0.03 / 10_000
    assert line.cost(1) == line.cost(10_000) == pytest.approx(1.0 + requests)


def test_the_total_is_the_sum_of_the_lines():
    lines = cost.month_lines(_usage())
    for shops in (1, 100, 10_000):
        assert cost.total(lines, shops) == pytest.approx(sum(line.cost(shops) for line in lines))
    rows = cost.table_rows(lines)
    assert rows[-1][0] == "Total"
    assert rows[-1][3:] == [cost.money(cost.total(lines, n)) for n in cost.SHOP_COUNTS]


def test_one_shops_day_becomes_30_days_of_lambda_duration_at_the_gb_second_price():
    lines = cost.month_lines(_usage(lambda_gb_seconds=10.0))
    gbs = _line(lines, "Lambda GB-s")
    without = _line(cost.month_lines(_usage(lambda_gb_seconds=0.0)), "Lambda GB-s")
    assert gbs.cost(100) - without.cost(100) == pytest.approx(100 * 10.0 * 30 * 0.0000133334)


def test_the_tick_is_priced_from_tick_calls_not_per_shop():
    assert cost.tick_calls(10_000) == {
        "sqs.SendMessageBatch": 1_000,
        "dynamodb.UpdateItem": 22,
        "dynamodb.GetItem": 1,
        "dynamodb.Query": 5,
    }
    assert cost.tick_calls(1) == {
        "sqs.SendMessageBatch": 1,
        "dynamodb.UpdateItem": 3,
        "dynamodb.GetItem": 1,
        "dynamodb.Query": 1,
    }
    sqs = _line(cost.month_lines(_usage(sqs_fifo_requests=0.0)), "SQS")
    ticks = 97 * 30
    expected = (ticks * math.ceil(10_000 / 10) + cost.IDLE_POLLS_PER_MONTH) * 0.50 / 1e6
    assert sqs.cost(10_000) == pytest.approx(expected)


def test_at_10000_shops_the_secrets_dominate():
    lines = cost.month_lines(_usage())
    assert cost.dominant(lines, 10_000).name == "Secrets Manager secrets"
    assert cost.dominant(lines, 1).name == "CloudWatch metrics + alarms"


def test_xray_samples_one_a_second_then_five_percent():
    assert cost.xray_traces(1_000) == 1_000
    reservoir = cost.XRAY_RESERVOIR_PER_MONTH
    assert cost.xray_traces(reservoir + 1_000_000) == pytest.approx(reservoir + 50_000)


def test_item_sizes_follow_dynamodbs_rules():
    item = {"shop_id": {"S": "shop-a"}, "n": {"N": "12345"}, "ok": {"BOOL": True}}
    assert cost.item_size(item) == (7 + 6) + (1 + 5 // 2 + 2) + (2 + 1)
    assert cost.write_units(1024) == 1 and cost.write_units(1025) == 2
    assert cost.read_units(4096, consistent=True) == 1 and cost.read_units(4097, consistent=False) == 1.0


def test_a_write_pays_for_each_index_the_item_is_in():
    shape = cost.TableShape(
        keys=("shop_id", "unique_key"),
        indexes=(
            cost.Index("ready", ("ready_shop", "ready_sort"), "ALL"),
            cost.Index("open", ("open_shop", "ordered_sk"), "KEYS_ONLY"),
        ),
    )
    plain = {"shop_id": {"S": "s"}, "unique_key": {"S": "k"}, "ordered_sk": {"S": "1"}}
    assert cost.item_write_units(shape, None, plain) == 1  # in no index
    ready = {**plain, "ready_shop": {"S": "s"}, "ready_sort": {"S": "1"}}
    assert cost.item_write_units(shape, plain, ready) == 2  # the table + a new entry in "ready"
    assert cost.item_write_units(shape, ready, plain) == 2  # the table + the entry deleted
    moved = {**ready, "ready_sort": {"S": "2"}}
    assert cost.item_write_units(shape, ready, moved) == 3  # the index key changed: delete + put
