"""Which management statuses may export under a shop's ``export_filter`` setting."""

from __future__ import annotations

from typing import Final

from base_sync.domain.status import ExportFilter, ManagementStatus

_PASSING: Final[dict[ExportFilter, frozenset[ManagementStatus]]] = {
    ExportFilter.ALL_EXCEPT_NEW_AND_HOLD: frozenset(
        {ManagementStatus.AWAITING_PAYMENT, ManagementStatus.AWAITING_SHIPMENT, ManagementStatus.PROCESSED}
    ),
    ExportFilter.PROCESSED_ONLY: frozenset({ManagementStatus.PROCESSED}),
}
"""Allow-lists, not deny-lists: a status added later exports under no filter until listed here."""


def status_passes_filter(status: ManagementStatus | str, export_filter: ExportFilter | str) -> bool:
    """True if an order in ``status`` may export under ``export_filter``.

    ``cancelled`` never passes. Plain strings are accepted and must be known
    values (unknown ones raise ``ValueError`` rather than defaulting either way).
    """
    return ManagementStatus(status) in _PASSING[ExportFilter(export_filter)]
