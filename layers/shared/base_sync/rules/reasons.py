"""Which hold reasons resolve by themselves with time (the reasons are ``base_sync.domain.reasons``)."""

from __future__ import annotations

from base_sync.domain.reasons import HoldReason

DEFERRING_REASONS: frozenset[HoldReason] = frozenset(
    {HoldReason.SHIP_DATE_IN_FUTURE, HoldReason.AWAITING_PAYMENT}
)
"""Reasons that resolve by themselves with time: the order is ``defer``-red, not ``skip``-ped."""
