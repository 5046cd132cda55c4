"""check_body: the raw-body gate every body route passes before powertools (415 unless application/json)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from base_sync.api.http import check_body, is_json_media_type


def _event(headers: dict[str, str] | None, body: str = '{"a": 1}', method: str = "POST") -> dict[str, Any]:
    return {
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in (headers or {}).items()} or None,
        "body": body,
        "isBase64Encoded": False,
    }


@pytest.mark.parametrize(
    "value",
    [
        "application/json",
        "APPLICATION/JSON",
        "application/json; charset=utf-8",
        'application/json;charset="UTF-8"',
    ],
)
def test_json_media_types(value: str) -> None:
    assert is_json_media_type(value)
    event = _event({"Content-Type": value})
    assert check_body(event, {"POST"}) is None
    assert event["headers"] == {"content-type": "application/json"}  # what powertools compares


@pytest.mark.parametrize(
    "value",
    [
        "",
        "text/plain",
        "text/plain; charset=utf-8",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/json-patch+json",
        "application/jsonx",
        "application/json; charset=utf-16",
        "application/json; boundary=x",
        "application/json, text/plain",
    ],
)
def test_anything_else_is_415(value: str) -> None:
    assert not is_json_media_type(value)
    refused = check_body(_event({"Content-Type": value}), {"POST"})
    assert refused is not None and refused["statusCode"] == 415
    body = json.loads(refused["body"])
    assert body["error"] == "unsupported_media_type"
    assert body["message"].startswith("本文は")  # Japanese first, then English
    assert "Content-Type: application/json" in body["message"]


def test_no_content_type_is_415_and_bodyless_methods_are_not_looked_at() -> None:
    for headers in (None, {}, {"Accept": "application/json"}):
        refused = check_body(_event(headers), {"POST"})
        assert refused is not None and refused["statusCode"] == 415
    assert check_body(_event(None, method="GET"), {"POST"}) is None


def test_an_empty_body_stays_a_400() -> None:
    refused = check_body(_event(None, body=""), {"POST"})
    assert refused is not None and refused["statusCode"] == 400
