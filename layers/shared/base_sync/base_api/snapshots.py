"""BASE's wire models mapped to the domain's ``BaseSnapshot``: the one place that knows both shapes."""

from __future__ import annotations

from typing import Any

from base_sync.base_api.models import OrderDetail, OrderSummary
from base_sync.domain.order import BaseSnapshot, ItemSnapshot

DETAIL_ONLY = (
    "items",
    "detail_modified",
    "delivery_company_id",
    "tracking_number",
    "shipping_method",
    "order_discount",
    "order_charge",
)
"""Snapshot fields only an order's detail carries: a list entry keeps them from the previous detail."""


def snapshot_from_summary(summary: OrderSummary, previous: BaseSnapshot | None = None) -> BaseSnapshot:
    """The list fields, keeping the previous detail (items) until a new detail replaces it."""
    list_fields = set(OrderSummary.model_fields) - {"unique_key", "terminated", "subscription"}
    values: dict[str, Any] = summary.model_dump(include=list_fields)
    values["subscription_key"] = summary.subscription.unique_key if summary.subscription else None
    if previous is not None:
        values.update({name: getattr(previous, name) for name in DETAIL_ONLY})
    return BaseSnapshot.model_validate(values)


def snapshot_from_detail(detail: OrderDetail) -> BaseSnapshot:
    """Everything BASE's order detail says, items included."""
    snapshot = snapshot_from_summary(detail)
    return snapshot.model_copy(
        update={
            "items": [ItemSnapshot.model_validate(i.model_dump()) for i in detail.order_items],
            "detail_modified": detail.modified,
            "delivery_company_id": detail.delivery_company_id,
            "tracking_number": detail.tracking_number,
            "shipping_method": detail.shipping_method_name,
            "order_discount": detail.order_discount.discount if detail.order_discount else None,
            "order_charge": detail.order_charge.collected_fee if detail.order_charge else None,
        }
    )
