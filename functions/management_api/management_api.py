"""The management API (IAM): shops, settings, orders, manual imports and this API's OpenAPI document.

Thin: each route validates its input (powertools + the models in ``base_sync.api.models``, the
one place input is checked), makes one service call and shapes the answer with the response
models of ``base_sync.api.views`` (declared on the routes, so the OpenAPI document carries
them). Every error is the contract's JSON body; bad input never turns into a 5xx.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.utilities.typing import LambdaContext

from base_sync import wiring
from base_sync.api.http import caller_arn, check_body, handles_for, install_common_handlers, invalid
from base_sync.api.models import OrderPatch, SettingsBody
from base_sync.api.responses import error_response, json_response
from base_sync.api.shipments import (
    SHIPMENTS_MAX_BODY_BYTES,
    ShipmentsAnswer,
    ShipmentsPartlyAppliedBody,
    ShipmentsRefusedBody,
    ShipmentsRequest,
)
from base_sync.api.views import DeliveryCompanyList, JobQueued, OrderList, OrderView, ShopList, answers
from base_sync.domain.order import ExportState
from base_sync.domain.shop import ShopSettings
from base_sync.domain.status import ManagementStatus
from base_sync.observability import logger, metrics
from base_sync.services.errors import (
    AlreadyDispatched,
    BadPageToken,
    DispatchInProgress,
    InvalidInput,
    OrderNotFound,
    PatchConflict,
    ShipmentsPartlyApplied,
    ShipmentsRefused,
)
from base_sync.services.management import LIMIT_DEFAULT, LIMIT_MAX, LIMIT_MIN
from base_sync.services.shipments import ShipmentsService

API_TITLE = "base-order-sync management API"
API_VERSION = "1.0.0"
_BODY_METHODS = frozenset({"PUT", "PATCH"})
_SHIPMENTS_PATH = re.compile(r"^(/[^/]+)?/shops/[^/]+/shipments/?$")  # with or without the stage

# Key lengths DynamoDB accepts, and then some margin: longer values are a 422, not a 500.
ShopId = Annotated[str, Path(min_length=1, max_length=200)]
OrderKey = Annotated[str, Path(min_length=1, max_length=200)]

wiring.check_environment("management_api")  # a missing variable stops the cold start, named

app = APIGatewayRestResolver(enable_validation=True)
install_common_handlers(app)
service = wiring.management_service


# -- routes


@app.get("/shops", summary="List connected shops", responses=answers(200, ShopList, "the shops"))
def list_shops() -> Response[str]:
    return json_response(200, ShopList.of(service().list_shops()).dump())


@app.get(
    "/shops/<shop_id>/settings",
    summary="Get a shop's settings",
    responses=answers(200, ShopSettings, "the shop's settings", 404, 422),
)
def get_settings(shop_id: ShopId) -> Response[str]:
    return json_response(200, service().get_settings(shop_id).model_dump(mode="json"))


@app.put(
    "/shops/<shop_id>/settings",
    summary="Replace a shop's settings",
    responses=answers(200, ShopSettings, "the settings as saved", 400, 404, 415, 422),
)
def put_settings(shop_id: ShopId, settings: Annotated[SettingsBody, Body()]) -> Response[str]:
    saved = service().put_settings(shop_id, settings, actor=caller_arn(app.current_event.raw_event))
    return json_response(200, saved.model_dump(mode="json"))


@app.get(
    "/shops/<shop_id>/delivery-companies",
    summary="The shop's BASE delivery companies, as cached by the import (no BASE call)",
    responses=answers(200, DeliveryCompanyList, "the cached list (null until first fetched)", 404, 422),
)
def list_delivery_companies(shop_id: ShopId) -> Response[str]:
    return json_response(200, DeliveryCompanyList.of(service().delivery_companies(shop_id)).dump())


@app.get(
    "/shops/<shop_id>/orders",
    summary="List a shop's orders, newest first",
    responses=answers(200, OrderList, "one page of orders", 400, 404, 422),
)
def list_orders(
    shop_id: ShopId,
    status: Annotated[ManagementStatus | None, Query()] = None,
    export_state: Annotated[ExportState | None, Query()] = None,
    limit: Annotated[int, Query(ge=LIMIT_MIN, le=LIMIT_MAX)] = LIMIT_DEFAULT,
    next_token: Annotated[str | None, Query()] = None,
    deadline_within_days: Annotated[
        int | None,
        Query(ge=0, le=90, description="only orders whose BASE deadline (JST) is this close or passed"),
    ] = None,
) -> Response[str]:
    listing = service().list_orders(
        shop_id,
        status=status,
        export_state=export_state,
        limit=limit,
        next_token=next_token,
        deadline_within_days=deadline_within_days,
    )
    return json_response(200, OrderList.of(listing.orders, listing.next_token).dump())


@app.get(
    "/shops/<shop_id>/orders/<unique_key>",
    summary="Get one order",
    responses=answers(200, OrderView, "the order", 404, 422),
)
def get_order(shop_id: ShopId, unique_key: OrderKey) -> Response[str]:
    shown = service().show_order(shop_id, unique_key)
    return json_response(200, OrderView.of(shown.order, shown.forecast).dump())


@app.patch(
    "/shops/<shop_id>/orders/<unique_key>",
    summary="Change an order's management fields",
    responses=answers(200, OrderView, "the order as saved", 400, 404, 409, 415, 422),
)
def patch_order(shop_id: ShopId, unique_key: OrderKey, patch: Annotated[OrderPatch, Body()]) -> Response[str]:
    actor = caller_arn(app.current_event.raw_event)
    saved = service().edit_order(shop_id, unique_key, patch.changes(), actor=actor)
    return json_response(200, OrderView.of(saved.order, saved.forecast).dump())


@app.post(
    "/shops/<shop_id>/imports",
    summary="Queue an import of the shop now",
    responses=answers(202, JobQueued, "the import job is queued", 404, 422),
)
def queue_import(shop_id: ShopId) -> Response[str]:
    job = service().queue_import(shop_id)
    return json_response(202, JobQueued(job_id=job.job_id).dump())


@app.post(
    "/shops/<shop_id>/shipments",
    summary="Load a whole shipments file: every line checked, then all written or none",
    description=(
        "Every row is checked against the stored orders by the same step as a PATCH; any bad line "
        "refuses the file (422 shipments_refused, every bad line named) and nothing is written. "
        "Up to 100 changed orders are written in one DynamoDB transaction, each conditioned on the "
        "version it was checked at (all or none); a file changing more is checked whole, then "
        "written 100 at a time, and if a later transaction loses a race the answer (409 "
        "shipments_partly_applied) names exactly which lines were applied. dry_run: the same "
        "checks and plan, nothing written. At most 1,000 rows and 512 KB."
    ),
    responses={
        **answers(200, ShipmentsAnswer, "the plan (dry_run) or what was written", 400, 404, 413, 415),
        **answers(409, ShipmentsPartlyAppliedBody, "a later transaction lost a race: what was applied"),
        **answers(
            422,
            ShipmentsRefusedBody,
            "lines refused (lines names each; nothing written), or a body that is not valid "
            "(validation_failed, fields only)",
        ),
    },
)
def load_shipments(shop_id: ShopId, request: Annotated[ShipmentsRequest, Body()]) -> Response[str]:
    lines, problems = request.split()
    result = ShipmentsService(service()).load(
        shop_id, lines, problems, dry_run=request.dry_run, actor=caller_arn(app.current_event.raw_event)
    )
    return json_response(200, ShipmentsAnswer.of(result).dump())


@app.get("/openapi.json", include_in_schema=False)
def openapi_document() -> Response[str]:
    return Response(
        status_code=200,
        content_type="application/json",
        body=app.get_openapi_json_schema(title=API_TITLE, version=API_VERSION),
    )


# -- errors of this API (the generic ones: base_sync.api.http)

_handles = handles_for(app)


@_handles(InvalidInput)
def _rule_invalid(exc: InvalidInput) -> Response[str]:
    return invalid(exc.fields)


@_handles(BadPageToken)
def _bad_token(exc: BadPageToken) -> Response[str]:
    return error_response(400, "invalid_next_token", str(exc))


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


@_handles(ShipmentsRefused)
def _shipments_refused(exc: ShipmentsRefused) -> Response[str]:
    return json_response(422, ShipmentsRefusedBody.of(exc).dump())


@_handles(ShipmentsPartlyApplied)
def _shipments_partly_applied(exc: ShipmentsPartlyApplied) -> Response[str]:
    return json_response(409, ShipmentsPartlyAppliedBody.of(exc).dump())


@_handles(PatchConflict)
def _conflict(exc: PatchConflict) -> Response[str]:
    return error_response(409, "conflict", str(exc))


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if _SHIPMENTS_PATH.match(str(event.get("path") or "")):
        refused = check_body(event, {"POST"}, max_bytes=SHIPMENTS_MAX_BODY_BYTES)
    else:
        refused = check_body(event, _BODY_METHODS)
    if refused is not None:
        return refused
    return app.resolve(event, context)
