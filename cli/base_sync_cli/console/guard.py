"""Who may use the console: only this machine's browser, only with the secret printed at start.

The console drives the operator's stack with the operator's own credentials, so any web page
they visit must not be able to use it. What it checks, in order, on every request:

1. ``Host`` is exactly a loopback name with the console's port (``127.0.0.1:PORT``,
   ``localhost:PORT``, ``[::1]:PORT``), else 421: a DNS-rebinding page on ``evil.example`` that
   resolves to 127.0.0.1 still sends its own name.
2. ``Origin``, when sent, is the console's own (``http://<allowed host>``), else 403: a foreign
   page's fetch or form post.
3. The session: the cookie ``bsc_<port>`` (HttpOnly, SameSite=Strict, set when the URL's
   ``?k=<secret>`` is opened once), else 403. Opening the URL with the right ``k`` sets it and
   redirects to the same page without ``k``, so the secret leaves the address bar.
4. A POST also carries the form's CSRF token (``csrf``), else 403.

The bind address is checked too: the console refuses to listen anywhere but loopback.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, field
from http.cookies import CookieError, SimpleCookie
from typing import Final

LOOPBACK_BIND: Final = frozenset({"127.0.0.1", "::1", "localhost"})
LOOPBACK_NAMES: Final = ("127.0.0.1", "localhost", "[::1]")


class NotLoopback(ValueError):
    """The console was asked to listen on an address other machines could reach."""


def check_bind_host(host: str) -> None:
    if host not in LOOPBACK_BIND:
        raise NotLoopback(
            f"コンソールは 127.0.0.1（ループバック）でだけ待ち受けます: {host!r} は使えません / "
            f"the console listens on loopback only (127.0.0.1, ::1, localhost), not {host!r}"
        )


@dataclass(frozen=True)
class Verdict:
    """``status`` 0: go on; else answer with it (``reason`` says why, ja / en)."""

    status: int = 0
    reason: str = ""
    set_session: bool = False


OK: Final = Verdict()


@dataclass(frozen=True)
class Guard:
    port: int
    secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    session: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))

    @property
    def cookie_name(self) -> str:
        """Per port: cookies are not told apart by port, two consoles must not share one."""
        return f"bsc_{self.port}"

    @property
    def hosts(self) -> frozenset[str]:
        return frozenset(f"{name}:{self.port}" for name in LOOPBACK_NAMES)

    def host_ok(self, host: str | None) -> bool:
        return host is not None and host.lower() in self.hosts

    def origin_ok(self, origin: str | None) -> bool:
        if origin is None:
            return True
        return origin.lower() in {f"http://{h}" for h in self.hosts}

    def secret_ok(self, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(given.encode(), self.secret.encode())

    def csrf_ok(self, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(given.encode(), self.csrf.encode())

    def has_session(self, cookie_header: str | None) -> bool:
        if not cookie_header:
            return False
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(cookie_header)
        except CookieError:
            return False
        morsel = jar.get(self.cookie_name)
        return morsel is not None and hmac.compare_digest(morsel.value.encode(), self.session.encode())

    def session_cookie(self) -> str:
        return f"{self.cookie_name}={self.session}; Path=/; HttpOnly; SameSite=Strict"

    def check(
        self,
        *,
        method: str,
        host: str | None,
        origin: str | None,
        cookie: str | None,
        key: str | None,
        csrf: str | None = None,
    ) -> Verdict:
        """The verdict on one request (``key``: the URL's ``k``; ``csrf``: a POST form's token)."""
        if not self.host_ok(host):
            return Verdict(421, "このホスト名では使えません / not served for this Host")
        if not self.origin_ok(origin):
            return Verdict(403, "よそのページからは使えません / refused: foreign Origin")
        session = self.has_session(cookie)
        if method == "POST":
            if not session or not self.csrf_ok(csrf):
                return Verdict(403, "フォームの確認に失敗しました / refused: no session or CSRF token")
            return OK
        if session:
            return OK
        if self.secret_ok(key):
            return Verdict(0, "", set_session=True)
        return Verdict(
            403,
            "起動時に表示された URL（?k=…）を開いてください / open the URL the console printed (with ?k=…)",
        )
