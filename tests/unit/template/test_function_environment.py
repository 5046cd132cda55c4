"""template.yaml gives every function each variable its handler reads, and a handler that lacks one
stops at start, naming it in Japanese and English (base_sync.wiring.FUNCTION_ENVIRONMENT)."""

from __future__ import annotations

import ast
import copy
import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

from base_sync import wiring
from base_sync.config import check_environment
from devstack.template import ROOT, Template


def missing_from_template(template: Template) -> dict[str, list[str]]:
    """Function -> the variables its handler reads that its environment (Globals + its own) lacks."""
    missing = {}
    for logical_id, spec in template.functions().items():
        reads = wiring.FUNCTION_ENVIRONMENT[spec.module]
        lacking = sorted((reads.required | reads.optional) - spec.environment.keys())
        if lacking:
            missing[logical_id] = lacking
    return missing


def test_every_function_gets_what_its_handler_reads() -> None:
    assert missing_from_template(Template.load()) == {}


def test_the_table_names_exactly_the_template_handlers() -> None:
    modules = {spec.module for spec in Template.load().functions().values()}
    assert modules == wiring.FUNCTION_ENVIRONMENT.keys()


def test_dropping_a_variable_from_the_template_is_caught() -> None:
    data: dict[str, Any] = copy.deepcopy(Template.load().data)
    del data["Globals"]["Function"]["Environment"]["Variables"]["ORDERS_TABLE"]
    missing = missing_from_template(Template(data))
    assert missing["JobWorkerFunction"] == ["ORDERS_TABLE"]
    assert missing["ManagementApiFunction"] == ["ORDERS_TABLE"]
    assert "ConnectFunction" not in missing  # connect never reads the orders table


def test_dropping_an_optional_variable_is_caught_too() -> None:
    """BASE_API_URL has a default (the real BASE): a template without it would silently point there."""
    data: dict[str, Any] = copy.deepcopy(Template.load().data)
    del data["Globals"]["Function"]["Environment"]["Variables"]["BASE_API_URL"]
    missing = missing_from_template(Template(data))
    assert missing["OAuthCallbackFunction"] == ["BASE_API_URL"]
    assert "ManagementApiFunction" not in missing


def _module_level_checks(path: Path) -> list[str]:
    """The names passed to ``wiring.check_environment(...)`` by statements at the module's top level."""
    names = []
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)):
            continue
        func = node.value.func
        if isinstance(func, ast.Attribute) and func.attr == "check_environment":
            names += [str(arg.value) for arg in node.value.args if isinstance(arg, ast.Constant)]
    return names


@pytest.mark.parametrize("spec", Template.load().functions().values(), ids=lambda spec: spec.logical_id)
def test_every_handler_checks_its_environment_when_loaded(spec: Any) -> None:
    assert _module_level_checks(spec.code_dir / f"{spec.module}.py") == [spec.module]


def test_the_message_names_every_missing_variable_in_both_languages() -> None:
    with pytest.raises(RuntimeError) as raised:
        check_environment(["SHOPS_TABLE", "ORDERS_TABLE", "LOCKS_TABLE"], environ={"SHOPS_TABLE": "t"})
    assert str(raised.value) == (
        "環境変数 ORDERS_TABLE, LOCKS_TABLE が設定されていません / "
        "environment variables ORDERS_TABLE, LOCKS_TABLE are not set"
    )


def test_one_missing_variable_reads_in_the_singular() -> None:
    with pytest.raises(
        RuntimeError,
        match=r"^環境変数 SHOPS_TABLE が設定されていません / environment variable SHOPS_TABLE is not set$",
    ):
        check_environment(["SHOPS_TABLE"], environ={"SHOPS_TABLE": "  "})


def test_a_bad_url_is_named_and_its_value_is_not_echoed() -> None:
    with pytest.raises(RuntimeError) as raised:
        check_environment([], ["BASE_API_URL"], environ={"BASE_API_URL": "api.thebase.in/secret-ish"})
    message = str(raised.value)
    assert "BASE_API_URL" in message and "http://" in message and "URL" in message
    assert "secret-ish" not in message


def test_an_optional_variable_may_be_absent() -> None:
    check_environment(
        ["SHOPS_TABLE"], ["BASE_API_URL", "APP_CLIENT_SECRET_NAME"], environ={"SHOPS_TABLE": "t"}
    )


def test_the_client_secret_name_needs_the_client_id() -> None:
    """As SecretsStore does: with APP_CLIENT_SECRET_NAME the client id comes from BASE_CLIENT_ID."""
    with pytest.raises(RuntimeError, match="BASE_CLIENT_ID"):
        check_environment(
            [], ["APP_CLIENT_SECRET_NAME", "BASE_CLIENT_ID"], environ={"APP_CLIENT_SECRET_NAME": "s"}
        )


def test_a_handler_without_its_variables_does_not_start(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = Template.load().functions()["ConnectFunction"]
    for key, value in spec.environment.items():
        monkeypatch.setenv(key, value if isinstance(value, str) else f"test-{key.lower()}")
    monkeypatch.setenv("BASE_API_URL", "https://base.example")
    monkeypatch.delenv("OAUTH_STATES_TABLE")
    monkeypatch.delenv("APP_CREDENTIALS_SECRET")
    path = ROOT / "functions" / "connect" / "connect.py"
    loader_spec = importlib.util.spec_from_file_location("connect_without_its_environment", path)
    assert loader_spec is not None and loader_spec.loader is not None
    module = importlib.util.module_from_spec(loader_spec)
    with pytest.raises(RuntimeError) as raised:
        loader_spec.loader.exec_module(module)
    assert str(raised.value) == (
        "環境変数 APP_CREDENTIALS_SECRET, OAUTH_STATES_TABLE が設定されていません / "
        "environment variables APP_CREDENTIALS_SECRET, OAUTH_STATES_TABLE are not set"
    )
    assert "connect_without_its_environment" not in sys.modules


def test_the_local_loader_starts_a_failed_handler_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """devstack, like Lambda, retries a failed start on the next invocation instead of keeping half a module."""
    from devstack.handlers import load_handler  # noqa: PLC0415
    from devstack.template import FunctionSpec  # noqa: PLC0415

    real = Template.load().functions()["ConnectFunction"]
    spec = FunctionSpec(
        logical_id="ConnectStartedTwice", code_dir=real.code_dir, module="connect", handler="lambda_handler"
    )
    for key, value in real.environment.items():
        monkeypatch.setenv(key, value if isinstance(value, str) else f"test-{key.lower()}")
    monkeypatch.setenv("BASE_API_URL", "https://base.example")
    monkeypatch.delenv("OAUTH_STATES_TABLE")
    with pytest.raises(RuntimeError, match="OAUTH_STATES_TABLE"):
        load_handler(spec)
    assert "lambda_ConnectStartedTwice" not in sys.modules
    monkeypatch.setenv("OAUTH_STATES_TABLE", "states")
    try:
        assert callable(load_handler(spec))
    finally:
        sys.modules.pop("lambda_ConnectStartedTwice", None)
