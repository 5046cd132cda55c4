"""The small HTML pages the operator's browser sees after BASE's consent screen.

Japanese first, English under it. Every value that came from outside is escaped.
"""

from __future__ import annotations

from html import escape
from typing import Final

PAGE_HEADERS: Final[dict[str, str]] = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}
"""Headers of every page the callback answers: never cached (the URL held a code and a state), no
script, no framing, no referrer (the URL must not leak to a link's target), no type sniffing."""

# problem -> (Japanese, English)
_MESSAGES: dict[str, tuple[str, str]] = {
    "missing_state": ("リンクが不完全です（state がありません）。", "The link is incomplete (no state)."),
    "unknown_state": ("この接続リンクは無効です。", "This connect link is not valid."),
    "expired_state": ("接続リンクの有効期限（10分）が切れました。", "The connect link expired (10 minutes)."),
    "reused_state": ("この接続リンクはすでに使われています。", "This connect link was already used."),
    "missing_code": ("BASE から認可コードが届きませんでした。", "BASE sent no authorization code."),
    "access_denied": (
        "アプリの連携がキャンセルされました。ショップは接続されていません。",
        "You declined the app, so the shop was not connected. Nothing was changed.",
    ),
    "authorization_error": ("BASE が認可エラーを返しました。", "BASE reported an authorization error."),
    "code_refused": ("BASE が認可コードを受け付けませんでした。", "BASE refused the authorization code."),
    "app_credentials_refused": (
        "BASE がアプリのクライアントID/シークレットを受け付けませんでした。",
        "BASE refused the app's client id/secret.",
    ),
    "base_unreachable": ("BASE に接続できませんでした。", "BASE could not be reached."),
    "base_refused": ("BASE がリクエストを拒否しました。", "BASE refused the request."),
    "internal_error": (
        "システムで問題が発生しました。少し時間をおいてください。",
        "Something went wrong on our side; wait a moment.",
    ),
}
_RETRY = (
    "もう一度最初から接続をやり直してください（<code>base-sync connect</code>）。",
    "Start connecting again: <code>base-sync connect</code>.",
)


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="ja"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title>"
        "<style>body{font-family:sans-serif;max-width:36em;margin:3em auto;padding:0 1em;line-height:1.6}"
        ".en{color:#555}</style></head><body>"
        f"{body}</body></html>\n"
    )


def connected_page(shop_name: str, shop_id: str, *, reconnected: bool) -> str:
    """The page after a connection: what happens now, what ``auto_export`` does, how to stop it."""
    name, sid = escape(shop_name), escape(shop_id)
    verb_ja, verb_en = ("再接続しました", "reconnected") if reconnected else ("接続しました", "connected")
    stop = f"<code>base-sync settings set {sid} auto_export=false</code>"
    if reconnected:
        settings_ja = (
            "設定と受注は以前のままです（auto_import・auto_export も以前の設定のまま）。"
            "auto_import がオンなら注文は 30 分ごとに取り込まれます。"
        )
        settings_en = (
            "Its settings and orders are kept as they were (auto_import and auto_export included); "
            "with auto_import on, orders are imported every 30 minutes."
        )
    else:
        settings_ja = "自動取り込み（auto_import）と自動書き出し（auto_export）はオンです。注文は 30 分ごとに取り込まれます。"
        settings_en = "Automatic import (auto_import) and export (auto_export) are on: orders are imported every 30 minutes."
    return _page(
        "BASE shop connected",
        f"<h1>ショップ「{name}」を{verb_ja}</h1>"
        f"<p>ショップID: {sid}。{settings_ja}"
        "auto_export がオンの間、出荷の準備ができた受注"
        "（伝票番号・配送会社・書き出し条件に合うステータス）は 1 分以内に BASE へ送信され、"
        f"取り消せません。送信前に確かめるには、先に {stop} を実行してください。"
        "接続をやり直すには <code>base-sync connect</code>。このページは閉じて構いません。</p>"
        f'<p class="en">Shop “{name}” ({sid}) is {verb_en}. {settings_en} While auto_export is on, '
        "an order that becomes ready (tracking number, delivery "
        "company, a status the export filter passes) is sent to BASE within a minute, and BASE cannot "
        f"take it back. To check first, run {stop} now. To connect again: "
        "<code>base-sync connect</code>. You may close this page.</p>",
    )


def failure_page(problem: str, detail: str = "") -> str:
    ja, en = _MESSAGES.get(problem, ("接続できませんでした。", "The shop could not be connected."))
    retry_ja, retry_en = ("", "") if problem == "access_denied" else _RETRY
    reason = f'<p class="en">BASE: <code>{escape(detail)}</code></p>' if detail else ""
    return _page(
        "BASE shop not connected",
        f"<h1>ショップを接続できませんでした</h1><p>{escape(ja)} {retry_ja}</p>"
        f'<p class="en">The shop was not connected. {escape(en)} {retry_en}</p>{reason}',
    )
