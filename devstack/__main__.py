"""``python -m devstack run | demo | tick``: the local run of the whole product (see devstack.run)."""

from __future__ import annotations

import argparse
import json
import os
import sys

import requests

DEFAULT_API_URL = "http://127.0.0.1:3000"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m devstack", description="Run base-order-sync locally.")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser(
        "run",
        help="moto + BASE sandbox + the HTTP API, schedules and queues; serve until Ctrl-C",
        description="Run the whole product locally: AWS on moto, BASE on the sandbox (or the real BASE "
        "with --real-base), the HTTP API on 127.0.0.1, schedules and queues in the background.",
    )
    run.add_argument("--api-port", type=int, default=3000, help="port of the local HTTP API (default 3000)")
    run.add_argument("--sandbox-port", type=int, default=8081, help="port of the BASE sandbox (default 8081)")
    run.add_argument(
        "--console-port",
        type=int,
        default=0,
        help="port of the operator console on 127.0.0.1 (default: any free one)",
    )
    run.add_argument("--no-console", action="store_true", help="do not start the operator console")
    run.add_argument(
        "--real-base",
        action="store_true",
        help="use https://api.thebase.in with your own app instead of the sandbox; the redirect URI "
        "registered at BASE Developers must then be http://127.0.0.1:<api-port>/oauth/callback",
    )
    run.add_argument("--client-id", default=os.environ.get("BASE_CLIENT_ID"), help="with --real-base")
    run.add_argument(
        "--client-secret",
        default=os.environ.get("BASE_CLIENT_SECRET"),
        help="with --real-base (or env BASE_CLIENT_SECRET, which keeps it out of the shell history)",
    )
    run.add_argument(
        "--function-log-level",
        default="INFO",
        help="log level of the Lambda handlers' own logs (default INFO)",
    )

    demo = sub.add_parser(
        "demo",
        help="the scripted demo: connect, import, tracking numbers, export, summary",
        description="Start everything on free ports, connect demo-shop through the sandbox's consent "
        "page, import, enter tracking numbers, export and print what happened.",
    )
    demo.add_argument("--function-log-level", default="WARNING", help="log level of the handlers' logs")

    tick = sub.add_parser("tick", help="run a scheduled function of a local run now")
    tick.add_argument(
        "function",
        help="the function's logical id, e.g. ImportScheduleFunction (Function.Event for one of several schedules)",
    )
    tick.add_argument(
        "--api-url",
        default=os.environ.get("BASE_SYNC_API_URL", DEFAULT_API_URL),
        help="the local run's API URL",
    )
    return parser


def tick(function: str, api_url: str) -> int:
    """POST /_local/tick/{function} on a local run; prints the function's answer."""
    try:
        answer = requests.post(f"{api_url.rstrip('/')}/_local/tick/{function}", timeout=900)
    except requests.RequestException as exc:
        print(
            f"エラー: ローカル実行（{api_url}）に接続できません。`make run` が動いているか確かめてください。\n"
            f"error: cannot reach the local run at {api_url} (is `make run` running?): {exc}",
            file=sys.stderr,
        )
        return 1
    try:
        body = answer.json()
    except ValueError:
        body = {"message": answer.text}
    if answer.status_code != 200:
        print(
            f"エラー / error: {body.get('error', answer.status_code)}: {body.get('message')}", file=sys.stderr
        )
        return 1
    print(json.dumps(body, ensure_ascii=False, indent=2))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "run":
        from devstack.run import RunOptions, serve  # noqa: PLC0415

        if args.real_base and not (args.client_id and args.client_secret):
            print(
                "エラー: --real-base には --client-id と --client-secret が必要です。\n"
                "error: --real-base needs --client-id and --client-secret",
                file=sys.stderr,
            )
            return 2
        return serve(
            RunOptions(
                api_port=args.api_port,
                sandbox_port=args.sandbox_port,
                console_port=None if args.no_console else args.console_port,
                real_base=args.real_base,
                client_id=args.client_id,
                client_secret=args.client_secret,
                function_log_level=args.function_log_level,
            )
        )
    if args.command == "demo":
        from devstack.demo import run_demo  # noqa: PLC0415

        return run_demo(function_log_level=args.function_log_level)
    return tick(args.function, args.api_url)


if __name__ == "__main__":
    raise SystemExit(main())
