"""On-demand export (IAM): POST /exports, GET /exports/{export_id}, GET /exports?shop_id= (the processing log)."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.utilities.typing import LambdaContext

from base_sync import wiring
from base_sync.api.http import check_body, handles_for, install_common_handlers
from base_sync.api.models import ExportRequest
from base_sync.api.responses import error_response, json_response
from base_sync.dal.exports import ExportNotFound
from base_sync.observability import logger, metrics
from base_sync.services.exports import NoShopToExport
from base_sync.services.jobs import Trigger

app = APIGatewayRestResolver(enable_validation=True)
install_common_handlers(app)
_handles = handles_for(app)


@app.post("/exports", summary="Export now (or, with dry_run, show the plan)")
def start_export(request: Annotated[ExportRequest, Body()]) -> Response[str]:
    service = wiring.export_service()
    if request.dry_run:
        client = wiring.base_client()
        plan = service.plan(
            shop_id=request.shop_id,
            order_keys=request.order_keys,
            client=client,
            tokens=wiring.token_provider(client),
        )
        return json_response(200, {"plan": plan})
    export_id = service.queue(shop_id=request.shop_id, order_keys=request.order_keys, trigger=Trigger.MANUAL)
    return json_response(202, {"export_id": export_id, "status": "queued"})


@app.get("/exports/<export_id>", summary="One export's outcome")
def get_export(export_id: Annotated[str, Path(min_length=1, max_length=100)]) -> Response[str]:
    return json_response(200, wiring.export_service().get(export_id))


@app.get("/exports", summary="The processing log of a shop, newest first")
def export_log(
    shop_id: Annotated[str, Query(min_length=1, max_length=200)],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Response[str]:
    return json_response(200, {"exports": wiring.export_service().log(shop_id, limit=limit)})


@_handles(ExportNotFound)
def _export_not_found(exc: ExportNotFound) -> Response[str]:
    return error_response(404, "export_not_found", "no such export")


@_handles(NoShopToExport)
def _nothing_to_export(exc: NoShopToExport) -> Response[str]:
    return error_response(409, "no_connected_shop", str(exc))


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    refused = check_body(event, {"POST"})
    if refused is not None:
        return refused
    return app.resolve(event, context)
