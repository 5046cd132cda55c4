"""CLI: `python -m base_sandbox --port 8081 --seed demo` for local demos and benchmarks."""

from __future__ import annotations

import argparse
import logging

from .seed import DEMO_REDIRECT_URI
from .server import SandboxServer


def main(argv: list[str] | None = None) -> int:
    """Parse options, start the sandbox, serve until Ctrl-C."""
    parser = argparse.ArgumentParser(prog="python -m base_sandbox", description="Local BASE API v1 sandbox")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--seed", choices=["demo"], default=None, help="create demo-client / demo-shop data")
    parser.add_argument("--redirect-uri", default=DEMO_REDIRECT_URI, help="redirect URI of the demo app")
    parser.add_argument("--latency-ms", type=int, default=0, help="added latency per /1/ call")
    parser.add_argument("--access-ttl", type=int, default=3600, help="access-token lifetime (s)")
    parser.add_argument("--code-ttl", type=int, default=600, help="authorization-code lifetime (s)")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(message)s")
    server = SandboxServer(
        args.host,
        args.port,
        seed=args.seed,
        redirect_uri=args.redirect_uri,
        latency_ms=args.latency_ms,
        access_ttl=args.access_ttl,
        code_ttl=args.code_ttl,
    )
    print(f"BASE sandbox listening on {server.url}", flush=True)
    if args.seed == "demo":
        print(f"  demo app: client_id=demo-client client_secret=demo-secret redirect_uri={args.redirect_uri}")
        print(
            f"  demo shop: demo-shop; consent page: {server.url}/1/oauth/authorize?response_type=code"
            "&client_id=demo-client&redirect_uri=...&scope=read_users+read_orders+write_orders",
            flush=True,
        )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopping", flush=True)
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
