"""What the API shows beside a reason: the catalogue's English ``message`` and Japanese ``message_ja``."""

from __future__ import annotations

from typing import Any

from base_sync.domain.reasons import Reason, explain


def with_messages(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each expected result or plan entry, with the messages the API puts beside its ``reason``."""
    shown = []
    for entry in entries:
        reason = Reason(entry["reason"]) if entry.get("reason") else None
        ja, en = explain(reason, entry.get("base_error")) if reason else (None, None)
        shown.append(entry | {"message": en, "message_ja": ja})
    return shown
