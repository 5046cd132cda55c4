"""What every API handler needs around powertools' resolver: the contract's error bodies for bad
input (400/413/422), unknown routes and unexpected faults, and a raw-body check that runs
before powertools parses anything (its validation runs before any middleware could)."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Collection, Mapping
from typing import Any, Final

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from pydantic import ValidationError

from base_sync.api.models import MAX_BODY_BYTES
from base_sync.api.responses import error_response
from base_sync.dal.shops import ShopNotFound
from base_sync.observability import logger

_LOCATIONS = frozenset({"body", "query", "path", "header", "cookie"})
Handler = Callable[[Any], Response[str]]


def handles_for(app: APIGatewayRestResolver) -> Callable[[type[Exception]], Callable[[Handler], Handler]]:
    """``app.exception_handler`` with types (powertools' decorator is untyped)."""

    def handles(exc_type: type[Exception]) -> Callable[[Handler], Handler]:
        register: Callable[[Handler], Any] = app.exception_handler(exc_type)

        def decorate(handler: Handler) -> Handler:
            register(handler)
            return handler

        return decorate

    return handles


def _reason(error: dict[str, Any]) -> str:
    if error.get("type") == "extra_forbidden":
        return "unknown field"
    message = str(error.get("msg", "invalid"))
    return message.removeprefix("Value error, ")


def _field_name(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = list(loc)
    if parts and parts[0] in _LOCATIONS:
        parts = parts[1:]
    names = [p for p in parts if isinstance(p, str)]
    return names[0] if names else "body"


def invalid(fields: dict[str, str]) -> Response[str]:
    """422 naming each bad field."""
    summary = "; ".join(f"{name}: {reason}" for name, reason in fields.items())
    return error_response(422, "validation_failed", summary or "the request is not valid", fields)


def _fields(errors: list[dict[str, Any]]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for error in errors:
        fields.setdefault(_field_name(tuple(error.get("loc", ()))), _reason(error))
    return fields


def install_common_handlers(app: APIGatewayRestResolver) -> None:
    """Validation errors, unknown routes and unexpected faults, answered in the contract's shape."""
    handles = handles_for(app)

    @handles(RequestValidationError)
    def _request_invalid(exc: RequestValidationError) -> Response[str]:
        errors = list(exc.errors())
        if any(e.get("type") == "json_invalid" for e in errors):
            return error_response(400, "malformed_json", "request body is not valid JSON")
        if any(tuple(e.get("loc", ())) == ("body",) and e.get("type") != "value_error" for e in errors):
            return error_response(400, "invalid_body", "request body must be a JSON object")
        return invalid(_fields(errors))

    @handles(RequestUnsupportedContentType)
    def _unsupported_content_type(exc: RequestUnsupportedContentType) -> Response[str]:
        return error_response(400, "unsupported_content_type", "send the body as application/json")

    @handles(ValidationError)
    def _model_invalid(exc: ValidationError) -> Response[str]:
        return invalid(_fields([dict(e) for e in exc.errors()]))

    @handles(ShopNotFound)
    def _shop_not_found(exc: ShopNotFound) -> Response[str]:
        return error_response(
            404, "shop_not_found", f"no shop {exc.args[0]!r}" if exc.args else "no such shop"
        )

    @app.not_found
    def _no_route(exc: Exception) -> Response[str]:
        return error_response(404, "not_found", "no such route")

    @handles(Exception)
    def _unexpected(exc: Exception) -> Response[str]:
        logger.exception("unexpected error")
        return error_response(500, "internal_error", "internal error; see the function's log")


CALLER_MAX_CHARS: Final = 2048
"""Longest caller ARN recorded (IAM's own limit for an ARN)."""

_CALLER_FIELDS: Final = ("userArn", "caller", "user")


def caller_arn(event: Mapping[str, Any]) -> str | None:
    """Who signed the request: the IAM principal API Gateway put in ``requestContext.identity``.

    ``userArn`` (``arn:aws:iam::…:user/…`` or ``arn:aws:sts::…:assumed-role/…``), else
    ``caller``, else ``user``; None where there is none (the public callback, a local unsigned
    request without an identity). Text only, at most :data:`CALLER_MAX_CHARS`, no control characters.
    """
    context = event.get("requestContext")
    identity = context.get("identity") if isinstance(context, Mapping) else None
    if not isinstance(identity, Mapping):
        return None
    for name in _CALLER_FIELDS:
        value = identity.get(name)
        if isinstance(value, str) and value.strip():
            cleaned = "".join(ch for ch in value.strip() if ch.isprintable())
            return cleaned[:CALLER_MAX_CHARS] or None
    return None


def _raw_error(status: int, code: str, message: str) -> dict[str, Any]:
    return {
        "statusCode": status,
        "multiValueHeaders": {"Content-Type": ["application/json"]},
        "body": json.dumps({"error": code, "message": message}),
        "isBase64Encoded": False,
    }


def check_body(event: dict[str, Any], methods: Collection[str]) -> dict[str, Any] | None:
    """Refuse bodies that are too large, not UTF-8, not JSON or not an object (else None).

    Also hands powertools a UTF-8 text body when API Gateway base64-encoded it.
    """
    if str(event.get("httpMethod", "")).upper() not in methods:
        return None
    body = event.get("body")
    if body is None or body == "":
        return _raw_error(400, "invalid_body", "request body must be a JSON object")
    if event.get("isBase64Encoded"):
        try:
            data = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            return _raw_error(400, "invalid_body", "request body is not valid base64")
    else:
        data = str(body).encode("utf-8", errors="surrogatepass")
    if len(data) > MAX_BODY_BYTES:
        return _raw_error(413, "payload_too_large", f"request body is larger than {MAX_BODY_BYTES} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return _raw_error(400, "invalid_encoding", "request body is not UTF-8")
    try:
        parsed = json.loads(text)
    except RecursionError:  # e.g. 30,000 nested arrays: valid JSON, but no request of ours looks like it
        return _raw_error(400, "malformed_json", "request body is nested too deeply")
    except ValueError:
        return _raw_error(400, "malformed_json", "request body is not valid JSON")
    if not isinstance(parsed, dict):
        return _raw_error(400, "invalid_body", "request body must be a JSON object")
    event["body"] = text
    event["isBase64Encoded"] = False
    return None
