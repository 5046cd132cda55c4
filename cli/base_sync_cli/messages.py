"""The CLI's own words, in Japanese and English: the language chosen, API errors, notes and headers.

The language is ``--lang ja|en``, else the POSIX locale (the first of ``LC_ALL``, ``LC_MESSAGES``,
``LANG`` that is set and not empty): Japanese when it starts with ``ja`` (``ja_JP.UTF-8``),
English otherwise. ``--json`` output is never translated: it keeps the API's stable codes.

:func:`say` picks one of a pair of sentences; :func:`error_text` renders an API error once (its
code, a sentence in the operator's language, the API's own message, each bad field once).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Literal

from base_sync_cli.client import ApiError

Language = Literal["ja", "en"]
LANGUAGES: Final = ("ja", "en")
LOCALE_VARIABLES: Final = ("LC_ALL", "LC_MESSAGES", "LANG")


def choose_language(option: str | None, environ: Mapping[str, str]) -> Language:
    """``--lang`` when given; else the locale (the first of LC_ALL, LC_MESSAGES, LANG that is set):
    Japanese when it starts with ``ja`` (``ja_JP.UTF-8``); else English."""
    if option in LANGUAGES:
        return "ja" if option == "ja" else "en"
    for name in LOCALE_VARIABLES:
        value = environ.get(name)
        if value:
            return "ja" if value.lower().startswith("ja") else "en"
    return "en"


def say(lang: Language, ja: str, en: str) -> str:
    """The sentence of the operator's language."""
    return ja if lang == "ja" else en


def pick_message(item: Mapping[str, Any], lang: Language, prefix: str = "") -> str | None:
    """The API's message beside a reason (``<prefix>message`` / ``<prefix>message_ja``) in ``lang``,
    else the other language's; None when the answer has neither."""
    english, japanese = item.get(f"{prefix}message"), item.get(f"{prefix}message_ja")
    first, second = (japanese, english) if lang == "ja" else (english, japanese)
    chosen = first or second
    return str(chosen) if chosen else None


# code -> (Japanese, English): what it means for the operator and what to do
API_ERRORS: Final[dict[str, tuple[str, str]]] = {
    "validation_failed": ("次の値は受け付けられません。", "these values are not accepted."),
    "shop_not_found": (
        "そのショップはありません。`base-sync shops` で接続済みのショップを確かめてください。",
        "no such shop; `base-sync shops` lists the connected ones.",
    ),
    "order_not_found": (
        "その受注はありません。受注番号を確かめてください。",
        "no such order; check the order key.",
    ),
    "export_not_found": ("その書き出しの実行はありません。", "no such export run."),
    "not_found": ("その操作は API にありません。", "the API has no such route."),
    "already_dispatched": (
        "この受注は BASE へ送信済み（または BASE で発送済み）のため、出荷情報を変えられません。",
        "the order was sent to BASE (or dispatched there) already; its shipping fields cannot change.",
    ),
    "dispatch_in_progress": (
        "この受注は今 BASE へ送信中です。少し待ってから確かめてください。",
        "the order is being sent to BASE right now; check again in a moment.",
    ),
    "conflict": (
        "受注が同時に変更されました。もう一度実行してください。",
        "the order changed meanwhile; try again.",
    ),
    "no_connected_shop": (
        "接続済みのショップがありません。`base-sync connect` で接続してください。",
        "no shop is connected; connect one with `base-sync connect`.",
    ),
    "invalid_next_token": ("続きのトークンが正しくありません。", "the paging token is not valid."),
    "malformed_json": ("リクエストが正しい JSON ではありません。", "the request is not valid JSON."),
    "invalid_body": ("リクエストの形が正しくありません。", "the request body has the wrong shape."),
    "unsupported_media_type": ("リクエストが JSON ではありません。", "the request is not JSON."),
    "token_refresh_needed": (
        "ショップのトークンの更新待ちです。少し待ってからもう一度実行してください。",
        "the shop's token needs a refresh first; try again in a minute.",
    ),
    "deadline_exceeded": (
        "BASE の応答が間に合いませんでした。少し待ってからもう一度実行してください。",
        "BASE answered too slowly; try again shortly.",
    ),
    "internal_error": (
        "API 内部でエラーが起きました。関数のログを確かめてください。",
        "the API failed internally; see the function's log.",
    ),
    "unreachable": (
        "API に接続できません。URL（--api-url / --stack）と、ローカル実行なら `make run` が動いているかを確かめてください。",
        "cannot reach the API; check the URL (--api-url / --stack) and, locally, that `make run` is running.",
    ),
    "no_credentials": (
        "AWS の認証情報が見つかりません（プロファイル・環境変数・インスタンスロール）。",
        "no AWS credentials found (profile, environment or instance role).",
    ),
    "no_region": (
        "API のリージョンが分かりません。--region を指定してください。",
        "cannot tell the API's region; pass --region.",
    ),
    "invalid_path_segment": ("URL のパスに使えない値です。", "not usable as a URL path segment."),
    "http_403": (
        "API が拒否しました（IAM の権限か署名を確かめてください）。",
        "the API refused the request (check IAM permissions and signing).",
    ),
}


def error_text(exc: ApiError, lang: Language) -> str:
    """An API error as printed: once, in the operator's language, each bad field on its own line.

    ``error: <code>: <message>`` (Japanese: ``エラー: <sentence>（<code>）`` and the API's message
    under it when it says more); for a 422 the fields, not the summary that repeats them.
    """
    known = API_ERRORS.get(exc.code)
    if exc.fields:
        head = say(lang, f"エラー: {known[0] if known else ''}（{exc.code}）", f"error: {exc.code}:")
        if lang == "en" and known:
            head += f" {known[1]}"
        lines = [head]
    elif lang == "ja" and known:
        lines = [f"エラー: {known[0]}（{exc.code}）", f"  {exc.message}"]
    else:
        lines = [say(lang, "エラー", "error") + f": {exc.code}: {exc.message}"]
    lines += [f"  {name}: {reason}" for name, reason in exc.fields.items()]
    return "\n".join(lines)


def ship_date_note(day: str, lang: Language) -> str:
    """What a ``ship_date_in_future`` entry says once its day is known: the day it will go."""
    return say(
        lang,
        f"出荷日が未来の日付です。{day}（日本時間）に送ります。それより早くは送りません。",
        f"The ship date is after today (Japan time). It goes out on {day}, never earlier.",
    )


def typed_company_note(company: str, lang: Language) -> str:
    """What an unknown (or ambiguous) delivery company's entry adds: the value as it was typed."""
    return say(lang, f"入力された配送会社: 「{company}」", f"Entered: “{company}”.")


def problems_text(problems: list[tuple[str, str]], lang: Language) -> str:
    """Settings (or other ``key=value``) problems found before anything was sent, one line each."""
    head = say(
        lang,
        "エラー: 次の設定は受け付けられません（何も変更していません）",
        "error: these settings are not accepted (nothing was changed)",
    )
    return "\n".join([head, *(f"  {name}: {reason}" for name, reason in problems)])
