"""Keep refresh tokens alive: BASE's die after 30 days unused, even when the shop's syncing is off."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from base_sync.base_api import BaseApiError
from base_sync.dal.shops import ShopRepository
from base_sync.domain.shop import ShopStatus
from base_sync.observability import logger
from base_sync.services.tokens import ShopNeedsReauth, TokenProvider

MAX_TOKEN_AGE = timedelta(days=6)  # the daily run refreshes anything older, so no pair passes 7 days


@dataclass
class KeepaliveReport:
    refreshed: list[str] = field(default_factory=list)
    fresh: list[str] = field(default_factory=list)
    needs_reauth: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


def keep_tokens_alive(shops: ShopRepository, tokens: TokenProvider) -> KeepaliveReport:
    report = KeepaliveReport()
    for shop in shops.list():
        if shop.status is not ShopStatus.CONNECTED:
            report.needs_reauth.append(shop.shop_id)
            continue
        try:
            refreshed = tokens.refresh_if_older_than(shop.shop_id, MAX_TOKEN_AGE.total_seconds())
        except ShopNeedsReauth:
            report.needs_reauth.append(shop.shop_id)
        except BaseApiError as exc:  # one shop's trouble never stops the others
            report.failed[shop.shop_id] = exc.reason
            logger.warning("keep-alive refresh failed", extra={"shop_id": shop.shop_id, "reason": exc.reason})
        else:
            (report.refreshed if refreshed else report.fresh).append(shop.shop_id)
    return report
