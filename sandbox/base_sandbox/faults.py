"""Injected failures for /1/ calls: 5xx pages, BASE error answers, slow answers, dropped connections.

BASE error answers (HTTP 400 JSON, nothing applied): ``db_error``; ``server_error`` (BASE's token-endpoint
code, description "DB error"); ``error`` with ``error`` = any code shared/base-api/README.md lists
(:data:`INJECTABLE_ERRORS`, e.g. ``invalid_grant`` on ``path_prefix: /1/oauth/token``,
``unauthorized_client``, ``hour_api_limit``) and an optional ``error_description`` (default: the
sandbox's text for that code).

Rules are tried in order and the first that fires wins; ``rate`` is drawn from a ``random.Random(seed)``
per rule, ``count`` caps its injections. The totals per mode are kept until the state is reset.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field

from .errors import ERROR_TEXT, JSON, ApiError


@dataclass
class FaultRule:
    """An injected failure; `remaining` None means unlimited."""

    rule_id: int
    mode: str
    rate: float
    remaining: int | None
    delay_seconds: float
    path_prefix: str
    status: int | None
    rng: random.Random
    error: str | None = None
    description: str | None = None
    injected: int = 0
    seen: int = 0

    def to_json(self) -> JSON:
        """Rule description with its counters."""
        return {
            "id": self.rule_id,
            "mode": self.mode,
            "rate": self.rate,
            "remaining": self.remaining,
            "delay_seconds": self.delay_seconds,
            "path_prefix": self.path_prefix,
            "status": self.status,
            "error": self.error,
            "error_description": self.description,
            "injected": self.injected,
            "seen": self.seen,
        }


FAULT_MODES = ("5xx", "slow", "drop", "drop_before", "drop_after", "db_error", "server_error", "error")
# Modes answered with a BASE error body (HTTP 400 JSON) and no effect.
ERROR_MODES = ("db_error", "server_error", "error")
# The error codes shared/base-api/README.md names, with the text the sandbox gives each by default.
INJECTABLE_ERRORS: dict[str, str] = {
    "access_denied": ERROR_TEXT["no_user"],
    "invalid_request": ERROR_TEXT["invalid_refresh"],
    "invalid_grant": ERROR_TEXT["invalid_refresh"],
    "unauthorized_client": ERROR_TEXT["suspended_client"],
    "server_error": ERROR_TEXT["server_error"],
    "invalid_scope": ERROR_TEXT["invalid_scope"],
    "hour_api_limit": ERROR_TEXT["hour_api_limit"],
    "day_api_limit": ERROR_TEXT["day_api_limit"],
    "db_error": ERROR_TEXT["db_error"],
    "not_post_method": ERROR_TEXT["not_post_method"],
    "no_params": ERROR_TEXT["no_params"],
    "no_order": ERROR_TEXT["no_order"],
    "bad_params": ERROR_TEXT["bad_params"],
    "not_change_status": ERROR_TEXT["not_change_status"],
    "not_change_status_cvs": ERROR_TEXT["not_change_status_cvs"],
    "not_change_status_base_bt": ERROR_TEXT["not_change_status_base_bt"],
    "not_change_status_atobarai": ERROR_TEXT["not_change_status_atobarai"],
    "not_change_status_YamatoDelivery": ERROR_TEXT["not_change_status_YamatoDelivery"],
    "not_change_status_ClubT": ERROR_TEXT["not_change_status_ClubT"],
    "not_change_status_SpCase": ERROR_TEXT["not_change_status_SpCase"],
}


def _fault_error(mode: str, spec: JSON) -> tuple[str | None, str | None]:
    """(error, error_description) a BASE-error fault answers with; (None, None) for the other modes."""
    if mode not in ERROR_MODES:
        return None, None
    code = mode if mode != "error" else str(spec.get("error") or "")
    if code not in INJECTABLE_ERRORS:
        raise ApiError("bad_spec", f"error must be one of {', '.join(INJECTABLE_ERRORS)}")
    return code, str(spec.get("error_description") or INJECTABLE_ERRORS[code])


@dataclass
class Faults:
    """The fault rules in order, and how many of each mode were injected (the caller holds the lock)."""

    rules: list[FaultRule] = field(default_factory=list)
    history: Counter[str] = field(default_factory=Counter)
    _seq: int = 0

    def add(self, spec: JSON) -> JSON:
        """Register a fault rule for /1/ calls."""
        mode = str(spec.get("mode", ""))
        if mode not in FAULT_MODES:
            raise ApiError("bad_spec", f"mode must be one of {', '.join(FAULT_MODES)}")
        if mode == "drop":
            mode = "drop_before"
        rate = float(spec.get("rate", 1.0))
        if not 0.0 <= rate <= 1.0:
            raise ApiError("bad_spec", "rate must be within 0.0-1.0")
        status = spec.get("status")
        if status is not None and int(status) not in (500, 502, 503, 504):
            raise ApiError("bad_spec", "status must be 500, 502, 503 or 504")
        error, description = _fault_error(mode, spec)
        self._seq += 1
        seed = spec.get("seed")
        rule = FaultRule(
            rule_id=self._seq,
            mode=mode,
            rate=rate,
            remaining=None if spec.get("count") is None else int(spec["count"]),
            delay_seconds=float(spec.get("delay_seconds", 1.0)),
            path_prefix=str(spec.get("path_prefix") or "/1/"),
            status=None if status is None else int(status),
            rng=random.Random(seed),
            error=error,
            description=description,
        )
        self.rules.append(rule)
        return rule.to_json()

    def pick(self, path: str) -> FaultRule | None:
        """Decide whether this /1/ call gets a fault; first matching rule that fires wins."""
        for rule in self.rules:
            if not path.startswith(rule.path_prefix) or rule.remaining == 0:
                continue
            rule.seen += 1
            if rule.rng.random() < rule.rate:
                rule.injected += 1
                if rule.remaining is not None:
                    rule.remaining -= 1
                self.history[rule.mode] += 1
                return rule
        return None

    @staticmethod
    def status(rule: FaultRule) -> int:
        """HTTP status for a 5xx fault (fixed, or drawn from 500/502/503)."""
        return rule.status or rule.rng.choice((500, 502, 503))

    def to_json(self) -> JSON:
        """Active rules and totals injected per mode."""
        return {"faults": [r.to_json() for r in self.rules], "injected": dict(self.history)}

    def clear(self) -> JSON:
        """Remove all fault rules (totals are kept until reset)."""
        self.rules.clear()
        return self.to_json()
