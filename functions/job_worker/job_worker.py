"""The per-shop FIFO job queue's consumer: runs import and export jobs (one per invocation).

Each job gets a deadline from the function's remaining time (``Deadline.from_context``), so a
long run stops between orders (``time_up``) and stores its record before Lambda's timeout.
"""

from functools import partial
from typing import Any

from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from base_sync import wiring
from base_sync.domain.deadline import Deadline
from base_sync.observability import logger, metrics
from base_sync.services.jobs import Job
from base_sync.services.worker import STORE_SECONDS, run_job

wiring.check_environment("job_worker")  # a missing variable stops the cold start, named

processor = SqsFifoPartialProcessor()


def handle_record(record: SQSRecord, *, deadline: Deadline) -> dict[str, Any]:
    job = Job.model_validate_json(record.body)
    logger.append_keys(shop_id=job.shop_id, job_id=job.job_id)
    return run_job(
        job,
        shops=wiring.shop_repository(),
        orders=wiring.order_repository(),
        client=wiring.base_client(),
        tokens=wiring.token_provider,
        exports=wiring.export_repository(),
        leases=wiring.lease_repository(),
        deadline=deadline,
    )


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    deadline = Deadline.from_context(context, margin_seconds=STORE_SECONDS)
    return process_partial_response(
        event=event,
        record_handler=partial(handle_record, deadline=deadline),
        processor=processor,
        context=context,
    )
