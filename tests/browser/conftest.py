"""The console in a real browser: Debian's Chromium driven by Playwright, against the local run.

``local`` starts ``python -m devstack run`` (moto in server mode, the BASE sandbox, the HTTP API
with the real handlers) as a child process on free ports; ``console`` serves the console in this
process over the CLI's ``ApiClient`` for that API, as ``base-sync console`` does; ``browser`` is
Chromium at /usr/bin/chromium (never a downloaded build). axe-core comes from node_modules
(``make setup`` runs ``npm ci``).
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, ViewportSize, sync_playwright

from base_sync_cli.client import ApiClient
from base_sync_cli.console import RunningConsole, start
from tests.integration.test_local_run import Runner, _start, _stop

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
# Every run takes each screen's screenshot; only CONSOLE_SCREENSHOTS=docs/screenshots
# writes them where the README shows them, so a test run leaves the work tree as it found it.
SCREENSHOTS = Path(
    os.environ.get("CONSOLE_SCREENSHOTS") or Path(tempfile.gettempdir()) / "base-sync-screenshots"
)
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runner]:
    """``python -m devstack run`` on free ports, started and stopped as the local-run tests do."""
    run = _start(tmp_path_factory.mktemp("console-local-run"))
    yield run
    _stop(run)


@pytest.fixture(scope="session")
def api(local: Runner) -> ApiClient:
    return ApiClient.for_url(local.api_url)


@pytest.fixture(scope="session")
def console(api: ApiClient) -> Iterator[RunningConsole]:
    running = start(api)
    yield running
    running.stop()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium fonts-noto-cjk (.ci/run does)")
    launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield launched
    launched.close()


@pytest.fixture(scope="session")
def context(browser: Browser) -> Iterator[BrowserContext]:
    """One operator's browser for the whole session (its cookies carry the console's session).

    ``bypass_csp``: the console's Content-Security-Policy allows no script, and axe-core is injected.
    """
    made = browser.new_context(
        bypass_csp=True, viewport={"width": 1100, "height": 800}, locale="ja-JP", timezone_id="Asia/Tokyo"
    )
    made.set_default_timeout(15_000)
    yield made
    made.close()


@pytest.fixture(scope="session")
def page(context: BrowserContext) -> Page:
    return context.new_page()


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's critical and serious violations on the page as it is now."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run make setup (npm ci installs axe-core)")
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    found: list[dict[str, Any]] = page.evaluate(
        """async () => (await axe.run(document)).violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map(n => n.target.join(' '))
        }))"""
    )
    return [v for v in found if v["impact"] in ("critical", "serious")]


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


SHOP = "demo-shop"
JST = ZoneInfo("Asia/Tokyo")
PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1100, "height": 800}


def wait_for(probe: Callable[[], Any], what: str, timeout_s: float = 30.0) -> Any:
    """Poll the API (not the page) until ``probe`` answers something truthy."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.2)


def base_url(console: RunningConsole) -> str:
    return console.url.split("/?k=")[0]


def assert_accessible(page: Page) -> None:
    violations = axe_violations(page)
    assert violations == [], violations


def assert_fits_phone_width(page: Page) -> None:
    page.set_viewport_size(PHONE)
    try:
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"the page is {width} px wide at phone width"
    finally:
        page.set_viewport_size(DESKTOP)


@pytest.fixture(scope="session")
def connected(page: Page, console: RunningConsole, local: Runner) -> Page:
    """The operator opens the printed URL, presses 接続, approves on BASE's (the sandbox's) consent page."""
    page.goto(console.url)
    page.get_by_role("heading", name="ショップ", exact=True).wait_for()
    assert page.url == f"{base_url(console)}/shops"  # the secret left the address bar
    assert "接続されたショップはまだありません" in page.inner_text("main")
    page.click("#connect")
    page.wait_for_url(f"{local.sandbox_url}/**")
    page.select_option("select[name=shop_id]", SHOP)
    page.click("button[value=approve]")
    page.wait_for_url(f"{local.api_url}/oauth/callback**")
    assert "デモショップ" in page.inner_text("body")
    page.goto(f"{base_url(console)}/shops")
    page.locator(f'[data-shop="{SHOP}"]').wait_for()
    return page
