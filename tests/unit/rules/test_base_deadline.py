"""BASE's own deadlines (base-api README): the day BASE closes or cancels an unshipped order."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from base_sync.domain.order import BaseSnapshot
from base_sync.rules.base_deadline import BaseDeadline, base_deadline, deadline_passed, deadline_within

# 2026-09-01 00:30 JST is still 2026-08-31 in UTC: the deadline counts JST days.
ORDERED = int(datetime(2026, 8, 31, 15, 30, tzinfo=UTC).timestamp())


@pytest.mark.parametrize(
    ("payment", "status", "expected"),
    [
        ("base_bt", "ordered", BaseDeadline(date(2026, 10, 31), "closed", verified=True)),
        ("cvs", "ordered", BaseDeadline(date(2026, 10, 31), "closed", verified=True)),
        ("cvs", "unpaid", BaseDeadline(date(2026, 9, 6), "cancelled", verified=False)),
        ("creditcard", "ordered", BaseDeadline(date(2026, 10, 31), "cancelled", verified=False)),
        ("paypal", "ordered", BaseDeadline(date(2026, 9, 11), "cancelled", verified=False)),
        ("base_bt", "unpaid", None),  # BASE's documented close is for paid orders
        ("cod", "ordered", None),
        ("bnpl", "ordered", None),
        ("base_bt", "dispatched", None),
        ("cvs", "cancelled", None),
    ],
)
def test_the_deadline_follows_payment_and_state(payment, status, expected):
    assert base_deadline(BaseSnapshot(payment=payment, dispatch_status=status, ordered=ORDERED)) == expected


def test_no_order_date_no_deadline():
    assert base_deadline(BaseSnapshot(payment="cvs", dispatch_status="ordered")) is None


def test_within_and_passed_count_jst_days():
    base = BaseSnapshot(payment="base_bt", dispatch_status="ordered", ordered=ORDERED)
    assert not deadline_within(base, date(2026, 10, 23), 7)
    assert deadline_within(base, date(2026, 10, 24), 7)
    assert deadline_within(base, date(2026, 11, 30), 7)  # passed counts as within
    assert not deadline_passed(base, date(2026, 10, 30))
    assert deadline_passed(base, date(2026, 10, 31))


def test_only_the_documented_close_makes_the_exporter_look_again():
    card = BaseSnapshot(payment="creditcard", dispatch_status="ordered", ordered=ORDERED)
    assert deadline_within(card, date(2026, 10, 31), 0)
    assert not deadline_passed(card, date(2026, 12, 31))  # unverified: a warning, never a call
