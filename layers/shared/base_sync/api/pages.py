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
_RETRY = ("もう一度最初から接続をやり直してください。", "Please start connecting again.")


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
    name, sid = escape(shop_name), escape(shop_id)
    verb_ja, verb_en = ("再接続しました", "reconnected") if reconnected else ("接続しました", "connected")
    return _page(
        "BASE shop connected",
        f"<h1>ショップ「{name}」を{verb_ja}</h1>"
        f"<p>ショップID: {sid}。注文の取り込みと出荷情報の送信が自動で始まります。このページは閉じて構いません。</p>"
        f'<p class="en">Shop “{name}” ({sid}) is {verb_en}. Orders will now be imported and shipping '
        "information exported automatically. You may close this page.</p>",
    )


def failure_page(problem: str, detail: str = "") -> str:
    ja, en = _MESSAGES.get(problem, ("接続できませんでした。", "The shop could not be connected."))
    retry_ja, retry_en = ("", "") if problem == "access_denied" else _RETRY
    reason = f'<p class="en">BASE: <code>{escape(detail)}</code></p>' if detail else ""
    return _page(
        "BASE shop not connected",
        f"<h1>ショップを接続できませんでした</h1><p>{escape(ja)} {escape(retry_ja)}</p>"
        f'<p class="en">The shop was not connected. {escape(en)} {escape(retry_en)}</p>{reason}',
    )
