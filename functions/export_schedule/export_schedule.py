"""ExportSchedule (EventBridge Scheduler): queue one export job per connected shop with auto_export.

The schedule's Input is ``{"scheduled_time": "<aws.scheduler.scheduled-time>"}``: a retried
invocation of the same tick carries the same time, hence the same tick record and job ids (see
``services/schedule.py``). A tick that runs out of time fails, and Lambda's retry goes on from
where it stopped.
"""

from dataclasses import asdict
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from base_sync import wiring
from base_sync.domain.deadline import Deadline
from base_sync.observability import logger, metrics
from base_sync.services.jobs import JobKind
from base_sync.services.schedule import queue_scheduled_jobs, tick_time

wiring.check_environment("export_schedule")  # a missing variable stops the cold start, named


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    report = queue_scheduled_jobs(
        JobKind.EXPORT,
        shops=wiring.shop_repository(),
        ticks=wiring.tick_repository(),
        queue_url=wiring.jobs_queue_url(),
        now=tick_time(event),
        deadline=Deadline.from_context(context, margin_seconds=0),
    )
    logger.info("export tick", extra=asdict(report))
    return asdict(report)
