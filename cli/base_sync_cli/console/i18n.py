"""Every word the console shows, in Japanese and English (Japanese first), and JST times.

``text(key, lang)`` is the one lookup; labels of the API's stable codes (order statuses, export
states, run outcomes, setting names) live here too, so a page never shows a bare code where a word
exists. A code without a label (a value added to the API later) is shown as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Literal

from base_sync_cli.output import jst, when

Lang = Literal["ja", "en"]
LANGS: Final = ("ja", "en")

TEXTS: Final[Mapping[str, tuple[str, str]]] = {
    "app": ("BASE 受注連携 コンソール", "BASE order sync console"),
    "nav": ("メニュー", "Menu"),
    "shops": ("ショップ", "Shops"),
    "settings": ("設定", "Settings"),
    "orders": ("受注一覧", "Orders"),
    "log": ("自動処理ログ", "Processing log"),
    "switch_lang": ("English", "日本語"),
    "switch_lang_label": ("Switch to English", "日本語に切り替える"),
    "times_jst": ("時刻はすべて日本時間（JST）です。", "All times are Japan time (JST)."),
    "connect": ("接続", "Connect"),
    "connect_shop": ("BASE ショップを接続", "Connect a BASE shop"),
    "connect_help": (
        "BASE の許可画面が開きます。10 分以内に「許可する」を押してください。",
        "BASE's consent page opens. Approve within 10 minutes.",
    ),
    "reconnect": ("再接続", "Reconnect"),
    "import_now": ("今すぐ取得", "Import now"),
    "import_queued": ("受注の取得を依頼しました。", "An import was queued."),
    "no_shops": ("接続されたショップはまだありません。", "No shop is connected yet."),
    "shop": ("ショップ", "Shop"),
    "status": ("状態", "Status"),
    "connected": ("接続中", "Connected"),
    "needs_reauth": ("再接続が必要", "Needs reconnecting"),
    "last_import": ("最後の取得", "Last import"),
    "last_export": ("最後の書き出し", "Last export"),
    "never": ("まだありません", "not yet"),
    "new_orders": ("新規", "new"),
    "updated_orders": ("更新", "updated"),
    "stopped": ("途中で停止", "stopped early"),
    "settings_of": ("の設定", "settings"),
    "save": ("保存", "Save"),
    "saved": ("設定を保存しました。", "Settings saved."),
    "not_saved": (
        "保存できませんでした。赤字の項目を直してください。",
        "Not saved. Correct the fields marked in red.",
    ),
    "invalid_value": ("この値は使えません。", "This value is not accepted."),
    "range": ("範囲", "range"),
    "default": ("既定", "default"),
    "yes": ("はい", "yes"),
    "filter": ("絞り込み", "Filter"),
    "any": ("すべて", "any"),
    "apply": ("表示", "Show"),
    "next_page": ("次のページ", "Next page"),
    "no_orders": ("該当する受注はありません。", "No orders match."),
    "order": ("注文", "Order"),
    "ordered_at": ("注文日時", "Ordered"),
    "base_side": ("BASE 側", "On BASE"),
    "our_side": ("こちらの入力", "Ours"),
    "export_col": ("書き出し", "Export"),
    "payment": ("決済", "Payment"),
    "total": ("合計", "Total"),
    "dispatch_status": ("BASE の状態", "BASE status"),
    "tracking_number": ("伝票番号", "Tracking number"),
    "delivery_company": ("配送会社", "Delivery company"),
    "ship_date": ("出荷日", "Ship date"),
    "base_deadline": ("BASE の期限", "BASE deadline"),
    "yen": ("円", "yen"),
    "no_runs": ("書き出しの記録はまだありません。", "No export runs yet."),
    "run": ("書き出し", "Export run"),
    "trigger": ("きっかけ", "Trigger"),
    "started": ("開始", "Started"),
    "finished": ("終了", "Finished"),
    "counts": ("件数", "Counts"),
    "api_calls": ("BASE 呼び出し", "BASE calls"),
    "results": ("受注ごとの結果", "Each order"),
    "outcome": ("結果", "Outcome"),
    "reason": ("理由", "Reason"),
    "run_stopped": ("停止の理由", "Stopped because"),
    "error_title": ("エラー", "Error"),
    "api_error": ("API がエラーを返しました", "The API answered with an error"),
    "back_to_shops": ("ショップ一覧へ戻る", "Back to the shops"),
    "preview": ("プレビュー", "Preview"),
    "preview_help": (
        "保存せずに、コメントの最長の長さと例を表示します。",
        "Shows the comment's longest length and an example without saving.",
    ),
    "worst_case": ("最長の場合", "At its longest"),
    "characters": ("文字", "characters"),
    "too_long": (
        "BASE の上限を超えます。伝票番号 64 文字・配送会社 100 文字・出荷日 11 文字で数えています。",
        "Over BASE's limit, counting a 64-character tracking number, a 100-character company and an 11-character date.",
    ),
    "example": ("例", "Example"),
    "no_comment": ("（コメントなし）", "(no comment)"),
    "within_days": ("{} 日以内（過ぎたものも）", "within {} days (passed ones too)"),
    "edit": ("編集", "Edit"),
    "edit_order": ("受注を編集", "Edit the order"),
    "keep": ("変更しない", "unchanged"),
    "ship_date_help": ("空欄: 伝票番号を入力した日", "Empty: the day the tracking number was entered"),
    "save_order": ("この受注を保存", "Save this order"),
    "order_saved": ("受注を保存しました。", "The order was saved."),
    "order_not_saved": ("受注を保存できませんでした", "The order was not saved"),
    "sends_to_base": (
        "自動書き出しがオンです。書き出せる状態になると 1 分以内に BASE へ送信されます（取り消せません）。",
        "Automatic export is on: once ready, the order is sent to BASE within a minute (it cannot be undone).",
    ),
    "later_slice": (
        "受注詳細・発送情報の更新（書き出し）・CSV 取り込みは、今はコマンド（base-sync）で行えます。",
        "Order details, sending shipping information (export) and CSV uploads: use the base-sync command for now.",
    ),
}

SETTING_LABELS: Final[Mapping[str, tuple[str, str]]] = {
    "export_filter": ("書き出す受注", "Orders exported"),
    "auto_import": ("自動取得", "Import automatically"),
    "auto_export": ("自動書き出し", "Export automatically"),
    "import_days": ("受注を取得する日数", "Days of orders to import"),
    "comment_template": ("発送メールのコメント", "Comment in the shipping e-mail"),
    "import_call_budget": ("取得 1 回の BASE 呼び出し上限", "BASE calls per import run"),
    "export_call_budget": ("書き出し 1 回の BASE 呼び出し上限", "BASE calls per export run"),
    "export_delay_minutes": ("書き出しまでの待ち時間（分）", "Minutes an edit waits before export"),
}

SETTING_HELP: Final[Mapping[str, tuple[str, str]]] = {
    "auto_import": ("30 分ごとに BASE の受注を取得します。", "Import BASE orders every 30 minutes."),
    "auto_export": (
        "30 分ごと、および入力から 1 分以内に BASE へ書き出します（BASE では取り消せません）。",
        "Export every 30 minutes and within a minute of an edit (BASE cannot take it back).",
    ),
    "comment_template": (
        "{tracking_number}・{delivery_company}・{ship_date} が使えます。差し込み後 250 文字まで。",
        "May use {tracking_number}, {delivery_company}, {ship_date}; at most 250 characters rendered.",
    ),
}

CHOICES: Final[Mapping[str, Mapping[str, tuple[str, str]]]] = {
    "export_filter": {
        "all_except_new_and_hold": ("【処理済み】以外も書き出す", "Export every status but new and hold"),
        "processed_only": ("【処理済み】だけ書き出す", "Export processed orders only"),
    },
    "order_status": {
        "new": ("新規受付", "New"),
        "hold": ("保留", "On hold"),
        "awaiting_payment": ("入金待ち", "Awaiting payment"),
        "awaiting_shipment": ("発送待ち", "Awaiting shipment"),
        "processed": ("処理済み", "Processed"),
        "cancelled": ("キャンセル", "Cancelled"),
    },
    "export_state": {
        "not_ready": ("未準備", "Not ready"),
        "pending": ("書き出し待ち", "Ready to export"),
        "deferred": ("後で書き出し", "Deferred"),
        "exported": ("書き出し済み", "Exported"),
        "already_dispatched": ("BASE で発送済み", "Dispatched on BASE"),
        "failed": ("失敗", "Failed"),
    },
    "outcome": {
        "dispatched": ("発送済みにした", "Dispatched"),
        "already_dispatched": ("既に発送済み", "Already dispatched"),
        "deferred": ("後で書き出し", "Deferred"),
        "skipped": ("対象外", "Skipped"),
        "failed": ("失敗", "Failed"),
    },
    "run_status": {
        "queued": ("待機中", "Queued"),
        "running": ("実行中", "Running"),
        "succeeded": ("成功", "Succeeded"),
        "partial": ("一部のみ", "Partial"),
        "failed": ("失敗", "Failed"),
    },
    "trigger": {
        "schedule": ("定期（30 分ごと）", "Schedule"),
        "manual": ("手動", "Manual"),
        "change": ("入力の直後", "After an edit"),
    },
    "payment": {
        "creditcard": ("クレジットカード", "Credit card"),
        "bt": ("銀行振込", "Bank transfer"),
        "base_bt": ("銀行振込（BASE口座）", "Bank transfer (BASE)"),
        "cod": ("代金引換", "Cash on delivery"),
        "cvs": ("コンビニ決済", "Convenience store"),
        "atobarai": ("後払い", "Deferred payment"),
        "bnpl": ("Pay ID あと払い", "Pay ID deferred payment"),
        "paypal": ("PayPal", "PayPal"),
        "amazon_pay": ("Amazon Pay", "Amazon Pay"),
        "coin": ("コイン", "Coin"),
    },
    "base_status": {
        "ordered": ("未対応", "To ship"),
        "unpaid": ("入金待ち", "Awaiting payment"),
        "dispatched": ("対応済", "Dispatched"),
        "cancelled": ("キャンセル", "Cancelled"),
        "shipping": ("配送中", "In transit"),
        "unshippable": ("発送不可", "Unshippable"),
    },
    "shop_status": {
        "connected": ("接続中", "Connected"),
        "needs_reauth": ("再接続が必要", "Needs reconnecting"),
    },
}


def pick(pair: tuple[str, str], lang: Lang) -> str:
    return pair[0] if lang == "ja" else pair[1]


def text(key: str, lang: Lang) -> str:
    """The word for ``key``; a missing key is a programming error (KeyError), caught by the tests."""
    return pick(TEXTS[key], lang)


def choice(group: str, code: Any, lang: Lang) -> str:
    """The label of an API code (``order_status``/``processed`` -> 処理済み); the code itself if unknown."""
    if code is None or code == "":
        return "-"
    labels = CHOICES.get(group, {})
    pair = labels.get(str(code))
    return pick(pair, lang) if pair else str(code)


def setting_label(key: str, lang: Lang) -> str:
    pair = SETTING_LABELS.get(key)
    return pick(pair, lang) if pair else key


def setting_help(key: str, lang: Lang) -> str | None:
    pair = SETTING_HELP.get(key)
    return pick(pair, lang) if pair else None


def message(item: Mapping[str, Any] | None, lang: Lang, prefix: str = "") -> str | None:
    """The API's sentence beside a reason (``<prefix>message_ja`` / ``<prefix>message``) in ``lang``,
    else the other language's."""
    if not item:
        return None
    english, japanese = item.get(f"{prefix}message"), item.get(f"{prefix}message_ja")
    first, second = (japanese, english) if lang == "ja" else (english, japanese)
    chosen = first or second
    return str(chosen) if chosen else None


def has_japanese(value: str) -> bool:
    return any("\u3040" <= c <= "\u30ff" or "\u4e00" <= c <= "\u9fff" for c in value)


def jst_time(value: Any) -> str:
    """An ISO timestamp or Unix seconds as JST (``YYYY-MM-DD HH:MM[:SS]``); ``-`` for nothing."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return jst(value)
    return when(value)


def choose(value: str | None) -> Lang | None:
    return "en" if value == "en" else "ja" if value == "ja" else None
