"""The contract's JSON error body: ``{"error": code, "message": text}`` (+ ``fields`` for 422)."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import Response


def json_response(status: int, body: Any) -> Response[str]:
    return Response(
        status_code=status,
        content_type="application/json",
        body=json.dumps(body, ensure_ascii=False, default=str),
    )


def error_response(
    status: int, code: str, message: str, fields: dict[str, str] | None = None
) -> Response[str]:
    body: dict[str, Any] = {"error": code, "message": message}
    if fields is not None:
        body["fields"] = fields
    return json_response(status, body)
