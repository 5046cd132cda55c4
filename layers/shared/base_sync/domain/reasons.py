"""Machine-readable reasons why an order is held back from export.

The values are part of the external API (dry-run plans, the processing log,
``GET /exports/{id}`` results), so they are stable snake_case strings: add new
members freely, never rename or remove one.
"""

from __future__ import annotations

from enum import StrEnum


class HoldReason(StrEnum):
    """Why an order was not dispatched (or not yet) on this run."""

    # -- shop level
    SHOP_NOT_CONNECTED = "shop_not_connected"
    """The shop has no usable BASE token (never connected or needs re-auth)."""
    AUTO_EXPORT_DISABLED = "auto_export_disabled"
    """Scheduled run, but the shop's ``auto_export`` setting is off."""

    # -- management status
    STATUS_NOT_EXPORTABLE = "status_not_exportable"
    """The order's management status does not pass the shop's ``export_filter``."""
    CANCELLED = "cancelled"
    """The order's management status is ``cancelled``; never exported."""
    CANCELLED_ON_BASE = "cancelled_on_base"
    """BASE reports the order (or every remaining item) as cancelled."""

    # -- tracking number
    NO_TRACKING_NUMBER = "no_tracking_number"
    """No tracking number entered yet."""
    INVALID_TRACKING_NUMBER = "invalid_tracking_number"
    """The tracking number has characters BASE does not accept, or is too long."""

    # -- delivery company
    NO_DELIVERY_COMPANY = "no_delivery_company"
    """No delivery company entered yet."""
    UNKNOWN_DELIVERY_COMPANY = "unknown_delivery_company"
    """The entered company matches no company in the shop's BASE list."""
    AMBIGUOUS_DELIVERY_COMPANY = "ambiguous_delivery_company"
    """The entered company matches more than one BASE company; refusing to guess."""

    # -- ship date
    SHIP_DATE_IN_FUTURE = "ship_date_in_future"
    """The ship date is after today in JST; the order waits for that day."""
    INVALID_SHIP_DATE = "invalid_ship_date"
    """The stored ship date is not a valid ``YYYY-MM-DD`` date."""

    # -- comment
    INVALID_COMMENT_TEMPLATE = "invalid_comment_template"
    """The shop's comment template cannot be rendered safely."""
    COMMENT_TOO_LONG = "comment_too_long"
    """The rendered comment exceeds BASE's 250-character ``add_comment`` limit."""

    # -- BASE side
    ALREADY_DISPATCHED = "already_dispatched"
    """Already dispatched on BASE, by this product or by hand."""
    AWAITING_PAYMENT = "awaiting_payment"
    """Unpaid ``cvs``/``base_bt`` order: BASE refuses dispatch until it is paid."""
    CART_APP_NOT_SUPPORTED = "cart_app_not_supported"
    """Order made through a cart app whose orders BASE refuses to dispatch via the API."""
