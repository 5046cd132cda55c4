"""The management status an operator sets on an order, and a shop's ``export_filter`` setting.

Plain value types: which statuses may export under which filter is a rule
(``base_sync.rules.status_filter``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class ManagementStatus(StrEnum):
    """The order-management status an operator sets (stable API values)."""

    NEW = "new"  # 新規受付
    HOLD = "hold"  # 保留
    AWAITING_PAYMENT = "awaiting_payment"
    AWAITING_SHIPMENT = "awaiting_shipment"
    PROCESSED = "processed"  # 処理済み
    CANCELLED = "cancelled"


class ExportFilter(StrEnum):
    """A shop's ``export_filter`` setting."""

    ALL_EXCEPT_NEW_AND_HOLD = "all_except_new_and_hold"
    PROCESSED_ONLY = "processed_only"


DEFAULT_EXPORT_FILTER: Final = ExportFilter.ALL_EXCEPT_NEW_AND_HOLD
