"""On-demand export (IAM): POST /exports, GET /exports/{export_id}, GET /exports?shop_id= (the processing log)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.utilities.typing import LambdaContext

from base_sync import wiring
from base_sync.api.http import caller_arn, check_body, handles_for, install_common_handlers
from base_sync.api.models import ExportRequest
from base_sync.api.responses import error_response, json_response
from base_sync.observability import logger, metrics
from base_sync.services.errors import DeadlineExceeded, ExportNotFound, NoShopToExport, TokenRefreshNeeded
from base_sync.services.jobs import Trigger

wiring.check_environment("export_api")  # a missing variable stops the cold start, named

app = APIGatewayRestResolver(enable_validation=True)
install_common_handlers(app)
_handles = handles_for(app)


@app.post("/exports", summary="Export now (or, with dry_run, show the plan)")
def start_export(request: Annotated[ExportRequest, Body()]) -> Response[str]:
    service = wiring.export_service()
    if request.dry_run:
        # Inside API Gateway's 29 s, and never a token refresh: either is a 503 with Retry-After.
        client = wiring.api_client(wiring.api_deadline(app.lambda_context))
        try:
            plan = service.plan(
                shop_id=request.shop_id,
                order_keys=request.order_keys,
                client=client,
                tokens=wiring.api_token_provider(client),
            )
        except TokenRefreshNeeded:
            return _try_again_later("token_refresh_needed", 60, *_TOKEN_REFRESH_NEEDED)
        except DeadlineExceeded:
            return _try_again_later("deadline_exceeded", 30, *_DEADLINE_EXCEEDED)
        return json_response(200, {"plan": plan})
    export_id = service.queue(
        shop_id=request.shop_id,
        order_keys=request.order_keys,
        trigger=Trigger.MANUAL,
        actor=caller_arn(app.current_event.raw_event),
    )
    return json_response(202, {"export_id": export_id, "status": "queued"})


_TOKEN_REFRESH_NEEDED = (
    "ショップのアクセストークンの更新が必要です。API のリクエストでは更新せず、取り込みやエクスポートのジョブが更新します。"
    "ジョブ（POST /shops/{shop_id}/imports など）の実行後にやり直してください。",
    "The shop's access token needs a refresh, which API requests never do (jobs do). "
    "Retry after an import or export job has run (e.g. POST /shops/{shop_id}/imports).",
)
_DEADLINE_EXCEEDED = (
    "BASE の応答が遅く、時間内に計画を作れませんでした（何も変更していません）。少し待ってからやり直してください。",
    "BASE answered too slowly to finish the plan in time (nothing was changed). Retry in a moment.",
)


def _try_again_later(code: str, retry_after: int, japanese: str, english: str) -> Response[str]:
    """503 with ``Retry-After``: the contract's error body, Japanese first, then English."""
    return Response(
        status_code=503,
        content_type="application/json",
        body=json.dumps({"error": code, "message": f"{japanese} / {english}"}, ensure_ascii=False),
        headers={"Retry-After": str(retry_after)},
    )


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
