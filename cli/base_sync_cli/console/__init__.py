"""The operator console: ``base-sync console`` serves web pages on 127.0.0.1 that drive the stack's
HTTP API with the operator's own credentials (see ``guard`` for who may use it).

``start(api_client)`` serves in a background thread and returns the running console (its ``url``,
``stop()``); ``serve(api_client, host, port)`` returns just the URL.
"""

from base_sync_cli.console.guard import NotLoopback
from base_sync_cli.console.server import RunningConsole, serve, start

__all__ = ["NotLoopback", "RunningConsole", "serve", "start"]
