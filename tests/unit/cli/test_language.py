"""The CLI prints the API's messages in the operator's language (``--lang``, else the locale)."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from base_sync_cli import main as cli
from base_sync_cli.client import ApiClient
from base_sync_cli.main import choose_language, pick_message

EN = "Awaiting the buyer's payment (convenience store / bank transfer). It goes out once paid."
JA = "入金待ちです（コンビニ決済・銀行振込）。入金後の実行で送ります。"
BUDGET_EN = "This run used its share of BASE calls. The rest waits for the next run."
BUDGET_JA = "この実行の API 呼び出し数の上限に達しました。残りは次の実行で送ります。"

ORDER: dict[str, Any] = {
    "shop_id": "s",
    "unique_key": "K1",
    "base": {"ordered": 1_700_000_000, "payment": "cvs", "total": 1000, "dispatch_status": "ordered"},
    "status": "processed",
    "export_state": "deferred",
    "export_reason": "awaiting_payment",
    "export_message": EN,
    "export_message_ja": JA,
    "export_base_error": None,
    "history": [],
}
RUN: dict[str, Any] = {
    "export_id": "e1",
    "shop_id": "s",
    "trigger": "manual",
    "status": "partial",
    "started_at": None,
    "finished_at": None,
    "counts": {"deferred": 1},
    "api_calls": 3,
    "error": "budget_spent",
    "error_message": BUDGET_EN,
    "error_message_ja": BUDGET_JA,
    "results": [
        {
            "unique_key": "K1",
            "outcome": "deferred",
            "reason": "awaiting_payment",
            "message": EN,
            "message_ja": JA,
        }
    ],
}
PLAN: dict[str, Any] = {
    "plan": [
        {
            "shop_id": "s",
            "unique_key": "K1",
            "action": "defer",
            "reason": "awaiting_payment",
            "message": EN,
            "message_ja": JA,
        }
    ]
}


class FakeApi:
    def get_order(self, shop_id: str, unique_key: str) -> dict[str, Any]:
        return ORDER

    def list_exports(self, shop_id: str) -> list[dict[str, Any]]:
        return [RUN]

    def get_export(self, export_id: str) -> dict[str, Any]:
        return RUN

    def create_export(self, **kwargs: Any) -> dict[str, Any]:
        assert kwargs["dry_run"] is True
        return PLAN


@pytest.fixture
def run_cli(monkeypatch: pytest.MonkeyPatch) -> Any:
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(ApiClient, "for_url", classmethod(lambda klass, *a, **k: FakeApi()))

    def run(*argv: str, env: dict[str, str] | None = None) -> str:
        for name, value in (env or {}).items():
            monkeypatch.setenv(name, value)
        out, err = io.StringIO(), io.StringIO()
        # RUN ended partial: export-status exits 1 for it (as export --wait does), the rest 0
        expected = 1 if "export-status" in argv else 0
        assert cli.main(["--api-url", "http://127.0.0.1:1", *argv], out=out, err=err) == expected, (
            err.getvalue()
        )
        return out.getvalue()

    return run


@pytest.mark.parametrize(
    ("option", "environ", "expected"),
    [
        ("ja", {"LANG": "en_US.UTF-8"}, "ja"),
        ("en", {"LANG": "ja_JP.UTF-8"}, "en"),
        (None, {"LANG": "ja_JP.UTF-8"}, "ja"),
        (None, {"LC_ALL": "ja_JP.UTF-8", "LANG": "en_US.UTF-8"}, "ja"),
        (None, {"LC_ALL": "C.UTF-8", "LANG": "ja_JP.UTF-8"}, "en"),
        (None, {"LANG": "C"}, "en"),
        (None, {}, "en"),
    ],
)
def test_language_choice(option: str | None, environ: dict[str, str], expected: str) -> None:
    assert choose_language(option, environ) == expected


def test_pick_message_falls_back_to_the_other_language() -> None:
    assert pick_message({"message": "only English"}, "ja") == "only English"
    assert pick_message({"reason": None}, "en") is None


@pytest.mark.parametrize(
    ("argv", "env", "shown", "hidden"),
    [
        (["orders", "show", "s", "K1"], {}, EN, JA),
        (["orders", "show", "s", "K1"], {"LANG": "ja_JP.UTF-8"}, JA, EN),
        (["--lang", "ja", "orders", "show", "s", "K1"], {"LANG": "en_US.UTF-8"}, JA, EN),
        (["orders", "show", "s", "K1", "--lang", "en"], {"LANG": "ja_JP.UTF-8"}, EN, JA),
        (["log", "s"], {}, BUDGET_EN, BUDGET_JA),
        (["log", "s", "--lang", "ja"], {}, BUDGET_JA, BUDGET_EN),
        (["export", "--dry-run"], {}, EN, JA),
        (["export", "--dry-run"], {"LC_ALL": "ja_JP.UTF-8"}, JA, EN),
        (["export-status", "e1", "--lang", "ja"], {}, BUDGET_JA, BUDGET_EN),
    ],
)
def test_messages_in_the_chosen_language(
    run_cli: Any, argv: list[str], env: dict[str, str], shown: str, hidden: str
) -> None:
    out = run_cli(*argv, env=env)
    assert shown in out
    assert hidden not in out


def test_export_status_shows_each_result_message(run_cli: Any) -> None:
    out = run_cli("export-status", "e1", "--lang", "ja")
    assert JA in out and "awaiting_payment" in out


def test_json_output_keeps_the_stable_codes(run_cli: Any) -> None:
    out = json.loads(run_cli("--json", "--lang", "ja", "orders", "show", "s", "K1"))
    assert out["export_reason"] == "awaiting_payment"
    assert out == ORDER
