"""Deliver DynamoDB stream records to their functions, as Lambda's event source mapping would.

Reads the table's stream on moto (from where the mapping started: the latest record when the
pump was made), applies the mapping's filter criteria, and invokes the function with batches
of at most its batch size.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import boto3

from devstack.lambdas import LocalLambdas


def matches(pattern: Any, value: Any) -> bool:
    """EventBridge-style pattern matching, the subset event filters use here (nested keys, value lists)."""
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(
            k in value and matches(p, value[k]) for k, p in pattern.items()
        )
    if isinstance(pattern, list):
        return value in pattern
    return bool(pattern == value)


@dataclass
class StreamMapping:
    function_id: str
    stream_arn: str
    batch_size: int
    filters: list[dict[str, Any]]
    iterators: dict[str, str] = field(default_factory=dict)


def _lambda_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    data = dict(record["dynamodb"])
    created = data.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        data["ApproximateCreationDateTime"] = created.timestamp()
    return {
        "eventID": record.get("eventID"),
        "eventName": record.get("eventName"),
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": stream_arn.split(":")[3],
        "dynamodb": data,
        "eventSourceARN": stream_arn,
    }


class StreamPump:
    def __init__(self, lambdas: LocalLambdas) -> None:
        self.lambdas = lambdas
        self._streams: Any = boto3.client("dynamodbstreams", region_name=lambdas.stack.region)
        self.mappings: list[StreamMapping] = []
        for spec in lambdas.specs.values():
            for event in spec.events.values():
                if event["Type"] != "DynamoDB":
                    continue
                props = event["Properties"]
                table_id = props["Stream"]["Fn::GetAtt"][0]
                filters = [
                    json.loads(f["Pattern"]) for f in props.get("FilterCriteria", {}).get("Filters", [])
                ]
                mapping = StreamMapping(
                    spec.logical_id,
                    lambdas.stack.attrs[(table_id, "StreamArn")],
                    int(props.get("BatchSize", 100)),
                    filters,
                )
                self._start(mapping)
                self.mappings.append(mapping)

    def _start(self, mapping: StreamMapping) -> None:
        shards = self._streams.describe_stream(StreamArn=mapping.stream_arn)["StreamDescription"]["Shards"]
        for shard in shards:
            mapping.iterators[shard["ShardId"]] = self._streams.get_shard_iterator(
                StreamArn=mapping.stream_arn, ShardId=shard["ShardId"], ShardIteratorType="LATEST"
            )["ShardIterator"]

    def pump(self) -> list[Any]:
        """Deliver every record written since the last pump; returns the functions' answers."""
        answers = []
        for mapping in self.mappings:
            records: list[dict[str, Any]] = []
            for shard_id, start_at in list(mapping.iterators.items()):
                position: str | None = start_at
                while position:
                    page = self._streams.get_records(ShardIterator=position, Limit=1000)
                    records.extend(page["Records"])
                    position = page.get("NextShardIterator")
                    if position:
                        mapping.iterators[shard_id] = position
                    if not page["Records"]:
                        break
            events = [_lambda_record(r, mapping.stream_arn) for r in records]
            if mapping.filters:
                events = [e for e in events if any(matches(f, e) for f in mapping.filters)]
            for start in range(0, len(events), mapping.batch_size):
                batch = events[start : start + mapping.batch_size]
                answers.append(self.lambdas.invoke(mapping.function_id, {"Records": batch}))
        return answers
