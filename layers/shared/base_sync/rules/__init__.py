"""Export rules: pure functions deciding whether and how an order is dispatched on BASE.

No I/O, no AWS, no clock: callers pass ``now`` and the shop's BASE company list.
"""

from base_sync.rules.comment import (
    COMMENT_MAX_LENGTH,
    PLACEHOLDERS,
    render_comment,
    validate_comment_template,
    worst_case_length,
)
from base_sync.rules.companies import (
    COMPANY_NAME_MAX_LENGTH,
    CompanyLike,
    DeliveryCompany,
    company_key,
    resolve_delivery_company,
    validate_delivery_company_input,
)
from base_sync.rules.errors import (
    AmbiguousDeliveryCompany,
    CommentTooLong,
    InvalidCommentTemplate,
    InvalidDeliveryCompanyInput,
    InvalidShipDate,
    InvalidTrackingNumber,
    RuleError,
    UnknownDeliveryCompany,
)
from base_sync.rules.ship_date import (
    JST,
    default_ship_date,
    format_ship_date_ja,
    parse_ship_date,
    ship_date_due,
    today_jst,
)
from base_sync.rules.status_filter import status_passes_filter
from base_sync.rules.tracking import (
    TRACKING_NUMBER_MAX_LENGTH,
    is_valid_tracking_number,
    normalize_tracking_number,
)

__all__ = [
    "COMMENT_MAX_LENGTH",
    "COMPANY_NAME_MAX_LENGTH",
    "JST",
    "PLACEHOLDERS",
    "TRACKING_NUMBER_MAX_LENGTH",
    "AmbiguousDeliveryCompany",
    "CommentTooLong",
    "CompanyLike",
    "DeliveryCompany",
    "InvalidCommentTemplate",
    "InvalidDeliveryCompanyInput",
    "InvalidShipDate",
    "InvalidTrackingNumber",
    "RuleError",
    "UnknownDeliveryCompany",
    "company_key",
    "default_ship_date",
    "format_ship_date_ja",
    "is_valid_tracking_number",
    "normalize_tracking_number",
    "parse_ship_date",
    "render_comment",
    "resolve_delivery_company",
    "ship_date_due",
    "status_passes_filter",
    "today_jst",
    "validate_comment_template",
    "validate_delivery_company_input",
    "worst_case_length",
]
