"""The exports table: the processing log. Key: ``export_id`` + ``shop_id``; index ``by_shop`` newest first.

A run is one item (sort key: the shop id) holding its counts, never its per-order results: those
live in pages of their own under the same ``export_id`` (sort key ``<shop_id>#results#00001``, …),
each far below DynamoDB's 400 KB item limit, so a run of any size can be stored. Pages carry
no ``log_sort``, which keeps them out of the ``by_shop`` index. The run item says how many pages
belong to it (``result_pages``); pages left over from an earlier, longer attempt of the same run
are ignored. Pages are written before the run item, so a reader never sees a run pointing at
pages that do not exist yet.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import ClientError

from base_sync.aws import table
from base_sync.dal.dynamo import CONDITION_FAILED, dynamo, error_code, plain, response_pages
from base_sync.dal.errors import ExportNotFound
from base_sync.domain.export import ExportRun, OrderResult, RunStatus

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

BY_SHOP_INDEX = "by_shop"
KEEP_DAYS = 90
PAGE_MAX_RESULTS = 1000
PAGE_MAX_BYTES = 100_000  # a quarter of the item limit, whatever the keys and reasons look like
_RESULTS = "#results#"
_DESERIALIZE = TypeDeserializer()


def result_pages(results: list[OrderResult]) -> list[list[dict[str, Any]]]:
    """The results cut into pages that each stay under ``PAGE_MAX_BYTES`` (and ``PAGE_MAX_RESULTS``)."""
    pages: list[list[dict[str, Any]]] = []
    page: list[dict[str, Any]] = []
    size = 0
    for result in results:
        entry = result.model_dump(mode="json", exclude_none=True)
        entry_size = len(json.dumps(entry, ensure_ascii=False).encode())
        if page and (len(page) >= PAGE_MAX_RESULTS or size + entry_size > PAGE_MAX_BYTES):
            pages.append(page)
            page, size = [], 0
        page.append(entry)
        size += entry_size
    if page:
        pages.append(page)
    return pages


def _page_key(shop_id: str, number: int) -> str:
    return f"{shop_id}{_RESULTS}{number:05d}"


class ExportRepository:
    def __init__(self, table_name: str) -> None:
        self._table: Table = table(table_name)

    def _run_item(self, run: ExportRun, pages: int) -> dict[str, Any]:
        item: dict[str, Any] = dynamo(run.model_dump(mode="json", exclude_none=True, exclude={"results"}))
        item["log_sort"] = f"{run.queued_at}#{run.export_id}"
        item["ttl"] = int(time.time()) + KEEP_DAYS * 86400
        item["result_pages"] = pages
        return item

    def put(self, run: ExportRun) -> None:
        """Store the run as it now stands: its result pages first, then the run item that points at them."""
        pages = result_pages(run.results)
        ttl = int(time.time()) + KEEP_DAYS * 86400
        for number, page in enumerate(pages, start=1):
            self._table.put_item(
                Item={
                    "export_id": run.export_id,
                    "shop_id": _page_key(run.shop_id, number),
                    "run_shop_id": run.shop_id,
                    "page": number,
                    "results": page,
                    "ttl": ttl,
                }
            )
        self._table.put_item(Item=self._run_item(run, len(pages)))

    def create(self, run: ExportRun) -> ExportRun | None:
        """Open a run's record only if it does not exist yet; returns the existing run otherwise.

        A re-processed tick or stream batch names the same run again: this never resets a run that
        is queued, running or finished. The existing item comes back with the refusal itself
        (``ReturnValuesOnConditionCheckFailure``), so no read and no read permission is needed.
        """
        try:
            self._table.put_item(
                Item=self._run_item(run.model_copy(update={"results": []}), 0),
                ConditionExpression="attribute_not_exists(export_id)",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            if error_code(exc) != CONDITION_FAILED:
                raise
            raw: Any = exc.response.get("Item")
            if not isinstance(raw, dict) or not raw:  # an emulator without the returned item: read it
                return self.get_run(run.export_id, run.shop_id, with_results=False)
            old = {k: _DESERIALIZE.deserialize(v) for k, v in raw.items()}
            return ExportRun.model_validate(plain(old))
        return None

    def mark_enqueued(self, export_id: str, shop_id: str, *, at: str) -> None:
        """Record that the run's job was sent; a run the worker already took is left alone."""
        try:
            self._table.update_item(
                Key={"export_id": export_id, "shop_id": shop_id},
                UpdateExpression="SET enqueued_at = :at",
                ConditionExpression="attribute_exists(export_id) AND #st = :queued",
                ExpressionAttributeNames={"#st": "status"},
                ExpressionAttributeValues={":at": at, ":queued": RunStatus.QUEUED.value},
            )
        except ClientError as exc:
            if error_code(exc) != CONDITION_FAILED:
                raise

    def _partition(self, export_id: str) -> Iterator[dict[str, Any]]:
        for page in response_pages(
            self._table.query,
            KeyConditionExpression="export_id = :id",
            ExpressionAttributeValues={":id": export_id},
            ConsistentRead=True,
        ):
            for item in page.get("Items", []):
                yield plain(item)

    def _pages_of(self, export_id: str, shop_id: str) -> dict[int, list[Any]]:
        found: dict[int, list[Any]] = {}
        for answer in response_pages(
            self._table.query,
            KeyConditionExpression="export_id = :id AND begins_with(shop_id, :prefix)",
            ExpressionAttributeValues={":id": export_id, ":prefix": f"{shop_id}{_RESULTS}"},
            ConsistentRead=True,
        ):
            for raw in answer.get("Items", []):
                item = plain(raw)
                if item.get("run_shop_id") == shop_id and "page" in item:
                    found[int(item["page"])] = list(item.get("results", []))
        return found

    @staticmethod
    def _assemble(item: dict[str, Any], pages: dict[int, list[Any]]) -> ExportRun:
        run = ExportRun.model_validate(item)
        count = item.get("result_pages")
        if count is None:  # written before results had pages of their own: they are inline
            return run
        results = [OrderResult.model_validate(r) for n in range(1, int(count) + 1) for r in pages.get(n, [])]
        return run.model_copy(update={"results": results})

    def get(self, export_id: str) -> list[ExportRun]:
        """Every shop's run of one export (one for a single-shop export), each with all its results."""
        runs: list[dict[str, Any]] = []
        pages: dict[str, dict[int, list[Any]]] = {}
        for item in self._partition(export_id):
            if "page" in item and "run_shop_id" in item:
                pages.setdefault(str(item["run_shop_id"]), {})[int(item["page"])] = list(item["results"])
            else:
                runs.append(item)
        if not runs:
            raise ExportNotFound(export_id)
        return [self._assemble(item, pages.get(str(item["shop_id"]), {})) for item in runs]

    def get_run(self, export_id: str, shop_id: str, *, with_results: bool = True) -> ExportRun:
        raw = self._table.get_item(Key={"export_id": export_id, "shop_id": shop_id}, ConsistentRead=True).get(
            "Item"
        )
        if raw is None:
            raise ExportNotFound(f"{export_id}/{shop_id}")
        item = plain(raw)
        if not with_results:
            return ExportRun.model_validate(item)
        wanted = int(item.get("result_pages") or 0)
        return self._assemble(item, self._pages_of(export_id, shop_id) if wanted else {})

    def for_shop(self, shop_id: str, *, limit: int = 20) -> list[ExportRun]:
        """The shop's most recent runs, newest first, each with all its results."""
        page = self._table.query(
            IndexName=BY_SHOP_INDEX,
            KeyConditionExpression="shop_id = :s",
            ExpressionAttributeValues={":s": shop_id},
            ScanIndexForward=False,
            Limit=limit,
        )
        runs: list[ExportRun] = []
        for raw in page.get("Items", []):
            item = plain(raw)
            wanted = int(item.get("result_pages") or 0)
            runs.append(
                self._assemble(item, self._pages_of(str(item["export_id"]), shop_id) if wanted else {})
            )
        return runs
