"""docs/openapi.json is the document the handlers generate now, and it carries response schemas."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[3]


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("openapi_script", ROOT / "scripts" / "openapi.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["openapi_script"] = module
    spec.loader.exec_module(module)
    return module


def test_committed_document_is_current() -> None:
    generator = _generator()
    committed = (ROOT / "docs" / "openapi.json").read_text(encoding="utf-8")
    assert committed == generator.render(), f"docs/openapi.json is stale: run {generator.REGENERATE}"


def _response_schema(doc: dict[str, Any], method: str, path: str, status: str) -> str:
    content = doc["paths"][path][method]["responses"][status]["content"]["application/json"]
    ref: str = content["schema"]["$ref"]
    return ref.rsplit("/", 1)[-1]


def test_every_route_documents_its_answer_and_reasons_come_with_messages() -> None:
    doc = json.loads((ROOT / "docs" / "openapi.json").read_text(encoding="utf-8"))
    expected = {
        ("post", "/connect", "201"): "ConnectStarted",
        ("get", "/shops", "200"): "ShopList",
        ("get", "/shops/{shop_id}/settings", "200"): "ShopSettings",
        ("put", "/shops/{shop_id}/settings", "200"): "ShopSettings",
        ("get", "/shops/{shop_id}/orders", "200"): "OrderList",
        ("get", "/shops/{shop_id}/orders/{unique_key}", "200"): "OrderView",
        ("patch", "/shops/{shop_id}/orders/{unique_key}", "200"): "OrderView",
        ("patch", "/shops/{shop_id}/orders/{unique_key}", "409"): "ErrorBody",
        ("post", "/shops/{shop_id}/imports", "202"): "JobQueued",
        ("post", "/exports", "202"): "ExportQueued",
        ("post", "/exports", "200"): "PlanView",
        ("get", "/exports/{export_id}", "200"): "ExportAnswer",
        ("get", "/exports", "200"): "ExportLog",
    }
    for (method, path, status), model in expected.items():
        assert _response_schema(doc, method, path, status) == model, (method, path, status)
    schemas = doc["components"]["schemas"]
    assert {"export_reason", "export_message", "export_message_ja", "export_base_error"} <= set(
        schemas["OrderView"]["properties"]
    )
    for name in ("ResultView", "PlanEntryView"):
        assert {"reason", "message", "message_ja", "base_error"} <= set(schemas[name]["properties"])
    assert {"error", "error_message", "error_message_ja"} <= set(schemas["RunView"]["properties"])
    assert "budget_spent" in schemas["Reason"]["enum"]
