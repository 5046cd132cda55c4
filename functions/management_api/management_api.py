"""The management API (IAM): shops, settings, orders, manual imports and this API's OpenAPI document.

Thin: each route validates its input (powertools + the models in ``base_sync.api.models``),
makes one service call and shapes the answer. Every error is the contract's JSON body;
bad input never turns into a 5xx.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from base_sync import wiring
from base_sync.api.models import MAX_BODY_BYTES, OrderPatch
from base_sync.api.responses import error_response, json_response
from base_sync.config import get_config
from base_sync.dal.orders import BadPageToken, OrderNotFound
from base_sync.dal.shops import ShopNotFound
from base_sync.domain.order import ExportState
from base_sync.domain.shop import ShopSettings
from base_sync.observability import logger, metrics, tracer
from base_sync.rules.status_filter import ManagementStatus
from base_sync.services.management import (
    LIMIT_DEFAULT,
    LIMIT_MAX,
    LIMIT_MIN,
    AlreadyDispatched,
    DispatchInProgress,
    InvalidInput,
    ManagementService,
    PatchConflict,
    order_view,
)

API_TITLE = "base-order-sync management API"
API_VERSION = "1.0.0"
_BODY_METHODS = frozenset({"PUT", "PATCH"})
_LOCATIONS = frozenset({"body", "query", "path", "header", "cookie"})

app = APIGatewayRestResolver(enable_validation=True)


def service() -> ManagementService:
    return ManagementService(
        wiring.shop_repository(),
        wiring.order_repository(),
        jobs_queue_url=get_config().jobs_queue_url or None,
    )


# -- routes


@app.get("/shops", summary="List connected shops")
def list_shops() -> Response[str]:
    return json_response(200, {"shops": service().list_shops()})


@app.get("/shops/<shop_id>/settings", summary="Get a shop's settings")
def get_settings(shop_id: str) -> Response[str]:
    return json_response(200, service().get_settings(shop_id).model_dump(mode="json"))


@app.put("/shops/<shop_id>/settings", summary="Replace a shop's settings")
def put_settings(shop_id: str, settings: Annotated[ShopSettings, Body()]) -> Response[str]:
    return json_response(200, service().put_settings(shop_id, settings).model_dump(mode="json"))


@app.get("/shops/<shop_id>/orders", summary="List a shop's orders, newest first")
def list_orders(
    shop_id: str,
    status: Annotated[ManagementStatus | None, Query()] = None,
    export_state: Annotated[ExportState | None, Query()] = None,
    limit: Annotated[int, Query(ge=LIMIT_MIN, le=LIMIT_MAX)] = LIMIT_DEFAULT,
    next_token: Annotated[str | None, Query()] = None,
) -> Response[str]:
    listing = service().list_orders(
        shop_id,
        status=status.value if status else None,
        export_state=export_state.value if export_state else None,
        limit=limit,
        next_token=next_token,
    )
    return json_response(
        200, {"orders": [order_view(o) for o in listing.orders], "next_token": listing.next_token}
    )


@app.get("/shops/<shop_id>/orders/<unique_key>", summary="Get one order")
def get_order(shop_id: str, unique_key: str) -> Response[str]:
    return json_response(200, order_view(service().get_order(shop_id, unique_key)))


@app.patch("/shops/<shop_id>/orders/<unique_key>", summary="Change an order's management fields")
def patch_order(shop_id: str, unique_key: str, patch: Annotated[OrderPatch, Body()]) -> Response[str]:
    return json_response(200, order_view(service().patch_order(shop_id, unique_key, patch.changes())))


@app.post("/shops/<shop_id>/imports", summary="Queue an import of the shop now")
def queue_import(shop_id: str) -> Response[str]:
    job = service().queue_import(shop_id)
    return json_response(202, {"job_id": job.job_id, "status": "queued"})


@app.get("/openapi.json", include_in_schema=False)
def openapi_document() -> Response[str]:
    return Response(
        status_code=200,
        content_type="application/json",
        body=app.get_openapi_json_schema(title=API_TITLE, version=API_VERSION),
    )


# -- errors

_Handler = Callable[[Any], Response[str]]


def _handles(exc_type: type[Exception]) -> Callable[[_Handler], _Handler]:
    """``app.exception_handler`` with types (powertools' decorator is untyped)."""
    register: Callable[[_Handler], Any] = app.exception_handler(exc_type)

    def decorate(handler: _Handler) -> _Handler:
        register(handler)
        return handler

    return decorate


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


def _invalid(fields: dict[str, str]) -> Response[str]:
    summary = "; ".join(f"{name}: {reason}" for name, reason in fields.items())
    return error_response(422, "validation_failed", summary or "the request is not valid", fields)


def _fields(errors: list[dict[str, Any]]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for error in errors:
        fields.setdefault(_field_name(tuple(error.get("loc", ()))), _reason(error))
    return fields


@_handles(RequestValidationError)
def _request_invalid(exc: RequestValidationError) -> Response[str]:
    errors = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in errors):
        return error_response(400, "malformed_json", "request body is not valid JSON")
    if any(tuple(e.get("loc", ())) == ("body",) and e.get("type") != "value_error" for e in errors):
        return error_response(400, "invalid_body", "request body must be a JSON object")
    return _invalid(_fields(errors))


@_handles(RequestUnsupportedContentType)
def _unsupported_content_type(exc: RequestUnsupportedContentType) -> Response[str]:
    return error_response(400, "unsupported_content_type", "send the body as application/json")


@_handles(ValidationError)
def _model_invalid(exc: ValidationError) -> Response[str]:
    errors = [dict(e) for e in exc.errors()]
    return _invalid(_fields(errors))


@_handles(InvalidInput)
def _rule_invalid(exc: InvalidInput) -> Response[str]:
    return _invalid(exc.fields)


@_handles(BadPageToken)
def _bad_token(exc: BadPageToken) -> Response[str]:
    return error_response(400, "invalid_next_token", str(exc))


@_handles(ShopNotFound)
def _shop_not_found(exc: ShopNotFound) -> Response[str]:
    return error_response(404, "shop_not_found", f"no shop {exc.args[0]!r}" if exc.args else "no such shop")


@_handles(OrderNotFound)
def _order_not_found(exc: OrderNotFound) -> Response[str]:
    return error_response(
        404, "order_not_found", f"no order {exc.args[0]!r}" if exc.args else "no such order"
    )


@_handles(AlreadyDispatched)
def _already_dispatched(exc: AlreadyDispatched) -> Response[str]:
    return error_response(409, "already_dispatched", str(exc))


@_handles(DispatchInProgress)
def _dispatch_in_progress(exc: DispatchInProgress) -> Response[str]:
    return error_response(409, "dispatch_in_progress", str(exc))


@_handles(PatchConflict)
def _conflict(exc: PatchConflict) -> Response[str]:
    return error_response(409, "conflict", str(exc))


@app.not_found
def _no_route(exc: Exception) -> Response[str]:
    return error_response(404, "not_found", "no such route")


@_handles(Exception)
def _unexpected(exc: Exception) -> Response[str]:
    logger.exception("unexpected error")
    return error_response(500, "internal_error", "internal error; see the function's log")


# -- the raw body, before powertools parses it


def _raw_error(status: int, code: str, message: str) -> dict[str, Any]:
    return {
        "statusCode": status,
        "multiValueHeaders": {"Content-Type": ["application/json"]},
        "body": json.dumps({"error": code, "message": message}),
        "isBase64Encoded": False,
    }


def check_body(event: dict[str, Any]) -> dict[str, Any] | None:
    """Refuse bodies that are too large, not UTF-8, not JSON or not an object (else None).

    Also hands powertools a UTF-8 text body when API Gateway base64-encoded it.
    """
    if str(event.get("httpMethod", "")).upper() not in _BODY_METHODS:
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
    except ValueError:
        return _raw_error(400, "malformed_json", "request body is not valid JSON")
    if not isinstance(parsed, dict):
        return _raw_error(400, "invalid_body", "request body must be a JSON object")
    event["body"] = text
    event["isBase64Encoded"] = False
    return None


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    refused = check_body(event)
    if refused is not None:
        return refused
    return app.resolve(event, context)
