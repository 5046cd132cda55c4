"""devstack/moto_atomic.py reads a moto queue's attributes one at a time, when asked (moto rebuilt the
whole table, counting every queued message, three times per message sent): the values are moto's own."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.sqs.models import Queue, sqs_backends

from devstack.moto_atomic import QueueAttributes

REGION = "ap-northeast-1"


@pytest.fixture
def in_process_aws(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield boto3.client("sqs", region_name=REGION)


def test_every_kind_of_queue_reads_the_same_attributes(in_process_aws: Any):
    sqs = in_process_aws
    dead = sqs.create_queue(QueueName="dead.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    dead_arn = sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    jobs = sqs.create_queue(
        QueueName="jobs.fifo",
        Attributes={  # as template.yaml's JobsQueue: high-throughput FIFO, KMS, a dead-letter queue, a policy
            "FifoQueue": "true",
            "DeduplicationScope": "messageGroup",
            "FifoThroughputLimit": "perMessageGroupId",
            "KmsMasterKeyId": "alias/aws/sqs",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dead_arn, "maxReceiveCount": 3}),
            "Policy": json.dumps({"Version": "2012-10-17", "Statement": []}),
        },
    )["QueueUrl"]
    plain = sqs.create_queue(QueueName="plain")["QueueUrl"]
    sqs.send_message(QueueUrl=plain, MessageBody="x")
    sqs.send_message(QueueUrl=jobs, MessageBody="y", MessageGroupId="g", MessageDeduplicationId="d")

    queues = list(sqs_backends["123456789012"][REGION].queues.values())
    assert len(queues) == 3
    for queue in queues:
        moto_s = Queue.attributes.fget(queue)  # type: ignore[attr-defined]
        assert dict(QueueAttributes(queue)) == moto_s
        assert moto_s["ApproximateNumberOfMessages"] == (0 if queue.name == "dead.fifo" else 1)


def test_an_attribute_the_queue_does_not_have_is_not_there(in_process_aws: Any):
    in_process_aws.create_queue(QueueName="plain")
    (queue,) = sqs_backends["123456789012"][REGION].queues.values()
    attributes = QueueAttributes(queue)
    assert "FifoQueue" not in attributes and attributes.get("ContentBasedDeduplication") is None
    with pytest.raises(KeyError):
        attributes["KmsMasterKeyId"]
