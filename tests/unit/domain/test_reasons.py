"""The catalogue of reasons: every reason speaks both languages, and what older versions stored
still reads as a reason of the catalogue with BASE's code beside it."""

from __future__ import annotations

import re

import pytest

from base_sync.api.views import ResultView
from base_sync.base_api.errors import CART_APP_REFUSALS
from base_sync.domain.export import ExportRun, OrderResult, Outcome
from base_sync.domain.order import BaseSnapshot, Order
from base_sync.domain.reasons import CART_APPS, MESSAGES, Cause, Reason, cause_from_text, explain

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


@pytest.mark.parametrize("reason", list(Reason))
def test_every_reason_says_what_happened_in_japanese_and_english(reason: Reason):
    assert JAPANESE.search(reason.message_ja), reason
    assert reason.message and not JAPANESE.search(reason.message), reason
    assert reason.message.endswith(".") and reason.message_ja.endswith("。")


def test_the_catalogue_has_a_message_for_every_member_and_nothing_else():
    assert set(MESSAGES) == set(Reason)
    assert {r.value for r in Reason} == {r.value for r in Reason if re.fullmatch(r"[a-z_]+", r.value)}


@pytest.mark.parametrize(
    ("text", "cause"),
    [
        ("awaiting_payment", Cause(Reason.AWAITING_PAYMENT)),
        ("transient:db_error", Cause(Reason.BASE_UNAVAILABLE, "db_error")),
        ("base_unavailable:TransientError", Cause(Reason.BASE_UNAVAILABLE, "TransientError")),
        ("outcome_unknown:ReadTimeout", Cause(Reason.OUTCOME_UNKNOWN, "ReadTimeout")),
        ("not_change_status", Cause(Reason.STATUS_CHANGED_ON_BASE, "not_change_status")),
        ("hour_api_limit", Cause(Reason.RATE_LIMITED, "hour_api_limit")),
        ("day_api_limit", Cause(Reason.RATE_LIMITED, "day_api_limit")),
        ("not_change_status_YamatoDelivery", Cause(Reason.BASE_REFUSED, "not_change_status_YamatoDelivery")),
        ("no_order", Cause(Reason.BASE_REFUSED, "no_order")),
    ],
)
def test_reason_texts_of_older_versions_map_into_the_catalogue(text: str, cause: Cause):
    assert cause_from_text(text) == cause


def test_an_order_stored_before_the_catalogue_reads_with_base_error_beside_the_reason():
    order = Order.model_validate(
        {
            "shop_id": "s",
            "unique_key": "K",
            "base": BaseSnapshot().model_dump(),
            "export_reason": "transient:db_error",
        }
    )
    assert (order.export_reason, order.export_base_error) == (Reason.BASE_UNAVAILABLE, "db_error")


def test_results_and_runs_stored_before_the_catalogue_read_as_catalogue_reasons():
    result = OrderResult.model_validate({"unique_key": "K", "outcome": "failed", "reason": "no_order"})
    assert (result.reason, result.base_error) == (Reason.BASE_REFUSED, "no_order")
    assert result.model_dump(mode="json") == {
        "unique_key": "K",
        "outcome": "failed",
        "reason": "base_refused",
        "base_error": "no_order",
    }
    fresh = OrderResult(unique_key="K", outcome=Outcome.DISPATCHED)
    assert "base_error" not in fresh.model_dump(mode="json")
    common = {"export_id": "e", "shop_id": "s", "trigger": "manual", "queued_at": "2026-12-01T00:00:00Z"}
    assert ExportRun.model_validate({**common, "error": "ValueError"}).error is Reason.INTERNAL_ERROR
    assert ExportRun.model_validate({**common, "error": "hour_api_limit"}).error is Reason.RATE_LIMITED
    assert ExportRun.model_validate({**common, "error": "time_up"}).error is Reason.TIME_UP


YAMATO_JA = "ヤマトのかんたん発送Appの注文はAPIから発送済みにできません。BASE管理画面で発送してください。"


def test_a_cart_app_refusal_names_the_app_and_what_to_do() -> None:
    assert explain(Reason.CART_APP_NOT_SUPPORTED, "not_change_status_YamatoDelivery")[0] == YAMATO_JA
    assert set(CART_APPS) == CART_APP_REFUSALS  # every cart app BASE refuses has its name
    for code in CART_APP_REFUSALS:
        ja, en = (
            Cause(Reason.CART_APP_NOT_SUPPORTED, code).message_ja,
            Cause(Reason.CART_APP_NOT_SUPPORTED, code).message,
        )
        assert ja.startswith(CART_APPS[code][0]) and CART_APPS[code][1] in en
    # an unknown code, or none, keeps the catalogue's own sentence
    assert (
        explain(Reason.CART_APP_NOT_SUPPORTED, "not_change_status_Other")[0]
        == Reason.CART_APP_NOT_SUPPORTED.message_ja
    )
    assert (
        explain(Reason.BASE_REFUSED, "not_change_status_YamatoDelivery")[0] == Reason.BASE_REFUSED.message_ja
    )
    shown = ResultView.of(
        OrderResult(
            unique_key="K",
            outcome=Outcome.FAILED,
            reason=Reason.CART_APP_NOT_SUPPORTED,
            base_error="not_change_status_YamatoDelivery",
        )
    ).dump()
    assert shown["message_ja"] == YAMATO_JA and shown["base_error"] == "not_change_status_YamatoDelivery"
