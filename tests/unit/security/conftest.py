"""The security tests that run a whole flow use the integration stack (moto server + BASE sandbox)."""

from __future__ import annotations

from tests.reliability.fixtures import base, moto_url, sandbox_server, stack

__all__ = ["base", "moto_url", "sandbox_server", "stack"]
