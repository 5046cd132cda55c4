"""The orders table's stream: export orders as soon as an edit makes them ready."""

from dataclasses import asdict
from typing import Any

from aws_lambda_powertools.utilities.data_classes import DynamoDBStreamEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from base_sync import wiring
from base_sync.observability import logger, metrics
from base_sync.services.changes import queue_change_exports

wiring.check_environment("order_change")  # a missing variable stops the cold start, named


@logger.inject_lambda_context
@metrics.log_metrics
@event_source(data_class=DynamoDBStreamEvent)
def lambda_handler(event: DynamoDBStreamEvent, context: LambdaContext) -> dict[str, Any]:
    images = [
        (record.dynamodb.old_image, record.dynamodb.new_image) for record in event.records if record.dynamodb
    ]
    report = queue_change_exports(images, shops=wiring.shop_repository(), exports=wiring.export_service())
    logger.info("order changes", extra={"records": len(images), **asdict(report)})
    return asdict(report)
