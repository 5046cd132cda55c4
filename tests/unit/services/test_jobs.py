"""Job messages on the queue: what an older version queued still runs."""

from __future__ import annotations

import json

from base_sync.services.jobs import Job, JobKind, Trigger


def test_a_job_queued_with_the_old_dry_run_field_still_parses() -> None:
    """``dry_run`` was never read from a job (dry runs answer on the API path); old messages carry it."""
    body = json.dumps(
        {"kind": "export", "shop_id": "shop-a", "trigger": "manual", "job_id": "j1", "dry_run": False}
    )
    job = Job.model_validate_json(body)
    assert (job.kind, job.shop_id, job.trigger, job.job_id) == (
        JobKind.EXPORT,
        "shop-a",
        Trigger.MANUAL,
        "j1",
    )
    assert "dry_run" not in json.loads(job.model_dump_json())
