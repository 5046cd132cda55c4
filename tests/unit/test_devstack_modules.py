"""devstack's rooms (issue 13, item 7): the local HTTP API and the schedules stand apart from the run.

``devstack.server`` serves template.yaml's routes behind the Host/Origin guard without needing a
whole ``LocalRun``: anything with a ``local_route`` answers ``/_local``. ``devstack.schedules`` turns
EventBridge expressions into intervals. ``devstack.run`` keeps the run's lifecycle only.
"""

from __future__ import annotations

import ast
from pathlib import Path

import devstack.run
from devstack.schedules import schedule_interval
from devstack.server import HttpAnswer, LocalApi, json_answer


class _Routes:
    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    def local_route(self, method: str, path: str) -> HttpAnswer:
        self.seen.append((method, path))
        return json_answer(200, {"local": path})


def test_the_local_api_stands_without_a_run() -> None:
    routes = _Routes()
    api = LocalApi(None, [], routes)
    assert api.handle("GET", "/prod/_local", {}, b"").status == 200  # the stage prefix is accepted
    assert routes.seen == [("GET", "/_local")]
    starting = api.handle("GET", "/shops", {}, b"")  # no handlers yet: 503, not a crash
    assert starting.status == 503


def test_schedule_expressions_are_parsed_in_their_own_module() -> None:
    assert schedule_interval("rate(5 minutes)") == (300.0, None)
    assert schedule_interval("rate(1 day)") == (86400.0, None)
    interval, warning = schedule_interval("cron(0 3 * * ? *)")
    assert interval == 3600.0
    assert warning is not None


def test_run_module_keeps_the_lifecycle_only() -> None:
    tree = ast.parse(Path(devstack.run.__file__).read_text(encoding="utf-8"))
    defined = {n.name for n in tree.body if isinstance(n, ast.ClassDef | ast.FunctionDef)}
    assert defined.isdisjoint(
        {"LocalApi", "HttpAnswer", "schedule_interval", "schedules_of", "scheduled_event", "Schedule"}
    )
    bases = {ast.unparse(b) for n in tree.body if isinstance(n, ast.ClassDef) for b in n.bases}
    assert not bases & {"BaseHTTPRequestHandler", "ThreadingHTTPServer"}
