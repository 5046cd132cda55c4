"""``base-sync``: the operator's command line for base-order-sync (a deployed stack or the local run).

A deployed stack's API requires IAM: requests to any non-local URL are SigV4-signed with the
default AWS credential chain (profile, environment, SSO, instance role). ``--stack NAME`` finds
the ``ApiUrl`` output of the CloudFormation stack; ``--api-url`` (or ``BASE_SYNC_API_URL``) names
it directly; the default is the local run on http://127.0.0.1:3000.

Every message (errors, notes, table headers, summaries) is printed in the operator's language:
``--lang ja|en``, else Japanese when ``LC_ALL`` / ``LC_MESSAGES`` / ``LANG`` (the first one set)
starts with ``ja``, else English (``base_sync_cli.messages``). The reasons' sentences come from the
API's answers (``message_ja`` / ``message``); ``--json`` prints the answers as they are, stable
codes included, never translated.

Exit status (:data:`EXIT_STATUS`): 0 on success; 1 on any failure (API error, a failed row, an
export run that ended ``partial`` or ``failed`` — ``export --wait`` and ``export-status`` exit
alike for the same run); 2 on bad usage (a setting's value refused before anything was sent
included); 3 when the run has not finished (``export-status`` of a queued or running run,
``export --wait`` out of time).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import webbrowser
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final, TextIO

from base_sync.rules.settings import invalid_value_message, setting_specs, valid_fields_message
from base_sync_cli.client import ApiClient, ApiError, stack_api_url
from base_sync_cli.console.command import HELP as CONSOLE_HELP
from base_sync_cli.console.command import cmd_console, console_arguments
from base_sync_cli.messages import (
    LANGUAGES,
    Language,
    choose_language,
    error_text,
    pick_message,
    problems_text,
    say,
    ship_date_note,
    typed_company_note,
)
from base_sync_cli.output import dump, jst, table, when, width
from base_sync_cli.shipments import (
    PRESETS,
    Layout,
    LoadOutcome,
    parse_columns,
    parse_shipments,
    plan_rows,
    problem_text,
)
from base_sync_cli.shipments import load as load_shipments

DEFAULT_API_URL = "http://127.0.0.1:3000"
FINISHED = frozenset({"succeeded", "partial", "failed"})
ORDER_STATUSES = ("new", "hold", "awaiting_payment", "awaiting_shipment", "processed", "cancelled")
EXPORT_STATES = ("not_ready", "pending", "deferred", "exported", "already_dispatched", "failed")
COUNT_NAMES = ("dispatched", "already_dispatched", "deferred", "skipped", "failed")
EXIT_OK: Final = 0
EXIT_FAILED: Final = 1
EXIT_USAGE: Final = 2
EXIT_UNFINISHED: Final = 3
EXIT_STATUS: Final = """exit status:
  0  success
  1  failure: an API error, a failed row, an export run that ended partial or failed
     (export --wait and export-status exit alike for the same run)
  2  bad usage (a setting value refused before anything was sent included)
  3  the export run has not finished: export-status of a queued or running run,
     export --wait out of time"""
__all__ = ["choose_language", "main", "pick_message"]


class Context:
    def __init__(self, args: argparse.Namespace, client: ApiClient, out: TextIO, err: TextIO) -> None:
        self.args = args
        self.client = client
        self.out = out
        self.err = err
        self.json: bool = bool(args.json)
        self.lang: Language = choose_language(getattr(args, "lang", None), os.environ)

    def emit(self, value: Any, human: str) -> None:
        print(dump(value) if self.json else human, file=self.out, flush=True)

    def note(self, text: str) -> None:
        print(text, file=self.err, flush=True)

    def say(self, ja: str, en: str) -> str:
        return say(self.lang, ja, en)


# -- commands


def cmd_connect(ctx: Context) -> int:
    started = ctx.client.connect()
    url = str(started["authorize_url"])
    until = when(started.get("expires_at"))
    ctx.emit(
        started,
        ctx.say(
            "10 分以内にこの URL を開いて許可してください。接続したショップの名前がページに表示されます:\n\n"
            f"  {url}\n\n（有効期限 {until} JST）",
            "Open this URL within 10 minutes and approve; the page names the connected shop:\n\n"
            f"  {url}\n\n(valid until {until} JST)",
        ),
    )
    if ctx.args.open:
        webbrowser.open(url)
    return 0


def _run_summary(run: dict[str, Any] | None, lang: Language = "en") -> str:
    if not run:
        return "-"
    finished = run.get("finished_at") or run.get("at") or run.get("started_at")
    parts = [when(finished)]
    counts = run.get("counts")
    if isinstance(counts, dict):
        parts.append(" ".join(f"{k}={v}" for k, v in counts.items() if v))
    else:
        parts.append(" ".join(f"{k}={run[k]}" for k in ("new", "updated") if run.get(k)))
    if run.get("status"):
        parts.append(str(run["status"]))
    if run.get("stopped"):
        parts.append(say(lang, "停止: ", "stopped: ") + str(run["stopped"]))
        message = pick_message(run, lang, "stopped_")
        if message:
            parts.append(f"({message})")
    return " ".join(p for p in parts if p)


def cmd_shops(ctx: Context) -> int:
    shops = ctx.client.shops()
    rows = [
        [
            s.get("shop_id"),
            s.get("shop_name"),
            s.get("status"),
            _run_summary(s.get("last_import"), ctx.lang),
            _run_summary(s.get("last_export"), ctx.lang),
        ]
        for s in shops
    ]
    headers = (
        ["ショップ", "名前", "状態", "最後の取り込み", "最後の書き出し"]
        if ctx.lang == "ja"
        else ["shop", "name", "status", "last import", "last export"]
    )
    human = table(headers, rows) if shops else ctx.say("接続済みのショップはまだありません", "no shops yet")
    ctx.emit({"shops": shops}, human)
    return 0


def parse_setting(text: str) -> tuple[str, Any]:
    """``key=value``; the value is JSON when it parses (7, true, "x"), else the text itself."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise ValueError(f"expected key=value, got {text!r}")
    try:
        value: Any = json.loads(raw)
    except ValueError:
        value = raw
    return key.strip(), value


def _settings_text(settings: dict[str, Any]) -> str:
    return "\n".join(f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in settings.items())


def cmd_settings_get(ctx: Context) -> int:
    settings = ctx.client.get_settings(ctx.args.shop)
    ctx.emit(settings, _settings_text(settings))
    return 0


def settings_changes(
    pairs: list[str], current: Mapping[str, Any], lang: Language
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """``key=value`` pairs as the settings to send, and every problem found (nothing is sent then).

    Each value is read as its setting's type from the model (``rules.settings``): a wrong value names
    the allowed ones, an unknown key the valid keys. A key this CLI does not know but the API
    answered in ``current`` (a newer API) is passed on as JSON (or text) for the API to check.
    """
    specs = setting_specs()
    changes: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            problems.append((pair, say(lang, "key=value の形で指定してください", "expected key=value")))
        elif key in specs:
            accepted, value = specs[key].parse(raw)
            if accepted:
                changes[key] = value
            else:
                problems.append((key, invalid_value_message(specs[key], value, lang)))
        elif key in current:
            changes[key] = parse_setting(pair)[1]
        else:
            problems.append(
                (key, valid_fields_message([*specs, *(k for k in current if k not in specs)], lang))
            )
    return changes, problems


def settings_help() -> str:
    """Every setting with its values and default, read from the settings model."""
    specs = setting_specs()
    rows = [[spec.name, spec.allowed("en"), spec.default_text] for spec in specs.values()]
    return "settings (from the settings model):\n" + "\n".join(
        "  " + line for line in table(["setting", "values", "default"], rows).splitlines()
    )


def cmd_settings_set(ctx: Context) -> int:
    current = ctx.client.get_settings(ctx.args.shop)
    changes, problems = settings_changes(list(ctx.args.pairs), current, ctx.lang)
    if problems:
        ctx.note(problems_text(problems, ctx.lang))
        return EXIT_USAGE
    saved = ctx.client.put_settings(ctx.args.shop, {**current, **changes})
    ctx.emit(saved, _settings_text(saved))
    return 0


def _order_row(o: dict[str, Any]) -> list[Any]:
    base = o.get("base") or {}
    export = o.get("export_state")
    if o.get("export_reason"):
        export = f"{export} ({o['export_reason']})"
    return [
        o.get("unique_key"),
        jst(base.get("ordered")),
        base.get("payment"),
        base.get("total"),
        base.get("dispatch_status"),
        o.get("status"),
        o.get("tracking_number"),
        o.get("delivery_company"),
        o.get("ship_date"),
        export,
    ]


ORDER_HEADERS = [
    "unique_key",
    "ordered (JST)",
    "payment",
    "total",
    "on BASE",
    "status",
    "tracking",
    "company",
    "ship date",
    "export",
]
ORDER_HEADERS_JA = [
    "unique_key",
    "注文日時 (JST)",
    "決済",
    "合計",
    "BASE の状態",
    "ステータス",
    "伝票番号",
    "配送会社",
    "出荷日",
    "書き出し",
]


def cmd_orders_list(ctx: Context) -> int:
    args = ctx.args
    filters = {
        "status": args.status,
        "export_state": args.export_state,
        "deadline_within_days": args.deadline,
    }
    if args.all:
        orders = ctx.client.all_orders(args.shop, **filters)
        token = None
    else:
        page = ctx.client.list_orders(args.shop, **filters)
        orders, token = list(page.get("orders", [])), page.get("next_token")
    headers = ORDER_HEADERS_JA if ctx.lang == "ja" else ORDER_HEADERS
    human = (
        table(headers, [_order_row(o) for o in orders])
        if orders
        else ctx.say("受注はありません", "no orders")
    )
    if token:
        human += ctx.say("\n（続きがあります: --all を付けてください）", "\n(more: add --all)")
    ctx.emit({"orders": orders, "next_token": token}, human)
    return 0


_SEND_WHEN = {
    "within_a_minute": ("1分以内に送られます", "within a minute"),
    "next_scheduled_export": (
        "{at}（日本時間）以降の最初の定期書き出しで送られます",
        "at the first scheduled export after {at} JST",
    ),
    "on_ship_date": ("出荷日 {day} の 0:00（日本時間）に送られます", "on its ship date, {day} 00:00 JST"),
    "when_you_export": (
        "export を実行したときに送られます（auto_export はオフ）",
        "when you run export (auto_export is off)",
    ),
}


def send_warning(o: Mapping[str, Any]) -> str | None:
    """Japanese, then English: the order goes to BASE by itself, when, and that it cannot be undone;
    None when nothing goes by itself (not ready, or auto_export off)."""
    how = o.get("will_send_how")
    if how not in _SEND_WHEN or how == "when_you_export":
        return None
    at = when(o.get("will_send_at"))
    ja, en = (text.format(at=at, day=at[:10]) for text in _SEND_WHEN[how])
    return (
        f"BASEへ送信されます（取り消せません）: {ja}。\n"
        f"Will be sent to BASE (this cannot be undone): {en}.\n"
        "止めるには / to hold it: base-sync settings set SHOP auto_export=false"
        " (or export_delay_minutes=1..15 to get time to correct an edit)"
    )


def _sent_lines(o: Mapping[str, Any], lang: Language) -> list[str]:
    """What BASE received (after export) and when the order will go (before)."""
    lines: list[str] = []
    how = o.get("will_send_how")
    if how in _SEND_WHEN:
        at = when(o.get("will_send_at"))
        ja, en = (text.format(at=at, day=at[:10]) for text in _SEND_WHEN[how])
        lines.append(f"送信予定: {ja}" if lang == "ja" else f"will send   {en}")
    sent = o.get("sent_to_base")
    if isinstance(sent, Mapping):
        company = f"{sent.get('delivery_company_name') or '-'} (id {sent.get('delivery_company_id')})"
        rows = (
            ("配送会社", "company", company),
            ("伝票番号", "tracking", sent.get("tracking_number") or "-"),
            ("出荷日", "ship date", sent.get("ship_date") or "-"),
            ("コメント", "comment", sent.get("comment") or "-"),
        )
        stamp = f"{when(sent.get('sent_at'))} JST, export {sent.get('export_id')}"
        lines.append(f"BASEが受け取った内容: {stamp}" if lang == "ja" else f"sent to BASE: {stamp}")
        lines += [f"  {ja if lang == 'ja' else en}: {value}" for ja, en, value in rows]
        if sent.get("recovered"):
            lines.append(
                "  (BASE の受注詳細から復元)" if lang == "ja" else "  (read back from BASE's order detail)"
            )
    return lines


# the order view's labels: (Japanese, English), padded to one column in either language
_ORDER_LABELS: Final[dict[str, tuple[str, str]]] = {
    "order": ("受注", "order"),
    "ordered": ("注文日時", "ordered"),
    "buyer": ("購入者", "buyer"),
    "on_base": ("BASEの状態", "on BASE"),
    "status": ("対応状況", "status"),
    "tracking": ("伝票番号", "tracking"),
    "company": ("配送会社", "company"),
    "ship_date": ("出荷日", "ship date"),
    "deadline": ("BASEの期限", "BASE closes"),
    "export": ("書き出し", "export"),
    "items": ("商品", "items"),
    "history": ("履歴", "history"),
}


def _label(name: str, lang: Language) -> str:
    text = say(lang, *_ORDER_LABELS[name])
    return text + " " * max(1, 12 - width(text))


def _order_text(o: dict[str, Any], lang: Language = "en") -> str:
    base = o.get("base") or {}
    shop = say(lang, "ショップ", "shop")
    lines = [
        f"{_label('order', lang)}{o.get('unique_key')}  ({shop} {o.get('shop_id')})",
        f"{_label('ordered', lang)}{jst(base.get('ordered'))} JST, {base.get('payment')}, "
        + say(lang, "合計", "total")
        + f" {base.get('total')}",
        f"{_label('buyer', lang)}{base.get('last_name') or ''} {base.get('first_name') or ''}".rstrip(),
        f"{_label('on_base', lang)}{base.get('dispatch_status')}",
        f"{_label('status', lang)}{o.get('status')}",
        f"{_label('tracking', lang)}{o.get('tracking_number') or '-'}",
        f"{_label('company', lang)}{o.get('delivery_company') or '-'}",
        f"{_label('ship_date', lang)}{o.get('ship_date') or '-'}",
        *(
            [f"{_label('deadline', lang)}{o['base_deadline']} JST ({o.get('base_deadline_action')})"]
            if o.get("base_deadline")
            else []
        ),
        f"{_label('export', lang)}{o.get('export_state')}"
        + (f" ({o['export_reason']})" if o.get("export_reason") else ""),
    ]
    message = pick_message(o, lang, "export_")
    if message:
        lines.append(f"            {message}")
    if o.get("export_base_error"):
        lines.append(f"            BASE: {o['export_base_error']}")
    lines += _sent_lines(o, lang)
    items = base.get("items") or []
    if items:
        lines += [
            say(lang, *_ORDER_LABELS["items"]),
            *(
                "  " + line
                for line in table(
                    ["order_item_id", "title", "amount", "status"],
                    [
                        [i.get("order_item_id"), i.get("title"), i.get("amount"), i.get("status")]
                        for i in items
                    ],
                ).splitlines()
            ),
        ]
    history = o.get("history") or []
    if history:
        lines.append(say(lang, *_ORDER_LABELS["history"]))
        for entry in history[-10:]:
            detail = json.dumps(entry.get("detail") or {}, ensure_ascii=False)
            lines.append(f"  {when(entry.get('at'))}  {entry.get('event')}  {detail}")
    return "\n".join(lines)


def cmd_orders_show(ctx: Context) -> int:
    order = ctx.client.get_order(ctx.args.shop, ctx.args.key)
    ctx.emit(order, _order_text(order, ctx.lang))
    return 0


def cmd_orders_set(ctx: Context) -> int:
    args = ctx.args
    changes: dict[str, Any] = {}
    for name, value in (
        ("status", args.status),
        ("tracking_number", args.tracking_number),
        ("delivery_company", args.company),
        ("ship_date", args.ship_date),
    ):
        if value is not None:
            changes[name] = value
    if args.clear_ship_date:
        changes["ship_date"] = None
    if not changes:
        ctx.note("error: give at least one of --status, --tracking-number, --company, --ship-date")
        return 2
    order = ctx.client.patch_order(args.shop, args.key, changes)
    ctx.emit(order, _order_text(order, ctx.lang))
    warning = send_warning(order)
    if warning:
        ctx.note(warning.replace("SHOP", args.shop))
    return 0


def cmd_import(ctx: Context) -> int:
    job = ctx.client.queue_import(ctx.args.shop)
    ctx.emit(
        job,
        ctx.say(
            f"{ctx.args.shop} の取り込みを受け付けました（ジョブ {job.get('job_id')}）",
            f"import of {ctx.args.shop} queued (job {job.get('job_id')})",
        ),
    )
    return 0


ORDER_LOOKUPS: Final = 50
"""At most this many orders are read to complete the results' messages (one GET each)."""
LOOKED_UP_REASONS: Final = frozenset(
    {"ship_date_in_future", "unknown_delivery_company", "ambiguous_delivery_company"}
)
"""Reasons whose message is completed from the order: the day it goes, the company as typed."""


def looked_up_orders(
    client: ApiClient, entries: list[Mapping[str, Any]], shop_id: str | None
) -> dict[str, dict[str, Any]]:
    """``unique_key -> order`` of the entries whose message needs the order (the day a future-dated
    order goes, the delivery company as typed): the run's results and the plan do not carry them."""
    found: dict[str, dict[str, Any]] = {}
    waiting = [e for e in entries if e.get("reason") in LOOKED_UP_REASONS and e.get("unique_key")]
    for entry in waiting[:ORDER_LOOKUPS]:
        shop = entry.get("shop_id") or shop_id
        if not shop:
            continue
        try:
            found[str(entry["unique_key"])] = client.get_order(str(shop), str(entry["unique_key"]))
        except ApiError:
            continue
    return found


def _explained(
    entry: Mapping[str, Any], lang: Language, orders: Mapping[str, Mapping[str, Any]]
) -> str | None:
    """An entry's message; for a future ship date the day it goes, for an unknown or ambiguous
    delivery company the value typed."""
    message = pick_message(entry, lang)
    order = orders.get(str(entry.get("unique_key"))) or {}
    reason = entry.get("reason")
    extra = None
    if reason == "ship_date_in_future" and order.get("ship_date"):
        return ship_date_note(str(order["ship_date"]), lang)  # the catalogue's sentence, with the day
    if reason in ("unknown_delivery_company", "ambiguous_delivery_company") and order.get("delivery_company"):
        extra = typed_company_note(str(order["delivery_company"]), lang)
    if extra is None:
        return message
    return f"{message} {extra}" if message else extra


def export_text(
    run: dict[str, Any], lang: Language = "en", orders: Mapping[str, Mapping[str, Any]] | None = None
) -> str:
    counts = run.get("counts") or {}
    shop = run.get("shop_id") or say(lang, "全ショップ", "all")
    started, finished = when(run.get("started_at")), when(run.get("finished_at"))
    lines = [
        say(lang, "書き出し", "export")
        + f" {run.get('export_id')}  "
        + say(lang, "ショップ", "shop")
        + f" {shop}  ({run.get('trigger')}): {run.get('status')}",
        "  " + ", ".join(f"{name} {counts.get(name, 0)}" for name in COUNT_NAMES),
        say(
            lang,
            f"  BASE API 呼び出し: {run.get('api_calls', '-')}   開始 {started}、終了 {finished} (JST)",
            f"  BASE calls: {run.get('api_calls', '-')}   started {started}, finished {finished} (JST)",
        ),
    ]
    if run.get("error"):
        message = pick_message(run, lang, "error_")
        lines.append(
            say(lang, "  停止: ", "  stopped: ") + str(run["error"]) + (f" ({message})" if message else "")
        )
    results = run.get("results") or []
    if results:
        rows = [
            [r.get("unique_key"), r.get("outcome"), r.get("reason"), _explained(r, lang, orders or {})]
            for r in results
        ]
        headers = (
            ["unique_key", "結果", "理由", "説明"]
            if lang == "ja"
            else ["unique_key", "outcome", "reason", "message"]
        )
        lines += ["", table(headers, rows)]
    return "\n".join(lines)


def _run_text(ctx: Context, run: dict[str, Any]) -> str:
    """A run as printed, future-dated orders with the day they go (not read for --json)."""
    if ctx.json:
        return ""
    orders = looked_up_orders(ctx.client, list(run.get("results") or []), run.get("shop_id"))
    return export_text(run, ctx.lang, orders)


def run_exit_status(run: Mapping[str, Any]) -> int:
    """How ``export --wait`` and ``export-status`` exit for a run: the same for the same run."""
    status = run.get("status")
    if status == "succeeded":
        return EXIT_OK
    if status in ("queued", "running"):
        return EXIT_UNFINISHED
    return EXIT_FAILED


def wait_for_export(
    client: ApiClient,
    export_id: str,
    *,
    timeout_s: float,
    tick: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Poll GET /exports/{id} until it is neither queued nor running (or the time is up)."""
    deadline = time.monotonic() + timeout_s
    while True:
        run = client.get_export(export_id)
        if run.get("status") not in ("queued", "running") or time.monotonic() > deadline:
            return run
        if tick:
            tick(run)
        time.sleep(1.0)


def cmd_export(ctx: Context) -> int:
    args = ctx.args
    answer = ctx.client.create_export(shop_id=args.shop, order_keys=args.order or None, dry_run=args.dry_run)
    if args.dry_run:
        plan = answer.get("plan", [])
        orders = {} if ctx.json else looked_up_orders(ctx.client, plan, args.shop)
        rows = [
            [
                p.get("shop_id"),
                p.get("unique_key"),
                p.get("action"),
                p.get("reason"),
                _explained(p, ctx.lang, orders),
            ]
            for p in plan
        ]
        headers = (
            ["ショップ", "unique_key", "動作", "理由", "説明"]
            if ctx.lang == "ja"
            else ["shop", "unique_key", "action", "reason", "message"]
        )
        nothing = ctx.say("書き出す受注はありません", "nothing to export")
        ctx.emit(answer, table(headers, rows) if plan else nothing)
        return 0
    export_id = str(answer.get("export_id"))
    if not args.wait:
        ctx.emit(
            answer,
            ctx.say(
                f"書き出し {export_id} を受け付けました。確認: base-sync export-status {export_id}  または  base-sync log SHOP",
                f"export {export_id} queued; see: base-sync export-status {export_id}  or  base-sync log SHOP",
            ),
        )
        return 0
    # Progress only where a person watches it: stderr a terminal (piped or redirected output
    # stays clean, stdout carries the summary alone).
    progress = ctx.err.isatty()
    if progress:
        ctx.note(
            ctx.say(
                f"書き出し {export_id} を受け付けました。終わるまで待ちます …",
                f"export {export_id} queued; waiting …",
            )
        )
    run = wait_for_export(
        ctx.client,
        export_id,
        timeout_s=args.timeout,
        tick=(lambda r: ctx.note(f"  … {r.get('status')}")) if progress else None,
    )
    ctx.emit(run, _run_text(ctx, run))
    status = run.get("status")
    if status in ("queued", "running"):
        ctx.note(
            ctx.say(
                f"エラー: 書き出し {export_id} は {args.timeout:g} 秒待っても {status} のままです",
                f"error: export {export_id} still {status} after {args.timeout:g} s",
            )
        )
    return run_exit_status(run)


def cmd_export_status(ctx: Context) -> int:
    run = ctx.client.get_export(ctx.args.export_id)
    ctx.emit(run, _run_text(ctx, run))
    return run_exit_status(run)


def cmd_log(ctx: Context) -> int:
    runs = ctx.client.list_exports(ctx.args.shop)
    rows = []
    for r in runs:
        counts = r.get("counts") or {}
        rows.append(
            [
                r.get("export_id"),
                r.get("trigger"),
                r.get("status"),
                when(r.get("started_at")),
                when(r.get("finished_at")),
                " ".join(f"{k}={counts[k]}" for k in COUNT_NAMES if counts.get(k)),
                r.get("api_calls"),
                pick_message(r, ctx.lang, "error_") if r.get("error") else None,
            ]
        )
    headers = (
        ["export_id", "契機", "状態", "開始 (JST)", "終了 (JST)", "件数", "BASE API 呼び出し", "停止の理由"]
        if ctx.lang == "ja"
        else [
            "export_id",
            "trigger",
            "status",
            "started (JST)",
            "finished (JST)",
            "counts",
            "BASE calls",
            "stopped because",
        ]
    )
    nothing = ctx.say("書き出しの実行はまだありません", "no export runs yet")
    ctx.emit({"exports": runs}, table(headers, rows) if runs else nothing)
    return 0


def _shipments_layout(ctx: Context) -> Layout | None:
    args = ctx.args
    try:
        columns = parse_columns(args.columns or "")
    except ValueError as exc:
        ctx.note(f"error: {exc}")
        return None
    return Layout(
        preset=PRESETS[args.preset] if args.preset else None, columns=columns, status=args.set_status
    )


def cmd_shipments_load(ctx: Context) -> int:
    args = ctx.args
    ja = ctx.lang == "ja"
    layout = _shipments_layout(ctx)
    if layout is None:
        return 2
    try:
        data = Path(args.file).read_bytes()
    except OSError as exc:
        ctx.note(f"error: cannot read {args.file}: {exc.strerror}")
        return 1
    parsed = parse_shipments(data, layout)
    if parsed.errors:
        bad_lines = sorted({e.line for e in parsed.errors})
        ctx.note(
            f"error: {args.file}: {len(bad_lines)} 行に誤りがあります。何も変更していません"
            if ja
            else f"error: {args.file}: {len(bad_lines)} bad row(s); nothing was changed"
        )
        for problem in parsed.errors:
            ctx.note(f"  {problem.text(ctx.lang)}")
        if ctx.json:
            ctx.emit(
                {"changed": 0, "errors": [{"line": e.line, "message": e.message} for e in parsed.errors]}, ""
            )
        return 1
    total = len(parsed.rows)
    verb = (
        ("で確認します（書き込みません）" if args.dry_run else "に反映します")
        if ja
        else ("checking" if args.dry_run else "loading")
    )
    ctx.note(
        f"{args.file} ({parsed.encoding}): {total} 行を確認しました。ショップ {args.shop} {verb}"
        if ja
        else f"{args.file} ({parsed.encoding}): {total} row(s) checked; {verb} them for shop {args.shop}"
    )
    outcome = load_shipments(ctx.client, args.shop, parsed.rows, dry_run=args.dry_run, progress=ctx.note)
    ctx.emit(outcome.as_json(), _shipments_text(outcome, total, ctx.lang))
    return 0 if outcome.ok else 1


def _shipments_text(outcome: LoadOutcome, total: int, lang: Language) -> str:
    ja = lang == "ja"
    parts: list[str] = []
    if outcome.error is not None:
        parts.append(f"error: {outcome.error.describe()}")
    if outcome.refused:
        count = len({p.get("line") for p in outcome.refused})
        parts.append(f"{count} 行を受け付けられません:" if ja else f"{count} line(s) refused:")
        parts += [f"  {problem_text(p, lang)}" for p in outcome.refused]
    if outcome.lines and (outcome.dry_run or outcome.ok or outcome.not_applied):
        parts.append(
            table(["line", "unique_key", "changes", "export_state", "BASE"], plan_rows(outcome.lines, lang))
        )
    changed = [line for line in outcome.lines if line.get("changed")]
    soon = sum(1 for line in changed if line.get("send") == "within_a_minute")
    if outcome.not_applied:
        parts.append(
            f"{len(outcome.lines)} 行は反映済み、{len(outcome.not_applied)} 行は未反映です（その間に受注が変わりました）: "
            if ja
            else f"{len(outcome.lines)} line(s) applied, {len(outcome.not_applied)} not (orders changed meanwhile): "
        )
        parts[-1] += ", ".join(f"{n.get('line')} {n.get('unique_key')}" for n in outcome.not_applied)
    elif outcome.ok and outcome.dry_run:
        parts.append(
            f"試行のみ（何も書き込んでいません）: {len(changed)} 件の受注が変わり、{soon} 件は 1 分以内に BASEへ送信されます（取り消せません）"
            if ja
            else f"dry run, nothing was written: {len(changed)} order(s) would change; {soon} would be sent to BASE "
            "within a minute (BASE cannot take a dispatch back)"
        )
    elif outcome.ok:
        parts.append(
            f"{total} 件中 {len(changed)} 件の受注を更新しました"
            if ja
            else f"{len(changed)} of {total} order(s) updated"
        )
        if soon:
            parts.append(
                f"{soon} 件は 1 分以内に BASEへ送信されます（取り消せません）"
                if ja
                else f"{soon} will be sent to BASE within a minute (auto_export is on); BASE cannot take it back"
            )
    elif outcome.refused:
        parts.append("何も変更していません" if ja else "nothing was changed")
    return "\n".join(parts)


# -- parser


def _globals(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    """The global options; on subcommands they default to SUPPRESS so either position works."""

    def default(value: Any) -> Any:
        return argparse.SUPPRESS if suppress else value

    parser.add_argument(
        "--api-url",
        default=default(None),
        help=f"the API root (default: env BASE_SYNC_API_URL, else {DEFAULT_API_URL})",
    )
    parser.add_argument(
        "--stack", default=default(None), help="a deployed stack's name: its ApiUrl output is used"
    )
    parser.add_argument("--region", default=default(None), help="AWS region of the stack / API")
    parser.add_argument("--json", action="store_true", default=default(False), help="machine-readable output")
    parser.add_argument(
        "--lang",
        choices=LANGUAGES,
        default=default(None),
        help="language of messages (default: Japanese when LC_ALL / LC_MESSAGES / LANG starts with ja, else English)",
    )
    parser.add_argument(
        "--sign",
        action=argparse.BooleanOptionalAction,
        default=default(None),
        help="SigV4-sign requests (default: only when the API is not on this machine)",
    )


def build_parser() -> argparse.ArgumentParser:  # noqa: PLR0915 - one flat list of commands
    parser = argparse.ArgumentParser(
        prog="base-sync",
        description="Operate base-order-sync: connect BASE shops, manage orders, export shipping information.",
        epilog=EXIT_STATUS,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _globals(parser, suppress=False)
    common = argparse.ArgumentParser(add_help=False)
    _globals(common, suppress=True)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(
        subs: Any, name: str, func: Callable[[Context], int], help_text: str, epilog: str | None = None
    ) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = subs.add_parser(
            name,
            parents=[common],
            help=help_text,
            description=help_text,
            epilog=epilog,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        p.set_defaults(func=func)
        return p

    p = add(sub, "connect", cmd_connect, "start connecting a BASE shop: prints the authorize URL")
    p.add_argument("--open", action="store_true", help="open the URL in a browser")
    add(sub, "shops", cmd_shops, "list connected shops")

    settings = sub.add_parser("settings", help="a shop's settings", parents=[common])
    settings_sub = settings.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = add(settings_sub, "get", cmd_settings_get, "show a shop's settings")
    p.add_argument("shop")
    p = add(
        settings_sub,
        "set",
        cmd_settings_set,
        "change settings: key=value … (each value is checked against the setting before anything is sent)",
        settings_help(),
    )
    p.add_argument("shop")
    p.add_argument("pairs", nargs="+", metavar="key=value")

    orders = sub.add_parser("orders", help="a shop's orders", parents=[common])
    orders_sub = orders.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = add(orders_sub, "list", cmd_orders_list, "list orders, newest first")
    p.add_argument("shop")
    p.add_argument("--status", choices=ORDER_STATUSES)
    p.add_argument("--export-state", choices=EXPORT_STATES)
    p.add_argument("--all", action="store_true", help="every page, not just the first")
    p.add_argument(
        "--deadline-within",
        dest="deadline",
        type=int,
        metavar="DAYS",
        help="only orders BASE closes or cancels by itself within DAYS days (JST), passed ones included",
    )
    p = add(orders_sub, "show", cmd_orders_show, "one order with its items and history")
    p.add_argument("shop")
    p.add_argument("key", metavar="UNIQUE_KEY")
    p = add(orders_sub, "set", cmd_orders_set, "change an order's management fields")
    p.add_argument("shop")
    p.add_argument("key", metavar="UNIQUE_KEY")
    p.add_argument("--status", choices=ORDER_STATUSES)
    p.add_argument("--tracking-number", help="伝票番号 (full-width, hyphens and spaces are normalised)")
    p.add_argument("--company", help="delivery company: BASE name, alias or id")
    p.add_argument("--ship-date", help="出荷日 YYYY-MM-DD (JST); a future date waits for that day")
    p.add_argument(
        "--clear-ship-date", action="store_true", help="back to the default (the day tracking was entered)"
    )

    p = add(sub, "import", cmd_import, "queue an import of the shop's recent BASE orders now")
    p.add_argument("shop")

    p = add(
        sub,
        "export",
        cmd_export,
        "export ready orders to BASE now (or --dry-run: show the plan)",
        EXIT_STATUS,
    )
    p.add_argument("--shop", help="only this shop")
    p.add_argument("--order", action="append", metavar="KEY", help="only these orders (repeatable)")
    p.add_argument("--dry-run", action="store_true", help="show what would happen; write nothing to BASE")
    p.add_argument(
        "--wait",
        action="store_true",
        help="wait for the run to finish and print its summary; exits like export-status "
        "(progress on stderr only when it is a terminal)",
    )
    p.add_argument("--timeout", type=float, default=600.0, help="seconds --wait waits at most (default 600)")

    p = add(sub, "export-status", cmd_export_status, "one export run's summary", EXIT_STATUS)
    p.add_argument("export_id")

    p = add(sub, "log", cmd_log, "the processing log: recent export runs of a shop, newest first")
    p.add_argument("shop")

    shipments = sub.add_parser("shipments", help="bulk shipping information", parents=[common])
    shipments_sub = shipments.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = add(
        shipments_sub,
        "load",
        cmd_shipments_load,
        "set tracking numbers, companies and ship dates from a CSV (UTF-8 or Shift_JIS; columns "
        "unique_key,tracking_number,delivery_company,ship_date[,status] or 注文番号,伝票番号,配送会社,出荷日,"
        "ステータス): every line is checked, then all are written or none",
    )
    p.add_argument("shop")
    p.add_argument("file", metavar="FILE.csv")
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="check every line and show what would change and what would be sent; write nothing",
    )
    p.add_argument(
        "--preset",
        choices=sorted(PRESETS),
        help="a carrier program's export file: "
        + "; ".join(
            f"{name} = {preset.title}, company {preset.company}" for name, preset in sorted(PRESETS.items())
        ),
    )
    p.add_argument(
        "--columns",
        metavar="HEADER=COLUMN,…",
        help="map the file's header names to unique_key, tracking_number, delivery_company, ship_date, status "
        "or ignore (e.g. 'お荷物番号=tracking_number,備考=ignore'); overrides a preset",
    )
    p.add_argument(
        "--set-status",
        choices=ORDER_STATUSES,
        help="the status for every line without one (e.g. processed: imported orders start new, which never exports)",
    )

    console_arguments(add(sub, "console", cmd_console, CONSOLE_HELP))
    return parser


def resolve_api_url(args: argparse.Namespace) -> str:
    if args.api_url:
        return str(args.api_url)
    if args.stack:
        return stack_api_url(args.stack, args.region)
    return os.environ.get("BASE_SYNC_API_URL") or DEFAULT_API_URL


def main(argv: list[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    args = build_parser().parse_args(argv)
    lang = choose_language(getattr(args, "lang", None), os.environ)
    try:
        api_url = resolve_api_url(args)
        client = ApiClient.for_url(api_url, region=args.region, sign=args.sign)
        return int(args.func(Context(args, client, out, err)))
    except ApiError as exc:
        print(error_text(exc, lang), file=err, flush=True)
        return EXIT_FAILED
    except BrokenPipeError:  # `base-sync … | head`: the reader went away
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except Exception as exc:  # boto3 errors with --stack, LookupError, …
        if type(exc).__module__.startswith(("botocore", "boto3")) or isinstance(exc, LookupError):
            print(say(lang, "エラー", "error") + f": {exc}", file=err, flush=True)
            return EXIT_FAILED
        raise


if __name__ == "__main__":
    raise SystemExit(main())
