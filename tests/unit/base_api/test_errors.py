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
