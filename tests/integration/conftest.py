"""Integration fixtures: moto in server mode and the BASE sandbox, both over real HTTP on loopback."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from tests.support.moto import MotoServer
from tests.support.stack import StackUnderTest

from base_sandbox import SandboxAdmin, SandboxServer
from base_sync import aws, wiring


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    server = MotoServer()
    server.start()
    saved = dict(os.environ)
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": server.url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "ap-northeast-1",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_METRICS_DISABLED": "true",
        }
    )
    os.environ.pop("AWS_PROFILE", None)
    aws.reset_clients()
    yield server.url
    os.environ.clear()
    os.environ.update(saved)
    server.stop()


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[SandboxServer]:
    server = SandboxServer(host="127.0.0.1", port=0)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def base(sandbox_server: SandboxServer) -> SandboxAdmin:
    """The sandbox, emptied for this test."""
    admin = SandboxAdmin(sandbox_server.url)
    admin.reset()
    return admin


@pytest.fixture
def stack(moto_url: str, sandbox_server: SandboxServer, base: SandboxAdmin) -> Iterator[StackUnderTest]:
    test_stack = StackUnderTest(sandbox_server.url, base)
    test_stack.register_app()
    yield test_stack
    wiring.reset()
