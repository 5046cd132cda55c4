"""Fixtures of the reliability suite: the integration stack (moto server + BASE sandbox) and the report.

The integration fixtures are re-used as they are (pytest shares conftest fixtures only down the
folder tree, so they are imported here). At the end of the session the figures collected in
:mod:`tests.reliability.ledger` are printed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.retries.standard import ExponentialBackoff
from tests.reliability.fixtures import base, moto_url, sandbox_server, stack
from tests.reliability.ledger import LEDGER

from base_sandbox import SandboxAdmin
from base_sync.base_api.client import RetryPolicy

__all__ = ["base", "moto_url", "sandbox_server", "stack"]

_SUITE_DIRS = ("tests/reliability/", "tests/unit/security/")


@pytest.fixture
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep every retry (ours and botocore's) but shorten the waits, so a fault storm fits CI time."""
    monkeypatch.setattr(RetryPolicy, "delay", lambda self, attempt: 0.005 * attempt)
    monkeypatch.setitem(
        ExponentialBackoff._DEFAULT_BACKOFF_CONFIG,  # type: ignore[attr-defined]
        "throttling_base_scale",
        0.01,
    )


@pytest.fixture
def sandbox_faults(base: SandboxAdmin) -> Iterator[SandboxAdmin]:
    """The sandbox; what its fault rules injected during the test goes into the report."""
    yield base
    LEDGER.sandbox_faults(base.faults().get("injected", {}))
    base.clear_faults()


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    outcomes: dict[str, int] = {}
    for outcome in ("passed", "failed", "xfailed", "xpassed", "skipped", "error"):
        reports = terminalreporter.stats.get(outcome, [])
        picked = [
            r
            for r in reports
            if any(d in str(getattr(r, "nodeid", "")).replace("\\", "/") for d in _SUITE_DIRS)
            and getattr(r, "when", "call") in ("call", "setup")
        ]
        if picked:
            outcomes[outcome] = len(picked)
    if not outcomes:
        return
    terminalreporter.section("reliability report")
    terminalreporter.write_line(
        "scenarios run: "
        + str(sum(outcomes.values()))
        + "  ("
        + ", ".join(f"{k} {v}" for k, v in outcomes.items())
        + ")"
    )
    for line in LEDGER.lines():
        terminalreporter.write_line(line)
