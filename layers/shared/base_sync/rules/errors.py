"""Every error a rule raises, in one place; each names the :class:`~base_sync.domain.reasons.Reason` the order gets."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from base_sync.domain.reasons import Reason

if TYPE_CHECKING:
    from base_sync.rules.companies import CompanyLike


class RuleError(ValueError):
    """Base of the rule errors; ``reason`` says which :class:`~base_sync.domain.reasons.Reason` the order gets."""

    reason: ClassVar[Reason]


class InvalidCommentTemplate(RuleError):
    """Unknown placeholder, malformed braces, control characters, or a worst case over 250."""

    reason: ClassVar[Reason] = Reason.INVALID_COMMENT_TEMPLATE


class CommentTooLong(RuleError):
    """A rendered comment is longer than BASE accepts."""

    reason: ClassVar[Reason] = Reason.COMMENT_TOO_LONG

    def __init__(self, message: str, length: int) -> None:
        super().__init__(message)
        self.length = length


class InvalidShipDate(RuleError):
    """Not a strict ``YYYY-MM-DD`` calendar date."""

    reason: ClassVar[Reason] = Reason.INVALID_SHIP_DATE


class UnknownDeliveryCompany(RuleError):
    """The value matches no company of the shop's BASE list."""

    reason: ClassVar[Reason] = Reason.UNKNOWN_DELIVERY_COMPANY

    def __init__(self, message: str, value: str | int) -> None:
        super().__init__(message)
        self.value = value


class AmbiguousDeliveryCompany(UnknownDeliveryCompany):
    """The value matches several companies of the list; we refuse to pick one."""

    reason: ClassVar[Reason] = Reason.AMBIGUOUS_DELIVERY_COMPANY

    def __init__(self, message: str, value: str | int, candidates: tuple[CompanyLike, ...]) -> None:
        super().__init__(message, value)
        self.candidates = candidates


class InvalidDeliveryCompanyInput(RuleError):
    """An API-supplied delivery company value is empty, too long or has control characters."""

    reason: ClassVar[Reason] = Reason.NO_DELIVERY_COMPANY


class InvalidTrackingNumber(RuleError):
    """The value cannot be turned into a BASE tracking number without guessing."""

    reason: ClassVar[Reason] = Reason.INVALID_TRACKING_NUMBER

    def __init__(self, message: str, offending: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.offending = offending
