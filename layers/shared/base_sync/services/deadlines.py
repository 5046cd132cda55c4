"""BASE's own deadlines reach the operator: one alert a day per shop naming the orders BASE will
close or cancel by itself within a week (rules/base_deadline.py), so staff ship them in time."""

from __future__ import annotations

from datetime import date

from base_sync.observability import logger, metrics
from base_sync.rules.base_deadline import DEADLINE_WARNING_DAYS
from base_sync.services.alerts import Alerts
from base_sync.services.ports import LeaseStore

ALERT_LEASE_SECONDS = 26 * 3600.0  # one alert per shop per JST day, whatever the number of imports


def warn_of_deadlines(
    shop_id: str, soon: list[dict[str, str]], *, alerts: Alerts, leases: LeaseStore, today: date
) -> bool:
    """Alert about ``soon`` (the import's ``deadlines_soon``) once per shop and day; True if sent."""
    if not soon:
        return False
    metrics.add_metric(name="OrdersNearBaseDeadline", unit="Count", value=len(soon))
    if leases.acquire(f"deadline-alert#{shop_id}#{today.isoformat()}", seconds=ALERT_LEASE_SECONDS) is None:
        return False
    lines = "\n".join(f"- {o['unique_key']}: {o['base_deadline']} ({o['action']})" for o in soon)
    logger.warning("orders near BASE's own deadline", extra={"shop_id": shop_id, "count": len(soon)})
    alerts.send(
        f"base-order-sync: {len(soon)} orders of shop {shop_id} near BASE's deadline",
        f"ショップ {shop_id} の次の受注は、{DEADLINE_WARNING_DAYS} 日以内に BASE が自動で対応済"
        "（closed、購入者への発送メールなし）またはキャンセル（cancelled）にします（日付は日本時間）。"
        "期限までに発送してください。\n"
        f"{lines}\n\n"
        f"BASE will close (closed: no shipping e-mail to the buyer) or cancel (cancelled) these orders of "
        f"shop {shop_id} by itself within {DEADLINE_WARNING_DAYS} days (dates in Japan time). Ship them "
        f"before then.\n{lines}",
    )
    return True
