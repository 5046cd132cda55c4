"""Ticks for thousands of shops on moto server: every shop's job queued once, whatever is re-delivered.

moto's FIFO de-duplication only looks at messages still in the queue: once the messages are
deleted, the same de-duplication ids are accepted again. That is what real SQS does five minutes
after a send, so a tick re-delivered after taking the queue's messages is one re-delivered later
than SQS's de-duplication window.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import boto3
import pytest
from tests.support.aws_calls import count_aws_calls
from tests.support.flows import connect_shop, seed_shops
from tests.support.orders import make_orders
from tests.support.stack import REGION, StackUnderTest, drain_jobs

from base_sync import wiring
from base_sync.domain.deadline import Deadline
from base_sync.services import schedule
from base_sync.services.errors import TickUnfinished
from base_sync.services.jobs import JobKind, enqueue
from base_sync.services.schedule import queue_scheduled_jobs

pytestmark = pytest.mark.integration

TICK = {"scheduled_time": "2026-12-02T03:30:00Z"}


def run_tick(
    stack: StackUnderTest, kind: JobKind, deadline: Deadline | None = None, *, event: dict[str, str] = TICK
) -> schedule.TickReport:
    function = "ExportScheduleFunction" if kind is JobKind.EXPORT else "ImportScheduleFunction"
    with stack.env(function):
        return queue_scheduled_jobs(
            kind,
            shops=wiring.shop_repository(),
            ticks=wiring.tick_repository(),
            queue_url=wiring.jobs_queue_url(),
            now=schedule.tick_time(event),
            deadline=deadline,
        )


def take_queued_jobs(stack: StackUnderTest) -> Counter[str]:
    """Every job now on the queue, received and deleted: how many each shop has."""
    sqs: Any = boto3.client("sqs", region_name=REGION)
    url = stack.local.refs["JobsQueue"]
    per_shop: Counter[str] = Counter()
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=300).get(
        "Messages", []
    ):
        for message in batch:
            per_shop[json.loads(message["Body"])["shop_id"]] += 1
        sqs.delete_message_batch(
            QueueUrl=url,
            Entries=[{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(batch)],
        )
    return per_shop


def test_two_thousand_shops_are_queued_once_and_a_late_redelivery_queues_nothing(stack: StackUnderTest):
    shops = seed_shops(stack, 2000)
    with count_aws_calls() as first_calls:
        first = stack.invoke("ExportScheduleFunction", dict(TICK))  # the handler, its 30 s counting down
    assert (first["outcome"], first["queued"]) == ("finished", 2000)
    queued = take_queued_jobs(stack)
    assert sorted(queued) == shops and set(queued.values()) == {1}
    # batched: one SendMessageBatch per ten shops, nothing written per shop
    assert first_calls.calls["sqs.SendMessageBatch"] == 200
    assert first_calls.calls["sqs.SendMessage"] == 0 and first_calls.calls["dynamodb.PutItem"] == 0
    assert first_calls.total() < 200 + 20  # the sends, a few index pages, the tick's record per 500 shops

    # Lambda (or Scheduler) delivers the same tick again, after SQS would have forgotten the ids
    with count_aws_calls() as again_calls:
        again = stack.invoke("ExportScheduleFunction", dict(TICK))
    assert (again["outcome"], again["queued"]) == ("already_finished", 0)
    assert again_calls.messages_sent == 0 and again_calls.calls["sqs.SendMessageBatch"] == 0
    assert take_queued_jobs(stack) == Counter()


def test_shops_that_need_reauthorisation_are_never_read(stack: StackUnderTest):
    connected = seed_shops(stack, 30)
    seed_shops(stack, 70, status="needs_reauth", prefix="lapsed")
    with count_aws_calls() as calls:
        tick = stack.invoke("ImportScheduleFunction", TICK)
    assert tick["queued"] == 30 and tick["skipped"] == {}
    assert sum(calls.scanned.values()) == 30  # the index holds them apart: none of the 70 read
    assert calls.calls["dynamodb.Scan"] == 0
    assert sorted(take_queued_jobs(stack)) == connected


def test_a_tick_out_of_time_stops_says_so_and_its_retry_goes_on_from_where_it_stopped(
    stack: StackUnderTest, monkeypatch: pytest.MonkeyPatch
):
    shops = seed_shops(stack, 120)
    monkeypatch.setattr(schedule, "CHUNK_SHOPS", 50)
    clock = iter([0.0, 100.0])  # time enough before the first chunk, none before the second
    out_of_time = Deadline(10.0, clock=lambda: next(clock, 100.0))
    with pytest.raises(TickUnfinished) as stopped:
        run_tick(stack, JobKind.EXPORT, out_of_time)
    report = stopped.value.report
    assert (report.outcome, report.queued, report.cursor) == ("unfinished", 50, shops[49])
    first_half = take_queued_jobs(stack)
    assert sorted(first_half) == shops[:50]

    retry = run_tick(stack, JobKind.EXPORT)  # Lambda's retry, after the ids were forgotten
    assert (retry.outcome, retry.queued) == ("finished", 70)
    rest = take_queued_jobs(stack)
    assert sorted(rest) == shops[50:] and set(rest.values()) == {1}  # nothing of the first 50 again

    # and a tick that never finished (all retries spent) makes the next tick start where it stopped
    with stack.env("ExportScheduleFunction"):
        wiring.tick_repository().set_resume_point("export", tick="20261202T033000", cursor=shops[89])
    following = run_tick(stack, JobKind.EXPORT, event={"scheduled_time": "2026-12-02T04:00:00Z"})
    assert (following.outcome, following.started_after, following.queued) == ("finished", shops[89], 120)
    assert sorted(take_queued_jobs(stack)) == shops
    with stack.env("ExportScheduleFunction"):
        assert (
            wiring.tick_repository().resume_point("export") is None
        )  # it finished: the next starts at the top


def _send_twice(stack: StackUnderTest, kind: JobKind, shop_id: str) -> None:
    """A tick's job for the shop, sent under two de-duplication ids: both copies reach the worker."""
    job, _ = schedule.job_for(kind, "20261202T033000", shop_id)
    for copy in ("a", "b"):
        enqueue(stack.local.refs["JobsQueue"], job, dedup_id=f"{job.job_id}-{copy}")


def test_a_scheduled_job_sent_twice_runs_once(stack: StackUnderTest):
    """The worker's guards, for copies a tick could still make (a chunk re-sent past SQS's window)."""
    connect_shop(stack, "shop-twice", "二重店")
    make_orders(stack, "shop-twice", [{}])
    stack.base.clear_calls()

    _send_twice(stack, JobKind.IMPORT, "shop-twice")
    drain_jobs(stack)
    lists = [c for c in stack.base.calls(shop_id="shop-twice")["calls"] if c["path"].endswith("/orders")]
    assert len(lists) == 1  # the copy found the first one's marker and called BASE not at all

    _send_twice(stack, JobKind.EXPORT, "shop-twice")
    drain_jobs(stack)
    log = stack.http("GET", "/exports", query={"shop_id": "shop-twice"}).json()["exports"]
    assert [(e["trigger"], e["status"]) for e in log] == [
        ("schedule", "succeeded")
    ]  # opened by the worker, once
