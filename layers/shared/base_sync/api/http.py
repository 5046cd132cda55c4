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

from base_sync.api.models import MAX_BODY_BYTES, bad_fields
from base_sync.api.responses import error_response
from base_sync.observability import logger
from base_sync.services.errors import CallbackFailed, CallbackRejected, ShopNotFound

JSON_MEDIA_TYPE: Final = "application/json"
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


def invalid(fields: dict[str, str]) -> Response[str]:
    """422 naming each bad field."""
    summary = "; ".join(f"{name}: {reason}" for name, reason in fields.items())
    return error_response(422, "validation_failed", summary or "the request is not valid", fields)


def callback_status(failed: CallbackFailed) -> int:
    """The callback's status for a failure: 400 when its own request was the problem, 502 when BASE was."""
    return 400 if isinstance(failed, CallbackRejected) else 502


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
        return invalid(bad_fields(errors))

    @handles(RequestUnsupportedContentType)
    def _unsupported_content_type(exc: RequestUnsupportedContentType) -> Response[str]:
        return error_response(415, "unsupported_media_type", UNSUPPORTED_MEDIA_TYPE_MESSAGE)

    @handles(ValidationError)
    def _model_invalid(exc: ValidationError) -> Response[str]:
        return invalid(bad_fields([dict(e) for e in exc.errors()]))

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


def _header_values(event: Mapping[str, Any], name: str) -> list[str]:
    """Every value of one request header (names are case-insensitive), from both header maps."""
    wanted = name.lower()
    values: list[str] = []
    for key, value in (event.get("multiValueHeaders") or {}).items():
        if str(key).lower() == wanted:
            values.extend(str(v) for v in (value if isinstance(value, list) else [value]))
    if not values:
        values = [str(v) for k, v in (event.get("headers") or {}).items() if str(k).lower() == wanted]
    return values


def _set_header(event: dict[str, Any], name: str, value: str) -> None:
    """Replace one header (any spelling of its name) in both header maps."""
    for field, new in (("headers", value), ("multiValueHeaders", [value])):
        current = event.get(field)
        if isinstance(current, dict):
            kept = {k: v for k, v in current.items() if str(k).lower() != name}
            event[field] = {**kept, name: new}


def is_json_media_type(value: str) -> bool:
    """``application/json``, optionally with ``charset=utf-8`` (any case); nothing else."""
    media_type, *parameters = (part.strip().lower() for part in value.split(";"))
    if media_type != JSON_MEDIA_TYPE:
        return False
    for parameter in parameters:
        name, _, parameter_value = parameter.partition("=")
        if name.strip() != "charset" or parameter_value.strip().strip('"') not in ("utf-8", "utf8"):
            return False
    return True


UNSUPPORTED_MEDIA_TYPE_MESSAGE: Final = (
    "本文は Content-Type: application/json で送ってください。"
    " / Send the request body with Content-Type: application/json."
)


def check_body(
    event: dict[str, Any], methods: Collection[str], *, max_bytes: int = MAX_BODY_BYTES
) -> dict[str, Any] | None:
    """Refuse bodies that are not ``Content-Type: application/json`` (415), too large, not UTF-8,
    not JSON or not an object (else None).

    The media type is required so that no browser form or ``no-cors`` fetch from another site
    (which can send ``text/plain`` or no type, but never ``application/json`` without a
    preflight) is taken for a request. Also hands powertools a UTF-8 text body when API Gateway
    base64-encoded it. ``max_bytes``: the route's limit (:data:`MAX_BODY_BYTES` unless it says otherwise).
    """
    if str(event.get("httpMethod", "")).upper() not in methods:
        return None
    body = event.get("body")
    if body is None or body == "":
        return _raw_error(400, "invalid_body", "request body must be a JSON object")
    content_types = _header_values(event, "content-type")
    if len(content_types) != 1 or not is_json_media_type(content_types[0]):
        return _raw_error(415, "unsupported_media_type", UNSUPPORTED_MEDIA_TYPE_MESSAGE)
    _set_header(event, "content-type", JSON_MEDIA_TYPE)  # powertools compares it case-sensitively
    if event.get("isBase64Encoded"):
        try:
            data = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            return _raw_error(400, "invalid_body", "request body is not valid base64")
    else:
        data = str(body).encode("utf-8", errors="surrogatepass")
    if len(data) > max_bytes:
        return _raw_error(413, "payload_too_large", f"request body is larger than {max_bytes} bytes")
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
