"""Schedule ticks, run records and big or long runs on moto server and the BASE sandbox (issue 12, items 3, 4, 6, 7).

moto's FIFO de-duplication only looks at messages still in the queue: once the worker has
deleted a job, the same de-duplication id is accepted again. That is what real SQS does five
minutes after the first send, so a retry "after the job ran" here is a retry later than SQS's
de-duplication window there.
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from tests.support.flows import connect_shop
from tests.support.orders import import_now, make_orders, ship
from tests.support.stack import REGION, StackUnderTest, drain_jobs

from base_sync import wiring
from base_sync.domain.export import ExportRun, OrderResult, Outcome, RunStatus
from base_sync.domain.reasons import Reason
from base_sync.services.jobs import Job, JobKind, Trigger, enqueue
from devstack.handlers import FakeContext, environment, load_handler
from devstack.lambdas import LocalLambdas
from devstack.queues import drain
from devstack.schedules import Schedule, scheduled_event
from devstack.streams import StreamPump

pytestmark = pytest.mark.integration

TICK = "2026-12-02T03:30:00Z"
ITEM_LIMIT = 400 * 1024  # DynamoDB's item size limit


def _queue_depth(stack: StackUnderTest) -> int:
    sqs = boto3.client("sqs", region_name=REGION)
    attrs = sqs.get_queue_attributes(QueueUrl=stack.local.refs["JobsQueue"], AttributeNames=["All"])
    values = attrs["Attributes"]
    return int(values["ApproximateNumberOfMessages"]) + int(values["ApproximateNumberOfMessagesNotVisible"])


def _ready_shop(stack: StackUnderTest, shop_id: str, count: int) -> list[str]:
    connect_shop(stack, shop_id, shop_id)
    keys = make_orders(stack, shop_id, [{} for _ in range(count)])
    import_now(stack, shop_id)
    for key in keys:
        ship(stack, shop_id, key)
    return keys


def _tick_schedule(function: str) -> Schedule:
    """The schedule as template.yaml configures it: Scheduler's scheduled time passed as input."""
    return Schedule(
        function=function,
        event_name="Tick",
        expression="rate(30 minutes)",
        interval_s=1800.0,
        payload={"scheduled_time": "<aws.scheduler.scheduled-time>"},
    )


# -- items 3 and 4: a retried tick


def test_devstacks_schedule_hands_the_function_the_ticks_scheduled_time(stack: StackUnderTest):
    connect_shop(stack, "shop-d", "D店")
    schedule = _tick_schedule("ExportScheduleFunction")
    at = datetime.fromisoformat(TICK)
    event = scheduled_event(schedule, at)
    assert event == {"scheduled_time": TICK}  # Scheduler's context attribute, filled in
    assert stack.invoke("ExportScheduleFunction", event)["queued"] == 1
    assert stack.invoke("ExportScheduleFunction", scheduled_event(schedule, at))["queued"] == 0  # its retry
    assert stack.invoke("ExportScheduleFunction", scheduled_event(schedule))["queued"] == 1  # a new tick


def test_export_tick_retried_after_its_job_ran_queues_nothing_and_keeps_the_run(stack: StackUnderTest):
    keys = _ready_shop(stack, "shop-r", 2)
    event = {"scheduled_time": TICK}  # what Scheduler hands the function for this tick
    first = stack.invoke("ExportScheduleFunction", event)
    assert first["queued"] == 1
    drain_jobs(stack)
    log = stack.http("GET", "/exports", query={"shop_id": "shop-r"}).json()["exports"]
    assert len(log) == 1 and log[0]["status"] == "succeeded" and log[0]["counts"]["dispatched"] == 2
    export_id = log[0]["export_id"]

    # Lambda retries the same event (same scheduled time) a minute or more later
    retry = stack.invoke("ExportScheduleFunction", dict(event))
    assert (retry["queued"], retry["outcome"]) == (0, "already_finished")
    assert _queue_depth(stack) == 0  # nothing sent again, although SQS no longer de-duplicates it
    record = stack.http("GET", f"/exports/{export_id}").json()
    assert record["status"] == "succeeded"  # not reset to queued (item 4)
    assert record["counts"]["dispatched"] == 2 and len(record["results"]) == 2
    assert len(stack.base.emails("shop-r")) == len(keys)
    assert first["scheduled_time"] == retry["scheduled_time"] == "2026-12-02T03:30:00+00:00"


def test_two_ticks_in_one_minute_are_two_ticks_and_each_is_queued_once(stack: StackUnderTest):
    """The tick's identity is its scheduled time, not the minute the function happens to run in."""
    connect_shop(stack, "shop-2", "2店")
    one = stack.invoke("ExportScheduleFunction", {"scheduled_time": "2026-12-02T03:30:00Z"})
    two = stack.invoke("ExportScheduleFunction", {"scheduled_time": "2026-12-02T04:00:00Z"})
    again = stack.invoke("ExportScheduleFunction", {"scheduled_time": "2026-12-02T03:30:00+00:00"})
    assert (one["queued"], two["queued"], again["queued"]) == (1, 1, 0)
    assert len(drain_jobs(stack)) == 2
    log = stack.http("GET", "/exports", query={"shop_id": "shop-2"}).json()["exports"]
    assert len(log) == 2 and {e["trigger"] for e in log} == {"schedule"}  # each opened by its worker


def test_a_tick_whose_scheduled_time_is_not_a_time_is_refused(stack: StackUnderTest):
    connect_shop(stack, "shop-x", "X店")
    with pytest.raises(ValueError, match="scheduled_time"):
        stack.invoke("ExportScheduleFunction", {"scheduled_time": "<aws.scheduler.scheduled-time>"})
    assert _queue_depth(stack) == 0


def test_import_tick_retried_after_its_job_ran_queues_nothing(stack: StackUnderTest):
    connect_shop(stack, "shop-i", "I店")
    make_orders(stack, "shop-i", [{}])
    event = {"scheduled_time": TICK}
    assert stack.invoke("ImportScheduleFunction", event)["queued"] == 1
    assert len(drain_jobs(stack)) == 1
    retry = stack.invoke("ImportScheduleFunction", event)
    assert (retry["queued"], retry["outcome"]) == (0, "already_finished")
    assert _queue_depth(stack) == 0
    assert stack.invoke("ImportScheduleFunction", {"scheduled_time": "2026-12-02T04:00:00Z"})["queued"] == 1


def test_a_tick_that_stopped_before_sending_sends_on_its_retry(stack: StackUnderTest, monkeypatch):
    """The record alone must not swallow a job that was never sent (the first try failed at the send)."""
    _ready_shop(stack, "shop-c", 1)
    monkeypatch.setitem(stack.local.refs, "JobsQueue", stack.local.refs["JobsQueue"] + "-missing")
    wiring.reset()  # the functions read their environment once per container
    with pytest.raises(ClientError, match=r"NonExistentQueue|QueueDoesNotExist"):
        stack.invoke("ExportScheduleFunction", {"scheduled_time": TICK})
    monkeypatch.undo()
    wiring.reset()
    log = stack.http("GET", "/exports", query={"shop_id": "shop-c"}).json()["exports"]
    assert log == []  # the worker opens a scheduled run's record: none yet
    retry = stack.invoke("ExportScheduleFunction", {"scheduled_time": TICK})
    assert retry["queued"] == 1
    drain_jobs(stack)
    log = stack.http("GET", "/exports", query={"shop_id": "shop-c"}).json()["exports"]
    assert [(e["status"], e["counts"]["dispatched"]) for e in log] == [("succeeded", 1)]
    assert stack.invoke("ExportScheduleFunction", {"scheduled_time": TICK})["outcome"] == "already_finished"


class RecordingLambdas(LocalLambdas):
    def __init__(self, stack: StackUnderTest) -> None:
        super().__init__(stack.local)
        self.events: list[tuple[str, dict[str, Any]]] = []

    def invoke(self, logical_id: str, event: dict[str, Any]) -> Any:
        self.events.append((logical_id, event))
        return super().invoke(logical_id, event)


def test_a_stream_batch_processed_again_after_its_export_ran_keeps_the_run(stack: StackUnderTest):
    connect_shop(stack, "shop-s", "S店")
    key = make_orders(stack, "shop-s", [{}])[0]
    import_now(stack, "shop-s")
    lambdas = RecordingLambdas(stack)
    pump = StreamPump(lambdas)
    pump.pump()
    lambdas.events.clear()
    ship(stack, "shop-s", key)
    assert pump.pump()[0]["queued"] == {"shop-s": [key]}
    ((function, batch),) = lambdas.events
    drain_jobs(stack)
    (run,) = stack.http("GET", "/exports", query={"shop_id": "shop-s"}).json()["exports"]
    assert (run["status"], run["counts"]["dispatched"]) == ("succeeded", 1)
    again = stack.invoke(function, batch)  # the event source delivers the batch again
    assert (again["queued"], again.get("already_queued")) == ({}, {"shop-s": [key]})
    assert _queue_depth(stack) == 0
    record = stack.http("GET", f"/exports/{run['export_id']}").json()
    assert (record["status"], record["counts"]["dispatched"]) == ("succeeded", 1)


# -- item 7: a run of any size is stored


def _item_sizes(stack: StackUnderTest, export_id: str) -> list[int]:
    """Each stored item's size by DynamoDB's rule (attribute names + values), approximated from above."""
    client = boto3.client("dynamodb", region_name=REGION)
    items = client.query(
        TableName=stack.local.refs["ExportsTable"],
        KeyConditionExpression="export_id = :id",
        ExpressionAttributeValues={":id": {"S": export_id}},
    )["Items"]
    return [len(json.dumps(item, ensure_ascii=False).encode()) for item in items]


def test_a_run_with_5000_results_is_stored_and_read_back_whole(stack: StackUnderTest):
    """Through the real worker: an export of 5,000 orders (none stored, so each is a result) runs once."""
    connect_shop(stack, "shop-big", "大店")
    keys = [f"{i:06d}ABCDEF0123456789" for i in range(5000)]  # BASE-like 22-character keys
    with stack.env("JobWorkerFunction"):
        service = wiring.export_service()
        shop = wiring.shop_repository().get("shop-big")
        service.queue_for_shop(shop, export_id="big-run", order_keys=keys, trigger=Trigger.MANUAL)
    answers = drain_jobs(stack)
    assert answers == [{"batchItemFailures": []}]  # one delivery, no failure, no retry into the DLQ
    record = stack.http("GET", "/exports/big-run")
    assert record.status == 200, record.body[:500]
    body = record.json()
    assert body["status"] == "succeeded" and body["counts"]["skipped"] == 5000
    assert [r["unique_key"] for r in body["results"]] == keys  # all of them, in order
    assert {(r["outcome"], r["reason"]) for r in body["results"]} == {("skipped", "order_not_found")}
    log = stack.http("GET", "/exports", query={"shop_id": "shop-big"}).json()["exports"]
    assert len(log) == 1 and len(log[0]["results"]) == 5000  # the processing log: one run, its results
    sizes = _item_sizes(stack, "big-run")
    assert len(sizes) > 2 and max(sizes) < ITEM_LIMIT // 2
    assert sum(sizes) > ITEM_LIMIT  # the run as a whole would not have fitted in one item


def test_a_rerun_with_fewer_results_does_not_show_the_earlier_pages(stack: StackUnderTest):
    with stack.env("JobWorkerFunction"):
        repo = wiring.export_repository()
        run = ExportRun(
            export_id="again", shop_id="shop-p", trigger="manual", queued_at="2026-12-02T00:00:00Z"
        )
        many = [
            OrderResult(unique_key=f"K{i:05d}" + "x" * 60, outcome=Outcome.DEFERRED, reason=Reason.TIME_UP)
            for i in range(4000)
        ]
        repo.put(run.model_copy(update={"results": many, "status": RunStatus.PARTIAL}))
        assert len(repo.get("again")[0].results) == 4000
        few = many[:3]
        repo.put(run.model_copy(update={"results": few, "status": RunStatus.SUCCEEDED}))
        (read,) = repo.get("again")
        assert read.results == few
        assert repo.get_run("again", "shop-p").results == few
        assert [r.results for r in repo.for_shop("shop-p")] == [few]


# -- item 6: the worker's wall clock


class ShortLambdas(LocalLambdas):
    """The job worker with a shorter Timeout than the template's: its context counts down from ``timeout``."""

    def __init__(self, stack: StackUnderTest, timeout: int) -> None:
        super().__init__(stack.local)
        self.timeout = timeout

    def invoke(self, logical_id: str, event: dict[str, Any]) -> Any:
        spec = self.specs[logical_id]
        with environment(self.stack.function_env(logical_id)):
            return load_handler(spec)(event, FakeContext(logical_id, self.timeout))


def test_a_long_export_stops_on_the_clock_between_orders_and_the_next_run_finishes(stack: StackUnderTest):
    keys = _ready_shop(stack, "shop-t", 40)
    stack.base.set_latency(500)  # every BASE call takes half a second: 40 orders need 20 s and more
    answer = stack.http("POST", "/exports", body={"shop_id": "shop-t"})
    export_id = answer.json()["export_id"]
    started = time.monotonic()
    # 65 s of Timeout: the worker keeps 15 s to store the run, an order needs 45 s -> 5 s of orders
    assert drain(ShortLambdas(stack, 65), "JobsQueue") == [{"batchItemFailures": []}]
    elapsed = time.monotonic() - started
    assert elapsed < 12  # stopped near its 5 s, not after the 20 s the whole run takes
    run = stack.http("GET", f"/exports/{export_id}").json()
    assert (run["status"], run["error"]) == ("partial", "time_up")
    dispatched = run["counts"]["dispatched"]
    assert 0 < dispatched < len(keys)
    assert run["counts"]["deferred"] == len(keys) - dispatched
    assert {r["reason"] for r in run["results"] if r["outcome"] == "deferred"} == {"time_up"}
    emails = stack.base.emails("shop-t")
    assert len(emails) == dispatched
    with stack.env("JobWorkerFunction"):
        orders = wiring.order_repository()
        assert all(orders.get("shop-t", k).dispatch_attempt is None for k in keys)  # none cut off mid-order

    stack.base.set_latency(0)
    rest = stack.http("POST", "/exports", body={"shop_id": "shop-t"}).json()["export_id"]
    drain_jobs(stack)
    second = stack.http("GET", f"/exports/{rest}").json()
    assert second["status"] == "succeeded" and second["counts"]["dispatched"] == len(keys) - dispatched
    emails = stack.base.emails("shop-t")
    assert sorted(e["unique_key"] for e in emails) == sorted(keys)  # each order exactly once


def test_a_long_import_stops_on_the_clock_and_the_next_run_resumes(stack: StackUnderTest):
    connect_shop(stack, "shop-l", "L店")
    keys = make_orders(stack, "shop-l", [{} for _ in range(40)])
    stack.base.set_latency(500)
    with stack.env("JobWorkerFunction"):
        enqueue(
            stack.local.refs["JobsQueue"], Job(kind=JobKind.IMPORT, shop_id="shop-l", trigger=Trigger.MANUAL)
        )
    started = time.monotonic()
    assert drain(ShortLambdas(stack, 65), "JobsQueue") == [{"batchItemFailures": []}]
    assert time.monotonic() - started < 12
    with stack.env("JobWorkerFunction"):
        first = wiring.shop_repository().get("shop-l").last_import
    assert first is not None and first["stopped"] == "time_up"
    assert 0 < first["new"] < len(keys)
    stack.base.set_latency(0)
    import_now(stack, "shop-l")
    with stack.env("JobWorkerFunction"):
        second = wiring.shop_repository().get("shop-l").last_import
        stored = wiring.order_repository().get_many("shop-l", keys)
    assert second is not None and second["stopped"] is None
    assert (second["new"], second["unchanged"]) == (len(keys) - first["new"], first["new"])
    assert set(stored) == set(keys)


def test_a_run_records_who_asked_for_it(stack: StackUnderTest):
    """The IAM principal given to ExportService.queue is stored on the run and shown by GET /exports/{id}."""
    connect_shop(stack, "shop-who", "誰店")
    caller = "arn:aws:iam::123456789012:user/operator"
    with stack.env("ExportApiFunction"):
        export_id = wiring.export_service().queue(
            shop_id="shop-who", order_keys=None, trigger=Trigger.MANUAL, actor=caller
        )
    assert stack.http("GET", f"/exports/{export_id}").json()["actor"] == caller
    drain_jobs(stack)
    done = stack.http("GET", f"/exports/{export_id}").json()
    assert (done["status"], done["actor"]) == ("succeeded", caller)  # kept through the worker's writes
    tick = stack.invoke("ExportScheduleFunction", {"scheduled_time": TICK})
    assert tick["queued"] == 1
    drain_jobs(stack)
    log = stack.http("GET", "/exports", query={"shop_id": "shop-who"}).json()["exports"]
    assert [e.get("actor") for e in log if e["trigger"] == "schedule"] == [None]  # no principal, no field
