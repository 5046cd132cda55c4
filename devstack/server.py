"""The local HTTP API: template.yaml's routes served by the real handlers, behind the Host/Origin guard.

Every request is first checked by :func:`devstack.guard.refusal` (this machine's own clients only), then
matched against template.yaml's routes, turned into an API Gateway proxy event and given to the real
handler; its proxy answer is written back. A ``/prod`` prefix is accepted too. ``/_local`` requests go
to the run's own routes (:class:`LocalRoutes`).

IAM routes: API Gateway checks a SigV4 signature there. Locally, unsigned requests are accepted,
and so is any ``Authorization: AWS4-HMAC-SHA256 …`` header, **without verifying it** (there is no
IAM here to verify against); any other ``Authorization`` scheme is refused with 403 as API Gateway
would. An unknown route answers 404 ``{"message": "Missing Authentication Token"}`` (API Gateway
itself answers 403 with that body).
"""

from __future__ import annotations

import json
import logging
import time
import traceback
from base64 import b64decode
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit

from devstack.apigw import match_route, proxy_event
from devstack.guard import refusal
from devstack.lambdas import LocalLambdas
from devstack.provision import ACCOUNT_ID
from devstack.template import Route

log = logging.getLogger("devstack")

LOCAL_CALLER = f"arn:aws:iam::{ACCOUNT_ID}:user/local"
STAGE = "prod"
_SKIP_RESPONSE_HEADERS = frozenset({"content-length", "transfer-encoding", "connection", "date", "server"})
HIDDEN_QUERY_VALUES = frozenset({"code", "state"})
"""Query parameters whose values the access log never prints (the OAuth callback's code and state)."""


def logged_target(target: str) -> str:
    """A request target as the access log prints it: the OAuth ``code`` and ``state`` values hidden."""
    parts = urlsplit(target)
    if not parts.query:
        return target
    query = [
        (name, "***" if name.lower() in HIDDEN_QUERY_VALUES else value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
    ]
    return f"{parts.path}?{urlencode(query, safe='*')}"


@dataclass
class HttpAnswer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    function: str | None = None


def json_answer(status: int, body: Any, function: str | None = None) -> HttpAnswer:
    return HttpAnswer(
        status,
        [("Content-Type", "application/json")],
        json.dumps(body, ensure_ascii=False).encode(),
        function,
    )


def _proxy_answer(answer: Any, request_id: str, function: str) -> HttpAnswer:
    """An API Gateway proxy integration's answer as HTTP (headers and multiValueHeaders merged)."""
    if not isinstance(answer, dict) or "statusCode" not in answer:
        log.error("%s returned a malformed proxy answer: %r", function, answer)
        return json_answer(502, {"message": "Internal server error"}, function)
    headers: list[tuple[str, str]] = []
    multi = {k: [str(v) for v in vs] for k, vs in (answer.get("multiValueHeaders") or {}).items()}
    multi_lower = {k.lower() for k in multi}
    for key, value in (answer.get("headers") or {}).items():
        if key.lower() not in multi_lower:
            headers.append((key, str(value)))
    for key, values in multi.items():
        headers.extend((key, value) for value in values)
    headers = [(k, v) for k, v in headers if k.lower() not in _SKIP_RESPONSE_HEADERS]
    headers.append(("x-amzn-RequestId", request_id))
    raw = answer.get("body") or ""
    body = b64decode(raw) if answer.get("isBase64Encoded") else str(raw).encode("utf-8")
    return HttpAnswer(int(answer["statusCode"]), headers, body, function)


class LocalRoutes(Protocol):
    """What answers ``/_local`` requests (the whole run)."""

    def local_route(self, method: str, path: str) -> HttpAnswer: ...


class LocalApi:
    """Requests to template.yaml's routes, served by the real handlers."""

    def __init__(
        self, lambdas: LocalLambdas | None, routes: list[Route], run: LocalRoutes | None = None
    ) -> None:
        self.lambdas = lambdas
        self.routes = routes
        self.run = run

    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> HttpAnswer:
        parts = urlsplit(target)
        path = parts.path or "/"
        if path == f"/{STAGE}" or path.startswith(f"/{STAGE}/"):
            path = path[len(STAGE) + 1 :] or "/"
        if path.startswith("/_local") and self.run is not None:
            return self.run.local_route(method, path)
        if self.lambdas is None:
            return json_answer(503, {"message": "starting; try again in a moment"})
        found = match_route(self.routes, method, path)
        if found is None:
            return json_answer(404, {"message": "Missing Authentication Token"})
        route, params = found
        caller: str | None = None
        if route.iam:
            authorization = next((v for k, v in headers.items() if k.lower() == "authorization"), None)
            if authorization is not None and not authorization.startswith("AWS4-HMAC-SHA256 "):
                return json_answer(
                    403,
                    {
                        "message": "Authorization header requires 'Credential' parameter. Authorization "
                        "header requires 'Signature' parameter. Authorization header requires "
                        "'SignedHeaders' parameter."
                    },
                    route.function,
                )
            caller = LOCAL_CALLER
        event = proxy_event(
            route,
            method=method,
            path=path,
            path_parameters=params,
            query=parts.query,
            headers=headers,
            body=body,
            caller=caller,
            stage=STAGE,
        )
        request_id = str(event["requestContext"]["requestId"])
        try:
            answer = self.lambdas.invoke(route.function, event)
        except Exception:
            log.error("%s raised:\n%s", route.function, traceback.format_exc())
            return json_answer(502, {"message": "Internal server error"}, route.function)
        return _proxy_answer(answer, request_id, route.function)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # one line per request is written by _serve

    def _serve(self) -> None:
        started = time.monotonic()
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers: dict[str, str] = {}
        for key, value in self.headers.items():
            headers[key] = value
        refused = refusal(list(self.headers.items()), self.server.server_port)  # type: ignore[attr-defined]
        if refused is not None:  # another site (Origin) or another host name (DNS rebinding)
            answer = json_answer(refused.status, {"error": refused.error, "message": refused.message})
        else:
            try:
                api: LocalApi = self.server.api  # type: ignore[attr-defined]
                answer = api.handle(self.command, self.path, headers, body)
            except Exception:
                log.error("request failed:\n%s", traceback.format_exc())
                answer = json_answer(500, {"message": "Internal server error"})
        self.send_response(answer.status)
        for key, value in answer.headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(answer.body)
        elapsed_ms = (time.monotonic() - started) * 1000
        via = f"  [{answer.function}]" if answer.function else ""
        log.info(
            "%s %s -> %d in %.0f ms%s", self.command, logged_target(self.path), answer.status, elapsed_ms, via
        )

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve  # noqa: N815


class ApiServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], api: LocalApi) -> None:
        self.api = api
        super().__init__(address, _Handler)
