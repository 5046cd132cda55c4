"""Daily schedule: refresh every connected shop's tokens that are six days old or more."""

from dataclasses import asdict
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from base_sync import wiring
from base_sync.observability import logger, metrics
from base_sync.services.keepalive import keep_tokens_alive


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    report = keep_tokens_alive(wiring.shop_repository(), wiring.token_provider(wiring.base_client()))
    logger.info("keep-alive done", extra=asdict(report))
    return asdict(report)
