"""The whole product on one machine: moto for AWS, the sandbox for BASE, the real handlers behind HTTP.

``python -m devstack run`` starts, in this order:

1. moto in server mode (a child process on loopback) and points boto3 at it (``AWS_ENDPOINT_URL``);
2. the BASE sandbox seeded with the demo app and shop (unless ``--real-base``), its app's
   redirect URI being our local callback URL;
3. template.yaml's tables, queues, topics and secrets on moto (stack name ``local``);
4. the HTTP API on ``127.0.0.1:<api-port>`` (stdlib ``ThreadingHTTPServer``): every request is
   matched against template.yaml's routes, turned into an API Gateway proxy event and given to
   the real handler; its proxy answer is written back. A ``/prod`` prefix is accepted too.
5. the schedules of template.yaml ticking on their real rates, and a thread delivering new
   records of the orders table's stream to their function and every
   SQS queue that has a consumer function, once a second.

IAM routes: API Gateway checks a SigV4 signature there. Locally, unsigned requests are accepted,
and so is any ``Authorization: AWS4-HMAC-SHA256 …`` header, **without verifying it** (there is no
IAM here to verify against); any other ``Authorization`` scheme is refused with 403 as API Gateway
would. An unknown route answers 404 ``{"message": "Missing Authentication Token"}`` (API Gateway
itself answers 403 with that body).

Functions run one at a time (one lock around every invocation): they share this process and
its ``os.environ`` (see ``devstack.handlers.environment``), where Lambda would isolate them.

Local extras, not part of the product's API: ``POST /_local/tick/{FunctionLogicalId}`` runs a
scheduled function now; ``GET /_local`` describes the run (URLs, schedules, queues).
"""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import sys
import threading
import time
import traceback
import uuid
import warnings
from base64 import b64decode
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from devstack.apigw import match_route, proxy_event
from devstack.guard import refusal
from devstack.lambdas import LocalLambdas
from devstack.moto import MotoProcess
from devstack.provision import ACCOUNT_ID, LocalStack, provision
from devstack.streams import StreamPump
from devstack.template import Route, Template

log = logging.getLogger("devstack")

STACK_NAME = "local"
REGION = "ap-northeast-1"
REAL_BASE_URL = "https://api.thebase.in"
DEMO_CLIENT_ID = "demo-client"
DEMO_CLIENT_SECRET = "demo-secret"  # the sandbox's demo app; not a real credential
DEMO_SHOP_ID = "demo-shop"
SCOPE = "read_users read_orders write_orders"
LOCAL_CALLER = f"arn:aws:iam::{ACCOUNT_ID}:user/local"
STAGE = "prod"
DRAIN_INTERVAL_S = 1.0
_SKIP_RESPONSE_HEADERS = frozenset({"content-length", "transfer-encoding", "connection", "date", "server"})


# -- schedules


_RATE = re.compile(r"rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)")
_UNIT_S = {"minute": 60, "hour": 3600, "day": 86400}


def schedule_interval(expression: str) -> tuple[float, str | None]:
    """Seconds between ticks of an EventBridge expression, and a warning when it is only approximated.

    ``rate(N minutes|hours|days)`` is exact; ``cron(...)`` ticks hourly here (with a warning), and
    anything else too.
    """
    found = _RATE.fullmatch(expression.strip())
    if found:
        count = int(found.group(1))
        if count < 1:
            raise ValueError(f"bad schedule {expression!r}: the rate must be at least 1")
        return float(count * _UNIT_S[found.group(2).removesuffix("s")]), None
    if expression.strip().startswith("cron("):
        return 3600.0, f"{expression} is not evaluated locally; it ticks hourly instead"
    return 3600.0, f"unknown schedule expression {expression!r}; it ticks hourly instead"


@dataclass
class Schedule:
    function: str
    event_name: str
    expression: str
    interval_s: float
    payload: dict[str, Any] | None
    next_at: float = 0.0
    ticks: int = 0
    last_scheduled_at: datetime | None = None  # scheduled_event: each new tick gets a later time


def schedules_of(stack: LocalStack) -> list[Schedule]:
    """Every Schedule/ScheduleV2 event of the template's functions, with its expression resolved."""
    found: list[Schedule] = []
    for spec in stack.template.functions().values():
        for name, event in spec.events.items():
            if event.get("Type") not in ("Schedule", "ScheduleV2"):
                continue
            props = event.get("Properties", {})
            expression = str(stack.resolve(props.get("ScheduleExpression", props.get("Schedule", ""))))
            interval, warning = schedule_interval(expression)
            if warning:
                log.warning("schedule %s.%s: %s", spec.logical_id, name, warning)
            raw_input = props.get("Input")
            payload = json.loads(str(stack.resolve(raw_input))) if raw_input else None
            found.append(Schedule(spec.logical_id, name, expression, interval, payload))
    return found


SCHEDULED_TIME = "<aws.scheduler.scheduled-time>"


def _with_scheduled_time(value: Any, stamp: str) -> Any:
    """Scheduler's context attribute, replaced wherever it stands in the Input (keys and values)."""
    if isinstance(value, str):
        return value.replace(SCHEDULED_TIME, stamp)
    if isinstance(value, dict):
        return {_with_scheduled_time(k, stamp): _with_scheduled_time(v, stamp) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_scheduled_time(v, stamp) for v in value]
    return value


def scheduled_event(schedule: Schedule, scheduled_at: datetime | None = None) -> dict[str, Any]:
    """What EventBridge Scheduler hands the function: its configured Input, else a scheduled event.

    ``<aws.scheduler.scheduled-time>`` in the Input becomes the tick's scheduled time (UTC,
    ``2026-12-02T03:30:00Z``), as Scheduler fills it in: pass the same ``scheduled_at`` for a
    retry of the same tick. By default this is a new tick, scheduled now (to the second, and
    later than the schedule's previous tick, so two ticks never share an identity).
    """
    if scheduled_at is None:
        at = datetime.now(UTC).replace(microsecond=0)
        if schedule.last_scheduled_at is not None and at <= schedule.last_scheduled_at:
            at = schedule.last_scheduled_at + timedelta(seconds=1)
        schedule.last_scheduled_at = at
    else:
        at = scheduled_at.astimezone(UTC)
    stamp = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    if schedule.payload is not None:
        return dict(_with_scheduled_time(schedule.payload, stamp))
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.scheduler",
        "account": ACCOUNT_ID,
        "time": stamp,
        "region": REGION,
        "resources": [f"arn:aws:scheduler:{REGION}:{ACCOUNT_ID}:schedule/default/{schedule.function}"],
        "detail": {},
    }


class SerialLambdas(LocalLambdas):
    """LocalLambdas whose invocations never overlap (they share os.environ and module state)."""

    def __init__(self, stack: LocalStack, lock: threading.RLock) -> None:
        super().__init__(stack)
        self.lock = lock

    def invoke(self, logical_id: str, event: dict[str, Any]) -> Any:
        with self.lock:
            return super().invoke(logical_id, event)


# -- the HTTP API


@dataclass
class HttpAnswer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    function: str | None = None


def _json_answer(status: int, body: Any, function: str | None = None) -> HttpAnswer:
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
        return _json_answer(502, {"message": "Internal server error"}, function)
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


class LocalApi:
    """Requests to template.yaml's routes, served by the real handlers."""

    def __init__(
        self, lambdas: LocalLambdas | None, routes: list[Route], run: LocalRun | None = None
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
            return _json_answer(503, {"message": "starting; try again in a moment"})
        found = match_route(self.routes, method, path)
        if found is None:
            return _json_answer(404, {"message": "Missing Authentication Token"})
        route, params = found
        caller: str | None = None
        if route.iam:
            authorization = next((v for k, v in headers.items() if k.lower() == "authorization"), None)
            if authorization is not None and not authorization.startswith("AWS4-HMAC-SHA256 "):
                return _json_answer(
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
            return _json_answer(502, {"message": "Internal server error"}, route.function)
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
            answer = _json_answer(refused.status, {"error": refused.error, "message": refused.message})
        else:
            try:
                api: LocalApi = self.server.api  # type: ignore[attr-defined]
                answer = api.handle(self.command, self.path, headers, body)
            except Exception:
                log.error("request failed:\n%s", traceback.format_exc())
                answer = _json_answer(500, {"message": "Internal server error"})
        self.send_response(answer.status)
        for key, value in answer.headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(answer.body)
        elapsed_ms = (time.monotonic() - started) * 1000
        target = self.path
        via = f"  [{answer.function}]" if answer.function else ""
        log.info("%s %s -> %d (%.0f ms)%s", self.command, target, answer.status, elapsed_ms, via)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve  # noqa: N815


class _ApiServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], api: LocalApi) -> None:
        self.api = api
        super().__init__(address, _Handler)


# -- the whole run


@dataclass
class RunOptions:
    api_port: int = 3000
    sandbox_port: int = 8081
    real_base: bool = False
    client_id: str | None = None
    client_secret: str | None = None
    host: str = "127.0.0.1"
    function_log_level: str = "INFO"
    extra_parameters: dict[str, str] = field(default_factory=dict)


class LocalRun:
    """Everything ``python -m devstack run`` starts; ``start()`` then ``stop()`` (also a context manager)."""

    def __init__(self, options: RunOptions) -> None:
        self.options = options
        if options.real_base and not (options.client_id and options.client_secret):
            raise ValueError("--real-base needs --client-id and --client-secret")
        self.lock = threading.RLock()
        self.moto = MotoProcess()
        self.sandbox: Any = None  # base_sandbox.SandboxServer unless --real-base
        self.stack: LocalStack | None = None
        self.lambdas: SerialLambdas | None = None
        self.schedules: list[Schedule] = []
        self.queues: list[str] = []
        self.streams: StreamPump | None = None
        self._server: _ApiServer | None = None
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()
        self._saved_env: dict[str, str | None] = {}
        self.api_url = ""

    # urls
    @property
    def callback_url(self) -> str:
        return f"{self.api_url}/oauth/callback"

    @property
    def base_api_url(self) -> str:
        return REAL_BASE_URL if self.options.real_base else str(self.sandbox.url)

    @property
    def client_id(self) -> str:
        return self.options.client_id if self.options.real_base and self.options.client_id else DEMO_CLIENT_ID

    def consent_url(self) -> str:
        from urllib.parse import urlencode  # noqa: PLC0415

        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.client_id,
                "redirect_uri": self.callback_url,
                "scope": SCOPE,
            }
        )
        return f"{self.base_api_url}/1/oauth/authorize?{query}"

    # lifecycle
    def start(self) -> LocalRun:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _set_env(self, values: dict[str, str]) -> None:
        for key, value in values.items():
            self._saved_env.setdefault(key, os.environ.get(key))
            os.environ[key] = value

    def _start(self) -> None:
        opts = self.options
        # Metrics are disabled locally; powertools still warns on every invocation without any.
        warnings.filterwarnings("ignore", message="No application metrics to publish")
        # Bind the API port first: the callback URL (and so the sandbox's redirect URI) depends on it.
        api = LocalApi(None, [], self)
        self._server = _ApiServer((opts.host, opts.api_port), api)
        self.api_url = f"http://{opts.host}:{self._server.server_address[1]}"

        self.moto.start()
        self._set_env(
            {
                "AWS_ENDPOINT_URL": self.moto.url,
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_DEFAULT_REGION": REGION,
                "AWS_REGION": REGION,
                "POWERTOOLS_TRACE_DISABLED": "true",
                "POWERTOOLS_METRICS_DISABLED": "true",
                "POWERTOOLS_LOG_LEVEL": opts.function_log_level,
            }
        )
        for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
            self._saved_env.setdefault(key, os.environ.get(key))
            os.environ.pop(key, None)
        # The shared logger is built on first import; build it now so it takes our log level.
        from base_sync import aws, observability, wiring  # noqa: PLC0415

        observability.logger.setLevel(opts.function_log_level)

        if opts.real_base:
            client_id, client_secret = str(opts.client_id), str(opts.client_secret)
        else:
            from base_sandbox import SandboxServer  # noqa: PLC0415

            self.sandbox = SandboxServer(
                opts.host, opts.sandbox_port, seed="demo", redirect_uri=self.callback_url
            ).start()
            client_id, client_secret = DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

        template = Template.load()
        with self.lock:
            self.stack = provision(
                template,
                stack_name=STACK_NAME,
                region=REGION,
                parameters={
                    "BaseClientId": client_id,
                    "BaseClientSecret": client_secret,
                    "BaseApiUrl": self.base_api_url,
                    **opts.extra_parameters,
                },
                redirect_uri=self.callback_url,
            )
            wiring.reset()
            aws.reset_clients()
        self.lambdas = SerialLambdas(self.stack, self.lock)
        api.lambdas = self.lambdas
        api.routes = template.routes()

        from devstack.queues import consumers  # noqa: PLC0415

        self.queues = sorted(consumers(self.lambdas))
        with self.lock:  # streams are read from where the mapping starts: now
            self.streams = StreamPump(self.lambdas)
        self.schedules = schedules_of(self.stack)
        now = time.monotonic()
        for schedule in self.schedules:
            schedule.next_at = now + schedule.interval_s

        self._spawn("local-api", self._server.serve_forever)
        self._spawn("schedules", self._schedule_loop)
        self._spawn("queues", self._drain_loop)

    def _spawn(self, name: str, target: Any) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            if any(t.name == "local-api" for t in self._threads):
                self._server.shutdown()
            self._server.server_close()
            self._server = None
        for thread in self._threads:
            thread.join(timeout=30)
        self._threads = []
        if self.sandbox is not None:
            self.sandbox.stop()
            self.sandbox = None
        self.moto.stop()
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_env = {}
        try:
            from base_sync import aws, wiring  # noqa: PLC0415

            wiring.reset()
            aws.reset_clients()
        except ImportError:  # pragma: no cover - the layer is always importable here
            pass

    def __enter__(self) -> LocalRun:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # background work
    def tick(self, function: str) -> Any:
        """Run a scheduled function now, as its schedule would (``Function.Event`` picks one of several)."""
        name, _, event_name = function.partition(".")
        schedule = next(
            (s for s in self.schedules if s.function == name and event_name in ("", s.event_name)), None
        )
        if schedule is None or self.lambdas is None:
            raise KeyError(function)
        schedule.ticks += 1
        return self.lambdas.invoke(schedule.function, scheduled_event(schedule))

    def _schedule_loop(self) -> None:
        while not self._stopping.wait(0.5):
            now = time.monotonic()
            for schedule in self.schedules:
                if now < schedule.next_at:
                    continue
                schedule.next_at = now + schedule.interval_s
                try:
                    answer = self.tick(f"{schedule.function}.{schedule.event_name}")
                    log.info("schedule %s (%s) -> %s", schedule.function, schedule.expression, _short(answer))
                except Exception:
                    log.error("schedule %s failed:\n%s", schedule.function, traceback.format_exc())

    def drain_once(self) -> int:
        """Deliver new stream records, then what waits on every consumed queue; returns the batches delivered."""
        from devstack.queues import drain  # noqa: PLC0415

        delivered = 0
        if self.lambdas is None:
            return 0
        if self.streams is not None:
            with self.lock:
                delivered += len(self.streams.pump())
        for queue in self.queues:
            while not self._stopping.is_set():
                # One batch per lock hold: HTTP requests get their turn between batches, and no
                # boto3 client is created while a handler runs.
                with self.lock:
                    answers = drain(self.lambdas, queue, max_batches=1)
                if not answers:
                    break
                delivered += 1
                answer = answers[0]
                if isinstance(answer, dict) and answer.get("batchItemFailures"):
                    log.warning(
                        "queue %s: %d message(s) failed; retried later",
                        queue,
                        len(answer["batchItemFailures"]),
                    )
                    break
        return delivered

    def _drain_loop(self) -> None:
        while not self._stopping.wait(DRAIN_INTERVAL_S):
            try:
                batches = self.drain_once()
                if batches:
                    log.info("queues: delivered %d batch(es)", batches)
            except Exception:
                log.error("queue delivery failed:\n%s", traceback.format_exc())

    # /_local routes
    def describe(self) -> dict[str, Any]:
        return {
            "api_url": self.api_url,
            "callback_url": self.callback_url,
            "base_api_url": self.base_api_url,
            "sandbox_url": None if self.sandbox is None else self.sandbox.url,
            "consent_url": self.consent_url(),
            "moto_url": self.moto.url,
            "stack_name": STACK_NAME,
            "region": REGION,
            "schedules": [
                {
                    "function": s.function,
                    "expression": s.expression,
                    "every_seconds": s.interval_s,
                    "next_in_seconds": round(max(0.0, s.next_at - time.monotonic()), 1),
                    "ticks": s.ticks,
                }
                for s in self.schedules
            ],
            "queues": self.queues,
            "streams": [m.function_id for m in self.streams.mappings] if self.streams else [],
        }

    def local_route(self, method: str, path: str) -> HttpAnswer:
        if path in ("/_local", "/_local/") and method == "GET":
            return _json_answer(200, self.describe())
        found = re.fullmatch(r"/_local/tick/([A-Za-z0-9]+(?:\.[A-Za-z0-9]+)?)", path)
        if found and method == "POST":
            name = found.group(1)
            try:
                answer = self.tick(name)
            except KeyError:
                names = sorted({f"{s.function}[.{s.event_name}]" for s in self.schedules})
                return _json_answer(
                    404,
                    {
                        "error": "not_found",
                        "message": f"{name} has no schedule; scheduled: {', '.join(names)}",
                    },
                )
            except Exception as exc:
                log.error("tick %s failed:\n%s", name, traceback.format_exc())
                return _json_answer(500, {"error": "function_error", "message": repr(exc)}, name)
            return _json_answer(200, {"function": name, "result": answer}, name)
        return _json_answer(404, {"error": "not_found", "message": f"{method} {path}"})

    # what to tell the operator
    def banner(self) -> str:
        lines = [
            "",
            "base-order-sync is running locally",
            f"  HTTP API        {self.api_url}   (also under {self.api_url}/{STAGE})",
            f"  OAuth callback  {self.callback_url}",
        ]
        if self.sandbox is not None:
            lines += [
                f"  BASE sandbox    {self.sandbox.url}   (app {DEMO_CLIENT_ID}/{DEMO_CLIENT_SECRET}, shop {DEMO_SHOP_ID})",
                f"  consent page    {self.consent_url()}",
            ]
        else:
            lines += [
                f"  BASE            {REAL_BASE_URL}   (client id {self.client_id})",
                f"  NOTE: your app's redirect URI registered at BASE Developers must be exactly {self.callback_url}",
            ]
        lines += [f"  AWS (moto)      {self.moto.url}   (stack {STACK_NAME!r}, {REGION})"]
        for s in self.schedules:
            lines.append(f"  schedule        {s.function}: {s.expression}")
        lines += [f"  queues          {', '.join(self.queues) or '-'} delivered every {DRAIN_INTERVAL_S:g} s"]
        streams = ", ".join(m.function_id for m in self.streams.mappings) if self.streams else "-"
        lines += [f"  table streams   to {streams}, every {DRAIN_INTERVAL_S:g} s"]
        cli = f"base-sync --api-url {self.api_url}"
        shop = DEMO_SHOP_ID if self.sandbox is not None else "SHOP_ID"
        lines += [
            "",
            "Next:",
            f"  {cli} connect --open          # open the consent page, approve, the page names the shop",
            f"  {cli} shops",
            f"  {cli} import {shop}",
            f"  {cli} orders list {shop}",
            f"  {cli} orders set {shop} UNIQUE_KEY --tracking-number 1234-5678-9012 --company ヤマト運輸 --status processed",
            f"  {cli} shipments load {shop} shipments.csv   # unique_key,tracking_number,delivery_company,ship_date",
            f"  {cli} export --shop {shop} --wait",
            f"  {cli} log {shop}",
        ]
        for name in dict.fromkeys(s.function for s in self.schedules):
            lines.append(
                f"  python -m devstack tick {name} --api-url {self.api_url}   # tick its schedule now"
            )
        lines += ["", "Ctrl-C stops everything.", ""]
        return "\n".join(lines)


def _short(answer: Any, limit: int = 200) -> str:
    text = json.dumps(answer, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def serve(options: RunOptions) -> int:
    """Start everything, print where it is, serve until Ctrl-C (or SIGTERM); stop everything."""
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    log.setLevel(logging.INFO)
    stop = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    run = LocalRun(options)
    try:
        try:
            run.start()
        except OSError as exc:
            print(f"error: cannot start: {exc}", file=sys.stderr)
            return 1
        print(run.banner(), flush=True)
        while not stop.wait(0.5):
            pass
        print("stopping …", flush=True)
    finally:
        run.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print("stopped.", flush=True)
    return 0
