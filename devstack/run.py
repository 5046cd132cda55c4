"""The whole product on one machine: moto for AWS, the sandbox for BASE, the real handlers behind HTTP.

``python -m devstack run`` starts, in this order:

1. moto in server mode (a child process on loopback) and points boto3 at it (``AWS_ENDPOINT_URL``);
2. the BASE sandbox seeded with the demo app and shop (unless ``--real-base``), its app's
   redirect URI being our local callback URL;
3. template.yaml's tables, queues, topics and secrets on moto (stack name ``local``);
4. the HTTP API on ``127.0.0.1:<api-port>`` (stdlib ``ThreadingHTTPServer``, see
   ``devstack.server``): template.yaml's routes served by the real handlers, behind the Host/Origin
   guard;
5. the schedules of template.yaml ticking on their real rates (``devstack.schedules``), and a thread
   delivering new records of the orders table's stream to their function and every
   SQS queue that has a consumer function, once a second.

Functions run one at a time (one lock around every invocation): they share this process and
its ``os.environ`` (see ``devstack.handlers.environment``), where Lambda would isolate them.

Local extras, not part of the product's API: ``POST /_local/tick/{FunctionLogicalId}`` runs a
scheduled function now; ``GET /_local`` describes the run (URLs, schedules, queues).
"""

from __future__ import annotations

import errno
import json
import logging
import os
import re
import signal
import sys
import threading
import time
import traceback
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devstack.lambdas import LocalLambdas
from devstack.moto import MotoProcess
from devstack.provision import LocalStack, provision
from devstack.schedules import REGION, Schedule, scheduled_event, schedules_of
from devstack.server import STAGE, ApiServer, HttpAnswer, LocalApi, json_answer
from devstack.streams import StreamPump
from devstack.template import Template

log = logging.getLogger("devstack")

STACK_NAME = "local"
REAL_BASE_URL = "https://api.thebase.in"
DEMO_CLIENT_ID = "demo-client"
DEMO_CLIENT_SECRET = "demo-secret"  # the sandbox's demo app; not a real credential
DEMO_SHOP_ID = "demo-shop"
SCOPE = "read_users read_orders write_orders"
DRAIN_INTERVAL_S = 1.0
DEFAULT_API_PORT = 3000
DEFAULT_SANDBOX_PORT = 8081
ROOT = Path(__file__).resolve().parents[1]


class PortInUse(OSError):
    """A port the local run needs is taken; the message names it and how to choose another."""

    def __init__(self, port: int, what_ja: str, what_en: str, variable: str, flag: str) -> None:
        other = port + 1
        super().__init__(
            errno.EADDRINUSE,
            f"ポート {port}（{what_ja}）は使用中です。別のポートを指定してください: "
            f"make run {variable}={other}（または python -m devstack run {flag} {other}）\n"
            f"port {port} ({what_en}) is in use. Choose another: make run {variable}={other} "
            f"(or python -m devstack run {flag} {other})",
        )
        self.port = port
        self.variable = variable
        self.flag = flag


def _bind(port: int, what_ja: str, what_en: str, variable: str, flag: str, make: Any) -> Any:
    """``make()`` (which binds ``port``), a :class:`PortInUse` naming the port and the flag if it is taken."""
    try:
        return make()
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise PortInUse(port, what_ja, what_en, variable, flag) from None
        raise


def command_prefix(executable: str | None = None, cwd: Path = ROOT) -> tuple[str, str]:
    """How to run ``base-sync`` and this project's Python from ``cwd`` (the repository root):
    ``.venv/bin/base-sync`` and ``.venv/bin/python`` when the environment is inside it, else absolute."""
    bin_dir = Path(executable or sys.executable).parent
    try:
        shown = bin_dir.absolute().relative_to(cwd.resolve())
    except ValueError:
        shown = bin_dir.absolute()
    python = f"{shown / Path(executable or sys.executable).name}"
    cli = shown / "base-sync"
    if not (bin_dir / "base-sync").exists():
        return f"{python} -m base_sync_cli", python
    return str(cli), python


class SerialLambdas(LocalLambdas):
    """LocalLambdas whose invocations never overlap (they share os.environ and module state)."""

    def __init__(self, stack: LocalStack, lock: threading.RLock) -> None:
        super().__init__(stack)
        self.lock = lock

    def invoke(self, logical_id: str, event: dict[str, Any]) -> Any:
        with self.lock:
            return super().invoke(logical_id, event)


# -- the whole run


@dataclass
class RunOptions:
    api_port: int = DEFAULT_API_PORT
    sandbox_port: int = DEFAULT_SANDBOX_PORT
    real_base: bool = False
    client_id: str | None = None
    client_secret: str | None = None
    host: str = "127.0.0.1"
    function_log_level: str = "INFO"
    console_port: int | None = 0  # the operator console's port (0: any free one; None: no console)
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
        self._server: ApiServer | None = None
        self.console: Any = None  # base_sync_cli.console.RunningConsole, on 127.0.0.1
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
        self._server = _bind(
            opts.api_port,
            "ローカル API",
            "the local API",
            "API_PORT",
            "--api-port",
            lambda: ApiServer((opts.host, opts.api_port), api),
        )
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

            self.sandbox = _bind(
                opts.sandbox_port,
                "BASE サンドボックス",
                "the BASE sandbox",
                "SANDBOX_PORT",
                "--sandbox-port",
                lambda: SandboxServer(
                    opts.host, opts.sandbox_port, seed="demo", redirect_uri=self.callback_url
                ),
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
        if opts.console_port is not None:
            self.console = self._start_console(opts.console_port)
        self._spawn("schedules", self._schedule_loop)
        self._spawn("queues", self._drain_loop)

    def _start_console(self, port: int) -> Any:
        """The operator console, driving this run's API as ``base-sync console`` would (loopback only)."""
        from base_sync_cli.client import ApiClient  # noqa: PLC0415
        from base_sync_cli.console import start as start_console  # noqa: PLC0415

        return _bind(
            port,
            "オペレーター画面",
            "the operator console",
            "CONSOLE_PORT",
            "--console-port",
            lambda: start_console(ApiClient.for_url(self.api_url, sign=False), "127.0.0.1", port),
        )

    def _spawn(self, name: str, target: Any) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop(self) -> None:
        self._stopping.set()
        if self.console is not None:
            self.console.stop()
            self.console = None
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
            return json_answer(200, self.describe())
        found = re.fullmatch(r"/_local/tick/([A-Za-z0-9]+(?:\.[A-Za-z0-9]+)?)", path)
        if found and method == "POST":
            name = found.group(1)
            try:
                answer = self.tick(name)
            except KeyError:
                names = sorted({f"{s.function}[.{s.event_name}]" for s in self.schedules})
                return json_answer(
                    404,
                    {
                        "error": "not_found",
                        "message": f"{name} has no schedule; scheduled: {', '.join(names)}",
                    },
                )
            except Exception as exc:
                log.error("tick %s failed:\n%s", name, traceback.format_exc())
                return json_answer(500, {"error": "function_error", "message": repr(exc)}, name)
            return json_answer(200, {"function": name, "result": answer}, name)
        return json_answer(404, {"error": "not_found", "message": f"{method} {path}"})

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
        if self.console is not None:
            lines += [
                f"  console         {self.console.url}   (operator console, this machine only; new secret each start)"
            ]
        for s in self.schedules:
            zone = f" {s.timezone}" if s.timezone else ""
            lines.append(
                f"  schedule        {s.function}: {s.expression}{zone}" + (f"  ({s.note})" if s.note else "")
            )
        lines += [f"  queues          {', '.join(self.queues) or '-'} delivered every {DRAIN_INTERVAL_S:g} s"]
        streams = ", ".join(m.function_id for m in self.streams.mappings) if self.streams else "-"
        lines += [f"  table streams   to {streams}, every {DRAIN_INTERVAL_S:g} s"]
        lines += ["", *self.next_steps()]
        lines += ["", "Ctrl-C stops everything.", ""]
        return "\n".join(lines)

    def next_steps(self) -> list[str]:
        """The "Next:" block: commands that run as printed, in another terminal at the repository root."""
        base_sync, python = command_prefix()
        default = self.api_url == f"http://127.0.0.1:{DEFAULT_API_PORT}"
        url = "" if default else f" --api-url {self.api_url}"
        cli = f"{base_sync}{url}"
        shop = DEMO_SHOP_ID if self.sandbox is not None else "SHOP_ID"
        lines = [
            f"Next, in another terminal in {ROOT} (nothing reaches BASE before the step marked 'sends'):",
            f"  {cli} connect --open          # approve on the consent page; the page names the shop",
            f"  {cli} settings set {shop} auto_export=false   # edits wait for you until the dry run",
            f"  {cli} import {shop}             # or wait for the 30-minute import",
            f"  {cli} orders list {shop}        # pick a card order that is 'ordered' on BASE as KEY",
            f"  {cli} orders set {shop} KEY --status processed --tracking-number 1234-5678-9012 --company ヤマト運輸",
            f"  {cli} export --shop {shop} --dry-run   # what an export would send, and why not; sends nothing",
            f"  {cli} export --shop {shop} --wait      # sends: BASE mails the buyers, it cannot be undone",
            f"  {cli} orders show {shop} KEY    # what BASE received",
            f"  {cli} log {shop}",
        ]
        for name in dict.fromkeys(s.function for s in self.schedules):
            lines.append(f"  {python} -m devstack tick {name}{url}   # run its schedule now")
        return lines


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
        except PortInUse as exc:
            print(f"エラー / error: {exc.strerror}", file=sys.stderr)
            return 1
        except OSError as exc:
            print(f"エラー: 起動できません / error: cannot start: {exc}", file=sys.stderr)
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
