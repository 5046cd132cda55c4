"""Every error the data-access layer raises, in one place.

Services catch these or let them pass; what the API or a handler must map by type is re-exported
by ``base_sync.services.errors``, so nothing above services imports ``dal``.
"""

from __future__ import annotations

from enum import StrEnum


class ShopNotFound(LookupError):
    pass


class OrderNotFound(LookupError):
    pass


class VersionConflict(Exception):
    """Someone else wrote the order since we read it: read again and redo the change."""


class TooManyConflicts(VersionConflict):
    """Other writers won every one of ``OrderRepository.update``'s attempts: the change was not stored."""

    def __init__(self, shop_id: str, unique_key: str, attempts: int) -> None:
        super().__init__(f"{shop_id}/{unique_key}: other writers won all {attempts} attempts")
        self.shop_id = shop_id
        self.unique_key = unique_key
        self.attempts = attempts


class TransactionConflict(VersionConflict):
    """A transaction of several orders wrote none: ``keys`` were written by someone else since read."""

    def __init__(self, keys: list[str]) -> None:
        super().__init__(f"written since read: {', '.join(keys)}")
        self.keys = keys


class BadPageToken(ValueError):
    """A ``next_token`` that is not one this listing issued (the API's 400 ``invalid_next_token``)."""


class ExportNotFound(LookupError):
    pass


class SecretNotFound(LookupError):
    """The secret does not exist (a shop that was never connected, or a misconfigured stack)."""


class SecretWriteFailed(RuntimeError):
    """A shop's new pair could not be stored (every bounded attempt failed)."""

    def __init__(self, shop_id: str, attempts: int, code: str) -> None:
        super().__init__(f"could not store the tokens of shop {shop_id} ({code}, {attempts} attempts)")
        self.shop_id = shop_id
        self.attempts = attempts
        self.code = code


class SecretShopMismatch(RuntimeError):
    """A shop's secret holds another shop's tokens: never use them; an operator must look."""

    def __init__(self, name: str, asked: str, found: str) -> None:
        super().__init__(f"secret {name} holds the tokens of another shop than {asked!r}")
        self.name = name
        self.asked = asked
        self.found = found


class StateProblem(StrEnum):
    UNKNOWN = "unknown_state"
    EXPIRED = "expired_state"
    REUSED = "reused_state"


class StateRejected(Exception):
    """An OAuth ``state`` the callback may not use (unknown, expired or already used)."""

    def __init__(self, problem: StateProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


class TickTakenOver(Exception):
    """Another invocation took this tick's lease over (ours expired): stop sending, it goes on."""

    def __init__(self, kind: str, tick: str) -> None:
        super().__init__(f"{kind} tick {tick} was taken over by another invocation")
