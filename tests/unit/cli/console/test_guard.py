"""The console's guard: loopback Host and Origin only, the start secret, the session cookie, CSRF."""

from __future__ import annotations

import pytest

from base_sync_cli.console.guard import Guard, NotLoopback, check_bind_host

PORT = 48123


@pytest.fixture
def guard() -> Guard:
    return Guard(port=PORT)


def _session(guard: Guard) -> str:
    return f"other=1; {guard.cookie_name}={guard.session}"


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.com", "::", ""])  # noqa: S104
def test_it_refuses_to_listen_beyond_loopback(host: str) -> None:
    with pytest.raises(NotLoopback, match="loopback"):
        check_bind_host(host)


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost"])
def test_it_listens_on_loopback(host: str) -> None:
    check_bind_host(host)


@pytest.mark.parametrize(
    "host",
    [None, "evil.example", f"evil.example:{PORT}", "127.0.0.1", f"127.0.0.1:{PORT + 1}", f"127.0.0.2:{PORT}"],
)
def test_a_foreign_host_is_421_even_with_the_session(guard: Guard, host: str | None) -> None:
    verdict = guard.check(method="GET", host=host, origin=None, cookie=_session(guard), key=None)
    assert verdict.status == 421


@pytest.mark.parametrize(
    "origin", ["https://evil.example", "null", f"http://evil.example:{PORT}", f"http://127.0.0.1:{PORT + 1}"]
)
def test_a_foreign_origin_is_403_even_with_the_session(guard: Guard, origin: str) -> None:
    verdict = guard.check(
        method="GET", host=f"127.0.0.1:{PORT}", origin=origin, cookie=_session(guard), key=None
    )
    assert verdict.status == 403


def test_its_own_origin_and_every_loopback_name_pass(guard: Guard) -> None:
    for host in (f"127.0.0.1:{PORT}", f"localhost:{PORT}", f"[::1]:{PORT}"):
        verdict = guard.check(
            method="GET", host=host, origin=f"http://{host}", cookie=_session(guard), key=None
        )
        assert verdict.status == 0 and not verdict.set_session


def test_without_the_secret_or_the_session_it_is_403(guard: Guard) -> None:
    host = f"127.0.0.1:{PORT}"
    assert guard.check(method="GET", host=host, origin=None, cookie=None, key=None).status == 403
    assert guard.check(method="GET", host=host, origin=None, cookie=None, key="wrong").status == 403
    wrong_cookie = f"{guard.cookie_name}={guard.secret}"  # the URL secret is not the session
    assert guard.check(method="GET", host=host, origin=None, cookie=wrong_cookie, key=None).status == 403
    other_port = f"bsc_{PORT + 1}={guard.session}"
    assert guard.check(method="GET", host=host, origin=None, cookie=other_port, key=None).status == 403


def test_the_secret_opens_a_session(guard: Guard) -> None:
    verdict = guard.check(method="GET", host=f"127.0.0.1:{PORT}", origin=None, cookie=None, key=guard.secret)
    assert verdict.status == 0 and verdict.set_session
    cookie = guard.session_cookie()
    assert cookie.startswith(f"{guard.cookie_name}={guard.session};")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie


def test_a_post_needs_the_session_and_the_csrf_token(guard: Guard) -> None:
    host = f"127.0.0.1:{PORT}"

    def post(cookie: str | None, csrf: str | None, key: str | None = None) -> int:
        return guard.check(
            method="POST", host=host, origin=f"http://{host}", cookie=cookie, key=key, csrf=csrf
        ).status

    assert post(_session(guard), guard.csrf) == 0
    assert post(_session(guard), None) == 403
    assert post(_session(guard), "forged") == 403
    assert post(None, guard.csrf) == 403
    assert post(None, guard.csrf, key=guard.secret) == 403  # the URL secret alone never posts


def test_every_start_has_its_own_secrets() -> None:
    one, two = Guard(port=PORT), Guard(port=PORT)
    assert len({one.secret, one.session, one.csrf, two.secret, two.session, two.csrf}) == 6
    assert len(one.secret) >= 40
