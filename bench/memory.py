"""Figure 6: peak RSS of the export job for N orders, in a child process of its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.support.flows import connect_shop
from tests.support.orders import import_now, ship

from bench.economy import IMPORT_DAYS_SPAN, say
from bench.env import Bench
from bench.report import Report
from devstack.template import ROOT, Template


def export_memory(bench: Bench, report: Report, orders: int) -> None:
    base = bench.base
    stack = bench.stack()
    shop = "shop-mem"
    connect_shop(stack, shop, "メモリ店")
    keys = base.generate_orders(
        shop, orders, days=IMPORT_DAYS_SPAN, items_min=1, items_max=3, seed=6,
        dispatched_ratio=0, cancelled_ratio=0, unpaid_ratio=0,
    )["unique_keys"]  # fmt: skip
    say(f"figure 6: {orders} orders imported and shipped, the export job runs in a child process")
    import_now(stack, shop)
    for index, key in enumerate(keys):
        ship(stack, shop, key, tracking=f"6000-{index:06d}")
    answer = stack.http("POST", "/exports", body={"shop_id": shop})
    assert answer.status == 202, answer.body
    spec = Template.load().functions()["JobWorkerFunction"]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "answer.json"
        spec_file = Path(tmp) / "spec.json"
        env = {
            key: os.environ[key]
            for key in (
                "AWS_ENDPOINT_URL",
                "AWS_ACCESS_KEY_ID",
                "AWS_SECRET_ACCESS_KEY",
                "AWS_DEFAULT_REGION",
            )
        }
        spec_file.write_text(
            json.dumps(
                {
                    "env": {
                        **env,
                        **stack.local.function_env("JobWorkerFunction"),
                        "POWERTOOLS_LOG_LEVEL": "WARNING",
                    },
                    "paths": [str(spec.code_dir), str(ROOT / "layers" / "shared")],
                    "handler_file": str(spec.code_dir / f"{spec.module}.py"),
                    "queue_url": stack.local.refs["JobsQueue"],
                    "queue_arn": stack.local.attrs[("JobsQueue", "Arn")],
                    "region": stack.local.region,
                    "out": str(out),
                }
            ),
            encoding="utf-8",
        )
        subprocess.run(
            [sys.executable, "-m", "bench.export_child", str(spec_file)],
            cwd=ROOT, check=True, timeout=600, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        result = json.loads(out.read_text(encoding="utf-8"))
    sent = len(base.emails(shop))
    memory_mb = Template.load().data["Globals"]["Function"]["MemorySize"]
    peak = result["peak_kib"] / 1024
    report.add(
        "6", f"peak RSS of the export job, {orders} orders ({sent} dispatch e-mails)", f"{peak:.0f} MB",
        f"< MemorySize {memory_mb} MB", peak < memory_mb,
        f"peak RSS (VmHWM) of a fresh child process that loads the handler and runs the job: {result['at_start_kib'] / 1024:.0f} MB "
        f"at start, {result['after_import_kib'] / 1024:.0f} MB after importing the handler, so the job itself "
        f"adds {(result['peak_kib'] - result['after_import_kib']) / 1024:.0f} MB",
    )  # fmt: skip
