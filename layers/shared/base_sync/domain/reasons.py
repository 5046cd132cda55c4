"""The one catalogue of reasons: why an order was held back, or why a run stopped.

Every reason an order (``export_reason``), a run's result or a run itself (``error``) can carry
is a member of :class:`Reason`, with a Japanese and an English sentence saying what happened
and what the operator can do. BASE's own error code, where there is one, travels beside the
reason as ``base_error`` (:class:`Cause`), never as the reason itself.

The values are part of the external API (dry-run plans, the processing log, order views), so
they are stable snake_case strings: add new members freely, never rename or remove one.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final


class Reason(StrEnum):
    """Why an order was not dispatched (or not yet), or why a run stopped early."""

    # -- shop level
    SHOP_NOT_CONNECTED = "shop_not_connected"
    AUTO_EXPORT_DISABLED = "auto_export_disabled"
    NEEDS_REAUTH = "needs_reauth"
    APP_NEEDS_ATTENTION = "app_needs_attention"

    # -- management status
    STATUS_NOT_EXPORTABLE = "status_not_exportable"
    CANCELLED = "cancelled"
    CANCELLED_ON_BASE = "cancelled_on_base"

    # -- tracking number, delivery company, ship date, comment
    NO_TRACKING_NUMBER = "no_tracking_number"
    INVALID_TRACKING_NUMBER = "invalid_tracking_number"
    NO_DELIVERY_COMPANY = "no_delivery_company"
    UNKNOWN_DELIVERY_COMPANY = "unknown_delivery_company"
    AMBIGUOUS_DELIVERY_COMPANY = "ambiguous_delivery_company"
    SHIP_DATE_IN_FUTURE = "ship_date_in_future"
    INVALID_SHIP_DATE = "invalid_ship_date"
    INVALID_COMMENT_TEMPLATE = "invalid_comment_template"
    COMMENT_TOO_LONG = "comment_too_long"

    # -- BASE's side of the order
    ALREADY_DISPATCHED = "already_dispatched"
    EXPORTED_EARLIER = "exported_earlier"
    AWAITING_PAYMENT = "awaiting_payment"
    CART_APP_NOT_SUPPORTED = "cart_app_not_supported"
    STATUS_CHANGED_ON_BASE = "status_changed_on_base"
    ITEMS_UNKNOWN = "items_unknown"
    UNSHIPPABLE = "unshippable"
    UNKNOWN_BASE_STATUS = "unknown_base_status"
    CLOSED_BY_BASE = "closed_by_base"
    BASE_REFUSED = "base_refused"

    # -- this run and its neighbours
    ORDER_NOT_FOUND = "order_not_found"
    DISPATCH_IN_PROGRESS = "dispatch_in_progress"
    CONFLICT = "conflict"
    OUTCOME_UNKNOWN = "outcome_unknown"
    BASE_UNAVAILABLE = "base_unavailable"
    RATE_LIMITED = "rate_limited"
    BUDGET_SPENT = "budget_spent"
    TIME_UP = "time_up"
    INTERNAL_ERROR = "internal_error"

    # -- added later (appended: values are stable)
    EXPORT_DELAY = "export_delay"
    # -- a line of a shipments file (``shipments load``), beside the reasons above that fit a line
    DUPLICATE_LINE = "duplicate_line"
    INVALID_VALUE = "invalid_value"

    @property
    def message_ja(self) -> str:
        """What happened and what to do, in Japanese (operators read it first)."""
        return MESSAGES[self][0]

    @property
    def message(self) -> str:
        """What happened and what to do, in English."""
        return MESSAGES[self][1]


MESSAGES: Final[dict[Reason, tuple[str, str]]] = {
    Reason.SHOP_NOT_CONNECTED: (
        "ショップが BASE に接続されていません。ショップを接続（再接続）してください。",
        "The shop is not connected to BASE. Connect (or reconnect) the shop.",
    ),
    Reason.AUTO_EXPORT_DISABLED: (
        "自動書き出しがオフです。手動で書き出すか、設定で自動書き出しをオンにしてください。",
        "Automatic export is off for this shop. Export by hand, or turn auto_export on.",
    ),
    Reason.NEEDS_REAUTH: (
        "BASE がショップの認証を受け付けません。ショップを再接続してください。残りは再接続後の実行で送られます。",
        "BASE no longer accepts the shop's authorisation. Reconnect the shop; the rest goes out after that.",
    ),
    Reason.APP_NEEDS_ATTENTION: (
        "BASE がアプリ自体（クライアント ID / シークレット）を受け付けません（停止中など）。ショップの再接続では直りません。BASE でアプリの状態と設定を確かめてください。",
        "BASE refuses the app itself (client id / secret, e.g. a suspended app). Reconnecting shops will not help: check the app in BASE.",
    ),
    Reason.STATUS_NOT_EXPORTABLE: (
        "受注ステータスが書き出し条件に合いません。ステータスか、ショップの書き出し条件を変えてください。",
        "The order's status does not pass the shop's export filter. Change the status or the filter.",
    ),
    Reason.CANCELLED: (
        "キャンセル済みの受注です。書き出しません。",
        "The order is cancelled here; it is never exported.",
    ),
    Reason.CANCELLED_ON_BASE: (
        "BASE でキャンセルされています。発送しないでください。",
        "BASE has the order (or all of its items) cancelled. Do not ship it.",
    ),
    Reason.NO_TRACKING_NUMBER: (
        "伝票番号が未入力です。伝票番号を入力してください。",
        "No tracking number yet. Enter the tracking number.",
    ),
    Reason.INVALID_TRACKING_NUMBER: (
        "伝票番号に BASE が受け付けない文字があるか、長すぎます。伝票番号を直してください。",
        "The tracking number has characters BASE does not accept, or is too long. Correct it.",
    ),
    Reason.NO_DELIVERY_COMPANY: (
        "配送会社が未入力です。配送会社を入力してください。",
        "No delivery company yet. Enter the delivery company.",
    ),
    Reason.UNKNOWN_DELIVERY_COMPANY: (
        "配送会社が BASE の配送会社一覧にありません。一覧にある名前か ID を入力してください。",
        "The delivery company matches none in the shop's BASE list. Enter a name or id from that list.",
    ),
    Reason.AMBIGUOUS_DELIVERY_COMPANY: (
        "配送会社が BASE の複数の配送会社に当てはまります。正式な名前か ID を入力してください。",
        "The delivery company matches more than one BASE company. Enter its exact name or id.",
    ),
    Reason.SHIP_DATE_IN_FUTURE: (
        "出荷日が未来の日付です。その日（日本時間）になってから送ります。",
        "The ship date is after today (Japan time). The order goes out on that day, never earlier.",
    ),
    Reason.INVALID_SHIP_DATE: (
        "出荷日が正しい日付（YYYY-MM-DD）ではありません。出荷日を直してください。",
        "The ship date is not a valid YYYY-MM-DD date. Correct it.",
    ),
    Reason.INVALID_COMMENT_TEMPLATE: (
        "コメントのテンプレートを使えません。ショップ設定のテンプレートを直してください。",
        "The shop's comment template cannot be rendered. Correct it in the shop's settings.",
    ),
    Reason.COMMENT_TOO_LONG: (
        "コメントが BASE の上限（250 文字）を超えます。ショップ設定のテンプレートを短くしてください。",
        "The rendered comment is longer than BASE's 250 characters. Shorten the comment template.",
    ),
    Reason.ALREADY_DISPATCHED: (
        "BASE で発送済みです（この製品から、または手作業で）。もう送りません。",
        "BASE shows the order dispatched already (by this product or by hand); nothing is sent again.",
    ),
    Reason.EXPORTED_EARLIER: (
        "以前の実行で書き出し済みです。もう送りません。",
        "An earlier run exported this order already; nothing is sent again.",
    ),
    Reason.AWAITING_PAYMENT: (
        "入金待ちです（コンビニ決済・銀行振込）。入金後の実行で送ります。",
        "Awaiting the buyer's payment (convenience store / bank transfer). It goes out once paid.",
    ),
    Reason.CART_APP_NOT_SUPPORTED: (
        "このカートアプリの注文はAPIから発送済みにできません。BASE管理画面で発送してください。",
        "BASE does not let this cart app's orders be marked dispatched through the API. Dispatch it in BASE's admin page.",
    ),
    Reason.STATUS_CHANGED_ON_BASE: (
        "BASE 側で商品の状態が変わっていました。次の実行で BASE の状態を確かめてから送ります。",
        "BASE's side of the item had changed already. The next run checks BASE before sending anything.",
    ),
    Reason.ITEMS_UNKNOWN: (
        "BASE の商品明細をまだ読んでいません。次の実行で読んでから送ります。",
        "BASE's items of the order are not read yet. The next run reads them before sending.",
    ),
    Reason.UNSHIPPABLE: (
        "BASE でこの受注は発送できない状態（unshippable）で、BASE でも変更できません。送りません。BASE の管理画面で確かめてください。",
        "BASE has the order as unshippable, a final state there; it is never sent. Check the order in BASE.",
    ),
    Reason.UNKNOWN_BASE_STATUS: (
        "BASE がこの製品の知らない発送状態（dispatch_status）を返しました。送り方が分からないため保留します。BASE の管理画面で確かめてください。",
        "BASE reports a dispatch_status this product does not know, so it is held back. Check the order in BASE.",
    ),
    Reason.CLOSED_BY_BASE: (
        "未発送のまま期限を過ぎたため、BASE が自動で対応済にしました（購入者へ発送メールは送られていません）。もう送りません。",
        "BASE closed the order by itself after its deadline (no shipping e-mail went to the buyer); nothing is sent.",
    ),
    Reason.BASE_REFUSED: (
        "BASE がこの受注の発送を拒否しました（base_error に BASE の理由）。BASE で受注を確かめてください。",
        "BASE refused to dispatch this order (its reason is in base_error). Check the order in BASE.",
    ),
    Reason.ORDER_NOT_FOUND: (
        "この受注はありません。受注番号を確かめてください。",
        "There is no such order. Check the order key.",
    ),
    Reason.DISPATCH_IN_PROGRESS: (
        "別の実行がこの受注を今送っています。その結果を待ちます。",
        "Another run is sending this order right now; its outcome decides.",
    ),
    Reason.CONFLICT: (
        "受注が同時に何度も変更されたため、今回は見送りました。次の実行で送ります。",
        "The order kept changing while this run worked on it; the next run tries again.",
    ),
    Reason.OUTCOME_UNKNOWN: (
        "BASE の応答が届きませんでした。次の実行で BASE の状態を確かめてから、未発送の商品だけ送ります。",
        "BASE's answer was lost. The next run checks BASE and sends only what is still unsent.",
    ),
    Reason.BASE_UNAVAILABLE: (
        "BASE に一時的につながりません。次の実行でもう一度送ります。",
        "BASE could not be reached for now. The next run tries again.",
    ),
    Reason.RATE_LIMITED: (
        "BASE の API 呼び出し上限に達しました。上限が戻ってからの実行で残りを送ります。",
        "BASE's API call limit was reached. The rest goes out once the limit resets.",
    ),
    Reason.BUDGET_SPENT: (
        "この実行の API 呼び出し数の上限に達しました。残りは次の実行で送ります。",
        "This run used its share of BASE calls. The rest waits for the next run.",
    ),
    Reason.TIME_UP: (
        "この実行の時間がなくなりました。残りは次の実行で送ります。",
        "This run ran out of time. The rest waits for the next run.",
    ),
    Reason.INTERNAL_ERROR: (
        "内部エラーで実行が止まりました。自動でやり直します。続く場合はログを確かめてください。",
        "The run stopped on an internal error and will be retried. If it persists, see the function's log.",
    ),
    Reason.EXPORT_DELAY: (
        "ショップの export_delay_minutes の待ち時間中です。export_not_before（最後の編集＋待ち時間）"
        "までは送りません。それまでに直せば、直した内容が送られます。",
        "Waiting out the shop's export_delay_minutes: nothing is sent before export_not_before (the last "
        "edit plus the delay). An edit before then replaces what will be sent.",
    ),
    Reason.DUPLICATE_LINE: (
        "同じ受注がファイルの別の行にもあります。1 つの受注は 1 行にまとめてください。",
        "The same order is on another line of the file. Give each order one line.",
    ),
    Reason.INVALID_VALUE: (
        "この行の値を使えません（field の列）。値を直してください。",
        "A value on this line cannot be used (the column in field). Correct it.",
    ),
}


CART_APPS: Final[dict[str, tuple[str, str]]] = {
    "not_change_status_YamatoDelivery": ("ヤマトのかんたん発送App", "Yamato's かんたん発送 App"),
    "not_change_status_ClubT": ("Tシャツ作成App（ClubT）", "the ClubT T-shirt app"),
    "not_change_status_SpCase": ("スマホケース作成App", "the smartphone-case app (SpCase)"),
}
"""BASE's code of a cart app's refusal -> the app's name (Japanese, English), for the sentences."""


def explain(reason: Reason, base_error: str | None = None) -> tuple[str, str]:
    """``(message_ja, message)`` of a reason with BASE's code beside it: the catalogue's sentence,
    naming the cart app where BASE said which (``not_change_status_YamatoDelivery``)."""
    app = CART_APPS.get(base_error or "") if reason is Reason.CART_APP_NOT_SUPPORTED else None
    if app is None:
        return reason.message_ja, reason.message
    return (
        f"{app[0]}の注文はAPIから発送済みにできません。BASE管理画面で発送してください。",
        f"Orders of {app[1]} cannot be marked dispatched through BASE's API. Dispatch it in BASE's admin page.",
    )


@dataclass(frozen=True)
class Cause:
    """A reason and, where BASE gave one, BASE's own error code (``base_error``)."""

    reason: Reason
    base_error: str | None = None

    @property
    def message_ja(self) -> str:
        return explain(self.reason, self.base_error)[0]

    @property
    def message(self) -> str:
        return explain(self.reason, self.base_error)[1]


def cause_from_text(text: str) -> Cause:
    """The cause a stored reason text stands for, including what versions before the catalogue
    stored (``transient:<code>``, ``outcome_unknown:<code>``, BASE's raw codes as the reason)."""
    if text in Reason.__members__.values():
        return Cause(Reason(text))
    prefix, _, code = text.partition(":")
    legacy = {
        "transient": Reason.BASE_UNAVAILABLE,
        "outcome_unknown": Reason.OUTCOME_UNKNOWN,
        "base_unavailable": Reason.BASE_UNAVAILABLE,
    }
    if code and prefix in legacy:
        return Cause(legacy[prefix], code)
    if text == "not_change_status":
        return Cause(Reason.STATUS_CHANGED_ON_BASE, text)
    if text in ("hour_api_limit", "day_api_limit"):
        return Cause(Reason.RATE_LIMITED, text)
    return Cause(Reason.BASE_REFUSED, text)


def with_catalogue_reason(data: Any, reason_key: str, error_key: str) -> Any:
    """A stored record (a dict) whose ``reason_key`` may hold a reason text of an older version:
    the catalogue's reason there, BASE's code under ``error_key`` unless one is stored already."""
    if not isinstance(data, dict) or not isinstance(data.get(reason_key), str):
        return data
    cause = cause_from_text(data[reason_key])
    updated = {**data, reason_key: cause.reason}
    if cause.base_error and not data.get(error_key):
        updated[error_key] = cause.base_error
    return updated
