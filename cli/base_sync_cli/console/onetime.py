"""One-time tokens for the console's irreversible steps, kept in this process only.

A confirmation (発送情報の更新) and a checked CSV file (its parsed rows) are kept server-side under
a random token between the page that shows them and the button that acts on them; the form
carries only the token. :meth:`OneTimeStore.use` hands an entry out exactly once (under a lock:
two clicks racing get one winner) and remembers what the first use gave (``outcome``), so a
second POST with the same token can show that instead of acting again.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

TTL_S: Final = 30 * 60
"""A token not used within 30 minutes is dropped: the operator checks again."""
MAX_ENTRIES: Final = 200


@dataclass
class Entry:
    kind: str
    shop_id: str
    data: Any
    expires: float
    used: bool = False
    outcome: Any = None


@dataclass
class Use:
    """What :meth:`OneTimeStore.use` found: ``first`` True for the one use that may act."""

    entry: Entry | None
    first: bool


@dataclass
class OneTimeStore:
    clock: Callable[[], float] = time.monotonic
    _entries: dict[str, Entry] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def put(self, kind: str, shop_id: str, data: Any) -> str:
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._drop_expired()
            while len(self._entries) >= MAX_ENTRIES:
                self._entries.pop(next(iter(self._entries)))
            self._entries[token] = Entry(kind, shop_id, data, self.clock() + TTL_S)
        return token

    def peek(self, token: str | None, kind: str, shop_id: str) -> Entry | None:
        with self._lock:
            self._drop_expired()
            entry = self._entries.get(token or "")
            return entry if entry and entry.kind == kind and entry.shop_id == shop_id else None

    def use(self, token: str | None, kind: str, shop_id: str) -> Use:
        """The entry, marked used; ``first`` only for the first caller (None: unknown or expired)."""
        with self._lock:
            self._drop_expired()
            entry = self._entries.get(token or "")
            if entry is None or entry.kind != kind or entry.shop_id != shop_id:
                return Use(None, False)
            if entry.used:
                return Use(entry, False)
            entry.used = True
            return Use(entry, True)

    def _drop_expired(self) -> None:
        now = self.clock()
        for token in [t for t, e in self._entries.items() if e.expires <= now]:
            del self._entries[token]
