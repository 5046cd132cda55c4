"""``python -m bench.cost``: what one shop's day costs on AWS, measured, and the month for 1, 100 and 10,000 shops.

One shop's whole day runs through the real handlers (moto in server mode + the BASE sandbox, as
every benchmark here): 48 import ticks and their import jobs, 100 new orders, 100 tracking numbers
entered through ``PATCH /shops/{id}/orders/{key}`` (each edit its own stream batch, so its own
change-triggered export job), 48 export ticks and their jobs, the daily ``ReleaseDeferred`` tick and
the daily token keep-alive; the access token is aged every hour so the hourly refresh happens as
on AWS. A botocore hook counts every AWS call by function invocation kind; DynamoDB request units
are computed from the sizes of the items read and written (moto's ``ConsumedCapacity`` is checked
and reported, not used); the handlers' stdout (powertools JSON logs and EMF metrics) is counted
in bytes; each invocation's wall time stands in for its billed duration.

The arithmetic (quantities x prices -> the table) is kept apart from the measuring, in pure
functions, so it is unit-tested (tests/unit/bench/test_cost_model.py) and the prices or the
tick's model can be changed without a new run.
"""

from __future__ import annotations

import argparse
import base64
import json
import math
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

DAYS_PER_MONTH = 30
KB = 1024
GB = 1024**3

# --- prices: AWS list prices, ap-northeast-1 (Tokyo), USD, no free tier ------------------------
# Checked 2026-12-03. "verified" = a published page found that states the figure; the rest are the
# figures we were given and could not confirm for Tokyo from a published page (see the README).
# https://aws.amazon.com/lambda/pricing/ (arm64, first tier; the $0.0000133334 figure is the published
# arm64 first-tier rate) — verified for arm64 in general, not as a Tokyo row.
LAMBDA_GB_SECOND = 0.0000133334
LAMBDA_REQUEST = 0.20 / 1e6
# https://aws.amazon.com/dynamodb/pricing/on-demand/ (Tokyo row, after the Nov 2024 reduction) — not verified.
DYNAMODB_WRU = 0.715 / 1e6
DYNAMODB_RRU = 0.1425 / 1e6
DYNAMODB_STORAGE_GB_MONTH = 0.285
DYNAMODB_PITR_GB_MONTH = 0.228  # continuous backups (the template enables PITR on every table) — assumed
# https://aws.amazon.com/sqs/pricing/ (FIFO, first tier) — not verified.
SQS_FIFO_REQUEST = 0.50 / 1e6
SQS_STANDARD_REQUEST = 0.40 / 1e6
# https://aws.amazon.com/secrets-manager/pricing/ — $0.40/secret-month, $0.05 per 10,000 calls
# (the same figures found on a third-party copy of the price list; not a Tokyo row).
SECRET_MONTH = 0.40
SECRETS_CALL = 0.05 / 10_000
# https://aws.amazon.com/cloudwatch/pricing/ — Logs $0.76/GB ingested, $0.033/GB-month stored in
# ap-northeast-1 (verified on a published cost write-up quoting the Tokyo rows, not on the AWS page).
LOGS_INGEST_GB = 0.76
LOGS_STORAGE_GB_MONTH = 0.033
METRIC_MONTH = 0.30
ALARM_MONTH = 0.10
# https://aws.amazon.com/kms/pricing/ — $1 per customer managed key-month, $0.03 per 10,000 requests;
# AWS managed keys have no monthly fee (verified on the AWS page).
KMS_KEY_MONTH = 1.00
KMS_REQUEST = 0.03 / 10_000
# https://aws.amazon.com/xray/pricing/ — $5.00 per 1M traces recorded — not verified for Tokyo.
XRAY_TRACE = 5.00 / 1e6
# https://aws.amazon.com/api-gateway/pricing/ — REST API, Tokyo, first 333M: $4.25 per 1M — not verified.
APIGW_REST_REQUEST = 4.25 / 1e6

# --- assumptions that are not measured ---------------------------------------------------------
LAMBDA_PLATFORM_LOG_BYTES = 400  # START, END and REPORT lines (with the X-Ray trace id) per invocation
API_ACCESS_LOG_BYTES = 450  # one line of the API stage's JSON access-log format per request
LOG_RETENTION_DAYS = 90  # template.yaml LogRetentionDays default; stored uncompressed (an upper bound)
# Lambda's SQS event source long-polls the jobs queue even when it is empty: about 5 pollers, each a
# 20-second ReceiveMessage, = 15 requests a minute for the deployment.
IDLE_POLLS_PER_MONTH = 5 * 3 * 60 * 24 * DAYS_PER_MONTH
# DynamoDB refreshes each table's data key from KMS about every 5 minutes while the table is used
# (tables encrypted with the AWS managed key aws/dynamodb: KMS request charges apply, no key fee).
DYNAMODB_TABLES = 5
DYNAMODB_KMS_REQUESTS_PER_MONTH = DYNAMODB_TABLES * 12 * 24 * DAYS_PER_MONTH
# X-Ray's default sampling rule: the first request each second, then 5% of the rest.
XRAY_RESERVOIR_PER_MONTH = 86_400 * DAYS_PER_MONTH
XRAY_FIXED_RATE = 0.05
STORED_ORDER_DAYS = 365  # orders are kept (no TTL): storage is priced at one year of orders
EXPORT_RUN_DAYS = 90  # export runs expire after KEEP_DAYS (dal/export_runs.py)


# --- the tick at scale (from the fan-out benchmark of the redesigned tick) ----------------------
# Update these when the tick changes: they replace what one tick of the 1-shop run measured.
# bench/results/fan_out.md (python -m bench.fan_out, 10 ms per AWS call): 0.15 s for 100 shops, 0.46 s
# for 1,000, 5.35 s for 10,000 — an upper bound, moto's FIFO sends slow as its queue fills.
TICK_SECONDS_AT_10K = 5.3  # wall time of one tick over 10,000 shops, measured (see above)
TICK_BASE_SECONDS = 0.1
TICK_LOG_BYTES_PER_SHOP = (
    20  # upper bound from before the fan-out redesign (its log line now holds counts only)
)
TICK_SHOP_READ_BYTES = 300  # bytes of a shop as the tick's index query reads it (projected attributes)


def tick_calls(n_shops: int) -> dict[str, int]:
    """AWS calls of ONE schedule tick over ``n_shops`` shops, as the fan-out benchmark counted them
    (bench/results/fan_out.md: 1,025 calls for 10,000 shops): one SendMessageBatch per 10 jobs,
    ceil(N/500) + 2 UpdateItem and one GetItem on the locks table, and the by_status index's
    pages (moto served 10,000 shops in 2; DynamoDB's 1 MB pages hold fewer of them, so priced at one
    Query per 2,000 shops)."""
    return {
        "sqs.SendMessageBatch": math.ceil(n_shops / 10),
        "dynamodb.UpdateItem": math.ceil(n_shops / 500) + 2,
        "dynamodb.GetItem": 1,
        "dynamodb.Query": math.ceil(n_shops / 2000),
    }


def tick_seconds(n_shops: int) -> float:
    """Wall time of one tick: linear through the fan-out benchmark's figures (bench/results/fan_out.md)."""
    return TICK_BASE_SECONDS + TICK_SECONDS_AT_10K * n_shops / 10_000


def tick_read_units(n_shops: int) -> float:
    """Read units of one tick: its index queries (eventually consistent) and its resume point (a
    strongly consistent read of a small item, one unit)."""
    pages = tick_calls(n_shops)["dynamodb.Query"]
    return (
        max(pages, math.ceil(n_shops * TICK_SHOP_READ_BYTES / (4 * KB))) * 0.5
        + tick_calls(n_shops)["dynamodb.GetItem"]
    )


# --- the arithmetic: pure, unit-tested ----------------------------------------------------------


@dataclass(frozen=True)
class Part:
    """One priced quantity of a line: ``per_shop`` units per shop-month plus ``deployment(n)`` units
    per deployment-month (ticks, alarms, keys: they do not scale with the number of shops)."""

    unit_price: float
    per_shop: float = 0.0
    deployment: Callable[[int], float] = field(default=lambda n: 0.0)

    def quantity(self, shops: int) -> float:
        return self.per_shop * shops + self.deployment(shops)

    def cost(self, shops: int) -> float:
        return self.quantity(shops) * self.unit_price


@dataclass(frozen=True)
class Line:
    name: str
    parts: tuple[Part, ...]
    unit: str
    how: str = ""
    quantity_text: str = ""  # when the parts' units differ (metrics and alarms, keys and requests)

    def cost(self, shops: int) -> float:
        return sum(p.cost(shops) for p in self.parts)

    def quantity(self, shops: int) -> float:
        return sum(p.quantity(shops) for p in self.parts)


def constant(value: float) -> Callable[[int], float]:
    return lambda n: value


def total(lines: list[Line], shops: int) -> float:
    return sum(line.cost(shops) for line in lines)


def dominant(lines: list[Line], shops: int) -> Line:
    return max(lines, key=lambda line: line.cost(shops))


def xray_traces(invocations: float) -> float:
    """Traces recorded under the default sampling rule (1 a second, then 5%)."""
    reservoir = min(invocations, XRAY_RESERVOIR_PER_MONTH)
    return reservoir + XRAY_FIXED_RATE * max(0.0, invocations - reservoir)


@dataclass
class Usage:
    """One shop's measured day (per-shop invocation kinds only) and the per-deployment measurements."""

    lambda_gb_seconds: float = 0.0
    lambda_requests: float = 0.0
    wru: float = 0.0
    rru: float = 0.0
    storage_gb: float = 0.0  # per shop, steady state
    sqs_fifo_requests: float = 0.0
    secrets_calls: float = 0.0
    secrets_per_shop: int = 1
    log_bytes: float = 0.0
    api_requests: float = 0.0
    kms_requests: float = 0.0  # Secrets Manager's decrypts/encrypts on the AWS managed key
    # per deployment, per day
    ticks_per_day: int = 97
    keepalive_per_day: int = 1
    keepalive_gb_seconds: float = 0.0
    tick_memory_gb: float = 0.25
    tick_log_bytes: float = 0.0
    metrics: int = 0
    alarms: int = 0
    customer_keys: int = 1


def month_lines(u: Usage) -> list[Line]:
    """The table's lines from one shop's day (``u``, per day) and the deployment's fixed items."""
    m = DAYS_PER_MONTH
    ticks = u.ticks_per_day * m

    def tick_gbs(n: int) -> float:
        return ticks * tick_seconds(n) * u.tick_memory_gb + u.keepalive_gb_seconds * u.keepalive_per_day * m

    def tick_calls_of(kind: str) -> Callable[[int], float]:
        return lambda n: ticks * tick_calls(n)[kind]

    def tick_logs(n: int) -> float:
        per_tick = u.tick_log_bytes + TICK_LOG_BYTES_PER_SHOP * n + LAMBDA_PLATFORM_LOG_BYTES
        return ticks * per_tick / GB

    log_gb = u.log_bytes * m / GB
    stored_log_gb = u.log_bytes * LOG_RETENTION_DAYS / GB
    invocations = u.lambda_requests * m
    deployment_invocations = (u.ticks_per_day + u.keepalive_per_day) * m
    return [
        Line("Lambda GB-s", (Part(LAMBDA_GB_SECOND, u.lambda_gb_seconds * m, tick_gbs),), "GB-s",
             "sum of wall time x memory per invocation (jobs, stream, API); ticks: tick_seconds(N)"),
        Line("Lambda requests", (Part(LAMBDA_REQUEST, invocations, constant(deployment_invocations)),),
             "invocations", "jobs + stream batches + API calls per shop; ticks and keep-alive per deployment"),
        Line("DynamoDB writes", (Part(DYNAMODB_WRU, u.wru * m, lambda n: ticks * tick_calls(n)["dynamodb.UpdateItem"]),),
             "WRU", "1 per KB per item written, table + each index it is in; ticks: tick_calls(N)"),
        Line("DynamoDB reads", (Part(DYNAMODB_RRU, u.rru * m, lambda n: ticks * tick_read_units(n)),),
             "RRU", "1 per 4 KB read (strongly consistent), 0.5 eventually consistent"),
        Line("DynamoDB storage", (Part(DYNAMODB_STORAGE_GB_MONTH + DYNAMODB_PITR_GB_MONTH, u.storage_gb),),
             "GB-month", "a year of orders + 90 days of export runs, + 100 B per item and index entry; + PITR"),
        Line("SQS", (Part(SQS_FIFO_REQUEST, u.sqs_fifo_requests * m, lambda n: ticks * tick_calls(n)["sqs.SendMessageBatch"]),
                     Part(SQS_FIFO_REQUEST, 0.0, constant(IDLE_POLLS_PER_MONTH))),
             "requests", "per 64 KB chunk; job send/receive/delete measured; idle long polls of the event source"),
        Line("Secrets Manager secrets", (Part(SECRET_MONTH, u.secrets_per_shop, constant(2)),),
             "secret-months", "one secret per shop (its token pair) + 2 app secrets"),
        Line("Secrets Manager calls", (Part(SECRETS_CALL, u.secrets_calls * m),), "calls",
             "GetSecretValue, PutSecretValue, ... as measured"),
        Line("CloudWatch Logs", (Part(LOGS_INGEST_GB, log_gb, tick_logs),
                                 Part(LOGS_STORAGE_GB_MONTH, stored_log_gb,
                                      lambda n: tick_logs(n) * LOG_RETENTION_DAYS / m)),
             "GB", f"bytes logged per invocation + platform lines; stored {LOG_RETENTION_DAYS} days"),
        Line("CloudWatch metrics + alarms", (Part(METRIC_MONTH, 0.0, constant(u.metrics)),
                                             Part(ALARM_MONTH, 0.0, constant(u.alarms))),
             "metric/alarm-months", "distinct metric names x the one dimension set; alarms in template.yaml",
             f"{u.metrics} metrics + {u.alarms} alarms / deployment"),
        Line("KMS", (Part(KMS_KEY_MONTH, 0.0, constant(u.customer_keys)),
                     Part(KMS_REQUEST, u.kms_requests * m, constant(DYNAMODB_KMS_REQUESTS_PER_MONTH))),
             "key-months / requests", "the alert topic's key; Secrets Manager and DynamoDB key requests",
             f"{u.customer_keys} key + {amount(DYNAMODB_KMS_REQUESTS_PER_MONTH)} requests / deployment"
             f" + {amount(u.kms_requests * m)} requests / shop"),
        Line("X-Ray traces", (Part(XRAY_TRACE, 0.0, lambda n: xray_traces(invocations * n + deployment_invocations)),),
             "traces", "Tracing: Active; default sampling 1/s + 5%",
             f"of {amount(invocations)} invocations / shop + {amount(deployment_invocations)} / deployment"),
        Line("API Gateway", (Part(APIGW_REST_REQUEST, u.api_requests * m),), "requests",
             "the operator's management API calls"),
    ]  # fmt: skip


SHOP_COUNTS = (1, 100, 10_000)


def money(value: float) -> str:
    if value >= 100:
        return f"${value:,.0f}"
    if value >= 1:
        return f"${value:,.2f}"
    return f"${value:.3f}" if value >= 0.001 else ("$0" if value == 0 else "<$0.001")


def amount(value: float) -> str:
    if value >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def table_rows(lines: list[Line], counts: tuple[int, ...] = SHOP_COUNTS) -> list[list[str]]:
    rows = []
    for line in lines:
        per_shop = sum(p.per_shop for p in line.parts)
        fixed = sum(p.deployment(1) for p in line.parts)
        prices = sorted({p.unit_price for p in line.parts})
        quantity = line.quantity_text or (
            f"{amount(per_shop)} / shop" + (f" + {amount(fixed)} / deployment" if fixed else "")
        )
        rows.append(
            [
                line.name,
                quantity,
                " + ".join(f"${p:.3g}" for p in prices),
                *(money(line.cost(n)) for n in counts),
            ]
        )
    rows.append(["Total", "", "", *(money(total(lines, n)) for n in counts)])
    return rows


def markdown_table(lines: list[Line], counts: tuple[int, ...] = SHOP_COUNTS) -> str:
    head = ["line", "quantity per month", "unit price (USD)", *(f"{n:,} shop{'s' * (n > 1)}" for n in counts)]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(row) + " |" for row in table_rows(lines, counts)]
    return "\n".join(out)


# --- DynamoDB request units from item sizes -----------------------------------------------------


def attribute_size(value: dict[str, Any]) -> int:
    """Bytes of one typed attribute value by DynamoDB's sizing rules (numbers approximated)."""
    ((kind, data),) = value.items()
    if kind == "S":
        return len(str(data).encode())
    if kind == "N":
        return len(str(data).lstrip("-").replace(".", "")) // 2 + 2
    if kind == "B":
        return len(base64.b64decode(data))
    if kind in ("BOOL", "NULL"):
        return 1
    if kind in ("SS", "NS", "BS"):
        return sum(attribute_size({kind[0]: v}) for v in data)
    if kind == "L":
        return 3 + sum(1 + attribute_size(v) for v in data)
    if kind == "M":
        return 3 + sum(1 + len(k.encode()) + attribute_size(v) for k, v in data.items())
    return len(json.dumps(data))


def item_size(item: dict[str, Any] | None) -> int:
    if not item:
        return 0
    return sum(len(name.encode()) + attribute_size(value) for name, value in item.items())


def write_units(size: int) -> int:
    return max(1, math.ceil(size / KB))


def read_units(size: int, consistent: bool) -> float:
    return max(1, math.ceil(size / (4 * KB))) * (1.0 if consistent else 0.5)


@dataclass(frozen=True)
class Index:
    name: str
    keys: tuple[str, ...]
    projection: str  # ALL, KEYS_ONLY or INCLUDE
    include: tuple[str, ...] = ()


@dataclass(frozen=True)
class TableShape:
    keys: tuple[str, ...]
    indexes: tuple[Index, ...]

    def projected(self, index: Index, item: dict[str, Any] | None) -> dict[str, Any] | None:
        if not item or not all(k in item for k in index.keys):
            return None
        if index.projection == "ALL":
            return item
        wanted = set(self.keys) | set(index.keys) | set(index.include)
        return {k: v for k, v in item.items() if k in wanted}


def item_write_units(shape: TableShape, old: dict[str, Any] | None, new: dict[str, Any] | None) -> int:
    """WRU of one successful item write: the table (the larger of before and after) plus every index
    entry written, deleted or both (an index key that changed costs a delete and a put)."""
    units = write_units(max(item_size(old), item_size(new)))
    for index in shape.indexes:
        before, after = shape.projected(index, old), shape.projected(index, new)
        if before is None and after is None:
            continue
        same_key = before is not None and after is not None and all(before[k] == after[k] for k in index.keys)
        if same_key:
            units += write_units(max(item_size(before), item_size(after)))
        else:
            units += (write_units(item_size(before)) if before else 0) + (
                write_units(item_size(after)) if after else 0
            )
    return units


# --- measuring ----------------------------------------------------------------------------------

DYNAMODB_WRITES = ("PutItem", "UpdateItem", "DeleteItem")


@dataclass
class Kind:
    """Everything one invocation kind did over the day."""

    invocations: int = 0
    seconds: float = 0.0
    log_bytes: int = 0
    calls: Counter[str] = field(default_factory=Counter)
    wru: float = 0.0
    rru: float = 0.0
    sqs_requests: int = 0


class Meter:
    """botocore hooks on the default boto3 session (every client the product makes comes from it):
    every call made while a label is set is counted under that label."""

    def __init__(self, probe: Any) -> None:
        self.probe = probe  # a DynamoDB client from another session: its calls are never counted
        self.kinds: dict[str, Kind] = defaultdict(Kind)
        self.label: str | None = None
        self._lock = threading.Lock()
        self._shapes: dict[str, TableShape] = {}

    def install(self, events: Any) -> None:
        events.register("before-call", self._before)
        events.register("after-call", self._after)

    @contextmanager
    def labelled(self, label: str | None) -> Iterator[None]:
        saved, self.label = self.label, label
        try:
            yield
        finally:
            self.label = saved

    def kind(self) -> Kind | None:
        return self.kinds[self.label] if self.label else None

    def shape(self, table: str) -> TableShape:
        if table not in self._shapes:
            desc = self.probe.describe_table(TableName=table)["Table"]
            indexes = [
                Index(
                    i["IndexName"],
                    tuple(k["AttributeName"] for k in i["KeySchema"]),
                    i["Projection"]["ProjectionType"],
                    tuple(i["Projection"].get("NonKeyAttributes", [])),
                )
                for i in [*desc.get("GlobalSecondaryIndexes", []), *desc.get("LocalSecondaryIndexes", [])]
            ]
            self._shapes[table] = TableShape(
                tuple(k["AttributeName"] for k in desc["KeySchema"]), tuple(indexes)
            )
        return self._shapes[table]

    def _current(self, table: str, key: dict[str, Any]) -> dict[str, Any] | None:
        found: dict[str, Any] | None = self.probe.get_item(TableName=table, Key=key, ConsistentRead=True).get(
            "Item"
        )
        return found

    def _key_of(self, table: str, body: dict[str, Any]) -> dict[str, Any]:
        if "Key" in body:
            return dict(body["Key"])
        return {k: body["Item"][k] for k in self.shape(table).keys}

    def _before(self, model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        if self.label is None:
            return
        service, op = model.service_model.service_name, model.name
        body = params.get("body") or b""
        context["cost"] = {"label": self.label, "request_bytes": len(body)}
        if service != "dynamodb":
            return
        data = json.loads(body or b"{}")
        context["cost"]["data"] = data
        if op in DYNAMODB_WRITES:
            table = data["TableName"]
            context["cost"]["old"] = self._current(table, self._key_of(table, data))

    def _after(
        self, http_response: Any, parsed: dict[str, Any], model: Any, context: dict[str, Any], **_: Any
    ) -> None:
        cost = context.get("cost")
        if not cost:
            return
        service, op = model.service_model.service_name, model.name
        content = http_response.content or b""
        if service == "sqs" and op == "ReceiveMessage" and b"MessageId" not in content:
            op = "ReceiveMessage (empty: idle polling, priced per deployment)"
        with self._lock:
            kind = self.kinds[cost["label"]]
            kind.calls[f"{service}.{op}"] += 1
        if service == "sqs" and "empty" in op:
            return
        if service == "sqs":
            size = max(cost["request_bytes"], len(content))
            with self._lock:
                kind.sqs_requests += max(1, math.ceil(size / (64 * KB)))
        elif service == "dynamodb":
            # the raw answer: boto3's resource layer turns ``parsed`` into Python values in place
            raw = json.loads(http_response.content or b"{}")
            wru, rru = self._dynamodb_units(op, cost, raw)
            with self._lock:
                kind.wru += wru
                kind.rru += rru

    def _dynamodb_units(self, op: str, cost: dict[str, Any], parsed: dict[str, Any]) -> tuple[float, float]:
        if op in DYNAMODB_WRITES:
            data, old = cost["data"], cost["old"]
            table = data["TableName"]
            if "__type" in parsed:  # a failed condition still costs the write of the item's size
                return write_units(max(item_size(old), item_size(data.get("Item")))), 0.0
            new = None if op == "DeleteItem" else self._current(table, self._key_of(table, data))
            return item_write_units(self.shape(table), old, new), 0.0
        return 0.0, read_cost(op, cost["data"], parsed)


def read_cost(op: str, request: dict[str, Any], parsed: dict[str, Any]) -> float:
    """RRU of a read from its request (ConsistentRead) and its answer (the items' sizes). A key not
    found still costs the minimum; a filtered query is priced by what it scanned."""
    consistent = bool(request.get("ConsistentRead", False))
    if op == "GetItem":
        return read_units(item_size(parsed.get("Item")), consistent)
    if op == "BatchGetItem":
        units = 0.0
        for table, asked in request.get("RequestItems", {}).items():
            found = parsed.get("Responses", {}).get(table, [])
            strong = bool(asked.get("ConsistentRead", False))
            units += sum(read_units(item_size(i), strong) for i in found)
            units += max(0, len(asked.get("Keys", [])) - len(found)) * read_units(0, strong)
        return units
    if op in ("Query", "Scan"):
        size = sum(item_size(i) for i in parsed.get("Items", []))
        scanned, count = int(parsed.get("ScannedCount", 0)), int(parsed.get("Count", 0))
        if scanned > count:
            size = size * scanned // count if count else scanned * 200
        return read_units(size, consistent)
    return 0.0


class LogTap:
    """Stands in for stdout and stderr: what the handlers write is counted under the current label."""

    def __init__(self, meter: Meter, through: Any) -> None:
        self.meter = meter
        self.through = through
        self.encoding = "utf-8"

    def write(self, text: str) -> int:
        kind = self.meter.kind()
        if kind is None:
            return int(self.through.write(text))
        kind.log_bytes += len(text.encode())
        return len(text)

    def flush(self) -> None:
        self.through.flush()

    def isatty(self) -> bool:
        return False


def invocation_label(logical_id: str, event: dict[str, Any]) -> str:
    """The invocation kind: the job worker by job kind and trigger, the APIs by route."""
    if logical_id == "JobWorkerFunction" and event.get("Records"):
        job = json.loads(event["Records"][0]["body"])
        return f"{logical_id} {job['kind']} ({job['trigger']})"
    if "httpMethod" in event:
        return f"{logical_id} {event['httpMethod']} {event.get('resource', '')}"
    return logical_id


# --- the day ------------------------------------------------------------------------------------

ORDERS_PER_DAY = 100
CYCLES = 48  # one import tick and one export tick every 30 minutes
HISTORY_DAYS = 6  # orders already in the 7-day import window when the day starts (all dispatched)
PER_DEPLOYMENT = ("ImportScheduleFunction", "ExportScheduleFunction", "TokenKeepaliveFunction")


def say(text: str) -> None:
    print(f"[cost] {text}", file=sys.__stderr__, flush=True)


@dataclass
class DayResult:
    kinds: dict[str, Kind]
    memory_mb: dict[str, int]
    storage_bytes_per_day: dict[str, float]
    consumed_capacity_check: str
    wall: float
    latency_ms: int


def function_memory(template: Any) -> dict[str, int]:
    default = int(template.data["Globals"]["Function"].get("MemorySize", 128))
    return {
        name: int(res["Properties"].get("MemorySize", default))
        for name, res in template.resources.items()
        if res["Type"] == "AWS::Serverless::Function"
    }


def run_day(latency_ms: int) -> DayResult:  # pragma: no cover - the benchmark itself (moto and the sandbox)
    import os  # noqa: PLC0415

    import boto3  # noqa: PLC0415
    from tests.support.flows import age_tokens, connect_shop  # noqa: PLC0415
    from tests.support.orders import make_orders, ship  # noqa: PLC0415
    from tests.support.stack import REGION, TEMPLATE, StackUnderTest, drain_jobs  # noqa: PLC0415

    from base_sync import aws, observability  # noqa: PLC0415
    from bench.env import Bench  # noqa: PLC0415
    from devstack.lambdas import LocalLambdas  # noqa: PLC0415
    from devstack.streams import StreamPump  # noqa: PLC0415

    started = time.perf_counter()
    with Bench(latency_ms) as bench:
        # as deployed: INFO logs and EMF metrics on (the other benchmarks turn both down)
        os.environ.update({"POWERTOOLS_LOG_LEVEL": "INFO", "POWERTOOLS_METRICS_DISABLED": "false"})
        observability.logger.setLevel("INFO")
        probe = boto3.session.Session().client("dynamodb", region_name=REGION, endpoint_url=bench.moto.url)
        meter = Meter(probe)
        if boto3.DEFAULT_SESSION is None:
            boto3.setup_default_session()
        session = boto3.DEFAULT_SESSION
        assert session is not None
        meter.install(session.events)
        aws.reset_clients()
        tap_out, tap_err = LogTap(meter, sys.stdout), LogTap(meter, sys.stderr)
        handler = observability.logger.registered_handler
        saved_stream = handler.setStream(tap_out)  # type: ignore[attr-defined]

        class MeteredLambdas(LocalLambdas):
            def invoke(self, logical_id: str, event: dict[str, Any]) -> Any:
                with meter.labelled(invocation_label(logical_id, event)):
                    kind = meter.kind()
                    assert kind is not None
                    begun = time.perf_counter()
                    try:
                        return super().invoke(logical_id, event)
                    finally:
                        kind.seconds += time.perf_counter() - begun
                        kind.invocations += 1

        stack: StackUnderTest = bench.stack()
        shop = "shop-day"
        connect_shop(stack, shop, "一日商店")
        say(
            f"history: {ORDERS_PER_DAY * HISTORY_DAYS} dispatched orders over {HISTORY_DAYS} days, imported once"
        )
        bench.base.generate_orders(
            shop, ORDERS_PER_DAY * HISTORY_DAYS, days=HISTORY_DAYS, items_min=1, items_max=2, seed=30,
            dispatched_ratio=1, cancelled_ratio=0, unpaid_ratio=0,
        )  # fmt: skip
        lambdas = MeteredLambdas(stack.local)
        stack.lambdas = lambdas
        pump = StreamPump(lambdas)
        day_start = datetime.now(UTC).replace(microsecond=0)
        old_out, old_err = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = tap_out, tap_err
        try:
            _warm_up(stack, pump, drain_jobs, day_start)
            meter.kinds.clear()
            with bench.latency():
                _the_day(stack, shop, meter, pump, drain_jobs, make_orders, ship, age_tokens, day_start)
        finally:
            sys.stdout, sys.stderr = old_out, old_err
            handler.setStream(saved_stream)  # type: ignore[attr-defined]
        storage = _storage_per_day(meter, stack, shop)
        check = _consumed_capacity_check(meter, stack)
        kinds = dict(meter.kinds)
        memory = function_memory(TEMPLATE)
    return DayResult(kinds, memory, storage, check, time.perf_counter() - started, latency_ms)


def _tick(stack: Any, function: str, at: datetime) -> None:
    stack.invoke(function, {"scheduled_time": at.strftime("%Y-%m-%dT%H:%M:%SZ")})


def _warm_up(stack: Any, pump: Any, drain: Callable[[Any], Any], day_start: datetime) -> None:
    """Setup, not counted: the history imported, every function's module loaded once (a warm start)."""
    _tick(stack, "ImportScheduleFunction", day_start - timedelta(minutes=30))
    drain(stack)
    _tick(stack, "ExportScheduleFunction", day_start - timedelta(minutes=30))
    drain(stack)
    stack.invoke("TokenKeepaliveFunction", {"scheduled_time": day_start.strftime("%Y-%m-%dT%H:%M:%SZ")})
    pump.pump()


def _the_day(
    stack: Any, shop: str, meter: Meter, pump: Any, drain: Callable[[Any], Any],
    make_orders: Callable[..., list[str]], ship: Callable[..., None], age_tokens: Callable[..., Any],
    day_start: datetime,
) -> None:  # fmt: skip
    """48 half-hours: new orders, the import tick and its job, each order's tracking number entered
    (PATCH) and exported through the stream, the export tick and its job; then the daily ticks."""
    shares = [ORDERS_PER_DAY // CYCLES + (1 if i < ORDERS_PER_DAY % CYCLES else 0) for i in range(CYCLES)]
    for cycle, new in enumerate(shares):
        at = day_start + timedelta(minutes=30 * cycle)
        if cycle % 2 == 0:  # BASE access tokens last an hour: the next job refreshes them, as on AWS
            with meter.labelled(None):
                age_tokens(stack, shop, expires_in=timedelta(seconds=-1), issued_ago=timedelta(hours=1))
        keys = make_orders(stack, shop, [{} for _ in range(new)])
        _tick(stack, "ImportScheduleFunction", at)
        with meter.labelled("JobsQueue event source"):
            drain(stack)
        with meter.labelled("OrdersTable stream source"):
            pump.pump()
        for index, key in enumerate(keys):
            ship(stack, shop, key, tracking=f"5000-{cycle:04d}-{index:04d}")
            with meter.labelled("OrdersTable stream source"):
                pump.pump()
            with meter.labelled("JobsQueue event source"):
                drain(stack)
        _tick(stack, "ExportScheduleFunction", at + timedelta(seconds=1))
        with meter.labelled("JobsQueue event source"):
            drain(stack)
        with meter.labelled("OrdersTable stream source"):
            pump.pump()
        if cycle % 8 == 0:
            say(f"half-hour {cycle + 1} of {CYCLES}")
    _tick(stack, "ExportScheduleFunction", day_start + timedelta(hours=23, minutes=59))  # ReleaseDeferred
    with meter.labelled("JobsQueue event source"):
        drain(stack)
    stack.invoke(
        "TokenKeepaliveFunction",
        {"scheduled_time": (day_start + timedelta(hours=23)).strftime("%Y-%m-%dT%H:%M:%SZ")},
    )


def _table_items(probe: Any, table: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": table}
    while True:
        page = probe.scan(**kwargs)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def stored_bytes(shape: TableShape, items: list[dict[str, Any]]) -> float:
    """Billed storage of items: each item + 100 B, and each index entry (projection) + 100 B."""
    total_bytes = 0.0
    for item in items:
        total_bytes += item_size(item) + 100
        for index in shape.indexes:
            projected = shape.projected(index, item)
            if projected is not None:
                total_bytes += item_size(projected) + 100
    return total_bytes


def _storage_per_day(meter: Meter, stack: Any, shop: str) -> dict[str, float]:
    """Stored bytes the day added per table (the orders table: the day's orders only)."""
    refs = stack.local.refs
    out: dict[str, float] = {}
    orders = [
        i for i in _table_items(meter.probe, refs["OrdersTable"]) if i.get("shop_id", {}).get("S") == shop
    ]
    per_order = stored_bytes(meter.shape(refs["OrdersTable"]), orders) / max(len(orders), 1)
    out["OrdersTable"] = per_order * ORDERS_PER_DAY
    runs = _table_items(meter.probe, refs["ExportsTable"])  # the warm-up's run and the day's
    per_run = stored_bytes(meter.shape(refs["ExportsTable"]), runs) / max(len(runs), 1)
    day_runs = sum(
        k.invocations for label, k in meter.kinds.items() if label.startswith("JobWorkerFunction export")
    )
    out["ExportsTable"] = per_run * day_runs
    return out


def _consumed_capacity_check(meter: Meter, stack: Any) -> str:
    """Does moto's ReturnConsumedCapacity follow item size? A 3.5 KB item should cost 4 WRU."""
    table = stack.local.refs["LocksTable"]
    item = {"lock_id": {"S": "cost-probe"}, "pad": {"S": "x" * 3500}}
    answer = meter.probe.put_item(TableName=table, Item=item, ReturnConsumedCapacity="TOTAL")
    reported = answer.get("ConsumedCapacity", {}).get("CapacityUnits")
    meter.probe.delete_item(TableName=table, Key={"lock_id": {"S": "cost-probe"}})
    return f"moto reported {reported} capacity units for a {item_size(item)}-byte PutItem (DynamoDB: 4)"


# --- from the day to the month ------------------------------------------------------------------


def count_metrics(root: Path) -> set[str]:
    """Distinct metric names the code emits (``add_metric(name=...)``; the f-string one expanded)."""
    import re  # noqa: PLC0415

    names: set[str] = set()
    for path in (root / "layers" / "shared" / "base_sync").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        names |= set(re.findall(r'add_metric\(\s*name="(\w+)"', text))
        if 'name=f"Orders{outcome.capitalize()}"' in text:
            names |= {"OrdersDispatched", "OrdersDeferred", "OrdersFailed"}
    return names


def count_alarms(root: Path) -> int:
    return (root / "template.yaml").read_text(encoding="utf-8").count("Type: AWS::CloudWatch::Alarm")


def usage_from_day(day: DayResult, metrics: int, alarms: int) -> Usage:
    """Per-shop quantities from the kinds that scale with shops; deployment items from the rest."""
    u = Usage(metrics=metrics, alarms=alarms)
    for label, kind in day.kinds.items():
        function = label.split(" ")[0]
        gb = day.memory_mb.get(function, 256) / 1024
        secrets = sum(v for k, v in kind.calls.items() if k.startswith("secretsmanager."))
        if function in ("ImportScheduleFunction", "ExportScheduleFunction"):
            u.tick_log_bytes = max(u.tick_log_bytes, kind.log_bytes / max(kind.invocations, 1))
            u.tick_memory_gb = gb
            continue  # replaced by tick_calls(N) / tick_seconds(N)
        if function == "TokenKeepaliveFunction":
            u.keepalive_gb_seconds = kind.seconds * gb / max(kind.invocations, 1)
        else:
            u.lambda_gb_seconds += kind.seconds * gb
            u.lambda_requests += kind.invocations
            u.log_bytes += kind.invocations * LAMBDA_PLATFORM_LOG_BYTES
        if " /" in label:  # an API route: API Gateway request + access-log line
            u.api_requests += kind.invocations
            u.log_bytes += kind.invocations * API_ACCESS_LOG_BYTES
        u.log_bytes += kind.log_bytes
        u.wru += kind.wru
        u.rru += kind.rru
        u.sqs_fifo_requests += kind.sqs_requests
        u.secrets_calls += secrets
        u.kms_requests += (
            kind.calls["secretsmanager.GetSecretValue"] + kind.calls["secretsmanager.PutSecretValue"]
        )
    orders_gb = day.storage_bytes_per_day["OrdersTable"] * STORED_ORDER_DAYS / GB
    runs_gb = day.storage_bytes_per_day["ExportsTable"] * EXPORT_RUN_DAYS / GB
    u.storage_gb = orders_gb + runs_gb
    return u


def kinds_markdown(day: DayResult) -> str:
    head = (
        "| invocation kind | invocations | wall s (total) | log KB | DynamoDB WRU | RRU | SQS req | calls |"
    )
    lines = [head, "|---|---|---|---|---|---|---|---|"]
    for label in sorted(day.kinds):
        k = day.kinds[label]
        calls = ", ".join(f"{name} {n}" for name, n in sorted(k.calls.items()))
        lines.append(
            f"| {label} | {k.invocations} | {k.seconds:.2f} | {k.log_bytes / KB:.1f} | {k.wru:g} | {k.rru:g} "
            f"| {k.sqs_requests} | {calls} |"
        )
    return "\n".join(lines)


def report(day: DayResult, lines: list[Line], u: Usage) -> str:
    out = [
        f"# What it costs — one shop's day, measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"`python -m bench.cost`: one shop, {ORDERS_PER_DAY} new orders shipped the same day, {CYCLES} import "
        f"and {CYCLES} export ticks, run through the real handlers on moto + the BASE sandbox "
        f"(answering after {day.latency_ms} ms per call) in {day.wall:.0f} s.",
        "",
        "## The month (prices: Tokyo list prices, no free tier)",
        "",
        markdown_table(lines),
        "",
        f"Per shop and day: {u.lambda_requests:.0f} invocations, {u.lambda_gb_seconds:.1f} GB-s, {u.wru:.0f} WRU, "
        f"{u.rru:.0f} RRU, {u.sqs_fifo_requests:.0f} SQS requests, {u.secrets_calls:.0f} Secrets Manager calls, "
        f"{u.log_bytes / KB:.0f} KB of logs; storage {u.storage_gb * 1024:.1f} MB per shop (a year of orders).",
        "",
        "## The day, by invocation kind (ticks and keep-alive are per deployment: priced by tick_calls(N))",
        "",
        kinds_markdown(day),
        "",
        f"- {day.consumed_capacity_check}: request units are computed from item sizes instead.",
        "- Wall time on this machine stands in for billed duration (Lambda's arm64 CPU differs).",
        f"- Metrics: {u.metrics} distinct names in the code, one dimension set (service); alarms: {u.alarms}.",
    ]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:  # pragma: no cover - runs the benchmark
    parser = argparse.ArgumentParser(prog="python -m bench.cost", description=__doc__)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results" / "cost.md")
    parser.add_argument("--latency-ms", type=int, default=50, help="BASE latency per call (default 50)")
    args = parser.parse_args(argv)
    root = Path(__file__).resolve().parents[1]
    day = run_day(args.latency_ms)
    usage = usage_from_day(day, metrics=len(count_metrics(root)), alarms=count_alarms(root))
    lines = month_lines(usage)
    text = report(day, lines, usage)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(text)
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
