"""The progress page of 発送情報の更新 reloads itself in Chromium under the console's real
Content-Security-Policy (no script, no ``bypass_csp``): a run that is still going is fetched again
until it has ended."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser

from base_sync_cli.console import start

pytestmark = pytest.mark.browser


class RunThatEnds:
    """An API whose export run is ``running`` for its first two reads, then ``succeeded``."""

    def __init__(self) -> None:
        self.reads = 0

    def shops(self) -> list[dict[str, Any]]:
        return [{"shop_id": "demo-shop", "shop_name": "デモショップ", "status": "connected"}]

    def get_export(self, export_id: str) -> dict[str, Any]:
        self.reads += 1
        status = "running" if self.reads <= 2 else "succeeded"
        return {
            "export_id": export_id,
            "shop_id": "demo-shop",
            "trigger": "manual",
            "status": status,
            "queued_at": "2026-12-03T03:00:00+00:00",
            "started_at": "2026-12-03T03:00:01+00:00",
            "finished_at": None if status == "running" else "2026-12-03T03:00:09+00:00",
            "counts": {"dispatched": 1},
            "api_calls": 2,
            "results": [{"unique_key": "K-1", "outcome": "dispatched", "reason": None}],
        }


def test_the_progress_page_reloads_itself_until_the_run_ends(browser: Browser) -> None:
    api = RunThatEnds()
    running = start(api)  # type: ignore[arg-type]  # only what the progress page reads
    context = browser.new_context()  # the console's own CSP applies
    try:
        page = context.new_page()
        answer = page.goto(running.url.replace("/?k=", "/shops/demo-shop/send/exp-1?k="))
        assert answer is not None
        assert answer.headers["content-security-policy"].startswith("default-src 'none';")
        page.locator("#run-waiting").wait_for()
        page.locator("#run-done").wait_for(timeout=15_000)
        assert api.reads == 3  # loaded once, reloaded twice by <meta http-equiv="refresh">
        assert page.locator(".counts").inner_text() == "発送済みにした 1"
    finally:
        context.close()
        running.stop()
