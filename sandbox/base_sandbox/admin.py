"""`requests` client of the /_sandbox/ admin API, so tests read like scenarios instead of HTTP plumbing."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

JSON = dict[str, Any]


class SandboxAdminError(RuntimeError):
    """An admin call answered with a non-2xx status."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"sandbox admin error {status}: {body}")
        self.status = status
        self.body = body


class SandboxAdmin:
    """Thin wrapper over /_sandbox/ endpoints; every method returns the decoded JSON answer."""

    def __init__(self, url: str, *, session: requests.Session | None = None, timeout: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self.session = session or requests.Session()
        self.timeout = timeout

    def _call(self, method: str, path: str, body: JSON | None = None, params: JSON | None = None) -> Any:
        resp = self.session.request(
            method, f"{self.url}/_sandbox/{path}", json=body, params=params, timeout=self.timeout
        )
        data: Any = resp.json() if resp.content else None
        if resp.status_code >= 300:
            raise SandboxAdminError(resp.status_code, data)
        return data

    # state / config / clock
    def reset(self, seed: str | None = None) -> JSON:
        """Empty the sandbox; `seed="demo"` re-creates the demo app, shop and orders."""
        return dict(self._call("POST", "reset", {"seed": seed}))

    def config(self, **values: int) -> JSON:
        """Set lifetimes: code_ttl, access_ttl, refresh_ttl (seconds)."""
        return dict(self._call("POST", "config", values))

    def clock(self) -> JSON:
        """Sandbox time: {"now", "offset"}."""
        return dict(self._call("GET", "clock"))

    def advance_clock(self, seconds: float) -> JSON:
        """Move the sandbox clock forward by `seconds`."""
        return dict(self._call("POST", "clock", {"advance_seconds": seconds}))

    def set_clock(self, unix: float) -> JSON:
        """Jump the sandbox clock to an absolute Unix time."""
        return dict(self._call("POST", "clock", {"set": unix}))

    # apps / shops / orders
    def create_app(self, client_id: str, client_secret: str, redirect_uri: str) -> JSON:
        """Register an OAuth app."""
        body = {"client_id": client_id, "client_secret": client_secret, "redirect_uri": redirect_uri}
        return dict(self._call("POST", "apps", body))

    def suspend_app(self, client_id: str) -> JSON:
        """BASE stops the app: authorize and token calls get 「停止中のクライアントです。」."""
        return dict(self._call("POST", "apps/suspend", {"client_id": client_id}))

    def unsuspend_app(self, client_id: str) -> JSON:
        """BASE restarts a stopped app."""
        return dict(self._call("POST", "apps/unsuspend", {"client_id": client_id}))

    def create_shop(self, shop_id: str, shop_name: str, **extra: Any) -> JSON:
        """Create a shop (extra: shop_url, mail_address, shop_introduction)."""
        return dict(self._call("POST", "shops", {"shop_id": shop_id, "shop_name": shop_name, **extra}))

    def create_orders(self, shop_id: str, orders: list[JSON]) -> list[JSON]:
        """Create orders; returns their internal views (with unique_key and order_item_ids)."""
        return list(self._call("POST", f"shops/{shop_id}/orders", {"orders": orders})["orders"])

    def generate_orders(
        self,
        shop_id: str,
        count: int,
        *,
        days: float = 30,
        items_min: int = 1,
        items_max: int = 3,
        seed: int = 0,
        payments: list[str] | dict[str, float] | None = None,
        **extra: Any,
    ) -> JSON:
        """Bulk-generate realistic orders; returns {"count", "unique_keys"}."""
        body: JSON = {
            "count": count,
            "days": days,
            "items_min": items_min,
            "items_max": items_max,
            "seed": seed,
            **extra,
        }
        if payments is not None:
            body["payments"] = payments
        return dict(self._call("POST", f"shops/{shop_id}/orders/generate", body))

    def preset_order(
        self, shop_id: str, kind: str, *, ordered_days_ago: float | None = None, unique_key: str | None = None
    ) -> JSON:
        """A ready-made order (base_sandbox.presets): {"kind", "unique_key", "order_item_ids", "order"}."""
        body: JSON = {"kind": kind}
        if ordered_days_ago is not None:
            body["ordered_days_ago"] = ordered_days_ago
        if unique_key is not None:
            body["unique_key"] = unique_key
        return dict(self._call("POST", f"shops/{shop_id}/orders/preset", body))

    def auto_close(self) -> JSON:
        """Run BASE's 60-day close at the sandbox clock now: {"closed": [unique_key, ...]}."""
        return dict(self._call("POST", "auto_close", {}))

    def get_order(self, unique_key: str) -> JSON:
        """Internal view of an order (detail fields plus `_sandbox`)."""
        return dict(self._call("GET", f"orders/{unique_key}"))

    def patch_order(self, unique_key: str, **changes: Any) -> JSON:
        """Shop-owner actions at any order age: paid, payment, cancel, dispatch_by_hand, dispatch_status,
        arrive, cart_app, unshippable, partner_shop, refuse_dispatch (each moves ``modified``)."""
        return dict(self._call("PATCH", f"orders/{unique_key}", changes))

    def mark_paid(self, unique_key: str) -> JSON:
        """The buyer paid (cvs / base_bt)."""
        return self.patch_order(unique_key, paid=True)

    def cancel_order(self, unique_key: str) -> JSON:
        """The shop owner cancelled the whole order in BASE's admin."""
        return self.patch_order(unique_key, cancel=True)

    def dispatch_by_hand(self, unique_key: str) -> JSON:
        """The shop owner marked the order shipped in BASE's admin."""
        return self.patch_order(unique_key, dispatch_by_hand=True)

    # OAuth
    def authorize(
        self,
        client_id: str,
        redirect_uri: str,
        shop_id: str | None,
        *,
        scope: str = "read_users",
        state: str | None = None,
        approve: bool = True,
    ) -> str:
        """Consent without a browser; returns the redirect Location."""
        body: JSON = {
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "scope": scope,
            "state": state,
            "shop_id": shop_id,
            "approve": approve,
        }
        return str(self._call("POST", "authorize", body)["location"])

    def obtain_code(self, client_id: str, redirect_uri: str, shop_id: str, scope: str = "read_users") -> str:
        """Authorize and return just the code from the redirect."""
        location = self.authorize(client_id, redirect_uri, shop_id, scope=scope)
        return parse_qs(urlsplit(location).query)["code"][0]

    def tokens(self) -> JSON:
        """Issuance counters per shop (no token values)."""
        return dict(self._call("GET", "tokens"))

    def expire_tokens(self, shop_id: str) -> JSON:
        """Expire the shop's access tokens now."""
        return dict(self._call("POST", "tokens/expire", {"shop_id": shop_id}))

    def expire_refresh_tokens(self, shop_id: str) -> JSON:
        """Expire the shop's refresh tokens now (「リフレッシュトークンの有効期限が切れています。」)."""
        return dict(self._call("POST", "tokens/expire_refresh", {"shop_id": shop_id}))

    def revoke_tokens(self, shop_id: str) -> JSON:
        """Revoke the shop's refresh tokens."""
        return dict(self._call("POST", "tokens/revoke", {"shop_id": shop_id}))

    # inspection
    def calls(self, shop_id: str | None = None, path_prefix: str | None = None) -> JSON:
        """Call log: {"calls", "count", "summary", "errors", "total_since_reset"}."""
        params = {k: v for k, v in (("shop_id", shop_id), ("path_prefix", path_prefix)) if v}
        return dict(self._call("GET", "calls", params=params))

    def clear_calls(self) -> JSON:
        """Empty the call log."""
        return dict(self._call("DELETE", "calls"))

    def emails(self, shop_id: str | None = None) -> list[JSON]:
        """Recorded shipping e-mails."""
        return list(self._call("GET", "emails", params={"shop_id": shop_id} if shop_id else None)["emails"])

    # limits / faults / latency
    def set_limits(
        self,
        shop_id: str,
        *,
        hour: int | None = None,
        day: int | None = None,
        hour_used: int | None = None,
        day_used: int | None = None,
    ) -> JSON:
        """Change a shop's limits or preset its counters."""
        body = {"shop_id": shop_id, "hour": hour, "day": day, "hour_used": hour_used, "day_used": day_used}
        return dict(self._call("POST", "limits", body))

    def limits(self, shop_id: str) -> JSON:
        """A shop's limits and counters."""
        return dict(self._call("GET", "limits", params={"shop_id": shop_id}))

    def add_fault(
        self,
        mode: str,
        *,
        error: str | None = None,
        error_description: str | None = None,
        rate: float = 1.0,
        count: int | None = None,
        delay_seconds: float | None = None,
        path_prefix: str | None = None,
        seed: int | None = None,
        status: int | None = None,
    ) -> JSON:
        """Inject failures on /1/ calls: 5xx, slow, drop (=drop_before), drop_before, drop_after, db_error,
        server_error, or error (with ``error`` = a README error code, optional ``error_description``)."""
        body: JSON = {"mode": mode, "rate": rate}
        for key, value in (
            ("count", count),
            ("delay_seconds", delay_seconds),
            ("path_prefix", path_prefix),
            ("seed", seed),
            ("status", status),
            ("error", error),
            ("error_description", error_description),
        ):
            if value is not None:
                body[key] = value
        return dict(self._call("POST", "faults", body))

    def faults(self) -> JSON:
        """Active fault rules and injected counts."""
        return dict(self._call("GET", "faults"))

    def clear_faults(self) -> JSON:
        """Remove every fault rule."""
        return dict(self._call("DELETE", "faults"))

    def set_latency(self, ms: int) -> JSON:
        """Added latency per /1/ call."""
        return dict(self._call("POST", "latency", {"ms": ms}))
