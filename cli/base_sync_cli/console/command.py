"""``base-sync console``: serve the operator console on 127.0.0.1 until Ctrl-C."""

from __future__ import annotations

import argparse
import webbrowser
from typing import Any, Protocol, TextIO

from base_sync_cli.console.guard import NotLoopback
from base_sync_cli.console.i18n import Lang
from base_sync_cli.console.server import start

HELP = (
    "the operator console in your browser: a web server on 127.0.0.1 that uses this CLI's API and credentials"
)


class _Context(Protocol):
    args: argparse.Namespace
    client: Any
    out: TextIO
    err: TextIO


def console_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--host", default="127.0.0.1", help="loopback address to listen on (127.0.0.1 or ::1)"
    )
    parser.add_argument("--port", type=int, default=0, help="port to listen on (default: any free port)")
    parser.add_argument("--open", action="store_true", help="open the console in the browser")


def cmd_console(ctx: _Context) -> int:
    args = ctx.args
    lang: Lang = "en" if getattr(args, "lang", None) == "en" else "ja"
    try:
        running = start(ctx.client, args.host, args.port, default_lang=lang)
    except NotLoopback as exc:
        print(f"error: {exc}", file=ctx.err, flush=True)
        return 2
    except OSError as exc:
        print(
            f"error: ポート {args.port} で待ち受けられません / cannot listen on port {args.port}: {exc.strerror}"
            " (--port)",
            file=ctx.err,
            flush=True,
        )
        return 1
    print(
        "コンソールを開いてください（この URL は起動ごとに変わり、他人に渡さないでください）/ "
        "open the console (the URL changes at every start; do not share it):\n\n"
        f"  {running.url}\n\n"
        f"API: {ctx.client.api_url}    Ctrl-C で終了 / Ctrl-C stops it",
        file=ctx.out,
        flush=True,
    )
    if args.open:
        webbrowser.open(running.url)
    try:
        running.wait()
    except KeyboardInterrupt:
        running.stop()
    return 0
