"""The console's HTTP server: stdlib, loopback only, one thread per request."""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, Final
from urllib.parse import parse_qs

from base_sync_cli.console.app import Api, Console, Request, Response
from base_sync_cli.console.guard import Guard, check_bind_host
from base_sync_cli.console.i18n import Lang
from base_sync_cli.console.multipart import MAX_UPLOAD_BYTES, Upload, parse_multipart

MAX_FORM_BYTES: Final = 64 * 1024
MAX_DISCARD_BYTES: Final = 64 * 1024 * 1024


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    console: Console


class _IPv6Server(_Server):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    quiet: ClassVar[bool] = True

    def do_GET(self) -> None:
        self._answer(Request("GET", self.path, self._headers()))

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        content_type = self.headers.get("Content-Type") or ""
        kind = content_type.split(";")[0].strip().lower()
        limit = MAX_UPLOAD_BYTES if kind == "multipart/form-data" else MAX_FORM_BYTES
        if length > limit:
            self._discard(length)
            self._send(self.server.console.too_large(Request("POST", self.path, self._headers()), limit))
            return
        raw = self.rfile.read(length) if length else b""
        files: dict[str, Upload] = {}
        if kind == "application/x-www-form-urlencoded":
            form = parse_qs(raw.decode("utf-8", errors="replace"), keep_blank_values=True)
        elif kind == "multipart/form-data":
            form, files = parse_multipart(content_type, raw)
        else:
            form = {}
        self._answer(Request("POST", self.path, self._headers(), form, files))

    def _discard(self, length: int) -> None:
        """Read (and drop) an over-long body so the browser sees the answer; past
        :data:`MAX_DISCARD_BYTES` the connection is closed instead."""
        if length > MAX_DISCARD_BYTES:
            self.close_connection = True
            return
        left = length
        while left > 0:
            chunk = self.rfile.read(min(left, 64 * 1024))
            if not chunk:
                break
            left -= len(chunk)

    def _headers(self) -> dict[str, str]:
        return {name.lower(): value for name, value in self.headers.items()}

    def _answer(self, request: Request) -> None:
        self._send(self.server.console.handle(request))

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(response.body)

    def log_message(self, format: str, *args: Any) -> None:
        """No access log: the first URL carries the secret."""


@dataclass
class RunningConsole:
    """A console serving in a background thread; ``url`` opens it (it carries the secret)."""

    url: str
    guard: Guard
    _server: _Server
    _thread: threading.Thread

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def wait(self) -> None:
        self._thread.join()


def start(api: Api, host: str = "127.0.0.1", port: int = 0, *, default_lang: Lang = "ja") -> RunningConsole:
    """Serve the console for ``api`` on ``host:port`` (0: a free port) in a daemon thread.

    ``host`` must be a loopback address (:class:`NotLoopback` otherwise).
    """
    check_bind_host(host)
    host = "127.0.0.1" if host == "localhost" else host
    server_class = _IPv6Server if ":" in host else _Server
    server = server_class((host, port), _Handler)
    bound = int(server.server_address[1])
    guard = Guard(port=bound)
    server.console = Console(api, guard, default_lang=default_lang)
    thread = threading.Thread(target=server.serve_forever, name="base-sync-console", daemon=True)
    thread.start()
    shown = "[::1]" if host == "::1" else host
    return RunningConsole(f"http://{shown}:{bound}/?k={guard.secret}", guard, server, thread)


def serve(api: Api, host: str = "127.0.0.1", port: int = 0) -> str:
    """Start the console (background thread) and return its URL: what ``make run`` can print."""
    return start(api, host, port).url
