"""What the operator reads: settings errors once and naming what is allowed, help from the settings
model, API errors in the operator's language, one exit status per run, progress only on a terminal."""

from __future__ import annotations

import io
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, Field

from base_sync.domain.shop import ShopSettings
from base_sync.rules.settings import setting_specs
from base_sync_cli import main as cli
from base_sync_cli.client import ApiClient, ApiError

DEFAULTS: dict[str, Any] = ShopSettings().model_dump(mode="json")


class FakeApi:
    """The routes the commands here call; records what was sent."""

    def __init__(self) -> None:
        self.settings: dict[str, Any] = dict(DEFAULTS)
        self.put: list[dict[str, Any]] = []
        self.put_error: ApiError | None = None
        self.get_error: ApiError | None = None
        self.run: dict[str, Any] = {"export_id": "e1", "shop_id": "s", "status": "succeeded", "counts": {}}

    def get_settings(self, shop_id: str) -> dict[str, Any]:
        if self.get_error:
            raise self.get_error
        return dict(self.settings)

    def put_settings(self, shop_id: str, settings: dict[str, Any]) -> dict[str, Any]:
        if self.put_error:
            raise self.put_error
        self.put.append(settings)
        return settings

    def create_export(self, **kwargs: Any) -> dict[str, Any]:
        return {"export_id": "e1", "status": "queued"}

    def get_export(self, export_id: str) -> dict[str, Any]:
        return self.run


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> FakeApi:
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    fake = FakeApi()
    monkeypatch.setattr(ApiClient, "for_url", classmethod(lambda klass, *a, **k: fake))
    monkeypatch.setattr("base_sync_cli.main.time.sleep", lambda s: None)
    return fake


def run(*argv: str, err: io.StringIO | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), err if err is not None else io.StringIO()
    code = cli.main(["--api-url", "http://127.0.0.1:1", *argv], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


# -- settings errors: once, naming the allowed values / valid keys, nothing sent


@pytest.mark.parametrize(
    ("lang", "pair", "named"),
    [
        ("en", "auto_export=yes", "true or false"),
        ("ja", "auto_export=yes", "true または false"),
        ("en", "import_days=500", "an integer from 1 to 90"),
        ("ja", "import_days=500", "1〜90 の整数"),
        ("en", "export_filter=everything", "processed_only"),
    ],
)
def test_a_wrong_value_names_the_allowed_values_once_and_sends_nothing(
    api: FakeApi, monkeypatch: pytest.MonkeyPatch, lang: str, pair: str, named: str
) -> None:
    monkeypatch.setenv("LANG", "ja_JP.UTF-8" if lang == "ja" else "en_US.UTF-8")
    code, out, err = run("settings", "set", "s", pair)
    assert code == cli.EXIT_USAGE and out == ""
    assert err.count(named) == 1, err
    assert err.count(pair.partition("=")[0]) == 1, err
    assert api.put == []
    if lang == "ja":
        assert "受け付けられません" in err and "error" not in err


def test_an_unknown_key_lists_every_setting_of_the_model(api: FakeApi) -> None:
    code, _, err = run("settings", "set", "s", "auto_exprt=false")
    assert code == cli.EXIT_USAGE and api.put == []
    listed = err.split("valid fields: ", 1)[1].strip().split(", ")
    assert listed == list(ShopSettings.model_fields)
    assert err.count("auto_exprt") == 1


def test_values_are_read_as_the_settings_types(api: FakeApi) -> None:
    code, _, err = run("settings", "set", "s", "import_days=10", "auto_export=false", "comment_template=123")
    assert code == 0, err
    assert api.put[-1] == {**DEFAULTS, "import_days": 10, "auto_export": False, "comment_template": "123"}


def test_the_apis_422_is_printed_once_in_the_operators_language(
    api: FakeApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A setting only the API knows goes through to it; its 422 is printed once, field by field."""
    api.settings["newer_setting"] = 1
    reason = "must be an integer from 0 to 15 (got 99)"
    api.put_error = ApiError(422, "validation_failed", f"newer_setting: {reason}", {"newer_setting": reason})
    code, _, err = run("settings", "set", "s", "newer_setting=99")
    assert code == cli.EXIT_FAILED
    assert err.startswith("error: validation_failed:") and err.count(reason) == 1, err
    monkeypatch.setenv("LANG", "ja_JP.UTF-8")
    code, _, err = run("settings", "set", "s", "newer_setting=99")
    assert code == cli.EXIT_FAILED
    assert (
        err.startswith("エラー: 次の値は受け付けられません。（validation_failed）") and err.count(reason) == 1
    ), err


def test_an_api_error_in_japanese(api: FakeApi, monkeypatch: pytest.MonkeyPatch) -> None:
    api.get_error = ApiError(404, "shop_not_found", "no shop 'nope'")
    monkeypatch.setenv("LC_ALL", "ja_JP.UTF-8")
    code, _, err = run("settings", "get", "nope")
    assert code == cli.EXIT_FAILED
    assert "そのショップはありません" in err and "shop_not_found" in err and "no shop 'nope'" in err
    code, _, err = run("--lang", "en", "settings", "get", "nope")
    assert err.strip() == "error: shop_not_found: no shop 'nope'"


# -- settings set --help: from the model


def test_settings_help_lists_every_setting_of_the_model_with_its_values_and_default(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        cli.main(["settings", "set", "--help"])
    shown = capsys.readouterr().out
    for spec in setting_specs().values():
        line = next(line for line in shown.splitlines() if line.split()[:1] == [spec.name])
        assert spec.allowed("en") in line and line.rstrip().endswith(spec.default_text), line
    assert len(setting_specs()) == len(ShopSettings.model_fields)


def test_a_setting_added_to_the_model_is_described_without_another_edit(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    class Later(ShopSettings):
        model_config = ConfigDict(extra="forbid", strict=True)
        export_delay_minutes: int = Field(default=0, ge=0, le=15)

    specs = setting_specs(Later)
    assert specs["export_delay_minutes"].allowed("en") == "an integer from 0 to 15"
    assert specs["export_delay_minutes"].default_text == "0"
    monkeypatch.setattr(cli, "setting_specs", lambda model=Later: setting_specs(Later))
    with pytest.raises(SystemExit):
        cli.main(["settings", "set", "--help"])
    assert "export_delay_minutes  an integer from 0 to 15" in capsys.readouterr().out


def test_a_model_of_any_kind_of_field_is_described() -> None:
    class Odd(BaseModel):
        ratio: float = 0.5

    assert setting_specs(Odd)["ratio"].allowed("en") == "a value"


# -- export --wait and export-status exit alike; progress only on a terminal


@pytest.mark.parametrize(
    ("status", "expected"), [("succeeded", 0), ("partial", 1), ("failed", 1), ("running", 3)]
)
def test_export_wait_and_export_status_exit_alike(api: FakeApi, status: str, expected: int) -> None:
    api.run = {**api.run, "status": status}
    waited, _, _ = run("export", "--shop", "s", "--wait", "--timeout", "0")
    shown, _, _ = run("export-status", "e1")
    assert waited == shown == expected


def test_wait_progress_goes_to_stderr_only_when_it_is_a_terminal(api: FakeApi) -> None:
    api.run = {**api.run, "status": "running"}
    code, out, err = run("export", "--shop", "s", "--wait", "--timeout", "0")
    assert code == cli.EXIT_UNFINISHED and "waiting" not in err and "still running" in err
    assert out.startswith("export e1")
    code, out, err = run("export", "--shop", "s", "--wait", "--timeout", "0", err=Terminal())
    assert "export e1 queued; waiting" in err and "waiting" not in out


# -- deferred ship_date_in_future says the day it goes


def test_a_future_ship_date_says_the_day_it_goes(api: FakeApi, monkeypatch: pytest.MonkeyPatch) -> None:
    future = {
        "unique_key": "K9",
        "outcome": "deferred",
        "reason": "ship_date_in_future",
        "message": "The ship date is after today (Japan time).",
        "message_ja": "出荷日が未来の日付です。",
    }
    api.run = {**api.run, "results": [future]}
    read: list[tuple[str, str]] = []

    def get_order(shop_id: str, unique_key: str) -> dict[str, Any]:
        read.append((shop_id, unique_key))
        return {"unique_key": unique_key, "ship_date": "2030-01-31"}

    monkeypatch.setattr(api, "get_order", get_order, raising=False)
    _, out, _ = run("export-status", "e1", "--lang", "ja")
    assert "出荷日が未来の日付です。2030-01-31（日本時間）に送ります。" in out
    _, out, _ = run("export-status", "e1", "--lang", "en")
    assert "It goes out on 2030-01-31, never earlier." in out
    assert read == [("s", "K9"), ("s", "K9")]
    _, out, _ = run("--json", "export-status", "e1")
    assert "2030-01-31" not in out and len(read) == 2  # --json: the API's answer as it is


def test_an_unknown_company_repeats_the_value_typed(api: FakeApi, monkeypatch: pytest.MonkeyPatch) -> None:
    api.run = {
        **api.run,
        "status": "failed",
        "results": [
            {
                "unique_key": "K7",
                "outcome": "failed",
                "reason": "unknown_delivery_company",
                "message": "The delivery company matches none in the shop's BASE list.",
                "message_ja": "配送会社が BASE の配送会社一覧にありません。",
            }
        ],
    }
    monkeypatch.setattr(
        api,
        "get_order",
        lambda shop_id, key: {"unique_key": key, "delivery_company": "ABC急便"},
        raising=False,
    )
    code, out, _ = run("export-status", "e1", "--lang", "ja")
    assert code == cli.EXIT_FAILED
    assert "配送会社が BASE の配送会社一覧にありません。 入力された配送会社: 「ABC急便」" in out
    _, out, _ = run("export-status", "e1")
    assert "Entered: “ABC急便”." in out


@pytest.mark.parametrize("command", [["export"], ["export-status"], []])
def test_the_exit_statuses_are_in_the_help(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main([*command, "--help"])
    shown = capsys.readouterr().out
    for status in (cli.EXIT_OK, cli.EXIT_FAILED, cli.EXIT_USAGE, cli.EXIT_UNFINISHED):
        assert f"\n  {status}  " in shown
    assert "partial or failed" in shown
