"""The console's pages: one request in, one response out (no sockets here; ``server`` serves it).

Every page reads the stack's HTTP API through the CLI's :class:`ApiClient` (SigV4 for a deployed
stack, plain for the local run) and renders a Jinja2 template. Nothing the API does not return is
shown, and the API returns no token or secret.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from http.cookies import CookieError, SimpleCookie
from pathlib import Path
from typing import Any, Final, Protocol
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape

from base_sync_cli.client import ApiError, api_path
from base_sync_cli.console import forms, views
from base_sync_cli.console.guard import Guard
from base_sync_cli.console.i18n import (
    CHOICES,
    Lang,
    choice,
    choose,
    jst_time,
    message,
    pick,
    text,
)
from base_sync_cli.console.multipart import Upload
from base_sync_cli.console.onetime import OneTimeStore
from base_sync_cli.shipments import PRESETS, LoadOutcome, parse_shipments
from base_sync_cli.shipments import load as load_shipments

HERE: Final = Path(__file__).resolve().parent
JST: Final = ZoneInfo("Asia/Tokyo")
LANG_COOKIE: Final = "bsc_lang"
DONE: Final = {
    "saved": "saved",
    "import": "import_queued",
    "order": "order_saved",
    "again": "already_started",
}
"""``?done=`` codes after a redirect -> the sentence shown (nothing else is echoed from the URL)."""
SECURITY_HEADERS: Final = (
    (
        "Content-Security-Policy",
        "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; frame-ancestors 'none'",
    ),
    ("X-Frame-Options", "DENY"),
    # same-origin, not no-referrer: with no-referrer Chromium sends ``Origin: null`` on form posts,
    # which the guard refuses; no console URL is ever sent to another site either way.
    ("Referrer-Policy", "same-origin"),
    ("X-Content-Type-Options", "nosniff"),
    ("Cache-Control", "no-store"),
)
PAGE_SIZE: Final = 50
REFRESH_S: Final = 2
"""The progress page of a send reloads itself (``<meta http-equiv="refresh">``, no script)."""
RUNNING: Final = frozenset({"queued", "running"})
MAX_PLAN_PAGES: Final = 20
"""Pages of 100 ready orders read for the plan's details (a plan longer than that shows keys only)."""
MAX_KEYS_PER_EXPORT: Final = 500
"""``POST /exports`` takes at most 500 ``order_keys``; a longer plan is sent as the whole shop."""


class Api(Protocol):
    """What the console uses of :class:`base_sync_cli.client.ApiClient`."""

    def connect(self) -> dict[str, Any]: ...
    def shops(self) -> list[dict[str, Any]]: ...
    def get_settings(self, shop_id: str) -> dict[str, Any]: ...
    def put_settings(self, shop_id: str, settings: dict[str, Any]) -> dict[str, Any]: ...
    def list_orders(
        self,
        shop_id: str,
        *,
        status: str | None = None,
        export_state: str | None = None,
        limit: int | None = None,
        next_token: str | None = None,
        deadline_within_days: int | None = None,
    ) -> dict[str, Any]: ...
    def get_order(self, shop_id: str, unique_key: str) -> dict[str, Any]: ...
    def patch_order(self, shop_id: str, unique_key: str, changes: dict[str, Any]) -> dict[str, Any]: ...
    def queue_import(self, shop_id: str) -> dict[str, Any]: ...
    def list_exports(self, shop_id: str) -> list[dict[str, Any]]: ...
    def create_export(
        self, *, shop_id: str | None = None, order_keys: list[str] | None = None, dry_run: bool = False
    ) -> dict[str, Any]: ...
    def get_export(self, export_id: str) -> dict[str, Any]: ...
    def request(
        self, method: str, path: str, *, params: dict[str, Any] | None = None, body: Any = None
    ) -> Any: ...


@dataclass
class Request:
    method: str
    target: str
    headers: Mapping[str, str]
    """Lower-case names."""
    form: dict[str, list[str]] = field(default_factory=dict)
    files: dict[str, Upload] = field(default_factory=dict)

    @property
    def path(self) -> str:
        return urlsplit(self.target).path or "/"

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.target).query, keep_blank_values=True)

    def arg(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None

    def field(self, name: str) -> str | None:
        values = self.form.get(name)
        return values[0] if values else None

    def cookie(self, name: str) -> str | None:
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(self.headers.get("cookie", ""))
        except CookieError:
            return None
        morsel = jar.get(name)
        return morsel.value if morsel else None


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    headers: list[tuple[str, str]] = field(default_factory=list)


def redirect(location: str, *extra: tuple[str, str]) -> Response:
    return Response(303, b"", headers=[("Location", location), *extra])


def shop_url(shop_id: str, screen: str, **params: str) -> str:
    query = {k: v for k, v in params.items() if v}
    return f"/shops/{quote(shop_id, safe='')}/{screen}" + (f"?{urlencode(query)}" if query else "")


DEADLINE_CHOICES: Final = ("3", "7", "14", "30")
"""受注一覧's BASE-deadline filter: orders BASE closes or cancels by itself within N days (JST)."""
LOCKED_STATES: Final = frozenset({"exported", "already_dispatched"})
"""Orders whose shipping fields the API no longer changes (409 already_dispatched): no edit form."""
EDITABLE: Final = ("status", "tracking_number", "delivery_company", "ship_date")


@dataclass(frozen=True)
class EditFailure:
    unique_key: str
    error: ApiError
    entered: dict[str, Any]


def _filters(status: str | None, state: str | None) -> tuple[str | None, str | None]:
    """Only known codes are passed on to the API."""
    return (
        status if status in CHOICES["order_status"] else None,
        state if state in CHOICES["export_state"] else None,
    )


def order_changes(current: Mapping[str, Any], form: Mapping[str, list[str]]) -> dict[str, Any]:
    """The PATCH body: each editable field whose submitted value differs from the order's; an
    emptied ship date is ``null`` (back to the default)."""
    changes: dict[str, Any] = {}
    for name in EDITABLE:
        if name not in form:
            continue
        value = form[name][0].strip()
        before = current.get(name) or ""
        if value == before:
            continue
        if name == "ship_date" and not value:
            changes[name] = None
        elif value:
            changes[name] = value
    return changes


def _preview(settings: Mapping[str, Any]) -> forms.CommentPreview | None:
    template = settings.get("comment_template")
    if not isinstance(template, str):
        return None
    return forms.comment_preview(template, datetime.now(JST).date())


def _segments(path: str) -> list[str]:
    return [unquote(part) for part in path.strip("/").split("/") if part]


class Console:
    """Routes a :class:`Request` to its page; every request passes the :class:`Guard` first."""

    def __init__(self, api: Api, guard: Guard, *, default_lang: Lang = "ja") -> None:
        self.api = api
        self.guard = guard
        self.default_lang: Lang = default_lang
        self.templates = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(default=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.css = (HERE / "static" / "console.css").read_bytes()
        self.pending = OneTimeStore()

    # -- entry
    def handle(self, request: Request) -> Response:
        verdict = self.guard.check(
            method=request.method,
            host=request.headers.get("host"),
            origin=request.headers.get("origin"),
            cookie=request.headers.get("cookie"),
            key=request.arg("k"),
            csrf=request.field("csrf"),
        )
        if verdict.status:
            return self._with_headers(self._refused(verdict.status, verdict.reason))
        if verdict.set_session:
            return self._with_headers(self._open_session(request))
        lang = choose(request.arg("lang")) or choose(request.cookie(LANG_COOKIE)) or self.default_lang
        response = self._route(request, lang)
        if request.arg("lang") is not None and choose(request.arg("lang")):
            response.headers.append(("Set-Cookie", f"{LANG_COOKIE}={lang}; Path=/; SameSite=Strict"))
        return self._with_headers(response)

    def _open_session(self, request: Request) -> Response:
        """The first visit with ``?k=``: the session cookie, and the same page without ``k``."""
        query = [(k, v) for k, values in request.query.items() if k != "k" for v in values]
        location = request.path + (f"?{urlencode(query)}" if query else "")
        return redirect(location, ("Set-Cookie", self.guard.session_cookie()))

    def _with_headers(self, response: Response) -> Response:
        response.headers.extend(SECURITY_HEADERS)
        return response

    def _refused(self, status: int, reason: str) -> Response:
        body = f"{status}: {reason}\n".encode()
        return Response(status, body, "text/plain; charset=utf-8")

    def _route(self, request: Request, lang: Lang) -> Response:
        parts = _segments(request.path)
        method = request.method
        try:
            if method == "GET" and not parts:
                return redirect("/shops")
            if method == "GET" and parts == ["static", "console.css"]:
                return Response(200, self.css, "text/css; charset=utf-8")
            if parts == ["shops"] and method == "GET":
                return self.shops_page(request, lang)
            if parts == ["connect"] and method == "POST":
                return self.connect()
            if len(parts) == 3 and parts[0] == "shops":
                return self._shop_route(request, lang, parts[1], parts[2])
            if len(parts) == 4 and parts[0] == "shops":
                return self._item_route(request, lang, parts[1], parts[2], parts[3])
        except ApiError as exc:
            return self.error_page(request, lang, exc)
        return self._not_found(request, lang)

    def _shop_route(self, request: Request, lang: Lang, shop_id: str, screen: str) -> Response:
        pages: dict[tuple[str, str], Callable[[Request, Lang, str], Response]] = {
            ("GET", "settings"): self.settings_page,
            ("POST", "settings"): self.save_settings,
            ("GET", "orders"): self.orders_page,
            ("GET", "log"): self.log_page,
            ("POST", "imports"): self.queue_import,
            ("GET", "send"): self.send_page,
            ("POST", "send"): self.send_now,
            ("GET", "upload"): self.upload_page,
            ("POST", "upload"): self.check_upload,
        }
        page = pages.get((request.method, screen))
        if page is None:
            return self._not_found(request, lang)
        return page(request, lang, shop_id)

    def _item_route(self, request: Request, lang: Lang, shop_id: str, screen: str, item: str) -> Response:
        pages: dict[tuple[str, str], Callable[[Request, Lang, str, str], Response]] = {
            ("GET", "orders"): self.order_page,
            ("POST", "orders"): self.edit_order,
            ("POST", "send"): self._send_step,
            ("GET", "send"): self.run_page,
            ("POST", "upload"): self._upload_step,
        }
        page = pages.get((request.method, screen))
        if page is None:
            return self._not_found(request, lang)
        return page(request, lang, shop_id, item)

    # -- rendering
    def render(self, request: Request, lang: Lang, name: str, code: int = 200, **values: Any) -> Response:
        other: Lang = "en" if lang == "ja" else "ja"
        query = [(k, v) for k, vs in request.query.items() if k not in ("lang", "done") for v in vs]
        switch = request.path + "?" + urlencode([*query, ("lang", other)])
        done = DONE.get(request.arg("done") or "")
        page = self.templates.get_template(name).render(
            lang=lang,
            t=lambda key: text(key, lang),
            label=lambda group, code: choice(group, code, lang),
            msg=lambda item, prefix="": message(item, lang, prefix),
            jst=jst_time,
            shop_url=shop_url,
            csrf=self.guard.csrf,
            switch_url=switch,
            done=text(done, lang) if done else None,
            views=views,
            **values,
        )
        return Response(code, page.encode())

    def error_page(self, request: Request, lang: Lang, exc: ApiError) -> Response:
        status = exc.status if 400 <= exc.status < 500 else 502
        return self.render(request, lang, "error.html", status, error=exc, shop=None)

    def too_large(self, request: Request, limit: int) -> Response:
        """A POST body over the limit (read and dropped by the server): said in words, nothing done."""
        verdict = self.guard.check(
            method="GET",
            host=request.headers.get("host"),
            origin=request.headers.get("origin"),
            cookie=request.headers.get("cookie"),
            key=None,
        )
        if verdict.status:
            return self._with_headers(self._refused(verdict.status, verdict.reason))
        lang = choose(request.cookie(LANG_COOKIE)) or self.default_lang
        megabytes = str(limit // (1024 * 1024) or 1)
        message_ = f"{text('too_large_text', 'ja').format(megabytes)} / {text('too_large_text', 'en').format(megabytes)}"
        error = ApiError(413, "too_large", message_)
        return self._with_headers(self.render(request, lang, "error.html", 413, error=error, shop=None))

    def _not_found(self, request: Request, lang: Lang) -> Response:
        missing = ApiError(404, "not_found", "このページはありません / no such page")
        return self.render(request, lang, "error.html", 404, error=missing, shop=None)

    def _shop(self, shop_id: str) -> dict[str, Any]:
        for shop in self.api.shops():
            if shop.get("shop_id") == shop_id:
                return shop
        raise ApiError(404, "shop_not_found", f"ショップ {shop_id} はありません / no shop {shop_id}")

    # -- ショップ
    def shops_page(self, request: Request, lang: Lang) -> Response:
        shops = self.api.shops()
        return self.render(request, lang, "shops.html", shops=shops, shop=None)

    def connect(self) -> Response:
        """``POST /connect`` at the API, then the browser goes to BASE's consent page."""
        started = self.api.connect()
        url = str(started.get("authorize_url") or "")
        if urlsplit(url).scheme not in ("https", "http"):
            raise ApiError(
                502, "bad_authorize_url", "API が返した URL が不正です / the API returned no usable URL"
            )
        return redirect(url)

    def queue_import(self, request: Request, lang: Lang, shop_id: str) -> Response:
        self.api.queue_import(shop_id)
        return redirect("/shops?done=import")

    # -- 設定
    def settings_page(self, request: Request, lang: Lang, shop_id: str) -> Response:
        shop = self._shop(shop_id)
        settings = self.api.get_settings(shop_id)
        return self.render(
            request,
            lang,
            "settings.html",
            shop=shop,
            fields=forms.build_fields(settings, lang),
            failed=False,
            preview=_preview(settings),
        )

    def save_settings(self, request: Request, lang: Lang, shop_id: str) -> Response:
        shop = self._shop(shop_id)
        current = self.api.get_settings(shop_id)
        wanted = forms.read_form(current, request.form)
        if request.field("action") == "preview":  # the comment's preview: nothing is saved
            fields = forms.build_fields(current, lang, entered=wanted)
            return self.render(
                request,
                lang,
                "settings.html",
                shop=shop,
                fields=fields,
                failed=False,
                preview=_preview(wanted),
            )
        try:
            self.api.put_settings(shop_id, wanted)
        except ApiError as exc:
            if exc.status != 422:
                raise
            errors = forms.field_errors(exc.fields) or {"": exc.message}
            fields = forms.build_fields(current, lang, entered=wanted, errors=errors)
            return self.render(
                request,
                lang,
                "settings.html",
                422,
                shop=shop,
                fields=fields,
                failed=True,
                error=exc,
                preview=_preview(wanted),
            )
        return redirect(shop_url(shop_id, "settings", done="saved"))

    # -- 受注一覧
    def orders_page(
        self, request: Request, lang: Lang, shop_id: str, failed: EditFailure | None = None
    ) -> Response:
        shop = self._shop(shop_id)
        status, state = _filters(request.arg("status"), request.arg("export_state"))
        deadline = request.arg("deadline")
        within = int(deadline) if deadline in DEADLINE_CHOICES else None
        page = self.api.list_orders(
            shop_id,
            status=status,
            export_state=state,
            limit=PAGE_SIZE,
            next_token=request.arg("next_token"),
            deadline_within_days=within,
        )
        token = page.get("next_token")
        kept = {"status": status or "", "export_state": state or "", "deadline": str(within or "")}
        next_url = shop_url(shop_id, "orders", **kept, next_token=str(token)) if token else None
        return self.render(
            request,
            lang,
            "orders.html",
            failed.error.status if failed else 200,
            shop=shop,
            orders=list(page.get("orders") or []),
            status=status,
            export_state=state,
            statuses=[(code, pick(pair, lang)) for code, pair in CHOICES["order_status"].items()],
            states=[(code, pick(pair, lang)) for code, pair in CHOICES["export_state"].items()],
            next_url=next_url,
            deadline=str(within) if within is not None else "",
            deadlines=DEADLINE_CHOICES,
            failed=failed,
            locked=LOCKED_STATES,
            companies=self.companies(shop_id),
        )

    def edit_order(self, request: Request, lang: Lang, shop_id: str, unique_key: str) -> Response:
        """The inline edit: PATCH only the fields the operator changed; the API's refusal is shown on
        the order's row, the page as it was (filters kept)."""
        status, state = _filters(request.field("f_status"), request.field("f_export_state"))
        deadline = request.field("f_deadline")
        back = shop_url(
            shop_id,
            "orders",
            status=status or "",
            export_state=state or "",
            deadline=deadline if deadline in DEADLINE_CHOICES else "",
        )
        current = self.api.get_order(shop_id, unique_key)
        changes = order_changes(current, request.form)
        if changes:
            try:
                self.api.patch_order(shop_id, unique_key, changes)
            except ApiError as exc:
                if exc.status not in (409, 422):
                    raise
                listing = Request("GET", back, request.headers)
                return self.orders_page(listing, lang, shop_id, EditFailure(unique_key, exc, changes))
        separator = "&" if "?" in back else "?"
        return redirect(f"{back}{separator}done=order")

    # -- 自動処理ログ
    def log_page(self, request: Request, lang: Lang, shop_id: str) -> Response:
        shop = self._shop(shop_id)
        runs = self.api.list_exports(shop_id)
        return self.render(request, lang, "log.html", shop=shop, runs=runs)

    # -- 受注詳細
    def order_page(self, request: Request, lang: Lang, shop_id: str, unique_key: str) -> Response:
        shop = self._shop(shop_id)
        order = self.api.get_order(shop_id, unique_key)
        return self.render(
            request,
            lang,
            "order.html",
            shop=shop,
            o=order,
            forecast=views.forecast_text(order, lang),
            history=views.history_rows(order.get("history") or [], lang),
        )

    def companies(self, shop_id: str) -> list[dict[str, Any]]:
        """The shop's BASE delivery companies as the import cached them; none when the API has no
        list (not fetched yet, or an older API without the route): the field stays free text."""
        try:
            answer = self.api.request("GET", api_path("shops", shop_id, "delivery-companies"))
        except ApiError:
            return []
        listed = answer.get("delivery_companies") if isinstance(answer, dict) else None
        return [c for c in listed or [] if isinstance(c, dict) and c.get("name")]

    # -- 発送情報の更新
    def _plan(self, shop_id: str) -> views.Plan:
        """The dry run (``POST /exports`` with ``dry_run``: nothing is sent) joined with the orders."""
        answer = self.api.create_export(shop_id=shop_id, dry_run=True)
        entries = list(answer.get("plan") or [])
        orders: dict[str, dict[str, Any]] = {}
        for state in ("pending", "deferred"):
            for order in self._ready_orders(shop_id, state):
                orders[str(order.get("unique_key"))] = order
        return views.split_plan(entries, orders)

    def _ready_orders(self, shop_id: str, state: str) -> list[dict[str, Any]]:
        """The shop's orders in ``state`` (at most :data:`MAX_PLAN_PAGES` pages: the plan's details)."""
        found: list[dict[str, Any]] = []
        token: str | None = None
        for _ in range(MAX_PLAN_PAGES):
            page = self.api.list_orders(shop_id, export_state=state, limit=100, next_token=token)
            found.extend(page.get("orders") or [])
            token = page.get("next_token")
            if not token:
                break
        return found

    def send_page(self, request: Request, lang: Lang, shop_id: str) -> Response:
        shop = self._shop(shop_id)
        return self.render(request, lang, "send.html", shop=shop, plan=self._plan(shop_id), step="plan")

    def _send_step(self, request: Request, lang: Lang, shop_id: str, item: str) -> Response:
        if item != "confirm":
            return self._not_found(request, lang)
        shop = self._shop(shop_id)
        plan = self._plan(shop_id)
        if not plan.send:
            return self.render(request, lang, "send.html", shop=shop, plan=plan, step="plan")
        keys = plan.keys if len(plan.keys) <= MAX_KEYS_PER_EXPORT else None
        token = self.pending.put("send", shop_id, keys)
        return self.render(request, lang, "send.html", shop=shop, plan=plan, step="confirm", token=token)

    def send_now(self, request: Request, lang: Lang, shop_id: str) -> Response:
        """The real ``POST /exports``, once per confirmation: a second POST of the same token goes to
        the run the first one started (no second run)."""
        use = self.pending.use(request.field("token"), "send", shop_id)
        if use.entry is None:
            shop = self._shop(shop_id)
            gone = ApiError(409, "confirmation_gone", text("token_gone", lang))
            return self.render(request, lang, "error.html", 409, error=gone, shop=shop)
        if not use.first:
            if use.entry.outcome:
                return redirect(
                    shop_url(shop_id, "send") + f"/{quote(use.entry.outcome, safe='')}?done=again"
                )
            used = ApiError(409, "confirmation_used", text("confirmation_used", lang))
            return self.render(request, lang, "error.html", 409, error=used, shop=self._shop(shop_id))
        started = self.api.create_export(shop_id=shop_id, order_keys=use.entry.data)
        export_id = str(started.get("export_id") or "")
        use.entry.outcome = export_id
        return redirect(shop_url(shop_id, "send") + f"/{quote(export_id, safe='')}")

    def run_page(self, request: Request, lang: Lang, shop_id: str, export_id: str) -> Response:
        shop = self._shop(shop_id)
        run = self.api.get_export(export_id)
        if run.get("shop_id") not in (None, shop_id):
            return self._not_found(request, lang)
        going = run.get("status") in RUNNING
        return self.render(
            request, lang, "send_run.html", shop=shop, run=run, refresh=REFRESH_S if going else None
        )

    # -- CSV 取り込み
    def upload_page(self, request: Request, lang: Lang, shop_id: str) -> Response:
        shop = self._shop(shop_id)
        return self.render(request, lang, "upload.html", shop=shop, **self._upload_form(lang))

    def _upload_form(self, lang: Lang, choice_: views.UploadChoice | None = None) -> dict[str, Any]:
        return {
            "presets": [(name, preset.title) for name, preset in PRESETS.items()],
            "statuses": [(code, pick(pair, lang)) for code, pair in CHOICES["order_status"].items()],
            "chosen": choice_,
            "limit_mb": 2,
        }

    def check_upload(self, request: Request, lang: Lang, shop_id: str) -> Response:
        """Parse with the CLI's shipments parsing, then the API's dry run: every change and every bad
        line; the parsed rows stay here under a one-time token until 適用."""
        shop = self._shop(shop_id)
        chosen = views.read_layout(request.form)
        upload = request.files.get("file")
        form = self._upload_form(lang, chosen)
        if upload is None or not upload.data:
            return self.render(request, lang, "upload.html", 422, shop=shop, missing=True, **form)
        if chosen.problem is not None:
            return self.render(
                request, lang, "upload.html", 422, shop=shop, problems=[chosen.problem], **form
            )
        parsed = parse_shipments(upload.data, chosen.layout)
        outcome = (
            load_shipments(self.api, shop_id, parsed.rows, dry_run=True)
            if parsed.rows
            else LoadOutcome(dry_run=True)
        )
        bad = bool(parsed.errors or outcome.refused or outcome.error)
        token = None if bad else self.pending.put("upload", shop_id, parsed.rows)
        return self.render(
            request,
            lang,
            "upload.html",
            422 if bad else 200,
            shop=shop,
            filename=upload.filename,
            encoding=parsed.encoding,
            line_count=len(parsed.rows) + len({e.line for e in parsed.errors}),
            parsed=parsed,
            outcome=outcome,
            to_send=_to_send(outcome),
            token=token,
            **form,
        )

    def _upload_step(self, request: Request, lang: Lang, shop_id: str, item: str) -> Response:
        if item != "apply":
            return self._not_found(request, lang)
        shop = self._shop(shop_id)
        use = self.pending.use(request.field("token"), "upload", shop_id)
        if use.entry is None or not use.first:
            gone = ApiError(409, "upload_gone", text("upload_gone", lang))
            return self.render(request, lang, "error.html", 409, error=gone, shop=shop)
        outcome = load_shipments(self.api, shop_id, use.entry.data, dry_run=False)
        use.entry.outcome = True
        return self.render(
            request,
            lang,
            "upload_done.html",
            200 if outcome.ok else 409,
            shop=shop,
            outcome=outcome,
            changed=sum(1 for line in outcome.lines if line.get("changed")),
            to_send=_to_send(outcome),
        )


def _to_send(outcome: LoadOutcome) -> int:
    return sum(1 for line in outcome.lines if line.get("changed") and line.get("send") == "within_a_minute")
