"""Load the real Lambda handlers from their folders, as Lambda would, each with its own environment."""

from __future__ import annotations

import importlib.util
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from devstack.template import FunctionSpec

Handler = Callable[[dict[str, Any], Any], Any]


def load_handler(spec: FunctionSpec) -> Handler:
    """Import ``functions/<dir>/<module>.py`` under a unique name and return its handler."""
    path = spec.code_dir / f"{spec.module}.py"
    module_name = f"lambda_{spec.logical_id}"
    if module_name in sys.modules:
        module = sys.modules[module_name]
    else:
        loader_spec = importlib.util.spec_from_file_location(module_name, path)
        if loader_spec is None or loader_spec.loader is None:
            raise ImportError(f"cannot load {path}")
        module = importlib.util.module_from_spec(loader_spec)
        sys.modules[module_name] = module
        try:
            loader_spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[module_name]  # as Lambda does: the next invocation starts the module again
            raise
    handler: Handler = getattr(module, spec.handler)
    return handler


class FakeContext:
    """The parts of LambdaContext that powertools and our handlers read.

    ``get_remaining_time_in_millis`` counts down from the function's Timeout since the context
    was made (one context per invocation), as Lambda's does.
    """

    def __init__(
        self, function_name: str, timeout_s: float = 30, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:local:123456789012:function:{function_name}"
        self.memory_limit_in_mb = 256
        self.aws_request_id = os.urandom(8).hex()
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "local"
        self._clock = clock
        self._ends_at = clock() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._ends_at - self._clock()) * 1000))


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """Set a function's environment for one invocation (functions share the process here)."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old
