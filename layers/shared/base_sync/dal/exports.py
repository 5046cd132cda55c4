"""The exports table: the processing log. Key: ``export_id`` + ``shop_id``; index ``by_shop`` newest first."""

from __future__ import annotations

import time
from typing import Any

from base_sync.aws import table
from base_sync.dal.items import dynamo, plain
from base_sync.domain.export import ExportRun

BY_SHOP_INDEX = "by_shop"
KEEP_DAYS = 90


class ExportNotFound(LookupError):
    pass


class ExportRepository:
    def __init__(self, table_name: str) -> None:
        self._table = table(table_name)

    def put(self, run: ExportRun) -> None:
        item: dict[str, Any] = dynamo(run.model_dump(mode="json", exclude_none=True))
        item["log_sort"] = f"{run.queued_at}#{run.export_id}"
        item["ttl"] = int(time.time()) + KEEP_DAYS * 86400
        self._table.put_item(Item=item)

    def get(self, export_id: str) -> list[ExportRun]:
        """Every shop's run of one export (one for a single-shop export)."""
        page = self._table.query(
            KeyConditionExpression="export_id = :id",
            ExpressionAttributeValues={":id": export_id},
            ConsistentRead=True,
        )
        runs = [ExportRun.model_validate(plain(item)) for item in page.get("Items", [])]
        if not runs:
            raise ExportNotFound(export_id)
        return runs

    def get_run(self, export_id: str, shop_id: str) -> ExportRun:
        item = self._table.get_item(
            Key={"export_id": export_id, "shop_id": shop_id}, ConsistentRead=True
        ).get("Item")
        if item is None:
            raise ExportNotFound(f"{export_id}/{shop_id}")
        return ExportRun.model_validate(plain(item))

    def for_shop(self, shop_id: str, *, limit: int = 20) -> list[ExportRun]:
        """The shop's most recent runs, newest first."""
        page = self._table.query(
            IndexName=BY_SHOP_INDEX,
            KeyConditionExpression="shop_id = :s",
            ExpressionAttributeValues={":s": shop_id},
            ScanIndexForward=False,
            Limit=limit,
        )
        return [ExportRun.model_validate(plain(item)) for item in page.get("Items", [])]
