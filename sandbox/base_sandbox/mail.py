"""The buyer's shipping e-mails BASE sends: ONE per successful dispatching call (not once per order).

Cancels send none; the owner's ``dispatch_by_hand`` sends one too (``source: "admin"``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import JSON
from .orders import DELIVERY_COMPANY_NAMES, Order


@dataclass
class Outbox:
    """Recorded e-mails in sending order (the caller holds the state's lock)."""

    emails: list[JSON] = field(default_factory=list)

    def record(self, order: Order, item_ids: list[int], now: int, source: str) -> None:
        """Record the e-mail for a dispatching call that touched `item_ids` of `order`."""
        self.emails.append(
            {
                "id": len(self.emails) + 1,
                "shop_id": order.shop_id,
                "unique_key": order.unique_key,
                "order_item_ids": item_ids,
                "to": order.mail_address,
                "tracking_number": order.tracking_number,
                "delivery_company_id": order.delivery_company_id,
                "delivery_company_name": DELIVERY_COMPANY_NAMES.get(order.delivery_company_id),
                "add_comment": order.add_comment,
                "order_dispatch_status": order.dispatch_status,
                "source": source,
                "at": now,
            }
        )

    def to_json(self, shop_id: str | None) -> JSON:
        """Recorded shipping e-mails, of one shop or (None or "") all."""
        return {"emails": [dict(e) for e in self.emails if shop_id in (None, "", e["shop_id"])]}
