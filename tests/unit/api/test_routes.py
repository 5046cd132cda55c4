"""The API handlers' routes without AWS: what powertools' validation refuses before any service runs,
and the callback's status for each kind of failure."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from base_sync import wiring
from base_sync.api.http import callback_status
from base_sync.services.errors import CallbackRejected, ConnectRefusedByBase

ROOT = Path(__file__).resolve().parents[3]


def load_function(name: str) -> ModuleType:
    """``functions/<name>/<name>.py`` as its own module (as Lambda loads it), with stand-in values
    for the environment it checks at load: no route under test reaches AWS."""
    module_name = f"unit_handler_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    for var in wiring.FUNCTION_ENVIRONMENT[name].required:
        os.environ.setdefault(var, "https://placeholder.invalid" if var.endswith("_URL") else "placeholder")
    spec = importlib.util.spec_from_file_location(module_name, ROOT / "functions" / name / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def _get(app: Any, path: str, query: dict[str, str]) -> tuple[int, dict[str, Any]]:
    event: dict[str, Any] = {
        "httpMethod": "GET",
        "path": path,
        "resource": path,
        "headers": {},
        "multiValueHeaders": {},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()},
        "requestContext": {"identity": {}},
        "body": None,
        "isBase64Encoded": False,
    }
    answer = app.resolve(event, None)
    return int(answer["statusCode"]), json.loads(answer["body"])


def test_order_listing_filters_are_checked_once_by_the_route() -> None:
    """Bad filters and limit are a 422 naming each, before any service or table is touched."""
    app = load_function("management_api").app
    status, body = _get(app, "/shops/s/orders", {"status": "shipped", "export_state": "gone", "limit": "0"})
    assert status == 422, body
    assert body["error"] == "validation_failed"
    assert set(body["fields"]) == {"status", "export_state", "limit"}


@pytest.mark.parametrize(
    ("failure", "status"),
    [
        (CallbackRejected("missing_state"), 400),
        (CallbackRejected("reused_state"), 400),
        (CallbackRejected("access_denied", "access_denied"), 400),
        (ConnectRefusedByBase("code_refused", "invalid_grant"), 502),
        (ConnectRefusedByBase("base_unreachable", "timeout"), 502),
    ],
)
def test_callback_failures_map_to_their_status(failure: Exception, status: int) -> None:
    assert isinstance(failure, CallbackRejected | ConnectRefusedByBase)
    assert callback_status(failure) == status
