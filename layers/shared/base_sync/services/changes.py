"""Ship within a minute: an order that became ready through an edit is exported now, not at the next tick.

The orders table's stream brings every write; only writes that made an order ready count
(export state now ``pending``, and before it was not, or a management field changed).
The exporter's own writes keep a pending order pending with its management fields as they
were, so they never re-trigger an export (no loop, no retry storm against a failing BASE).
A burst of edits arrives in batches (the event source's batch size and window): one job per
shop per batch, carrying just those orders.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from base_sync.dal.errors import ShopNotFound
from base_sync.dal.shops import ShopRepository
from base_sync.domain.shop import ShopStatus
from base_sync.services.export_requests import ExportService
from base_sync.services.jobs import Trigger

MANAGEMENT_FIELDS = ("status", "tracking_number", "delivery_company", "ship_date")


def became_ready(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> bool:
    if not new or new.get("export_state") != "pending":
        return False
    if not old or old.get("export_state") != "pending":
        return True
    return any(old.get(name) != new.get(name) for name in MANAGEMENT_FIELDS)


@dataclass
class ChangeReport:
    queued: dict[str, list[str]] = field(default_factory=dict)
    already_queued: dict[str, list[str]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)


def ready_orders_by_shop(
    images: Iterable[tuple[Mapping[str, Any] | None, Mapping[str, Any] | None]],
) -> dict[str, list[str]]:
    """shop id -> keys of the orders that became ready, in stream order, each once."""
    found: dict[str, dict[str, None]] = {}
    for old, new in images:
        if new is not None and became_ready(old, new):
            found.setdefault(str(new["shop_id"]), {})[str(new["unique_key"])] = None
    return {shop: list(keys) for shop, keys in found.items()}


def queue_change_exports(
    images: Iterable[tuple[Mapping[str, Any] | None, Mapping[str, Any] | None]],
    *,
    shops: ShopRepository,
    exports: ExportService,
) -> ChangeReport:
    report = ChangeReport()
    for shop_id, keys in ready_orders_by_shop(images).items():
        try:
            shop = shops.get(shop_id)
        except ShopNotFound:
            report.skipped[shop_id] = "shop_not_found"
            continue
        if shop.status is not ShopStatus.CONNECTED:
            report.skipped[shop_id] = shop.status.value
            continue
        if not shop.settings.auto_export:
            report.skipped[shop_id] = "auto_export_disabled"
            continue
        # The same batch delivered again (a retried invocation) names the same export; its run
        # record, written only if absent, keeps it from being reset or queued again.
        digest = hashlib.sha256("\n".join([shop_id, *keys]).encode()).hexdigest()
        export_id = uuid.uuid5(uuid.NAMESPACE_URL, f"change-{digest}").hex
        sent = exports.queue_for_shop(
            shop,
            export_id=export_id,
            order_keys=keys,
            trigger=Trigger.CHANGE,
            dedup_id=f"change-{digest[:100]}",
        )
        (report.queued if sent else report.already_queued)[shop_id] = keys
    return report
