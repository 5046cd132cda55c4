"""The integration fixtures for the reliability and security suites (pytest shares conftest
fixtures only down the folder tree, so each suite's conftest imports these).

``stack`` differs from the integration one in one way: it also drops powertools' cached
Secrets Manager provider, whose boto3 client would otherwise still point at the moto server of
a suite that ran earlier in the same session (each conftest starts its own).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from aws_lambda_powertools.utilities import parameters
from tests.integration.conftest import base, moto_url, sandbox_server
from tests.support.stack import StackUnderTest

from base_sandbox import SandboxAdmin, SandboxServer
from base_sync import aws, wiring

__all__ = ["base", "moto_url", "sandbox_server", "stack"]


@pytest.fixture
def stack(moto_url: str, sandbox_server: SandboxServer, base: SandboxAdmin) -> Iterator[StackUnderTest]:
    aws.reset_clients()
    parameters.clear_caches()  # type: ignore[no-untyped-call]
    test_stack = StackUnderTest(sandbox_server.url, base)
    test_stack.register_app()
    yield test_stack
    wiring.reset()
    parameters.clear_caches()  # type: ignore[no-untyped-call]
