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
    "send": ("発送情報の更新", "Send shipping information"),
    "upload": ("CSV 取り込み", "CSV upload"),
    "order_detail": ("受注詳細", "Order details"),
    "details": ("詳細", "Details"),
    "too_large": ("大きすぎます", "Too large"),
    "too_large_text": (
        "ファイルが大きすぎます（上限 {} MB）。分けて取り込んでください。何も変更していません。",
        "The file is too large (at most {} MB). Split it and upload the parts. Nothing was changed.",
    ),
    # 受注詳細
    "base_fields": ("BASE の情報", "On BASE"),
    "our_fields": ("こちらの入力", "Ours"),
    "buyer": ("購入者", "Buyer"),
    "shipping_method": ("配送方法", "Shipping method"),
    "delivery_date": ("お届け希望日", "Requested delivery date"),
    "items": ("商品", "Items"),
    "base_tracking": ("BASE 上の伝票番号", "Tracking number on BASE"),
    "tracking_entered_at": ("伝票番号の入力", "Tracking number entered"),
    "export_state": ("書き出しの状態", "Export state"),
    "base_error": ("BASE のエラー", "BASE's error"),
    "will_send": ("BASE への送信", "Sending to BASE"),
    "will_send_none": ("今のままでは送信されません。", "As it stands, it will not be sent."),
    "will_within_a_minute": (
        "{} ごろ、1 分以内に BASE へ送信されます（取り消せません）。",
        "Will be sent to BASE within a minute, around {} (it cannot be undone).",
    ),
    "will_next_scheduled_export": (
        "{} 以降の最初の定期書き出し（30 分ごと）で BASE へ送信されます（取り消せません）。",
        "Will be sent to BASE by the first scheduled export after {} (every 30 minutes; it cannot be undone).",
    ),
    "will_on_ship_date": (
        "出荷日の {} に BASE へ送信されます（取り消せません）。",
        "Will be sent to BASE on its ship date, at {} (it cannot be undone).",
    ),
    "will_when_you_export": (
        "自動書き出しがオフです。「発送情報の更新」で送信するまで送られません（{} 以降に送信できます）。",
        "Automatic export is off: nothing is sent until you use Send shipping information (possible from {}).",
    ),
    "sent_to_base": ("BASE が受け取った内容", "What BASE received"),
    "not_sent": ("まだ BASE へ送信していません。", "Nothing has been sent to BASE yet."),
    "company_sent": ("配送会社（BASE の名前・ID）", "Delivery company (BASE's name, id)"),
    "tracking_sent": ("送信した伝票番号", "Tracking number as sent"),
    "comment_sent": ("発送メールのコメント", "Comment in the shipping e-mail"),
    "sent_at": ("送信日時", "Sent at"),
    "sent_by_run": ("送信した書き出し", "Sent by the run"),
    "recovered": (
        "応答が失われた後、次の書き出しが BASE 上で発送済みを確認しました（会社と伝票番号は BASE の値）。",
        "The answer was lost; a later run found it dispatched on BASE (company and number as BASE has them).",
    ),
    "history": ("履歴（新しい順）", "History (newest first)"),
    "no_history": ("履歴はありません。", "No history."),
    "when_col": ("日時", "When"),
    "event": ("出来事", "Event"),
    "actor": ("操作した人", "By"),
    "detail_col": ("内容", "Detail"),
    "system": ("システム", "the system"),
    "back_to_orders": ("受注一覧へ戻る", "Back to the orders"),
    # 発送情報の更新
    "send_intro": (
        "まず試行（何も送信しません）で、送信するもの・送信しないものとその理由を確認します。",
        "First a dry run (nothing is sent): what would be sent, what is held back, and why.",
    ),
    "plan_title": ("試行の結果（まだ何も送信していません）", "Dry run (nothing has been sent)"),
    "to_send": ("送信するもの", "Will be sent"),
    "held_back": ("送信しないもの", "Held back"),
    "nothing_to_send": ("今送信できる受注はありません。", "No order can be sent now."),
    "plan_dispatch": ("BASE で発送済みにする", "Mark dispatched on BASE"),
    "plan_defer": ("後で送信", "Later"),
    "plan_skip": ("送信しない", "Not sent"),
    "to_confirm": ("確認へ進む", "Continue to confirm"),
    "confirm_title": ("送信の確認", "Confirm sending"),
    "cannot_undo": ("BASEへ送信します。取り消せません。", "This sends to BASE. It cannot be undone."),
    "cannot_undo_detail": (
        "BASE は購入者に発送メールを送ります。送信後は BASE でも取り消せません。",
        "BASE e-mails each buyer. Once sent, not even BASE can take it back.",
    ),
    "send_count": (
        "{} 件の受注を BASE で発送済みにします。",
        "{} order(s) will be marked dispatched on BASE.",
    ),
    "send_now": ("BASEへ送信する", "Send to BASE"),
    "cancel": ("やめる", "Cancel"),
    "already_started": (
        "この送信は既に開始しています。二重には送信しません。",
        "This send was started already; it is not sent twice.",
    ),
    "confirmation_used": (
        "この確認は既に使われました。二重には送信しません。自動処理ログで結果を確かめてください。",
        "This confirmation was used already; nothing is sent twice. Check the processing log for the result.",
    ),
    "token_gone": (
        "この確認は期限切れか、既に使われました。もう一度試行からやり直してください。何も送信していません。",
        "This confirmation expired or was used. Start again from the dry run. Nothing was sent.",
    ),
    "run_title": ("送信の進み具合", "Progress"),
    "run_waiting": (
        "実行中です。このページは 2 秒ごとに自動で更新されます。",
        "Running. This page refreshes itself every 2 seconds.",
    ),
    "run_done": ("書き出しが終わりました。", "The export run has ended."),
    "see_log": ("自動処理ログで見る", "See it in the processing log"),
    # CSV 取り込み
    "upload_intro": (
        "CSV（UTF-8 または Shift_JIS）を選ぶと、まず確認だけを行い、変更と誤りの行をすべて表示します。この段階では何も変更しません。",
        "Choose a CSV (UTF-8 or Shift_JIS): it is checked first, every change and every bad line shown. Nothing is changed at this step.",
    ),
    "csv_file": ("CSV ファイル", "CSV file"),
    "csv_help": (
        "見出し行: 注文番号・伝票番号・配送会社・出荷日・ステータス（英語名も可）。上限 {} MB。",
        "Header row: unique_key, tracking_number, delivery_company, ship_date, status (Japanese names too). At most {} MB.",
    ),
    "preset": ("配送ソフトの形式", "Carrier software layout"),
    "preset_none": ("なし（列名で読む）", "none (read by the column names)"),
    "set_status": ("ステータスのない行に設定", "Status for lines without one"),
    "columns": ("列の対応（任意）", "Column mapping (optional)"),
    "columns_help": (
        "例: お荷物番号=tracking_number,備考=ignore",
        "e.g. お荷物番号=tracking_number,備考=ignore",
    ),
    "check_file": ("確認する", "Check"),
    "no_file": ("ファイルを選んでください。", "Choose a file."),
    "bad_columns": (
        "列の対応を読めません: 見出し=列 をカンマで区切ってください（列は {}）。",
        "Cannot read the column mapping: give HEADER=COLUMN, comma-separated (COLUMN one of {}).",
    ),
    "preview_title": ("確認の結果（まだ何も変更していません）", "Checked (nothing has been changed)"),
    "file_read": ("{}（{}）: {} 行", "{} ({}): {} line(s)"),
    "bad_lines": ("誤りのある行", "Bad lines"),
    "bad_lines_note": (
        "誤りのある行があるため、このファイルは適用できません。直してからもう一度取り込んでください。",
        "The file has bad lines and cannot be applied. Correct them and upload it again.",
    ),
    "line": ("行", "Line"),
    "message": ("内容", "Message"),
    "changes": ("変更", "Changes"),
    "no_change": ("変更なし", "no change"),
    "after_edit": ("変更後の状態", "State after"),
    "send_col": ("BASE への送信", "To BASE"),
    "apply_csv": ("適用する", "Apply"),
    "apply_sends": (
        "適用すると {} 件の受注が 1 分以内に BASE へ送信されます（取り消せません）。",
        "Applying sends {} order(s) to BASE within a minute (it cannot be undone).",
    ),
    "applied": ("適用しました: {} 件の受注を変更しました。", "Applied: {} order(s) changed."),
    "applied_sends": (
        "{} 件は 1 分以内に BASE へ送信されます（取り消せません）。",
        "{} will be sent to BASE within a minute (it cannot be undone).",
    ),
    "not_applied": ("適用できませんでした。何も変更していません。", "Not applied. Nothing was changed."),
    "partly_applied": (
        "一部だけ反映されました（その間に受注が変わりました）。反映されなかった行: {}",
        "Partly applied (orders changed meanwhile). Lines not applied: {}",
    ),
    "upload_gone": (
        "この確認結果は期限切れか、既に適用されました。もう一度ファイルを取り込んでください。",
        "This check expired or was applied already. Upload the file again.",
    ),
    "upload_again": ("別のファイルを取り込む", "Upload another file"),
}

SEND_WORDS: Final[Mapping[str, tuple[str, str]]] = {
    "within_a_minute": (
        "1 分以内に BASE へ送信（取り消せません）",
        "to BASE within a minute (cannot be undone)",
    ),
    "later": ("出荷日・入金後に BASE へ送信", "to BASE when its ship date / payment comes"),
    "on_export": ("「発送情報の更新」で送信", "when you send shipping information"),
    "no": ("送信しない", "not sent"),
}

EVENTS: Final[Mapping[str, tuple[str, str]]] = {
    "imported": ("BASE から取り込み", "Imported from BASE"),
    "base_changed": ("BASE 側で変更", "Changed on BASE"),
    "updated": ("編集", "Edited"),
    "dispatched": ("BASE へ送信（発送済み）", "Sent to BASE (dispatched)"),
    "export_attempt": ("送信を試行", "Send attempted"),
    "outcome_unknown": ("送信の結果が不明", "Send outcome unknown"),
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
