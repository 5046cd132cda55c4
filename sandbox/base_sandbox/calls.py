"""The call log of /1/: method, path, shop, status, error and fault of every call; never tokens, codes,
secrets or query strings. It keeps the last 200,000 calls; the summary by endpoint counts all since reset.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field

from .errors import JSON


def _endpoint_of(path: str) -> str:
    if path.startswith("/1/orders/detail/"):
        return "/1/orders/detail/{unique_key}"
    return path


@dataclass
class CallLog:
    """Recorded calls and their counts by endpoint (the caller holds the state's lock)."""

    calls: deque[JSON] = field(default_factory=lambda: deque(maxlen=200_000))
    summary: Counter[str] = field(default_factory=Counter)
    _seq: int = 0

    def log(
        self,
        at: float,
        method: str,
        path: str,
        shop_id: str | None,
        status: int,
        error: str | None,
        fault: str | None,
        client_id: str | None,
    ) -> None:
        """Append one call."""
        self._seq += 1
        endpoint = f"{method} {_endpoint_of(path)}"
        self.calls.append(
            {
                "seq": self._seq,
                "at": at,
                "method": method,
                "path": path,
                "endpoint": endpoint,
                "shop_id": shop_id,
                "client_id": client_id,
                "status": status,
                "error": error,
                "fault": fault,
            }
        )
        self.summary[endpoint] += 1

    def to_json(self, shop_id: str | None, path_prefix: str | None) -> JSON:
        """Filtered call log plus summary counts by endpoint and by error."""
        picked = [
            dict(c)
            for c in self.calls
            if (not shop_id or c["shop_id"] == shop_id)
            and (not path_prefix or str(c["path"]).startswith(path_prefix))
        ]
        by_endpoint = Counter(str(c["endpoint"]) for c in picked)
        by_error = Counter(str(c["error"]) for c in picked if c["error"])
        return {
            "calls": picked,
            "count": len(picked),
            "summary": dict(by_endpoint),
            "errors": dict(by_error),
            "total_since_reset": dict(self.summary),
        }

    def clear(self) -> JSON:
        """Empty the call log and its summary."""
        self.calls.clear()
        self.summary.clear()
        return {"cleared": True}
