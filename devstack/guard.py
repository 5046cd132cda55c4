"""The local API answers this machine's own clients only: not other sites the developer's browser visits.

A page on any site can make the browser send requests to ``http://127.0.0.1:<port>`` (a form, a
``no-cors`` fetch; with DNS rebinding even under its own host name), and the local run has no
IAM to stop them (with ``--real-base`` a ``POST /exports`` would dispatch real orders). So every
request must name this server in ``Host`` (``127.0.0.1``, ``localhost`` or ``[::1]`` with our
port: else 421), and a request that carries an ``Origin`` must come from that same loopback
origin (else 403). The CLI, curl and the tests send no ``Origin``; a browser always does for a
cross-site POST, PUT or PATCH. Bodies must be ``application/json`` as well: the handlers
themselves refuse anything else with 415 (``base_sync.api.http.check_body``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

LOOPBACK_NAMES: Final = ("127.0.0.1", "localhost", "[::1]")


@dataclass(frozen=True)
class Refusal:
    status: int
    error: str
    message: str


def _values(headers: Mapping[str, str] | list[tuple[str, str]], name: str) -> list[str]:
    items = headers.items() if isinstance(headers, Mapping) else headers
    return [value for key, value in items if key.lower() == name]


def allowed_hosts(port: int) -> frozenset[str]:
    return frozenset(f"{name}:{port}" for name in LOOPBACK_NAMES)


def allowed_origins(port: int) -> frozenset[str]:
    return frozenset(f"http://{host}" for host in allowed_hosts(port))


def refusal(headers: Mapping[str, str] | list[tuple[str, str]], port: int) -> Refusal | None:
    """Why this request is not answered (None: it is). ``headers`` as received, every value."""
    hosts = _values(headers, "host")
    if len(hosts) != 1 or hosts[0].strip().lower() not in allowed_hosts(port):
        shown = hosts[0][:100] if len(hosts) == 1 else ("none" if not hosts else "several")
        return Refusal(
            421,
            "misdirected_request",
            f"このローカル API は 127.0.0.1:{port} / localhost:{port} / [::1]:{port} 宛ての要求にだけ答えます"
            f"（Host: {shown}）。 / This local API answers requests for 127.0.0.1:{port}, "
            f"localhost:{port} or [::1]:{port} only (Host: {shown}).",
        )
    origins = _values(headers, "origin")
    if origins and (len(origins) != 1 or origins[0].strip().lower() not in allowed_origins(port)):
        shown = origins[0][:100] if len(origins) == 1 else "several"
        return Refusal(
            403,
            "cross_origin_refused",
            f"他のサイト（Origin: {shown}）からの要求は受け付けません。CLI か curl を使ってください。"
            f" / Requests from another site (Origin: {shown}) are refused; use the CLI or curl.",
        )
    return None
