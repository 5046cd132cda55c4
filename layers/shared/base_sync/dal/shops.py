"""The shops table: one item per connected BASE shop (status, settings, last runs)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from boto3.dynamodb.conditions import ConditionBase, Key
from botocore.exceptions import ClientError

from base_sync.aws import table
from base_sync.dal.dynamo import CONDITION_FAILED, dynamo, error_code, plain, response_pages
from base_sync.dal.errors import ShopNotFound
from base_sync.domain.shop import KnownCompany, Shop, ShopSettings, ShopStatus

SHOPS_BY_STATUS = "by_status"  # template.yaml: ShopsTable's index (status, shop_id)


class ShopRepository:
    def __init__(self, table_name: str) -> None:
        self._table = table(table_name)

    def get(self, shop_id: str) -> Shop:
        item = self._table.get_item(Key={"shop_id": shop_id}, ConsistentRead=True).get("Item")
        if item is None:
            raise ShopNotFound(shop_id)
        return Shop.model_validate(plain(item))

    def list(self) -> list[Shop]:
        """Every shop; shops number in the tens, so a paged scan is the simple and cheap way."""
        shops = [
            Shop.model_validate(plain(item))
            for page in response_pages(self._table.scan, ConsistentRead=True)
            for item in page.get("Items", [])
        ]
        return sorted(shops, key=lambda s: s.shop_id)

    def connected(self, *, after: str | None = None, upto: str | None = None) -> Iterator[Shop]:
        """Connected shops in ``shop_id`` order, ``after`` < shop_id <= ``upto`` where given.

        Read from the index of shops by status (``SHOPS_BY_STATUS``, projecting only what a schedule
        tick needs: settings and ``base_paused_until``), so shops that need re-authorisation are
        never read, and a tick reads a few hundred bytes per connected shop instead of whole items.
        DynamoDB fills a new index from the items already in the table: nothing to back-fill.
        """
        key: ConditionBase = Key("status").eq(ShopStatus.CONNECTED.value)
        if after is not None and upto is not None:
            key = key & Key("shop_id").between(after, upto)  # inclusive: ``after`` itself is skipped below
        elif after is not None:
            key = key & Key("shop_id").gt(after)
        elif upto is not None:
            key = key & Key("shop_id").lte(upto)
        for page in response_pages(self._table.query, IndexName=SHOPS_BY_STATUS, KeyConditionExpression=key):
            for item in page.get("Items", []):
                if item["shop_id"] != after:
                    yield Shop.model_validate(plain(item))

    def record_connected(self, shop_id: str, shop_name: str | None, *, now_iso: str) -> None:
        """(Re)connect: status connected; settings kept when the shop was connected before."""
        self._table.update_item(
            Key={"shop_id": shop_id},
            UpdateExpression=(
                "SET shop_name = :name, #st = :connected, connected_at = :now, tokens_refreshed_at = :now, "
                "settings = if_not_exists(settings, :defaults) REMOVE needs_reauth_reason"
            ),
            ExpressionAttributeNames={"#st": "status"},
            ExpressionAttributeValues={
                ":name": shop_name or shop_id,
                ":connected": ShopStatus.CONNECTED.value,
                ":now": now_iso,
                ":defaults": dynamo(ShopSettings().model_dump(mode="json")),
            },
        )

    def record_tokens_refreshed(self, shop_id: str, *, now_iso: str) -> None:
        self._table.update_item(
            Key={"shop_id": shop_id},
            UpdateExpression="SET tokens_refreshed_at = :now",
            ConditionExpression="attribute_exists(shop_id)",
            ExpressionAttributeValues={":now": now_iso},
        )

    def mark_needs_reauth(self, shop_id: str, *, reason: str, now_iso: str) -> bool:
        """Flag the shop; True only for the call that changed it (so exactly one alert goes out)."""
        try:
            self._table.update_item(
                Key={"shop_id": shop_id},
                UpdateExpression="SET #st = :needs, needs_reauth_reason = :reason, needs_reauth_at = :now",
                ConditionExpression="#st = :connected",
                ExpressionAttributeNames={"#st": "status"},
                ExpressionAttributeValues={
                    ":needs": ShopStatus.NEEDS_REAUTH.value,
                    ":connected": ShopStatus.CONNECTED.value,
                    ":reason": reason,
                    ":now": now_iso,
                },
            )
        except ClientError as exc:
            if error_code(exc) == CONDITION_FAILED:
                return False
            raise
        return True

    def pause_base_calls(self, shop_id: str, *, until_iso: str, code: str) -> None:
        """BASE's rate limit for the shop is spent until ``until_iso``: schedule ticks skip it till then."""
        self._table.update_item(
            Key={"shop_id": shop_id},
            UpdateExpression="SET base_paused_until = :until, base_paused_by = :code",
            ConditionExpression="attribute_exists(shop_id)",
            ExpressionAttributeValues={":until": until_iso, ":code": code},
        )

    def put_settings(
        self,
        shop_id: str,
        settings: ShopSettings,
        *,
        changed_at: str | None = None,
        changed_by: str | None = None,
    ) -> None:
        """Replace the settings; with ``changed_at``, record in the same write when and by whom.

        Without a principal the previous ``settings_changed_by`` is removed, never left standing.
        """
        values: dict[str, Any] = {":s": dynamo(settings.model_dump(mode="json"))}
        update = "SET settings = :s"
        if changed_at is not None:
            update += ", settings_changed_at = :at"
            values[":at"] = changed_at
            if changed_by:
                update += ", settings_changed_by = :by"
                values[":by"] = changed_by
            else:
                update += " REMOVE settings_changed_by"
        try:
            self._table.update_item(
                Key={"shop_id": shop_id},
                UpdateExpression=update,
                ConditionExpression="attribute_exists(shop_id)",
                ExpressionAttributeValues=values,
            )
        except ClientError as exc:
            if error_code(exc) == CONDITION_FAILED:
                raise ShopNotFound(shop_id) from None
            raise

    def put_delivery_companies(self, shop_id: str, companies: Sequence[KnownCompany], *, at_iso: str) -> None:
        """Cache the shop's BASE delivery-company list (fetched at ``at_iso``)."""
        self._table.update_item(
            Key={"shop_id": shop_id},
            UpdateExpression="SET delivery_companies = :c, delivery_companies_at = :at",
            ConditionExpression="attribute_exists(shop_id)",
            ExpressionAttributeValues={
                ":c": dynamo([c.model_dump(mode="json") for c in companies]),
                ":at": at_iso,
            },
        )

    def put_run_summary(self, shop_id: str, kind: str, summary: dict[str, Any]) -> None:
        """Record ``last_import`` or ``last_export``."""
        if kind not in ("last_import", "last_export"):
            raise ValueError(kind)
        self._table.update_item(
            Key={"shop_id": shop_id},
            UpdateExpression=f"SET {kind} = :v",
            ConditionExpression="attribute_exists(shop_id)",
            ExpressionAttributeValues={":v": dynamo(summary)},
        )
