"""BASE's error shape: HTTP 400 (by default) ``{"error", "error_description"}`` with Japanese text.

Where shared/base-api/README.md quotes BASE's own text (the token endpoint's descriptions, ``server_error``'s
"DB error", 「unshippableから他ステータスへの更新はできません」) the sandbox uses it verbatim; the other texts
are illustrative.
"""

from __future__ import annotations

from typing import Any

JSON = dict[str, Any]

ERROR_TEXT = {
    "invalid_token": "アクセストークンが無効です。",
    "invalid_code": "不正な認可コードです。",
    "expired_code": "認可コードの有効期限が切れています。",
    "invalid_refresh": "不正なリフレッシュトークンです。",
    "expired_refresh": "リフレッシュトークンの有効期限が切れています。",
    "invalid_scope": "このAPIを利用する権限（スコープ）がありません。",
    "bad_grant": "grant_typeが不正です。",
    "no_client": "client_idもしくはclient_secretがありません。",
    "unknown_client": "不正なクライアントです。",
    "suspended_client": "停止中のクライアントです。",
    "no_user": "ユーザーが存在しません。",
    "bad_secret": "クライアント認証に失敗しました。",
    "no_redirect": "redirect_uriが指定されていません。",
    "bad_redirect": "redirect_uriが不正です。",
    "bad_response_type": "response_typeが不正です。",
    "bad_scope_param": "scopeが不正です。",
    "unknown_shop": "ショップが存在しません。",
    "token_not_post": "POSTメソッドでリクエストしてください。",
    "not_post_method": "POSTメソッドでリクエストしてください。",
    "hour_api_limit": "1時間あたりのAPIの利用上限を超えました。",
    "day_api_limit": "1日あたりのAPIの利用上限を超えました。",
    "no_order": "注文が存在しません。",
    "no_params": "パラメータが指定されていません。",
    "bad_params": "パラメータが不正です。",
    "not_change_status": "ステータスを変更できません。",
    "not_change_status_cvs": "コンビニ決済の入金が確認できていないため、ステータスを変更できません。",
    "not_change_status_base_bt": "銀行振込（BASE口座）の入金が確認できていないため、ステータスを変更できません。",
    "not_change_status_atobarai": "後払い決済の注文はatobarai_statusで更新してください。",
    "not_change_status_YamatoDelivery": "ヤマトかんたん発送アプリの注文はAPIから発送済みにできません。",
    "not_change_status_ClubT": "Tシャツ作成アプリ（ClubT）の注文はAPIからステータスを変更できません。",
    "not_change_status_SpCase": "スマホケース作成アプリの注文はAPIからステータスを変更できません。",
    "not_cancel": "この決済方法の注文はキャンセルできません。",
    "db_error": "データベースエラーが発生しました。時間をおいて再度お試しください。",
    "server_error": "DB error",
    "unshippable_final": "unshippableから他ステータスへの更新はできません。",
    "not_found": "APIが存在しません。",
}


class ApiError(Exception):
    """A BASE-style error: HTTP 400 (by default) with `{"error", "error_description"}`."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status

    def body(self) -> JSON:
        """The JSON body BASE sends for this error."""
        return {"error": self.error, "error_description": self.description}


def err(code: str, text_key: str | None = None, status: int = 400) -> ApiError:
    """Build an ApiError whose description comes from ERROR_TEXT (keyed by code unless overridden)."""
    return ApiError(code, ERROR_TEXT[text_key or code], status)
