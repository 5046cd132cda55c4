"""Keep refresh tokens alive: BASE's die after 30 days unused, even when the shop's syncing is off.

One invocation has a deadline (its function's timeout less a margin). Shops whose pair is oldest
go first; a refresh is started only while the deadline leaves time for a whole one (the token
provider's rule), and the shops not reached are reported by name for the next daily run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from base_sync.base_api import BaseApiError
from base_sync.dal.errors import SecretNotFound, SecretShopMismatch
from base_sync.dal.shops import ShopRepository
from base_sync.domain.deadline import Deadline
from base_sync.domain.shop import Shop, ShopStatus
from base_sync.observability import logger, metrics
from base_sync.services.errors import AppNeedsAttention, ShopNeedsReauth
from base_sync.services.tokens import TokenProvider, refresh_needs_seconds

MAX_TOKEN_AGE = timedelta(days=6)  # the daily run refreshes anything older, so no pair passes 7 days
SPARE_SECONDS = 5.0  # stop this long before a whole refresh would no longer fit


@dataclass
class KeepaliveReport:
    refreshed: list[str] = field(default_factory=list)
    fresh: list[str] = field(default_factory=list)
    needs_reauth: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    not_reached: list[str] = field(default_factory=list)
    """Connected shops this run had no time left for, oldest first; the next run starts with them."""
    app_rejected: str | None = None
    """BASE's error when it refused the app itself: the run stopped there (one alert, no shop marked)."""


def _age_key(shop: Shop) -> str:
    """Oldest pair first: when its tokens were last refreshed (or the shop connected); unknown first."""
    return shop.tokens_refreshed_at or shop.connected_at or ""


def keep_tokens_alive(
    shops: ShopRepository, tokens: TokenProvider, *, deadline: Deadline | None = None
) -> KeepaliveReport:
    limit = deadline or tokens.deadline
    report = KeepaliveReport()
    connected: list[Shop] = []
    for shop in shops.list():
        if shop.status is ShopStatus.CONNECTED:
            connected.append(shop)
        else:
            report.needs_reauth.append(shop.shop_id)
    connected.sort(key=_age_key)
    for index, shop in enumerate(connected):
        if not limit.has(refresh_needs_seconds() + SPARE_SECONDS):
            report.not_reached = [s.shop_id for s in connected[index:]]
            break
        try:
            refreshed = tokens.refresh_if_older_than(shop.shop_id, MAX_TOKEN_AGE.total_seconds())
        except ShopNeedsReauth:
            report.needs_reauth.append(shop.shop_id)
        except AppNeedsAttention as exc:  # the app itself: every other shop would be refused too
            report.app_rejected = exc.base_error
            report.not_reached = [s.shop_id for s in connected[index:]]
            break
        except BaseApiError as exc:  # one shop's trouble never stops the others
            report.failed[shop.shop_id] = exc.reason
            logger.warning("keep-alive refresh failed", extra={"shop_id": shop.shop_id, "reason": exc.reason})
        except (SecretNotFound, SecretShopMismatch) as exc:  # an operator must look; the others go on
            report.failed[shop.shop_id] = type(exc).__name__
            logger.error(
                "keep-alive found no usable secret", extra={"shop_id": shop.shop_id, "error": str(exc)}
            )
        else:
            (report.refreshed if refreshed else report.fresh).append(shop.shop_id)
    if report.not_reached:
        metrics.add_metric(name="KeepaliveShopsNotReached", unit="Count", value=len(report.not_reached))
        logger.warning(
            "keep-alive ran out of time",
            extra={"not_reached": report.not_reached, "count": len(report.not_reached)},
        )
    return report
