"""A shiftable clock, so tests can jump over token lifetimes and rate-limit windows without sleeping."""

from __future__ import annotations

import threading
import time


class Clock:
    """Real time plus an adjustable offset; every sandbox timestamp comes from here."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        """Current sandbox time in Unix seconds (float)."""
        with self._lock:
            return time.time() + self._offset

    def now_int(self) -> int:
        """Current sandbox time in whole Unix seconds, the resolution BASE uses in its payloads."""
        return int(self.now())

    def advance(self, seconds: float) -> float:
        """Shift forward (or back, if negative) and return the new time."""
        with self._lock:
            self._offset += seconds
            return time.time() + self._offset

    def set(self, unix: float) -> float:
        """Jump to an absolute time; real time keeps flowing from there."""
        with self._lock:
            self._offset = unix - time.time()
            return unix

    def reset(self) -> None:
        """Back to real time."""
        with self._lock:
            self._offset = 0.0

    @property
    def offset(self) -> float:
        """Seconds the sandbox clock is ahead of real time."""
        with self._lock:
            return self._offset
