"""Deliver SQS messages to their consumer functions, as Lambda's event source mapping would."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from typing import Any

import boto3

from devstack.lambdas import LocalLambdas

log = logging.getLogger(__name__)


def sqs_event(queue_arn: str, messages: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": {k: str(v) for k, v in m.get("Attributes", {}).items()},
                "messageAttributes": {},
                "md5OfBody": hashlib.md5(m["Body"].encode()).hexdigest(),  # noqa: S324 - SQS's own checksum
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": queue_arn.split(":")[3],
            }
            for m in messages
        ]
    }


def consumers(lambdas: LocalLambdas) -> dict[str, tuple[str, int]]:
    """queue logical id -> (function logical id, batch size), from the functions' SQS events."""
    found: dict[str, tuple[str, int]] = {}
    for spec in lambdas.specs.values():
        for event in spec.events.values():
            if event["Type"] == "SQS":
                queue = event["Properties"]["Queue"]["Fn::GetAtt"][0]
                found[queue] = (spec.logical_id, int(event["Properties"].get("BatchSize", 10)))
    return found


def drain(lambdas: LocalLambdas, queue_logical_id: str, *, max_batches: int = 1000) -> list[Any]:
    """Deliver every message now waiting on the queue; failed ones go back (visibility 0) for a later drain,
    as do a batch's messages when the function raised.

    Returns the handler answers. FIFO order per group is kept: SQS hands out one group's next
    message only after the previous one is deleted.
    """
    function_id, batch_size = consumers(lambdas)[queue_logical_id]
    sqs: Any = boto3.client("sqs", region_name=lambdas.stack.region)
    url = lambdas.stack.refs[queue_logical_id]
    arn = lambdas.stack.attrs[(queue_logical_id, "Arn")]
    answers = []
    for _ in range(max_batches):
        batch = sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=batch_size,
            WaitTimeSeconds=0,
            AttributeNames=["All"],
            VisibilityTimeout=30,
        ).get("Messages", [])
        if not batch:
            break
        try:
            answer = lambdas.invoke(function_id, sqs_event(arn, batch))
        except Exception:  # as on Lambda: the whole batch failed and comes back after its visibility timeout
            log.exception("%s raised on a batch of %d message(s)", function_id, len(batch))
            answer = {"batchItemFailures": [{"itemIdentifier": m["MessageId"]} for m in batch]}
        answers.append(answer)
        failed = {f["itemIdentifier"] for f in (answer or {}).get("batchItemFailures", [])}
        for message in batch:
            if message["MessageId"] in failed:
                sqs.change_message_visibility(
                    QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                )
            else:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        if failed:
            break
    return answers
