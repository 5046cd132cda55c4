"""``orders set`` says when an edit is itself a send to BASE; ``orders show`` shows what BASE received."""

from __future__ import annotations

import io
from typing import Any

import pytest

from base_sync_cli import main as cli
from base_sync_cli.client import ApiClient

READY: dict[str, Any] = {
    "shop_id": "s",
    "unique_key": "K1",
    "base": {"ordered": 1_700_000_000, "payment": "creditcard", "total": 1000, "dispatch_status": "ordered"},
    "status": "processed",
    "tracking_number": "123456789012",
    "delivery_company": "sagawa",
    "export_state": "pending",
    "history": [],
    "sent_to_base": None,
    "will_send_at": "2026-12-03T03:00:00+00:00",
    "will_send_how": "within_a_minute",
}
EXPORTED: dict[str, Any] = {
    **READY,
    "export_state": "exported",
    "will_send_at": None,
    "will_send_how": None,
    "sent_to_base": {
        "delivery_company_id": 2,
        "delivery_company_name": "佐川急便",
        "tracking_number": "123456789012",
        "ship_date": "2026-12-03",
        "comment": "佐川急便 123456789012",
        "items": [1],
        "sent_at": "2026-12-03T03:00:05+00:00",
        "export_id": "e-42",
        "trigger": "change",
        "recovered": False,
    },
}


class FakeApi:
    answer: dict[str, Any] = READY

    def patch_order(self, shop_id: str, unique_key: str, changes: dict[str, Any]) -> dict[str, Any]:
        return self.answer

    def get_order(self, shop_id: str, unique_key: str) -> dict[str, Any]:
        return self.answer


@pytest.fixture
def run_cli(monkeypatch: pytest.MonkeyPatch) -> Any:
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    api = FakeApi()
    monkeypatch.setattr(ApiClient, "for_url", classmethod(lambda klass, *a, **k: api))

    def run(answer: dict[str, Any], *argv: str) -> tuple[str, str]:
        api.answer = answer
        out, err = io.StringIO(), io.StringIO()
        assert cli.main(["--api-url", "http://127.0.0.1:1", *argv], out=out, err=err) == 0, err.getvalue()
        return out.getvalue(), err.getvalue()

    return run


SET = ("orders", "set", "demo-shop", "K1", "--status", "processed")


def test_an_edit_that_sends_says_so_in_japanese_and_english(run_cli: Any) -> None:
    _, err = run_cli(READY, *SET)
    assert "BASEへ送信されます（取り消せません）" in err and "1分以内" in err
    assert "Will be sent to BASE (this cannot be undone): within a minute" in err
    assert "base-sync settings set demo-shop auto_export=false" in err


def test_with_a_delay_the_warning_names_the_time_in_japan(run_cli: Any) -> None:
    later = {**READY, "will_send_how": "next_scheduled_export", "will_send_at": "2026-12-03T03:15:00+00:00"}
    _, err = run_cli(later, *SET)
    assert "2026-12-03 12:15:00（日本時間）以降" in err and "after 2026-12-03 12:15:00 JST" in err


@pytest.mark.parametrize("how", [None, "when_you_export"])
def test_no_warning_when_nothing_goes_by_itself(run_cli: Any, how: str | None) -> None:
    _, err = run_cli({**READY, "will_send_how": how}, *SET)
    assert "BASE" not in err


def test_the_json_answer_stays_json_and_the_warning_goes_to_stderr(run_cli: Any) -> None:
    out, err = run_cli(READY, "--json", *SET)
    assert out.lstrip().startswith("{") and "取り消せません" not in out and "取り消せません" in err


@pytest.mark.parametrize(
    ("lang", "labels"),
    [
        ("en", ("sent to BASE", "company", "tracking", "ship date")),
        ("ja", ("BASEが受け取った内容", "配送会社", "伝票番号", "出荷日")),
    ],
)
def test_orders_show_after_export_shows_what_base_received(
    run_cli: Any, lang: str, labels: tuple[str, ...]
) -> None:
    out, _ = run_cli(EXPORTED, "--lang", lang, "orders", "show", "s", "K1")
    for label in labels:
        assert label in out
    assert "佐川急便 (id 2)" in out and "2026-12-03" in out and "e-42" in out
    assert "佐川急便 123456789012" in out  # the rendered comment


def test_orders_show_labels_every_line_in_the_operators_language(
    run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LANG", "ja_JP.UTF-8")
    shown = {**READY, "history": [{"at": "2026-12-03T03:00:00+00:00", "event": "updated", "detail": {}}]}
    out, _ = run_cli(shown, "orders", "show", "s", "K1")
    for label in (
        "受注",
        "注文日時",
        "BASEの状態",
        "対応状況",
        "伝票番号",
        "配送会社",
        "出荷日",
        "書き出し",
        "履歴",
    ):
        assert label in out
    assert not any(
        line.startswith(("order ", "status ", "tracking ", "history")) for line in out.splitlines()
    )
    english, _ = run_cli(shown, "--lang", "en", "orders", "show", "s", "K1")
    assert english.splitlines()[0] == "order       K1  (shop s)"
