"""The integration fixtures for the reliability and security suites (pytest shares conftest
fixtures only down the folder tree, so each suite's conftest imports these)."""

from __future__ import annotations

from tests.integration.conftest import base, moto_url, sandbox_server, stack

__all__ = ["base", "moto_url", "sandbox_server", "stack"]
