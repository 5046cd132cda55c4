"""The API's response models: the JSON the contract shows, and beside every reason its messages."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from base_sync.api.views import OrderView, PlanView, RunView, ShopView, export_view
from base_sync.domain.export import ExportCounts, ExportRun, OrderResult, Outcome, RunStatus
from base_sync.domain.order import BaseSnapshot, ExportState, Order
from base_sync.domain.reasons import Cause, Reason
from base_sync.domain.shop import Shop
from base_sync.services.export_requests import PlanEntry

MESSAGES = {"message", "message_ja", "error_message", "error_message_ja"}


def _run(shop_id: str, **fields: Any) -> ExportRun:
    defaults: dict[str, Any] = {
        "export_id": "E",
        "shop_id": shop_id,
        "trigger": "manual",
        "queued_at": "2026-12-01T00:00:00+00:00",
        "status": RunStatus.SUCCEEDED,
        "started_at": "2026-12-01T00:00:01+00:00",
        "finished_at": "2026-12-01T00:00:09+00:00",
        "counts": ExportCounts(dispatched=1, deferred=1),
        "api_calls": 4,
        "results": [
            OrderResult(unique_key="A", outcome=Outcome.DISPATCHED),
            OrderResult(
                unique_key="B",
                outcome=Outcome.DEFERRED,
                reason=Reason.RATE_LIMITED,
                base_error="hour_api_limit",
            ),
        ],
    }
    return ExportRun(**(defaults | fields))


def _without_messages(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_messages(v) for k, v in value.items() if k not in MESSAGES}
    if isinstance(value, list):
        return [_without_messages(v) for v in value]
    return value


def test_one_run_is_its_public_shape_plus_messages() -> None:
    run = _run("s", status=RunStatus.PARTIAL, error=Reason.BUDGET_SPENT, actor="arn:aws:iam::1:user/op")
    shown = RunView.of(run).dump()
    assert _without_messages(shown) == run.public()
    assert (shown["error_message"], shown["error_message_ja"]) == (
        Reason.BUDGET_SPENT.message,
        Reason.BUDGET_SPENT.message_ja,
    )
    first, second = shown["results"]
    assert "base_error" not in first and (first["message"], first["message_ja"]) == (None, None)
    assert second["base_error"] == "hour_api_limit"
    assert (second["message"], second["message_ja"]) == (
        Reason.RATE_LIMITED.message,
        Reason.RATE_LIMITED.message_ja,
    )


def test_a_run_without_error_or_actor_leaves_them_out() -> None:
    shown = RunView.of(_run("s")).dump()
    assert not {"error", "error_message", "error_message_ja", "actor"} & set(shown)
    assert _without_messages(shown) == _run("s").public()


def test_all_shops_export_sums_the_runs() -> None:
    one = _run("s1", actor="arn:aws:iam::1:user/op")
    two = _run("s2", status=RunStatus.PARTIAL, error=Reason.TIME_UP, finished_at="2026-12-01T00:00:20+00:00")
    shown = export_view("E", [one, two]).dump()
    assert shown["shop_id"] is None and shown["status"] == "partial" and shown["actor"] == one.actor
    assert shown["counts"] == {
        "dispatched": 2,
        "already_dispatched": 0,
        "deferred": 2,
        "skipped": 0,
        "failed": 0,
    }
    assert shown["api_calls"] == 8
    assert (shown["started_at"], shown["finished_at"]) == (one.started_at, "2026-12-01T00:00:20+00:00")
    assert [r["shop_id"] for r in shown["results"]] == ["s1", "s1", "s2", "s2"]
    assert _without_messages(shown["shops"]) == [
        one.public() | {"results": None},
        two.public() | {"results": None},
    ]
    assert shown["shops"][1]["error_message_ja"] == Reason.TIME_UP.message_ja
    assert "queued_at" not in shown


def test_plan_entries_carry_reason_messages_and_base_error() -> None:
    plan = PlanView.of(
        [
            PlanEntry("s", "A", "dispatch"),
            PlanEntry("s", "B", "skip", Cause(Reason.BASE_UNAVAILABLE, "db_error")),
        ]
    ).dump()["plan"]
    assert plan[0] == {
        "shop_id": "s",
        "unique_key": "A",
        "action": "dispatch",
        "reason": None,
        "message": None,
        "message_ja": None,
    }
    assert plan[1]["reason"] == "base_unavailable" and plan[1]["base_error"] == "db_error"
    assert plan[1]["message_ja"] == Reason.BASE_UNAVAILABLE.message_ja


def test_order_view_is_the_order_plus_its_reason_messages() -> None:
    order = Order(
        shop_id="s",
        unique_key="K",
        base=BaseSnapshot(ordered=1),
        export_state=ExportState.FAILED,
        export_reason=Reason.BASE_REFUSED,
        export_base_error="bad_params",
    )
    shown = OrderView.of(order).dump()
    added = ("export_message", "base_deadline", "will_send")
    assert {k: v for k, v in shown.items() if not k.startswith(added)} == order.model_dump(mode="json")
    assert shown["export_message"] == Reason.BASE_REFUSED.message
    assert shown["export_message_ja"] == Reason.BASE_REFUSED.message_ja
    assert shown["export_base_error"] == "bad_params"
    plain = OrderView.of(order.model_copy(update={"export_reason": None})).dump()
    assert (plain["export_message"], plain["export_message_ja"]) == (None, None)


def test_order_view_shows_bases_own_deadline_in_japan_time() -> None:
    ordered = int(datetime(2026, 8, 31, 15, 30, tzinfo=UTC).timestamp())  # 2026-09-01 00:30 JST
    base = BaseSnapshot(
        ordered=ordered, payment="base_bt", dispatch_status="ordered", shipping_method="ゆうパケット"
    )
    shown = OrderView.of(Order(shop_id="s", unique_key="K", base=base)).dump()
    assert (shown["base_deadline"], shown["base_deadline_action"], shown["base_deadline_verified"]) == (
        "2026-10-31",
        "closed",
        True,
    )
    assert shown["base"]["shipping_method"] == "ゆうパケット"
    card = OrderView.of(Order(shop_id="s", unique_key="K", base=base.model_copy(update={"payment": "cod"})))
    assert card.dump()["base_deadline"] is None


def test_shop_view_explains_where_the_last_import_stopped() -> None:
    summary = {
        "at": "2026-12-01T00:00:00+00:00",
        "new": 3,
        "stopped": "rate_limited",
        "errors": [{"reason": "rate_limited", "base_error": "hour_api_limit"}],
    }
    shown = ShopView.of(Shop(shop_id="s", last_import=summary)).dump()
    last = shown["last_import"]
    assert {k: v for k, v in last.items() if not k.startswith("stopped_message")} | {
        "errors": summary["errors"]
    } == summary
    assert (last["stopped_message"], last["stopped_message_ja"]) == (
        Reason.RATE_LIMITED.message,
        Reason.RATE_LIMITED.message_ja,
    )
    assert last["errors"][0]["message_ja"] == Reason.RATE_LIMITED.message_ja
    assert last["errors"][0]["base_error"] == "hour_api_limit"
    finished = ShopView.of(Shop(shop_id="s", last_import={"new": 1, "stopped": None})).dump()["last_import"]
    assert finished == {"new": 1, "stopped": None}
