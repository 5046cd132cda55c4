"""Orders for export tests: made in the sandbox, imported through the real importer, edited through PATCH."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from base_sync import wiring
from base_sync.domain.order import Order
from base_sync.services.jobs import Job, JobKind, Trigger, enqueue
from tests.support.stack import StackUnderTest, drain_jobs

ONE_ITEM = [{"title": "Tシャツ", "price": 2500, "amount": 1}]


def make_orders(stack: StackUnderTest, shop_id: str, specs: list[dict[str, Any]]) -> list[str]:
    """Create orders in the sandbox (ordered an hour ago unless given); returns their keys in order."""
    ordered = int((datetime.now(UTC) - timedelta(hours=1)).timestamp())
    created = stack.base.create_orders(
        shop_id, [{"ordered": ordered, "payment": "creditcard", "items": ONE_ITEM, **spec} for spec in specs]
    )
    return [o["unique_key"] for o in created]


def import_now(stack: StackUnderTest, shop_id: str) -> None:
    with stack.env("JobWorkerFunction"):
        enqueue(
            stack.local.refs["JobsQueue"], Job(kind=JobKind.IMPORT, shop_id=shop_id, trigger=Trigger.MANUAL)
        )
    drain_jobs(stack)


def patch(stack: StackUnderTest, shop_id: str, key: str, body: dict[str, Any]) -> Any:
    return stack.http("PATCH", f"/shops/{shop_id}/orders/{key}", body=body)


def ship(
    stack: StackUnderTest,
    shop_id: str,
    key: str,
    *,
    status: str = "processed",
    tracking: str = "1234-5678-9012",
    company: str = "ヤマト運輸",
    ship_date: str | None = None,
) -> None:
    """Enter shipping information the way staff would, through the management API."""
    body: dict[str, Any] = {"status": status, "tracking_number": tracking, "delivery_company": company}
    if ship_date is not None:
        body["ship_date"] = ship_date
    answer = patch(stack, shop_id, key, body)
    assert answer.status == 200, answer.body


def export_now(stack: StackUnderTest, shop_id: str | None = None, **extra: Any) -> dict[str, Any]:
    """POST /exports, deliver the job, then GET /exports/{id}."""
    body: dict[str, Any] = {"shop_id": shop_id, **extra} if shop_id else dict(extra)
    answer = stack.http("POST", "/exports", body=body)
    assert answer.status == 202, answer.body
    export_id = answer.json()["export_id"]
    drain_jobs(stack)
    result = stack.http("GET", f"/exports/{export_id}")
    assert result.status == 200, result.body
    return dict(result.json())


def stored(stack: StackUnderTest, shop_id: str, key: str) -> Order:
    with stack.env("JobWorkerFunction"):
        return wiring.order_repository().get(shop_id, key)


def dispatch_calls(stack: StackUnderTest, shop_id: str) -> list[dict[str, Any]]:
    return [c for c in stack.base.calls(shop_id=shop_id)["calls"] if c["path"] == "/1/orders/edit_status"]
