"""BASE's error codes map to the exception a caller can act on (every BASE error is HTTP 400)."""

from datetime import datetime

import pytest

from base_sync.base_api import errors as e
from base_sync.base_api.errors import JST, Endpoint, error_from_response

NOW = datetime(2026, 11, 28, 18, 42, 10, tzinfo=JST)
TOKEN_TEXT = "アクセストークンが無効です。"


@pytest.mark.parametrize(
    ("code", "description", "endpoint", "expected"),
    [
        ("invalid_request", TOKEN_TEXT, Endpoint.API, e.AccessTokenInvalid),
        (
            "invalid_request",
            "不正なリフレッシュトークンです。",
            Endpoint.TOKEN_REFRESH,
            e.RefreshTokenInvalid,
        ),
        ("invalid_request", "不正な認可コードです。", Endpoint.CODE_EXCHANGE, e.AuthorizationCodeInvalid),
        ("invalid_request", "パラメータが不正です。", Endpoint.API, e.RequestRejected),
        ("unauthorized_client", "", Endpoint.TOKEN_REFRESH, e.AppCredentialsRejected),
        ("hour_api_limit", "", Endpoint.API, e.RateLimited),
        ("day_api_limit", "", Endpoint.API, e.RateLimited),
        ("db_error", "", Endpoint.API, e.TransientError),
        ("server_error", "", Endpoint.TOKEN_REFRESH, e.TransientError),
        ("not_change_status_cvs", "", Endpoint.API, e.PaymentPending),
        ("not_change_status_base_bt", "", Endpoint.API, e.PaymentPending),
        ("not_change_status_YamatoDelivery", "", Endpoint.API, e.OrderRefused),
        ("not_change_status_ClubT", "", Endpoint.API, e.OrderRefused),
        ("not_change_status_SpCase", "", Endpoint.API, e.OrderRefused),
        ("not_change_status", "", Endpoint.API, e.OrderRefused),
        ("not_change_status_atobarai", "", Endpoint.API, e.OrderRefused),
        ("not_cancel_creditcard", "", Endpoint.API, e.OrderRefused),
        ("no_order", "", Endpoint.API, e.OrderRefused),
        ("bad_params", "", Endpoint.API, e.OrderRefused),
        ("invalid_scope", "", Endpoint.API, e.RequestRejected),
        ("access_denied", "", Endpoint.API, e.RequestRejected),
        ("something_new", "", Endpoint.API, e.RequestRejected),
    ],
)
def test_error_codes_map_to_their_class(code, description, endpoint, expected):
    error = error_from_response(code, description, endpoint=endpoint, now=NOW)
    assert type(error) is expected
    assert error.code == code
    assert error.reason == code


def test_reauthorization_covers_refresh_and_code_errors():
    for endpoint in (Endpoint.TOKEN_REFRESH, Endpoint.CODE_EXCHANGE):
        assert isinstance(
            error_from_response("invalid_request", "", endpoint=endpoint, now=NOW), e.ReauthorizationRequired
        )


def test_cart_app_refusals_are_flagged():
    cart = error_from_response("not_change_status_ClubT", "", endpoint=Endpoint.API, now=NOW)
    plain = error_from_response("no_order", "", endpoint=Endpoint.API, now=NOW)
    assert isinstance(cart, e.OrderRefused) and cart.is_cart_app
    assert isinstance(plain, e.OrderRefused) and not plain.is_cart_app


def test_hour_limit_resets_at_the_next_full_hour_jst():
    error = error_from_response("hour_api_limit", "", endpoint=Endpoint.API, now=NOW)
    assert isinstance(error, e.RateLimited)
    assert error.window == "hour"
    assert error.resets_at == datetime(2026, 11, 28, 19, 0, tzinfo=JST)


def test_day_limit_resets_at_midnight_jst_even_when_utc_is_still_on_the_previous_day():
    utc_now = datetime.fromisoformat("2026-11-28T15:30:00+00:00")  # 00:30 on the 29th in Japan
    error = error_from_response("day_api_limit", "", endpoint=Endpoint.API, now=utc_now)
    assert isinstance(error, e.RateLimited)
    assert error.window == "day"
    assert error.resets_at == datetime(2026, 11, 30, 0, 0, tzinfo=JST)


def test_db_error_may_have_applied():
    error = error_from_response("db_error", "", endpoint=Endpoint.API, now=NOW)
    assert isinstance(error, e.TransientError) and error.may_have_applied


# ---------------------------------------------------------------- told apart by description (issue 14)
INVALID_REFRESH = "不正なリフレッシュトークンです。"
EXPIRED_REFRESH = "リフレッシュトークンの有効期限が切れています。"
SUSPENDED = "停止中のクライアントです。"
NO_CLIENT = "client_idもしくはclient_secretがありません。"


@pytest.mark.parametrize(
    ("code", "description", "expired"),
    [
        ("invalid_request", INVALID_REFRESH, False),
        ("invalid_request", EXPIRED_REFRESH, True),
        ("invalid_grant", "", False),
        ("invalid_grant", "refresh token expired", True),
    ],
)
def test_a_dead_refresh_token_needs_the_shop_reconnected(code, description, expired):
    error = error_from_response(code, description, endpoint=Endpoint.TOKEN_REFRESH, now=NOW)
    assert type(error) is e.RefreshTokenInvalid
    assert isinstance(error, e.ReauthorizationRequired)
    assert error.expired is expired
    assert error.code == code


def test_invalid_grant_on_a_code_exchange_is_a_dead_code():
    error = error_from_response("invalid_grant", "", endpoint=Endpoint.CODE_EXCHANGE, now=NOW)
    assert type(error) is e.AuthorizationCodeInvalid


@pytest.mark.parametrize("endpoint", [Endpoint.TOKEN_REFRESH, Endpoint.CODE_EXCHANGE])
@pytest.mark.parametrize(
    ("code", "description", "suspended", "missing"),
    [
        ("unauthorized_client", SUSPENDED, True, False),
        ("unauthorized_client", "不正なクライアントです。", False, False),
        ("invalid_request", NO_CLIENT, False, True),
        ("invalid_request", SUSPENDED, True, False),
    ],
)
def test_a_missing_or_suspended_client_is_the_apps_problem_not_the_shops(
    endpoint, code, description, suspended, missing
):
    error = error_from_response(code, description, endpoint=endpoint, now=NOW)
    assert type(error) is e.AppCredentialsRejected
    assert not isinstance(error, e.ReauthorizationRequired)
    assert (error.suspended, error.missing) == (suspended, missing)
    assert error.reason == code


@pytest.mark.parametrize("endpoint", list(Endpoint))
def test_server_error_is_transient_everywhere(endpoint):
    error = error_from_response("server_error", "DB error", endpoint=endpoint, now=NOW)
    assert type(error) is e.TransientError
    assert error.code == "server_error"


def test_invalid_grant_on_an_api_call_is_not_a_token_problem():
    error = error_from_response("invalid_grant", "", endpoint=Endpoint.API, now=NOW)
    assert type(error) is e.RequestRejected
