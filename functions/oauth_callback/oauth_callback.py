"""GET /oauth/callback (public): BASE sends the operator's browser here after the consent page."""

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from base_sync import wiring
from base_sync.api.http import handles_for
from base_sync.api.pages import PAGE_HEADERS, connected_page, failure_page
from base_sync.observability import logger, metrics
from base_sync.services.connect import complete_connect
from base_sync.services.errors import CallbackFailed

wiring.check_environment("oauth_callback")  # a missing variable stops the cold start, named

app = APIGatewayRestResolver()
HTML = "text/html; charset=utf-8"
NO_STORE = PAGE_HEADERS  # no-store plus CSP, X-Frame-Options, Referrer-Policy, nosniff


@app.get("/oauth/callback")
def oauth_callback() -> Response[str]:
    query = {key: str(value) for key, value in (app.current_event.query_string_parameters or {}).items()}
    try:
        deadline = wiring.api_deadline(app.lambda_context)  # answer inside API Gateway's 29 s
        shop = complete_connect(
            query,
            client=wiring.api_client(deadline),
            states=wiring.oauth_state_repository(),
            secrets=wiring.secrets_store(),
            shops=wiring.shop_repository(),
            deadline=deadline,
        )
    except CallbackFailed as failed:
        logger.info("callback refused", extra={"problem": failed.problem, "status": failed.status})
        return Response(failed.status, HTML, failure_page(failed.problem, failed.detail), headers=NO_STORE)
    return Response(
        200,
        HTML,
        connected_page(shop.shop_name, shop.shop_id, reconnected=shop.reconnected),
        headers=NO_STORE,
    )


@handles_for(app)(Exception)
def unexpected(exc: Exception) -> Response[str]:
    """Our own fault (AWS down, a bug): still a page the operator can read, never a bare 502."""
    logger.exception("callback failed unexpectedly")
    return Response(500, HTML, failure_page("internal_error"), headers=NO_STORE)


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
