"""BASE's per-shop API rate limits: an hourly and a daily budget of /1/ calls.

The hour window resets at minute :00 (JST = UTC+9 with no DST, so also UTC :00), the day window at
00:00 JST. When both are exhausted ``day_api_limit`` is reported. Rejected-for-limit calls are not counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import JSON, err


@dataclass
class Budget:
    """One shop's limits and what it has used in the current windows."""

    hour_limit: int = 5000
    day_limit: int = 100000
    hour_used: int = 0
    day_used: int = 0
    hour_window: int = -1
    day_window: int = -1

    def roll(self, now: float) -> None:
        """Start new windows when the hour (minute :00) or the JST day has changed."""
        # JST is UTC+9 with no DST, so JST hour boundaries (minute :00) equal UTC hour boundaries.
        hour_window = int(now // 3600)
        day_window = int((now + 9 * 3600) // 86400)
        if self.hour_window != hour_window:
            self.hour_window, self.hour_used = hour_window, 0
        if self.day_window != day_window:
            self.day_window, self.day_used = day_window, 0

    def to_json(self, shop_id: str) -> JSON:
        """Limits and counters as the admin API shows them."""
        return {
            "shop_id": shop_id,
            "hour": self.hour_limit,
            "day": self.day_limit,
            "hour_used": self.hour_used,
            "day_used": self.day_used,
        }


@dataclass
class RateLimits:
    """Budgets by shop_id (the caller holds the state's lock and has checked the shop exists)."""

    budgets: dict[str, Budget] = field(default_factory=dict)

    def budget(self, shop_id: str, now: float) -> Budget:
        """The shop's budget with its windows rolled to `now`."""
        budget = self.budgets.setdefault(shop_id, Budget())
        budget.roll(now)
        return budget

    def count_call(self, shop_id: str, now: float) -> None:
        """Count one /1/ call, or refuse it (``day_api_limit`` first) without counting."""
        budget = self.budget(shop_id, now)
        if budget.day_used >= budget.day_limit:
            raise err("day_api_limit")
        if budget.hour_used >= budget.hour_limit:
            raise err("hour_api_limit")
        budget.hour_used += 1
        budget.day_used += 1

    def set(self, shop_id: str, spec: JSON, now: float) -> JSON:
        """Change the shop's hourly/daily limits or preset its counters."""
        budget = self.budget(shop_id, now)
        for key, attr in (
            ("hour", "hour_limit"),
            ("day", "day_limit"),
            ("hour_used", "hour_used"),
            ("day_used", "day_used"),
        ):
            if spec.get(key) is not None:
                setattr(budget, attr, int(spec[key]))
        return budget.to_json(shop_id)

    def get(self, shop_id: str, now: float) -> JSON:
        """Current limits and counters of the shop."""
        return self.budget(shop_id, now).to_json(shop_id)
