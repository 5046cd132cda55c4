"""Invoke the template's functions in this process, each with the environment template.yaml gives it."""

from __future__ import annotations

from typing import Any

from devstack.handlers import FakeContext, environment, load_handler
from devstack.provision import LocalStack


class LocalLambdas:
    def __init__(self, stack: LocalStack) -> None:
        self.stack = stack
        self.specs = stack.template.functions()

    def invoke(self, logical_id: str, event: dict[str, Any]) -> Any:
        spec = self.specs[logical_id]
        with environment(self.stack.function_env(logical_id)):
            handler = load_handler(spec)
            # the context's remaining time counts down from the function's Timeout, as on Lambda
            return handler(event, FakeContext(logical_id, spec.timeout))
