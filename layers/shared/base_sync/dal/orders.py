"""The orders table: one item per (shop, BASE order), written whole under an optimistic version check.

Keys: ``shop_id`` + ``unique_key``. The local index ``by_ordered`` sorts a shop's orders
newest first. The sparse global index ``ready`` holds only orders whose export state is
``pending`` or ``deferred`` (its key attributes exist only on those), so the exporter reads
work proportional to the ready orders, never to the table. The sparse, keys-only index ``open``
holds the orders still open on both sides (``Order.open``), so an import finds the open orders
older than its window without reading the table.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Final, Literal, Protocol

from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict, Field, model_validator

from base_sync.aws import dynamodb, table
from base_sync.dal.dynamo import CONDITION_FAILED, dynamo, error_code, plain, response_pages
from base_sync.dal.errors import (
    BadPageToken,
    OrderNotFound,
    TooManyConflicts,
    TransactionConflict,
    VersionConflict,
)
from base_sync.domain.order import READY_STATES, ExportState, Order

BY_ORDERED_INDEX = "by_ordered"
READY_INDEX = "ready"
OPEN_INDEX = "open"

TRANSACTION_MAX_ITEMS: Final = 100
"""Most orders :meth:`OrderRepository.save_all` writes in one transaction (DynamoDB's limit)."""

TRANSACTION_CANCELED: Final = "TransactionCanceledException"
_LOST_RACE_CODES: Final = frozenset({"ConditionalCheckFailed", "TransactionConflict"})
"""Cancellation reasons (per item) that mean another writer was first: read again and retry."""

WRITE_ATTEMPTS: Final = 5
"""How often :meth:`OrderRepository.update` reads, applies and saves before it gives up: the one
limit on lost optimistic-lock races (importer, exporter, a staff PATCH)."""

Change = Callable[[Order], Order | None]
"""What a writer wants of the order as it now stands: the order to store, or None (nothing to write)."""


@dataclass
class OrderPage:
    orders: list[Order]
    next_token: str | None


@dataclass
class ReadCost:
    """Items DynamoDB read for a query (its ScannedCount): the economy of the ready index."""

    items_read: int = 0


def to_item(order: Order) -> dict[str, Any]:
    item: dict[str, Any] = dynamo(order.model_dump(mode="json", exclude_none=True))
    item["ordered_sk"] = f"{order.base.ordered or 0:011d}#{order.unique_key}"
    if order.export_state in READY_STATES:
        item["ready_shop"] = order.shop_id
        item["ready_sort"] = (
            f"{order.ship_date.isoformat() if order.ship_date else '0000-00-00'}#{order.unique_key}"
        )
    if order.open:
        item["open_shop"] = order.shop_id
    return item


def from_item(item: dict[str, Any]) -> Order:
    return Order.model_validate(plain(item))


PAGE_TOKEN_MAX_CHARS = 1200
"""Longest ``next_token`` looked at: ours are at most ~900 characters (ids of 200, keys of 200)."""

_SORT_KEY = re.compile(r"[0-9]{11}#")


class PageToken(BaseModel):
    """What a ``next_token`` holds: the listing it belongs to and where its next page starts.

    Exactly this shape, strict types and sizes, nothing else; the start is the ``by_ordered``
    index key of the page's last order (``ordered_sk`` is the order's time, ``#``, its key).
    """

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    v: Literal[1]
    shop_id: Annotated[str, Field(min_length=1, max_length=200)]
    status: Annotated[str, Field(min_length=1, max_length=40)] | None
    export_state: Annotated[str, Field(min_length=1, max_length=40)] | None
    unique_key: Annotated[str, Field(min_length=1, max_length=200)]
    ordered_sk: Annotated[str, Field(min_length=13, max_length=212)]

    @model_validator(mode="after")
    def _sort_key_names_the_order(self) -> PageToken:
        if not _SORT_KEY.match(self.ordered_sk) or self.ordered_sk[12:] != self.unique_key:
            raise ValueError("ordered_sk does not belong to unique_key")
        return self

    def encode(self) -> str:
        text = json.dumps(self.model_dump(mode="json"), separators=(",", ":"), ensure_ascii=False)
        return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii")

    def start_key(self) -> dict[str, str]:
        return {"shop_id": self.shop_id, "unique_key": self.unique_key, "ordered_sk": self.ordered_sk}


def parse_page_token(token: str, *, shop_id: str, status: str | None, export_state: str | None) -> PageToken:
    """The token if it is, byte for byte, one we encode for this listing; else BadPageToken.

    Oversize, not base64, not JSON, another shape, extra or missing attributes, a re-encoded or
    edited text, another shop or another filter: all refused before anything is read.
    """
    if not token or len(token) > PAGE_TOKEN_MAX_CHARS:
        raise BadPageToken("next_token is not valid")
    try:
        raw = json.loads(base64.urlsafe_b64decode(token.encode("ascii")).decode("utf-8"))
        parsed = PageToken.model_validate(raw)
    except (binascii.Error, ValueError, UnicodeError, RecursionError):  # ValidationError is a ValueError
        raise BadPageToken("next_token is not valid") from None
    if parsed.encode() != token:  # canonical only: no padding games, duplicate keys or reordering
        raise BadPageToken("next_token is not valid")
    if (parsed.shop_id, parsed.status, parsed.export_state) != (shop_id, status, export_state):
        raise BadPageToken("next_token belongs to another listing (shop or filter)")
    return parsed


class OrderRepository:
    def __init__(self, table_name: str) -> None:
        self.table_name = table_name
        self._table = table(table_name)

    def get(self, shop_id: str, unique_key: str) -> Order:
        item = self._table.get_item(
            Key={"shop_id": shop_id, "unique_key": unique_key}, ConsistentRead=True
        ).get("Item")
        if item is None:
            raise OrderNotFound(f"{shop_id}/{unique_key}")
        return from_item(item)

    def get_many(self, shop_id: str, keys: list[str]) -> dict[str, Order]:
        """Several orders by key (BatchGetItem, 100 at a time); missing keys are simply absent."""
        found: dict[str, Order] = {}
        unique = list(dict.fromkeys(keys))
        for start in range(0, len(unique), 100):
            request: dict[str, Any] = {
                self.table_name: {
                    "Keys": [{"shop_id": shop_id, "unique_key": k} for k in unique[start : start + 100]],
                    "ConsistentRead": True,
                }
            }
            while request:
                answer = dynamodb().batch_get_item(RequestItems=request)
                for item in answer["Responses"].get(self.table_name, []):
                    order = from_item(item)
                    found[order.unique_key] = order
                request = dict(answer.get("UnprocessedKeys") or {})
        return found

    def create(self, order: Order) -> Order:
        """Insert a new order; VersionConflict if it exists already (another writer was first)."""
        stored = order.model_copy(update={"version": 1})
        try:
            self._table.put_item(Item=to_item(stored), ConditionExpression="attribute_not_exists(unique_key)")
        except ClientError as exc:
            if error_code(exc) == CONDITION_FAILED:
                raise VersionConflict(order.unique_key) from None
            raise
        return stored

    def save(self, order: Order) -> Order:
        """Write the whole order if nobody wrote it since it was read (same ``version``)."""
        stored = order.model_copy(update={"version": order.version + 1})
        try:
            self._table.put_item(
                Item=to_item(stored),
                ConditionExpression="version = :v",
                ExpressionAttributeValues={":v": order.version},
            )
        except ClientError as exc:
            if error_code(exc) == CONDITION_FAILED:
                raise VersionConflict(order.unique_key) from None
            raise
        return stored

    def save_all(self, orders: list[Order]) -> list[Order]:
        """Write every order of ``orders`` or none: one DynamoDB transaction (TransactWriteItems),
        each order a whole-item put conditioned on the ``version`` it was read at, as :meth:`save`.

        At most :data:`TRANSACTION_MAX_ITEMS` orders (DynamoDB's limit), each key once. If any
        order was written since it was read, nothing is written and TransactionConflict names the
        keys whose version no longer matched. Returns the stored orders (versions advanced).
        """
        if not orders:
            return []
        if len(orders) > TRANSACTION_MAX_ITEMS:
            raise ValueError(f"at most {TRANSACTION_MAX_ITEMS} orders per transaction, not {len(orders)}")
        if len({(o.shop_id, o.unique_key) for o in orders}) != len(orders):
            raise ValueError("an order appears twice in one transaction")
        stored = [o.model_copy(update={"version": o.version + 1}) for o in orders]
        items = [
            {
                "Put": {
                    "TableName": self.table_name,
                    "Item": to_item(new),
                    "ConditionExpression": "version = :v",
                    "ExpressionAttributeValues": {":v": old.version},
                }
            }
            for old, new in zip(orders, stored, strict=True)
        ]
        try:
            # The resource's client serialises Python values itself (as the Table calls do).
            dynamodb().meta.client.transact_write_items(TransactItems=items)  # type: ignore[arg-type]
        except ClientError as exc:
            if error_code(exc) != TRANSACTION_CANCELED:
                raise
            reasons = exc.response.get("CancellationReasons") or []
            lost = [
                o.unique_key
                for o, r in zip(orders, reasons, strict=False)
                if r.get("Code") in _LOST_RACE_CODES
            ]
            if reasons and not lost:
                raise  # cancelled for another reason (throughput, validation): not a lost race
            raise TransactionConflict(lost or [o.unique_key for o in orders]) from None
        return stored

    def update(self, shop_id: str, unique_key: str, change: Change, *, current: Order | None = None) -> Order:
        """Apply ``change`` to the order and save it with the version check; on VersionConflict read
        it again and re-apply, up to :data:`WRITE_ATTEMPTS` times in all, then TooManyConflicts.

        ``current`` is the order as the caller already read it (saves the first read). Returns the
        stored order, or the order as read when ``change`` returned None. OrderNotFound when there is
        no such order; whatever ``change`` raises passes through.
        """
        return update_with_retries(self, shop_id, unique_key, change, current=current)

    def export_candidates(
        self, shop_id: str, keys: list[str] | None, cost: ReadCost | None = None
    ) -> tuple[list[Order], list[str]]:
        """What an export looks at: the ready orders, or exactly the orders asked for (in that order).

        Returns the orders and the asked-for keys that do not exist.
        """
        if not keys:
            return list(self.ready(shop_id, cost)), []
        found = self.get_many(shop_id, keys)
        return [found[k] for k in keys if k in found], [k for k in keys if k not in found]

    def list(
        self,
        shop_id: str,
        *,
        status: str | None = None,
        export_state: str | None = None,
        limit: int = 50,
        next_token: str | None = None,
    ) -> OrderPage:
        """A shop's orders, newest first, optionally filtered, paged with an opaque token."""
        filters, values, names = [], {":shop": shop_id}, {}
        if status:
            filters.append("#st = :status")
            names["#st"] = "status"
            values[":status"] = status
        if export_state:
            filters.append("export_state = :es")
            values[":es"] = export_state
        kwargs: dict[str, Any] = {
            "IndexName": BY_ORDERED_INDEX,
            "KeyConditionExpression": "shop_id = :shop",
            "ExpressionAttributeValues": values,
            "ScanIndexForward": False,
        }
        if names:
            kwargs["ExpressionAttributeNames"] = names
        if filters:
            kwargs["FilterExpression"] = " AND ".join(filters)
        if next_token:
            kwargs["ExclusiveStartKey"] = self._page_start(next_token, shop_id, status, export_state)
        orders: list[Order] = []
        while True:
            kwargs["Limit"] = max(limit - len(orders), 1)
            page = self._table.query(**kwargs)
            orders.extend(from_item(item) for item in page.get("Items", []))
            last = page.get("LastEvaluatedKey")
            if not last or len(orders) >= limit:
                token = self._page_token(last, status, export_state) if last else None
                return OrderPage(orders[:limit], token)
            kwargs["ExclusiveStartKey"] = last

    @staticmethod
    def _page_token(last: dict[str, Any], status: str | None, export_state: str | None) -> str:
        key = plain(last)
        return PageToken(
            v=1,
            shop_id=str(key["shop_id"]),
            status=status or None,
            export_state=export_state or None,
            unique_key=str(key["unique_key"]),
            ordered_sk=str(key["ordered_sk"]),
        ).encode()

    def _page_start(
        self, token: str, shop_id: str, status: str | None, export_state: str | None
    ) -> dict[str, str]:
        """The start key of a token this listing issued: its shape (parse_page_token), and the
        order it names exists with that sort key, so a well-formed but edited key is refused too."""
        parsed = parse_page_token(
            token, shop_id=shop_id, status=status or None, export_state=export_state or None
        )
        item = self._table.get_item(
            Key={"shop_id": parsed.shop_id, "unique_key": parsed.unique_key},
            ProjectionExpression="ordered_sk",
            ConsistentRead=True,
        ).get("Item")
        if item is None or item.get("ordered_sk") != parsed.ordered_sk:
            raise BadPageToken("next_token is not valid")
        return parsed.start_key()

    def ready(self, shop_id: str, cost: ReadCost | None = None) -> Iterator[Order]:
        """The shop's ``pending`` and ``deferred`` orders, from the sparse index only."""
        for page in response_pages(
            self._table.query,
            IndexName=READY_INDEX,
            KeyConditionExpression="ready_shop = :shop",
            ExpressionAttributeValues={":shop": shop_id},
        ):
            if cost is not None:
                cost.items_read += int(page.get("ScannedCount", 0))
            for item in page.get("Items", []):
                order = from_item(item)
                if order.export_state in READY_STATES:
                    yield order

    def open_orders(self, shop_id: str) -> dict[str, int]:
        """The shop's open orders (``Order.open``) as ``unique_key`` → ``ordered`` (Unix seconds), from
        the sparse, keys-only ``open`` index: what an import must keep current beyond its window."""
        found: dict[str, int] = {}
        for page in response_pages(
            self._table.query,
            IndexName=OPEN_INDEX,
            KeyConditionExpression="open_shop = :shop",
            ExpressionAttributeValues={":shop": shop_id},
        ):
            for item in page.get("Items", []):
                found[str(item["unique_key"])] = int(str(item["ordered_sk"]).split("#", 1)[0])
        return found


class _ReadsAndSaves(Protocol):
    def get(self, shop_id: str, unique_key: str) -> Order: ...

    def save(self, order: Order) -> Order: ...


def update_with_retries(
    store: _ReadsAndSaves, shop_id: str, unique_key: str, change: Change, *, current: Order | None = None
) -> Order:
    """The optimistic-lock retry, once for every order store (the repository and the tests' fakes)."""
    order = current if current is not None else store.get(shop_id, unique_key)
    for attempt in range(WRITE_ATTEMPTS):
        if attempt:
            order = store.get(shop_id, unique_key)  # someone wrote it since: apply the change again
        updated = change(order)
        if updated is None:
            return order
        try:
            return store.save(updated)
        except VersionConflict:
            continue
    raise TooManyConflicts(shop_id, unique_key, WRITE_ATTEMPTS)


__all__ = [
    "WRITE_ATTEMPTS",
    "BadPageToken",
    "ExportState",
    "OrderNotFound",
    "OrderPage",
    "OrderRepository",
    "PageToken",
    "ReadCost",
    "TooManyConflicts",
    "TransactionConflict",
    "VersionConflict",
    "parse_page_token",
]
