"""Figure 6's child process: the job worker handler, loaded fresh, runs the export jobs waiting on the queue.

``python -m bench.export_child SPEC.json`` — SPEC holds the environment (the function's own
plus moto's endpoint), the queue and the handler's file; the answer (peak RSS: ``VmHWM``
from /proc/self/status, in KiB) is written to SPEC's ``out`` path.
"""

from __future__ import annotations

import importlib.util
import json
import os
import resource
import sys
import time
import warnings
from pathlib import Path
from typing import Any


class Context:
    function_name = "JobWorkerFunction"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:ap-northeast-1:123456789012:function:JobWorkerFunction"
    memory_limit_in_mb = 256
    aws_request_id = "bench"
    log_group_name = "/aws/lambda/JobWorkerFunction"
    log_stream_name = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 900_000


def peak_kib() -> int:
    """This process's peak RSS: VmHWM (Linux), else ru_maxrss.

    On Linux ru_maxrss survives fork + exec, so a child started from a big parent reports the
    parent's size until it outgrows it; VmHWM belongs to the new address space alone."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text(encoding="ascii").splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def main(spec_path: str) -> None:
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    spec: dict[str, Any] = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    os.environ.update(spec["env"])
    at_start = peak_kib()
    sys.path[:0] = spec["paths"]
    loader = importlib.util.spec_from_file_location("job_worker_handler", spec["handler_file"])
    assert loader is not None and loader.loader is not None
    module = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(module)
    after_import = peak_kib()
    import boto3  # noqa: PLC0415 - already loaded by the handler; here to read the queue as Lambda would

    from devstack.queues import sqs_event  # noqa: PLC0415 - the event Lambda would build

    sqs = boto3.client("sqs", region_name=spec["region"])
    jobs = 0
    started = time.perf_counter()
    while True:
        batch = sqs.receive_message(
            QueueUrl=spec["queue_url"], MaxNumberOfMessages=10, WaitTimeSeconds=0, AttributeNames=["All"]
        ).get("Messages", [])
        if not batch:
            break
        event = sqs_event(spec["queue_arn"], batch)
        module.lambda_handler(event, Context())
        jobs += len(batch)
        for message in batch:
            sqs.delete_message(QueueUrl=spec["queue_url"], ReceiptHandle=message["ReceiptHandle"])
    answer = {
        "at_start_kib": at_start,
        "after_import_kib": after_import,
        "peak_kib": peak_kib(),
        "jobs": jobs,
        "seconds": time.perf_counter() - started,
    }
    Path(spec["out"]).write_text(json.dumps(answer), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1])
