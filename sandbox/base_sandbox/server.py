"""HTTP front end: BASE API v1 under /1/, the admin API under /_sandbox/, stdlib only."""

from __future__ import annotations

import base64
import contextlib
import html
import json
import logging
import socket
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast
from urllib.parse import parse_qs, unquote, urlsplit

from .clock import Clock
from .errors import ERROR_TEXT, JSON, ApiError, err
from .faults import ERROR_MODES, FaultRule
from .oauth import SCOPE_LABELS
from .orders import DELIVERY_COMPANIES
from .seed import DEMO_REDIRECT_URI, generate_orders, seed_demo
from .state import SandboxState

log = logging.getLogger("base_sandbox")

NGINX_REASONS = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Temporarily Unavailable",
    504: "Gateway Time-out",
}
JSON_CT = "application/json; charset=UTF-8"
HTML_CT = "text/html; charset=UTF-8"


def php_json(obj: Any) -> bytes:
    """Encode like BASE (PHP json_encode): \\uXXXX escapes and escaped slashes, no spaces."""
    text = json.dumps(obj, ensure_ascii=True, separators=(",", ":"))
    return text.replace("/", "\\/").encode("ascii")


def admin_json(obj: Any) -> bytes:
    """Readable JSON for the admin API."""
    return json.dumps(obj, ensure_ascii=False).encode("utf-8")


@dataclass
class Reply:
    """A fully rendered HTTP answer plus what the call log needs to know about it."""

    status: int
    body: bytes
    content_type: str = JSON_CT
    headers: dict[str, str] = field(default_factory=dict)
    shop_id: str | None = None
    client_id: str | None = None
    error: str | None = None


def api_error(exc: ApiError, shop_id: str | None = None, client_id: str | None = None) -> Reply:
    """Render a BASE error as JSON."""
    return Reply(exc.status, php_json(exc.body()), shop_id=shop_id, client_id=client_id, error=exc.error)


def nginx_page(status: int) -> bytes:
    """The HTML nginx shows for 5xx errors (what a BASE outage looks like from the outside)."""
    title = f"{status} {NGINX_REASONS.get(status, 'Error')}"
    return (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n"
        "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    ).encode("ascii")


def _page(title: str, inner: str) -> bytes:
    return (
        '<!DOCTYPE html>\n<html lang="ja">\n<head><meta charset="utf-8">'
        f"<title>{html.escape(title)} | BASE (sandbox)</title></head>\n<body>\n"
        f"<h1>{html.escape(title)}</h1>\n{inner}\n</body>\n</html>\n"
    ).encode()


def error_page(exc: ApiError) -> Reply:
    """Authorize errors are shown to the user; BASE does not redirect back with them."""
    inner = (
        f'<p class="error" data-error="{html.escape(exc.error)}">{html.escape(exc.description)}</p>'
        "<p>アプリの設定（client_id / redirect_uri）を確認してください。</p>"
    )
    return Reply(400, _page("エラー", inner), HTML_CT, error=exc.error)


class SandboxHandler(BaseHTTPRequestHandler):
    """One request; all state lives in the server's SandboxState."""

    server_version = "nginx"
    sys_version = ""
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; without TCP_NODELAY keep-alive clients stall ~40 ms
    # on delayed ACKs per call, which would distort benchmarks.
    disable_nagle_algorithm = True

    @property
    def sandbox(self) -> SandboxServer:
        """The owning SandboxServer."""
        return cast(_HTTPServer, self.server).sandbox

    def log_message(self, format: str, *args: Any) -> None:
        """Route access logs to `logging` instead of stderr."""
        log.debug("%s - %s", self.address_string(), format % args)

    def do_GET(self) -> None:
        """Dispatch GET."""
        self._handle("GET")

    def do_POST(self) -> None:
        """Dispatch POST."""
        self._handle("POST")

    def do_PATCH(self) -> None:
        """Dispatch PATCH."""
        self._handle("PATCH")

    def do_PUT(self) -> None:
        """Dispatch PUT."""
        self._handle("PUT")

    def do_DELETE(self) -> None:
        """Dispatch DELETE."""
        self._handle("DELETE")

    # ------------------------------------------------------------------ plumbing
    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _send(self, reply: Reply) -> None:
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for key, value in reply.headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(reply.body)

    def _drop(self) -> None:
        """Close the TCP connection without answering (the client sees a connection error)."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _handle(self, method: str) -> None:
        parts = urlsplit(self.path)
        path = parts.path
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        body = self._read_body()
        try:
            if path.startswith("/_sandbox/") or path == "/_sandbox":
                self._send(self._admin(method, path, query, body))
            elif path.startswith("/1/"):
                self._api(method, path, query, body)
            else:
                self._send(
                    Reply(404, php_json({"error": "not_found", "error_description": ERROR_TEXT["not_found"]}))
                )
        except Exception:  # a sandbox bug must not kill the connection silently
            log.error("sandbox failure on %s %s\n%s", method, path, traceback.format_exc())
            self._send(
                Reply(500, php_json({"error": "server_error", "error_description": "sandbox failure"}))
            )

    # ------------------------------------------------------------------ BASE API
    def _api(self, method: str, path: str, query: dict[str, str], body: bytes) -> None:
        state = self.sandbox.state
        rule: FaultRule | None = state.pick_fault(path)
        if state.latency_ms > 0:
            time.sleep(state.latency_ms / 1000)
        auth = self.headers.get("Authorization")
        if rule is not None:
            if rule.mode == "slow":
                time.sleep(rule.delay_seconds)
            elif rule.mode == "5xx":
                status = state.fault_status(rule)
                state.log_call(method, path, state.peek_shop(auth), status, None, rule.mode)
                self._send(Reply(status, nginx_page(status), "text/html"))
                return
            elif rule.mode in ERROR_MODES:
                exc = ApiError(rule.error or rule.mode, rule.description or "")
                state.log_call(method, path, state.peek_shop(auth), 400, exc.error, rule.mode)
                self._send(api_error(exc))
                return
            elif rule.mode == "drop_before":
                state.log_call(method, path, state.peek_shop(auth), 0, None, rule.mode)
                self._drop()
                return
        reply = self._api_reply(method, path, query, body)
        fault = rule.mode if rule is not None else None
        if rule is not None and rule.mode == "drop_after":
            state.log_call(method, path, reply.shop_id, 0, reply.error, fault, reply.client_id)
            self._drop()
            return
        state.log_call(method, path, reply.shop_id, reply.status, reply.error, fault, reply.client_id)
        self._send(reply)

    def _form(self, body: bytes) -> dict[str, str]:
        text = body.decode("utf-8", errors="replace")
        return {k: v[-1] for k, v in parse_qs(text, keep_blank_values=True).items()}

    def _basic(self) -> tuple[str, str] | None:
        header = self.headers.get("Authorization") or ""
        if not header.lower().startswith("basic "):
            return None
        try:
            user, _, secret = base64.b64decode(header[6:].strip()).decode("utf-8").partition(":")
        except ValueError:
            return None
        return unquote(user), unquote(secret)

    def _api_reply(self, method: str, path: str, query: dict[str, str], body: bytes) -> Reply:
        state = self.sandbox.state
        auth = self.headers.get("Authorization")
        if path == "/1/oauth/authorize":
            return self._authorize(method, query, body)
        if path == "/1/oauth/token":
            form = self._form(body)
            if method != "POST":
                return api_error(err("access_denied", "token_not_post"))
            basic = self._basic()
            client_id = form.get("client_id") or (basic[0] if basic else None)
            try:
                result, shop_id = state.token_grant(form, basic)
            except ApiError as exc:
                return api_error(exc, client_id=client_id)
            reply = Reply(200, php_json(result), shop_id=shop_id, client_id=client_id)
            reply.headers["Cache-Control"] = "no-store"
            return reply
        route = self._route(method, path)
        if route is None:
            not_found = {"error": "not_found", "error_description": ERROR_TEXT["not_found"]}
            return Reply(404, php_json(not_found), error="not_found")
        scope, action = route
        shop_id = state.peek_shop(auth)
        data: JSON
        try:
            shop = state.authenticate(auth, scope)
            if action == "me":
                data = {"user": shop.user_json("read_users_mail" in state.scopes_of(auth))}
            elif action == "orders":
                data = state.list_orders(shop, query)
            elif action == "detail":
                data = state.order_detail(shop, unquote(path[len("/1/orders/detail/") :]))
            elif action == "edit_status":
                if method != "POST":
                    raise err("not_post_method")
                data = state.edit_status(shop, self._form(body))
            else:
                data = {
                    "delivery_companies": [
                        {"delivery_company_id": cid, "name": name} for cid, name in DELIVERY_COMPANIES
                    ]
                }
        except ApiError as exc:
            return api_error(exc, shop_id)
        return Reply(200, php_json(data), shop_id=shop_id)

    @staticmethod
    def _route(method: str, path: str) -> tuple[str | None, str] | None:
        if path == "/1/orders/edit_status":
            return "write_orders", "edit_status"
        if method != "GET":
            return None
        if path == "/1/users/me":
            return "read_users", "me"
        if path == "/1/orders":
            return "read_orders", "orders"
        if path.startswith("/1/orders/detail/") and len(path) > len("/1/orders/detail/"):
            return "read_orders", "detail"
        if path == "/1/delivery_companies":
            return None, "delivery_companies"
        return None

    def _authorize(self, method: str, query: dict[str, str], body: bytes) -> Reply:
        state = self.sandbox.state
        if method == "POST":
            form = self._form(body)
            try:
                location = state.authorize_decision(
                    form, form.get("shop_id"), form.get("decision") == "approve"
                )
            except ApiError as exc:
                return error_page(exc)
            reply = Reply(302, b"", HTML_CT, shop_id=form.get("shop_id"), client_id=form.get("client_id"))
            reply.headers["Location"] = location
            return reply
        if method != "GET":
            return error_page(err("access_denied", "token_not_post"))
        try:
            app, scopes = state.validate_authorize(query)
        except ApiError as exc:
            return error_page(exc)
        with state.lock:
            shops = [(s.shop_id, s.shop_name) for s in state.shops.values()]
        return Reply(200, consent_page(app.client_id, query, scopes, shops), HTML_CT, client_id=app.client_id)

    # ------------------------------------------------------------------ admin API
    def _admin(self, method: str, path: str, query: dict[str, str], body: bytes) -> Reply:
        try:
            payload: JSON = json.loads(body) if body.strip() else {}
            if not isinstance(payload, dict):
                raise ApiError("bad_spec", "JSON body must be an object")
            result = self.sandbox.admin(method, path, query, payload)
        except ApiError as exc:
            return Reply(exc.status, admin_json(exc.body()), error=exc.error)
        except (ValueError, KeyError, TypeError) as exc:
            return Reply(
                400, admin_json({"error": "bad_spec", "error_description": repr(exc)}), error="bad_spec"
            )
        if result is None:
            return Reply(404, admin_json({"error": "not_found", "error_description": f"{method} {path}"}))
        return Reply(200, admin_json(result))


def consent_page(
    client_id: str, params: dict[str, str], scopes: tuple[str, ...], shops: list[tuple[str, str]]
) -> bytes:
    """Japanese consent screen: requested scopes, shop choice, 許可する / キャンセル."""
    esc = html.escape
    hidden = "".join(
        f'<input type="hidden" name="{k}" value="{esc(params[k])}">'
        for k in ("response_type", "client_id", "redirect_uri", "scope", "state")
        if k in params
    )
    scope_items = "".join(f'<li data-scope="{s}">{esc(SCOPE_LABELS[s])}（{s}）</li>' for s in scopes)
    options = "".join(f'<option value="{esc(sid)}">{esc(name)}（{esc(sid)}）</option>' for sid, name in shops)
    if shops:
        login = f'<label>ログインするショップ <select name="shop_id">{options}</select></label>'
    else:
        login = "<p>ショップがありません（/_sandbox/shops で作成してください）。</p>"
    inner = (
        f"<p>アプリ「{esc(client_id)}」が、あなたのショップへの次のアクセスを求めています。</p>\n"
        f'<ul class="scopes">{scope_items}</ul>\n'
        f'<form method="post" action="/1/oauth/authorize">{hidden}\n{login}\n'
        '<button type="submit" name="decision" value="approve">許可する</button>\n'
        '<button type="submit" name="decision" value="deny">キャンセル</button>\n</form>'
    )
    return _page("アプリの認可", inner)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], sandbox: SandboxServer) -> None:
        self.sandbox = sandbox
        super().__init__(address, SandboxHandler)


class SandboxServer:
    """The BASE API sandbox: bind at construction, `start()` in a background thread, `stop()` to end."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        seed: str | None = None,
        redirect_uri: str = DEMO_REDIRECT_URI,
        latency_ms: int = 0,
        code_ttl: int = 600,
        access_ttl: int = 3600,
        refresh_ttl: int = 30 * 86400,
    ) -> None:
        self.clock = Clock()
        self.state = SandboxState(
            self.clock, code_ttl=code_ttl, access_ttl=access_ttl, refresh_ttl=refresh_ttl
        )
        self.seed = seed
        self.redirect_uri = redirect_uri
        self.default_latency_ms = latency_ms
        self._httpd = _HTTPServer((host, port), self)
        self._thread: threading.Thread | None = None
        self._apply_seed(seed)

    def _apply_seed(self, seed: str | None) -> JSON | None:
        self.state.latency_ms = self.default_latency_ms
        if seed is None or seed == "":
            return None
        if seed != "demo":
            raise ApiError("bad_spec", f"unknown seed {seed!r} (only 'demo')")
        return seed_demo(self.state, self.redirect_uri)

    @property
    def host(self) -> str:
        """Bound host."""
        return str(self._httpd.server_address[0])

    @property
    def port(self) -> int:
        """Bound port (the real one when constructed with port=0)."""
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """Base URL, e.g. http://127.0.0.1:54321 (no trailing slash)."""
        return f"http://{self.host}:{self.port}"

    def start(self) -> SandboxServer:
        """Serve in a daemon thread; returns self for chaining."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever, name="base-sandbox", daemon=True
            )
            self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread (the CLI)."""
        self._httpd.serve_forever()

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ admin routing
    def admin(self, method: str, path: str, query: dict[str, str], body: JSON) -> Any:
        """Run one admin request; None means unknown route."""
        parts = tuple(p for p in path.split("/") if p)[1:]  # drop "_sandbox"
        for route_method, pattern, handler in _ADMIN_ROUTES:
            if route_method != method:
                continue
            params = _match_route(pattern, parts)
            if params is not None:
                return handler(self, AdminCall(params, query, body))
        return None

    def _reset(self, call: AdminCall) -> Any:
        self.state.reset()
        seeded = self._apply_seed(call.body.get("seed", self.seed))
        return {"reset": True, "seeded": seeded}

    def _get_config(self, call: AdminCall) -> Any:
        return self.state.configure({})

    def _set_config(self, call: AdminCall) -> Any:
        return self.state.configure(call.body)

    def _get_clock(self, call: AdminCall) -> Any:
        return {"now": self.state.clock.now(), "offset": self.state.clock.offset}

    def _set_clock(self, call: AdminCall) -> Any:
        clock, body = self.state.clock, call.body
        if "set" in body:
            clock.set(float(body["set"]))
        if "advance_seconds" in body:
            clock.advance(float(body["advance_seconds"]))
        if body.get("real"):
            clock.reset()
        return {"now": clock.now(), "offset": clock.offset}

    def _list_apps(self, call: AdminCall) -> Any:
        state = self.state
        with state.lock:
            return {
                "apps": [
                    {"client_id": a.client_id, "redirect_uri": a.redirect_uri} for a in state.apps.values()
                ]
            }

    def _add_app(self, call: AdminCall) -> Any:
        body = call.body
        return self.state.add_app(
            str(body["client_id"]), str(body["client_secret"]), str(body["redirect_uri"])
        )

    def _suspend_app(self, call: AdminCall) -> Any:
        return self.state.suspend_app(str(call.body["client_id"]), True)

    def _unsuspend_app(self, call: AdminCall) -> Any:
        return self.state.suspend_app(str(call.body["client_id"]), False)

    def _list_shops(self, call: AdminCall) -> Any:
        state = self.state
        with state.lock:
            return {"shops": [s.user_json(True) for s in state.shops.values()]}

    def _add_shop(self, call: AdminCall) -> Any:
        body = call.body
        extra = {k: v for k, v in body.items() if k not in ("shop_id", "shop_name")}
        return self.state.add_shop(
            str(body["shop_id"]), str(body.get("shop_name") or body["shop_id"]), **extra
        )

    def _create_orders(self, call: AdminCall) -> Any:
        (shop_id,) = call.params
        orders = call.body.get("orders")
        if not isinstance(orders, list):
            raise ApiError("bad_spec", "body needs an 'orders' list")
        state = self.state
        with state.lock:
            created = [state.create_order(shop_id, spec) for spec in orders]
            return {"orders": [o.admin_json() for o in created]}

    def _generate_orders(self, call: AdminCall) -> Any:
        (shop_id,) = call.params
        if shop_id not in self.state.shops:
            raise ApiError("unknown_shop", f"shop {shop_id!r} does not exist", 404)
        return generate_orders(self.state, shop_id, call.body)

    def _preset_order(self, call: AdminCall) -> Any:
        (shop_id,) = call.params
        return self.state.create_preset(shop_id, call.body)

    def _auto_close(self, call: AdminCall) -> Any:
        return self.state.auto_close()

    def _get_order(self, call: AdminCall) -> Any:
        (unique_key,) = call.params
        return self.state.get_order_admin(unique_key)

    def _patch_order(self, call: AdminCall) -> Any:
        (unique_key,) = call.params
        return self.state.patch_order(unique_key, call.body)

    def _authorize(self, call: AdminCall) -> Any:
        body = call.body
        params = {
            k: str(body[k])
            for k in ("client_id", "redirect_uri", "scope", "state")
            if body.get(k) is not None
        }
        params["response_type"] = str(body.get("response_type", "code"))
        shop = body.get("shop_id")
        return {
            "location": self.state.authorize_decision(
                params, None if shop is None else str(shop), bool(body.get("approve", True))
            )
        }

    def _token_report(self, call: AdminCall) -> Any:
        return self.state.token_report()

    def _expire_tokens(self, call: AdminCall) -> Any:
        return self.state.expire_tokens(str(call.body["shop_id"]))

    def _expire_refresh_tokens(self, call: AdminCall) -> Any:
        return self.state.expire_refresh_tokens(str(call.body["shop_id"]))

    def _revoke_tokens(self, call: AdminCall) -> Any:
        return self.state.revoke_tokens(str(call.body["shop_id"]))

    def _list_calls(self, call: AdminCall) -> Any:
        return self.state.calls_json(call.query.get("shop_id"), call.query.get("path_prefix"))

    def _clear_calls(self, call: AdminCall) -> Any:
        return self.state.clear_calls()

    def _list_emails(self, call: AdminCall) -> Any:
        return self.state.list_emails(call.query.get("shop_id"))

    def _get_limits(self, call: AdminCall) -> Any:
        return self.state.get_limits(call.query.get("shop_id", ""))

    def _set_limits(self, call: AdminCall) -> Any:
        return self.state.set_limits(call.body)

    def _list_faults(self, call: AdminCall) -> Any:
        return self.state.faults_json()

    def _add_fault(self, call: AdminCall) -> Any:
        return self.state.add_fault(call.body)

    def _clear_faults(self, call: AdminCall) -> Any:
        return self.state.clear_faults()

    def _get_latency(self, call: AdminCall) -> Any:
        return {"ms": self.state.latency_ms}

    def _set_latency(self, call: AdminCall) -> Any:
        self.state.latency_ms = max(0, int(call.body.get("ms", 0)))
        return {"ms": self.state.latency_ms}


@dataclass(frozen=True)
class AdminCall:
    """One admin request as its handler sees it: the path's {placeholders} in order, query and JSON body."""

    params: tuple[str, ...]
    query: dict[str, str]
    body: JSON


AdminHandler = Callable[[SandboxServer, AdminCall], Any]


def _match_route(pattern: tuple[str, ...], parts: tuple[str, ...]) -> tuple[str, ...] | None:
    """The segments a ``{placeholder}`` stands for, or None when the path is not this route."""
    if len(pattern) != len(parts):
        return None
    params: list[str] = []
    for want, got in zip(pattern, parts, strict=True):
        if want.startswith("{"):
            params.append(got)
        elif want != got:
            return None
    return tuple(params)


def _route(method: str, path: str, handler: AdminHandler) -> tuple[str, tuple[str, ...], AdminHandler]:
    return method, tuple(p for p in path.split("/") if p), handler


# The admin API under /_sandbox/: (method, path under /_sandbox) -> handler, first match wins.
_ADMIN_ROUTES: tuple[tuple[str, tuple[str, ...], AdminHandler], ...] = (
    _route("POST", "/reset", SandboxServer._reset),
    _route("GET", "/config", SandboxServer._get_config),
    _route("POST", "/config", SandboxServer._set_config),
    _route("GET", "/clock", SandboxServer._get_clock),
    _route("POST", "/clock", SandboxServer._set_clock),
    _route("GET", "/apps", SandboxServer._list_apps),
    _route("POST", "/apps", SandboxServer._add_app),
    _route("POST", "/apps/suspend", SandboxServer._suspend_app),
    _route("POST", "/apps/unsuspend", SandboxServer._unsuspend_app),
    _route("GET", "/shops", SandboxServer._list_shops),
    _route("POST", "/shops", SandboxServer._add_shop),
    _route("POST", "/shops/{shop_id}/orders", SandboxServer._create_orders),
    _route("POST", "/shops/{shop_id}/orders/generate", SandboxServer._generate_orders),
    _route("POST", "/shops/{shop_id}/orders/preset", SandboxServer._preset_order),
    _route("POST", "/auto_close", SandboxServer._auto_close),
    _route("GET", "/orders/{unique_key}", SandboxServer._get_order),
    _route("PATCH", "/orders/{unique_key}", SandboxServer._patch_order),
    _route("POST", "/authorize", SandboxServer._authorize),
    _route("GET", "/tokens", SandboxServer._token_report),
    _route("POST", "/tokens/expire", SandboxServer._expire_tokens),
    _route("POST", "/tokens/expire_refresh", SandboxServer._expire_refresh_tokens),
    _route("POST", "/tokens/revoke", SandboxServer._revoke_tokens),
    _route("GET", "/calls", SandboxServer._list_calls),
    _route("DELETE", "/calls", SandboxServer._clear_calls),
    _route("GET", "/emails", SandboxServer._list_emails),
    _route("GET", "/limits", SandboxServer._get_limits),
    _route("POST", "/limits", SandboxServer._set_limits),
    _route("GET", "/faults", SandboxServer._list_faults),
    _route("POST", "/faults", SandboxServer._add_fault),
    _route("DELETE", "/faults", SandboxServer._clear_faults),
    _route("GET", "/latency", SandboxServer._get_latency),
    _route("POST", "/latency", SandboxServer._set_latency),
)
