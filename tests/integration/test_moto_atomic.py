"""The tests' AWS keeps DynamoDB's promise that a conditional write is atomic (devstack/moto_atomic.py):
of writers racing with the same expected version, exactly one wins, every round. moto's own threaded
server broke this now and then, which made the overlapping-export tests fail for no product reason."""

from __future__ import annotations

import threading
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from tests.support.stack import REGION, StackUnderTest

from base_sync import wiring

pytestmark = pytest.mark.integration
ROUNDS, WRITERS = 60, 8
BODY = {  # shaped like an order: the indexes and the stream make moto's write take its time
    "shop_id": "race",
    "unique_key": "K",
    "ready_shop": "race",
    "ready_sort": "2026-12-03#K",
    "open_shop": "race",
    "ordered_sk": "01796282449#K",
    "history": [{"at": "2026-12-03T00:00:00Z", "event": "imported", "detail": {"n": i}} for i in range(40)],
}


def _race(table: Any, expected: int) -> list[int]:
    """WRITERS threads put the item expecting ``expected`` at the same moment; who succeeded."""
    winners: list[int] = []
    barrier = threading.Barrier(WRITERS)

    def write(writer: int) -> None:
        barrier.wait()
        try:
            table.put_item(
                Item={**BODY, "version": expected + 1, "by": writer},
                ConditionExpression="version = :v",
                ExpressionAttributeValues={":v": expected},
            )
            winners.append(writer)
        except ClientError as exc:
            assert exc.response["Error"]["Code"] == "ConditionalCheckFailedException"

    threads = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return winners


def test_conditional_puts_racing_on_one_version_have_exactly_one_winner(stack: StackUnderTest):
    with stack.env("JobWorkerFunction"):
        table = boto3.resource("dynamodb", region_name=REGION).Table(wiring.order_repository().table_name)
        table.put_item(Item={**BODY, "version": 0})
        rounds = [_race(table, version) for version in range(ROUNDS)]
    assert [len(w) for w in rounds] == [1] * ROUNDS


def test_a_latency_server_answers_no_sooner_and_keeps_moto_s_own_time():
    """``--latency-ms``: every AWS call takes at least that long; the clock counts calls per operation
    and moto's own seconds, and starts again on reset."""
    import time  # noqa: PLC0415

    from tests.support.moto import MotoServer  # noqa: PLC0415

    server = MotoServer(latency_ms=80)
    server.start()
    try:
        sqs: Any = boto3.client("sqs", region_name=REGION, endpoint_url=server.url)
        url = sqs.create_queue(QueueName="timed")["QueueUrl"]
        server.reset_stats()
        started = time.perf_counter()
        for _ in range(3):
            sqs.send_message(QueueUrl=url, MessageBody="x")
        assert time.perf_counter() - started >= 3 * 0.080
        stats = server.request_stats()
        assert stats["AmazonSQS.SendMessage"]["requests"] == 3
        assert 0 < stats["AmazonSQS.SendMessage"]["seconds"] < 3 * 0.080  # moto's own share, not the wait
        assert "AmazonSQS.CreateQueue" not in stats  # before the reset
        server.reset_stats()
        assert server.request_stats() == {}
    finally:
        server.stop()
