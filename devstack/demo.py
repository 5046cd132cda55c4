"""``python -m devstack demo``: the whole product, scripted, with a readable summary.

Starts everything like ``run`` (in this process, on free ports), then, like an operator would:
connects ``demo-shop`` through the sandbox's consent page (the HTML form a browser submits),
imports its orders, enters tracking numbers through the CLI's HTTP client (one with a future ship
date, one on the cart-app order BASE refuses), exports, and prints what was dispatched, deferred
and failed and why, and how many BASE calls it took. Exit 0 when every step did what it should.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

import requests

from base_sandbox import SandboxAdmin
from base_sync_cli.client import ApiClient, ApiError
from base_sync_cli.main import export_text, looked_up_orders, wait_for_export
from base_sync_cli.messages import choose_language
from devstack.run import DEMO_SHOP_ID, LocalRun, RunOptions

JST = ZoneInfo("Asia/Tokyo")


# -- the consent page, as a browser would use it


class _FormParser(HTMLParser):
    """The first form of a page: its action, hidden inputs, select options and submit buttons."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.method = "get"
        self.fields: dict[str, str] = {}
        self.selects: dict[str, list[str]] = {}
        self.buttons: list[tuple[str, str]] = []
        self._in_form = False
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and self.action is None:
            self._in_form = True
            self.action = a.get("action", "")
            self.method = a.get("method", "get").lower()
        elif not self._in_form:
            return
        elif tag == "input" and a.get("name"):
            if a.get("type", "text") in ("hidden", "text"):
                self.fields[a["name"]] = a.get("value", "")
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
            self.selects[self._select] = []
        elif tag == "option" and self._select is not None:
            self.selects[self._select].append(a.get("value", ""))
        elif tag == "button" and a.get("name"):
            self.buttons.append((a["name"], a.get("value", "")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "form":
            self._in_form = False


class ConsentError(RuntimeError):
    pass


def approve_consent(
    authorize_url: str, shop_id: str = DEMO_SHOP_ID, *, session: requests.Session | None = None
) -> requests.Response:
    """Open BASE's consent page, choose the shop, press 許可する and follow the redirect to our callback.

    Returns the callback's answer (the page that names the connected shop).
    """
    http = session or requests.Session()
    page = http.get(authorize_url, timeout=30)
    if page.status_code != 200:
        raise ConsentError(f"consent page answered {page.status_code}: {page.text[:300]}")
    form = _FormParser()
    form.feed(page.text)
    if form.action is None:
        raise ConsentError("the consent page has no form")
    data = dict(form.fields)
    for name, options in form.selects.items():
        if shop_id not in options:
            raise ConsentError(f"shop {shop_id} is not offered on the consent page (offered: {options})")
        data[name] = shop_id
    approve = next(((n, v) for n, v in form.buttons if v == "approve"), None)
    if approve is None:
        raise ConsentError("the consent page has no approve button")
    data[approve[0]] = approve[1]
    target = urljoin(page.url, form.action)
    decided = http.request(form.method.upper(), target, data=data, allow_redirects=False, timeout=30)
    location = decided.headers.get("Location")
    if decided.status_code not in (301, 302, 303, 307) or not location:
        raise ConsentError(f"approving answered {decided.status_code}: {decided.text[:300]}")
    return http.get(urljoin(target, location), timeout=60)


# -- the scripted demo


@dataclass
class Step:
    name: str
    ok: bool
    detail: str


@dataclass
class Demo:
    run: LocalRun
    out: Callable[[str], None] = print
    steps: list[Step] = field(default_factory=list)

    def step(self, name: str, ok: bool, detail: str = "") -> bool:
        self.steps.append(Step(name, ok, detail))
        self.out(f"{'✔' if ok else '✘'} {name}" + (f": {detail}" if detail else ""))
        return ok


def _wait(predicate: Callable[[], Any], timeout_s: float, interval_s: float = 0.5) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval_s)


def _pick(orders: list[dict[str, Any]], predicate: Callable[[dict[str, Any]], bool]) -> dict[str, Any] | None:
    return next((o for o in orders if predicate(o)), None)


def run_demo(*, function_log_level: str = "WARNING", out: Callable[[str], None] = print) -> int:
    """Run the demo end to end; 0 when every step did what it should."""
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    run = LocalRun(RunOptions(api_port=0, sandbox_port=0, function_log_level=function_log_level))
    out("starting moto, the BASE sandbox and the local API …")
    run.start()
    demo = Demo(run, out)
    try:
        out(f"  API {run.api_url}   BASE sandbox {run.sandbox.url}   moto {run.moto.url}\n")
        script = _Script(demo, ApiClient(run.api_url), SandboxAdmin(str(run.sandbox.url)))
        script.base.clear_calls()
        script.play()
        return _finish(demo)
    finally:
        out("stopping …")
        run.stop()


SINGLE = "ship today (single item)"
MULTI = "ship today (multi-item, full-width number)"
FUTURE = "future ship date"
CART_APP = "cart-app order"


def _payment(o: dict[str, Any]) -> str:
    return str((o.get("base") or {}).get("payment"))


def _to_ship(o: dict[str, Any]) -> bool:
    return (o.get("base") or {}).get("dispatch_status") == "ordered"


def _multi_item(o: dict[str, Any]) -> bool:
    return len((o.get("base") or {}).get("items") or []) > 1


def _entries(future: str) -> dict[str, dict[str, str]]:
    """The tracking numbers an operator types in, one per chosen order."""
    return {
        SINGLE: {"tracking_number": "1234-5678-9012", "delivery_company": "ヤマト運輸"},
        MULTI: {"tracking_number": "３８４１ ２２０９ ７７５０", "delivery_company": "佐川急便"},
        FUTURE: {"tracking_number": "4455-6677-8899", "delivery_company": "ゆうパック", "ship_date": future},
        CART_APP: {"tracking_number": "5566-7788-9900", "delivery_company": "クロネコヤマト"},
    }


@dataclass
class _Script:
    """The demo's steps, in order; a step that fails is recorded and ends the script."""

    demo: Demo
    api: ApiClient
    base: SandboxAdmin

    def play(self) -> None:
        if not self.connect():
            return
        orders = self.import_orders()
        if orders is None:
            return
        today = datetime.now(UTC).astimezone(JST).date()
        future = (today + timedelta(days=2)).isoformat()
        chosen = self.choose(orders)
        if chosen is None or not self.enter_tracking(chosen, _entries(future)):
            return
        export_run = self.export()
        if export_run is not None:
            self.check_base(export_run, chosen, future)

    # 1. connect through the consent page
    def connect(self) -> bool:
        name = "connect demo-shop through the consent page"
        try:
            started = self.api.connect()
            page = approve_consent(str(started["authorize_url"]))
        except (ApiError, ConsentError, requests.RequestException) as exc:
            return self.demo.step(name, False, str(exc))
        named = "デモショップ" in page.text
        return self.demo.step(
            name,
            page.status_code == 200 and named,
            f"callback answered {page.status_code}" + (", the page names デモショップ" if named else ""),
        )

    # 2. import
    def import_orders(self) -> list[dict[str, Any]] | None:
        api = self.api
        try:
            job = api.queue_import(DEMO_SHOP_ID)
            last_import = _wait(
                lambda: next(
                    (s.get("last_import") for s in api.shops() if s["shop_id"] == DEMO_SHOP_ID), None
                ),
                timeout_s=60,
            )
            orders = api.all_orders(DEMO_SHOP_ID)
        except ApiError as exc:
            self.demo.step("import demo-shop's orders", False, exc.describe())
            return None
        if not self.demo.step(
            "import demo-shop's orders",
            bool(last_import) and len(orders) > 0,
            f"job {job.get('job_id')}: {len(orders)} orders stored"
            + (f" ({last_import.get('api_calls')} BASE calls)" if isinstance(last_import, dict) else ""),
        ):
            return None
        return orders

    # 3. tracking numbers, as an operator enters them: which orders
    def choose(self, orders: list[dict[str, Any]]) -> dict[str, dict[str, Any]] | None:
        cart_app = self._cart_app_order(orders)
        chosen = {
            SINGLE: _pick(
                orders,
                lambda o: (
                    _payment(o) == "creditcard" and _to_ship(o) and not _multi_item(o) and o is not cart_app
                ),
            ),
            MULTI: _pick(orders, lambda o: _payment(o) == "creditcard" and _to_ship(o) and _multi_item(o)),
            FUTURE: _pick(orders, lambda o: _payment(o) == "paypal" and _to_ship(o)),
            CART_APP: cart_app,
        }
        missing = [label for label, o in chosen.items() if o is None]
        if missing:
            self.demo.step("choose orders", False, f"no order found for: {', '.join(missing)}")
            return None
        return {label: o for label, o in chosen.items() if o is not None}

    def _cart_app_order(self, orders: list[dict[str, Any]]) -> dict[str, Any] | None:
        for o in orders:
            if _payment(o) == "creditcard" and _to_ship(o):
                detail = self.base.get_order(str(o["unique_key"]))
                if detail.get("_sandbox", {}).get("cart_app"):
                    return o
        return None

    # 3. tracking numbers, as an operator enters them: the edits
    def enter_tracking(self, chosen: dict[str, dict[str, Any]], entries: dict[str, dict[str, str]]) -> bool:
        api, demo = self.api, self.demo
        # The demo shows one on-demand export run; with auto_export on, each edit below would go
        # out within a second by itself (the orders table's stream), racing the run.
        try:
            api.put_settings(DEMO_SHOP_ID, {**api.get_settings(DEMO_SHOP_ID), "auto_export": False})
        except ApiError as exc:
            return demo.step("switch auto_export off for the on-demand export", False, exc.describe())
        for label, order in chosen.items():
            key = str(order["unique_key"])
            try:
                api.patch_order(DEMO_SHOP_ID, key, {**entries[label], "status": "processed"})
            except ApiError as exc:
                return demo.step(f"enter tracking for {key} ({label})", False, exc.describe())
            shown = ", ".join(f"{k}={v}" for k, v in entries[label].items())
            demo.step(f"enter tracking for {key} ({label})", True, shown)
        return True

    # 4. export
    def export(self) -> dict[str, Any] | None:
        try:
            answer = self.api.create_export(shop_id=DEMO_SHOP_ID)
            export_run = wait_for_export(self.api, str(answer["export_id"]), timeout_s=120)
        except ApiError as exc:
            hint = " (the exporter's routes are not in template.yaml yet)" if exc.status in (403, 404) else ""
            self.demo.step("export to BASE", False, exc.describe() + hint)
            return None
        self.demo.step(
            "export to BASE",
            export_run.get("status") in ("succeeded", "partial"),
            f"run {export_run.get('export_id')}: {export_run.get('status')}",
        )
        self.demo.out("")
        # In the operator's language (LANG=ja_JP.UTF-8: Japanese), a future ship date with its day.
        orders = looked_up_orders(self.api, list(export_run.get("results") or []), DEMO_SHOP_ID)
        self.demo.out(export_text(export_run, choose_language(None, os.environ), orders))
        return export_run

    # 5. what BASE saw
    def check_base(self, export_run: dict[str, Any], chosen: dict[str, dict[str, Any]], future: str) -> None:
        demo = self.demo
        keys = {label: str(o["unique_key"]) for label, o in chosen.items()}
        on_base = {label: self.base.get_order(key) for label, key in keys.items()}
        dispatched_ok = all(on_base[label]["dispatch_status"] == "dispatched" for label in (SINGLE, MULTI))
        demo.step(
            "BASE shows today's orders dispatched",
            dispatched_ok,
            ", ".join(f"{keys[k]}={v['dispatch_status']}" for k, v in on_base.items()),
        )
        demo.step(
            "the future-dated order waits (not dispatched early)",
            on_base[FUTURE]["dispatch_status"] == "ordered",
            f"ship date {future}",
        )
        demo.step(
            "the cart-app order is not dispatched (BASE refuses it through the API)",
            on_base[CART_APP]["dispatch_status"] == "ordered",
        )
        _summary(demo.out, export_run, self.base.calls(shop_id=DEMO_SHOP_ID), keys)


def _summary(
    out: Callable[[str], None], export_run: dict[str, Any], calls: dict[str, Any], keys: dict[str, str]
) -> None:
    label_of = {key: label for label, key in keys.items()}
    results = export_run.get("results") or []
    groups: dict[str, list[dict[str, Any]]] = {}
    for result in results:
        groups.setdefault(str(result.get("outcome")), []).append(result)
    out("\n=== summary ===")
    for outcome in ("dispatched", "already_dispatched", "deferred", "skipped", "failed"):
        found = groups.pop(outcome, [])
        out(f"{outcome}: {len(found)}")
        for r in found:
            label = label_of.get(str(r.get("unique_key")))
            why = f" — {r.get('reason')}" if r.get("reason") else ""
            out(f"  {r.get('unique_key')}{f' ({label})' if label else ''}{why}")
    for outcome, found in groups.items():
        out(f"{outcome}: {len(found)}")
    # The consent form's POST is the operator's browser, not the product: left out of the count.
    summary = {k: int(v) for k, v in (calls.get("summary") or {}).items() if "/oauth/authorize" not in str(k)}
    total = sum(summary.values())
    from_export = f" (the export run itself: {export_run['api_calls']})" if "api_calls" in export_run else ""
    out(f"BASE API calls made by the product: {total}{from_export}")
    for endpoint, count in sorted(summary.items()):
        out(f"  {endpoint}: {count}")


def _finish(demo: Demo) -> int:
    failed = [s for s in demo.steps if not s.ok]
    if failed:
        demo.out(f"\ndemo FAILED: {len(failed)} step(s) did not do what they should:")
        for s in failed:
            demo.out(f"  ✘ {s.name}: {s.detail}")
        return 1
    demo.out("\ndemo OK: every step did what it should.")
    return 0


if __name__ == "__main__":
    sys.exit(run_demo())
