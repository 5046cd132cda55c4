"""Daily schedule: refresh every connected shop's tokens that are six days old or more, oldest first,
within this invocation's time (the shops not reached are reported and go first next time)."""

from dataclasses import asdict
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from base_sync import wiring
from base_sync.domain.deadline import Deadline
from base_sync.observability import logger, metrics
from base_sync.services.keepalive import keep_tokens_alive

wiring.check_environment("token_keepalive")  # a missing variable stops the cold start, named

MARGIN_SECONDS = 10.0  # to log and return the report before Lambda's timeout


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    deadline = Deadline.from_context(context, margin_seconds=MARGIN_SECONDS)
    client = wiring.base_client(deadline=deadline)
    report = keep_tokens_alive(
        wiring.shop_repository(), wiring.token_provider(client, deadline=deadline), deadline=deadline
    )
    logger.info("keep-alive done", extra=asdict(report))
    return asdict(report)
