"""ExportSchedule (EventBridge Scheduler): queue one export job per connected shop with auto_export.

The schedule's Input is ``{"scheduled_time": "<aws.scheduler.scheduled-time>"}``: a retried
invocation of the same tick carries the same time, hence the same job ids (queued once).
"""

from dataclasses import asdict
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from base_sync import wiring
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
        queue_url=wiring.jobs_queue_url(),
        now=tick_time(event),
        exports=wiring.export_service(),
    )
    logger.info("export tick", extra=asdict(report))
    return asdict(report)
