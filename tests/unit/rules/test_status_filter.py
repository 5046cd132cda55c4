"""Which statuses export under which filter; the reason values are a stable API."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from base_sync.domain.reasons import Reason
from base_sync.domain.status import DEFAULT_EXPORT_FILTER, ExportFilter, ManagementStatus
from base_sync.rules.status_filter import status_passes_filter

EXPECTED = {
    # status: (all_except_new_and_hold, processed_only)
    "new": (False, False),
    "hold": (False, False),
    "awaiting_payment": (True, False),
    "awaiting_shipment": (True, False),
    "processed": (True, True),
    "cancelled": (False, False),
}


@pytest.mark.parametrize(("status", "passes"), EXPECTED.items())
def test_table(status: str, passes: tuple[bool, bool]) -> None:
    assert status_passes_filter(ManagementStatus(status), ExportFilter.ALL_EXCEPT_NEW_AND_HOLD) is passes[0]
    assert status_passes_filter(ManagementStatus(status), ExportFilter.PROCESSED_ONLY) is passes[1]
    # plain strings, as stored in DynamoDB, give the same answer
    assert status_passes_filter(status, "all_except_new_and_hold") is passes[0]
    assert status_passes_filter(status, "processed_only") is passes[1]


def test_every_status_is_in_the_table() -> None:
    assert {s.value for s in ManagementStatus} == set(EXPECTED)
    assert {f.value for f in ExportFilter} == {"all_except_new_and_hold", "processed_only"}
    assert DEFAULT_EXPORT_FILTER is ExportFilter.ALL_EXCEPT_NEW_AND_HOLD


@pytest.mark.parametrize(("status", "export_filter"), [("shipped", "processed_only"), ("processed", "all")])
def test_unknown_values_raise(status: str, export_filter: str) -> None:
    with pytest.raises(ValueError, match="is not a valid"):
        status_passes_filter(status, export_filter)


@given(st.sampled_from(ManagementStatus), st.sampled_from(ExportFilter))
def test_filter_properties(status: ManagementStatus, export_filter: ExportFilter) -> None:
    passes = status_passes_filter(status, export_filter)
    if status in {ManagementStatus.CANCELLED, ManagementStatus.NEW, ManagementStatus.HOLD}:
        assert not passes
    if status is ManagementStatus.PROCESSED:
        assert passes
    # processed_only is never looser than the default filter
    if status_passes_filter(status, ExportFilter.PROCESSED_ONLY):
        assert status_passes_filter(status, ExportFilter.ALL_EXCEPT_NEW_AND_HOLD)


def test_hold_reason_values_are_stable() -> None:
    """These strings are part of the API: removing or renaming one breaks clients."""
    required = {
        "status_not_exportable",
        "cancelled",
        "no_tracking_number",
        "invalid_tracking_number",
        "no_delivery_company",
        "unknown_delivery_company",
        "ambiguous_delivery_company",
        "ship_date_in_future",
        "invalid_ship_date",
        "already_dispatched",
        "comment_too_long",
        "invalid_comment_template",
        "shop_not_connected",
        "auto_export_disabled",
        "cancelled_on_base",
        "awaiting_payment",
        "cart_app_not_supported",
    }
    values = {r.value for r in Reason}
    assert required <= values
    assert all(v.isascii() and v == v.lower() and " " not in v for v in values)
    assert {r.value: r.name.lower() for r in Reason} == {r.value: r.value for r in Reason}
