"""Invoke the template's functions in this process, each with the environment template.yaml gives it."""

from __future__ import annotations

from typing import Any

from devstack.handlers import FakeContext, environment, load_handler
from devstack.provision import LocalStack


class LocalLambdas:
    def __init__(self, stack: LocalStack) -> None:
        self.stack = stack
        self.specs = stack.template.functions()
        # logical id -> seconds: a shorter Timeout than the template's for one function (tests of a
        # function running out of time); the context's remaining time counts down from it.
        self.timeouts: dict[str, float] = {}

    def invoke(self, logical_id: str, event: dict[str, Any]) -> Any:
        spec = self.specs[logical_id]
        with environment(self.stack.function_env(logical_id)):
            handler = load_handler(spec)
            timeout = self.timeouts.get(logical_id, spec.timeout)
            return handler(event, FakeContext(logical_id, timeout))
