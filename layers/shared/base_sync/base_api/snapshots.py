"""BASE's wire models mapped to the domain's ``BaseSnapshot``: the one place that knows both shapes."""

from __future__ import annotations

from typing import Any

from base_sync.base_api.models import OrderDetail, OrderSummary
from base_sync.domain.order import BaseSnapshot, ItemSnapshot


def snapshot_from_summary(summary: OrderSummary, previous: BaseSnapshot | None = None) -> BaseSnapshot:
    """The list fields, keeping the previous detail (items) until a new detail replaces it."""
    values: dict[str, Any] = summary.model_dump(exclude={"unique_key", "terminated", "subscription"})
    values["subscription_key"] = summary.subscription.unique_key if summary.subscription else None
    if previous is not None:
        values.update(
            items=previous.items,
            detail_modified=previous.detail_modified,
            delivery_company_id=previous.delivery_company_id,
            tracking_number=previous.tracking_number,
        )
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
        }
    )
