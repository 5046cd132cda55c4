"""POST /connect (IAM): start connecting a BASE shop; answers BASE's authorize URL with a fresh state."""

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from base_sync import wiring
from base_sync.api.http import install_common_handlers
from base_sync.api.responses import json_response
from base_sync.observability import logger, metrics
from base_sync.services.connect import start_connect

wiring.check_environment("connect")  # a missing variable stops the cold start, named

app = APIGatewayRestResolver()
install_common_handlers(app)


@app.post("/connect")
def connect() -> Response[str]:
    started = start_connect(wiring.authorize_client(), wiring.oauth_state_repository(), now=datetime.now(UTC))
    return json_response(
        201, {"authorize_url": started.authorize_url, "expires_at": started.expires_at.isoformat()}
    )


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
