"""The sandbox's model of BASE, behind one facade: apps and shops, OAuth, orders, limits, faults, logs.

Each concern lives in its own module (:mod:`.shops`, :mod:`.oauth`, :mod:`.order_book` with
:mod:`.orders` and :mod:`.dispatch`, :mod:`.limits`, :mod:`.faults`, :mod:`.calls`, :mod:`.mail`); they
hold data and rules and take no lock. :class:`SandboxState` is what the server, the admin API and the
seed use: every public method takes ONE re-entrant lock, so concurrent requests (e.g. two racing
refreshes) see the same serialised behaviour a real database with row locks would give.
"""

from __future__ import annotations

import threading
from typing import Any

from .calls import CallLog
from .clock import Clock
from .errors import JSON, err
from .faults import FaultRule, Faults
from .limits import RateLimits
from .mail import Outbox
from .oauth import OAuth
from .order_book import OrderBook
from .orders import Order
from .presets import preset_spec
from .shops import App, Directory, Shop


class SandboxState:
    """All sandbox data and the BASE business rules, behind one lock."""

    def __init__(
        self,
        clock: Clock | None = None,
        *,
        code_ttl: int = 600,
        access_ttl: int = 3600,
        refresh_ttl: int = 30 * 86400,
    ) -> None:
        self.lock = threading.RLock()
        self.clock = clock or Clock()
        self.defaults = {"code_ttl": code_ttl, "access_ttl": access_ttl, "refresh_ttl": refresh_ttl}
        self.latency_ms = 0
        self._init_data()

    # ------------------------------------------------------------------ lifecycle
    def _init_data(self) -> None:
        self.directory = Directory()
        self.oauth = OAuth(self.clock, self.directory, **self.defaults)
        self.limits = RateLimits()
        self.outbox = Outbox()
        self.book = OrderBook(self.clock, self.directory, self.outbox)
        self.faults = Faults()
        self.calls = CallLog()

    def reset(self) -> None:
        """Forget everything (apps, shops, orders, grants, logs, faults, latency, clock offset)."""
        with self.lock:
            self._init_data()
            self.latency_ms = 0
            self.clock.reset()

    def configure(self, values: JSON) -> JSON:
        """Change lifetimes (code_ttl, access_ttl, refresh_ttl) for grants issued from now on."""
        with self.lock:
            return self.oauth.configure(values)

    # ------------------------------------------------------------------ apps / shops
    @property
    def apps(self) -> dict[str, App]:
        """Registered apps by client_id (read under `lock`)."""
        return self.directory.apps

    @property
    def shops(self) -> dict[str, Shop]:
        """Shops by shop_id (read under `lock`)."""
        return self.directory.shops

    def add_app(self, client_id: str, client_secret: str, redirect_uri: str) -> JSON:
        """Register (or replace) an app."""
        with self.lock:
            return self.directory.add_app(client_id, client_secret, redirect_uri)

    def add_shop(self, shop_id: str, shop_name: str, **extra: Any) -> JSON:
        """Create (or rename) a shop."""
        with self.lock:
            return self.directory.add_shop(shop_id, shop_name, **extra)

    def suspend_app(self, client_id: str, suspended: bool) -> JSON:
        """BASE stops (or restarts) an app: 「停止中のクライアントです。」 at authorize and token."""
        with self.lock:
            return self.directory.suspend_app(client_id, suspended)

    # ------------------------------------------------------------------ orders (admin side)
    def create_order(self, shop_id: str, spec: JSON) -> Order:
        """Create one order from an admin spec (see package docs for the fields)."""
        with self.lock:
            return self.book.create_order(shop_id, spec)

    def get_order_admin(self, unique_key: str) -> JSON:
        """Internal view of one order."""
        with self.lock:
            return self.book.get_order_admin(unique_key)

    def create_preset(self, shop_id: str, body: JSON) -> JSON:
        """A ready-made order of one kind (:mod:`.presets`): {kind, unique_key, order_item_ids, order}."""
        with self.lock:
            kind, spec = preset_spec(body, self.clock.now_int())
            order = self.book.create_order(shop_id, spec)
            view = self.book.get_order_admin(order.unique_key)
            item_ids = [i.order_item_id for i in order.items]
            return {"kind": kind, "unique_key": order.unique_key, "order_item_ids": item_ids, "order": view}

    def auto_close(self) -> JSON:
        """Run BASE's 60-day close now (:mod:`.auto_close`); {closed: [unique_key, ...]}."""
        with self.lock:
            return self.book.auto_close()

    def patch_order(self, unique_key: str, changes: JSON) -> JSON:
        """Shop-owner actions from BASE's admin screen: mark paid, cancel, dispatch by hand, etc."""
        with self.lock:
            return self.book.patch_order(unique_key, changes)

    # ------------------------------------------------------------------ OAuth
    def validate_authorize(self, params: dict[str, str]) -> tuple[App, tuple[str, ...]]:
        """Check an authorize request; BASE shows an error page (no redirect) when this fails."""
        with self.lock:
            return self.oauth.validate_authorize(params)

    def authorize_decision(self, params: dict[str, str], shop_id: str | None, approve: bool) -> str:
        """Validate, then return the redirect Location the browser would be sent to."""
        with self.lock:
            return self.oauth.authorize_decision(params, shop_id, approve)

    def token_grant(self, form: dict[str, str], basic: tuple[str, str] | None) -> tuple[JSON, str | None]:
        """POST /1/oauth/token; returns (response body, shop_id for the call log)."""
        with self.lock:
            return self.oauth.token_grant(form, basic)

    def peek_shop(self, authorization: str | None) -> str | None:
        """Shop of a bearer token without validating or counting (for logging injected faults)."""
        with self.lock:
            return self.oauth.peek_shop(authorization)

    def authenticate(self, authorization: str | None, scope: str | None) -> Shop:
        """Validate the bearer token, count the call against the shop's limits, then check scope."""
        with self.lock:
            now = self.clock.now()
            tok = self.oauth.access_token(authorization, now)
            shop = self.directory.shops.get(tok.shop_id)
            if shop is None:
                raise err("invalid_request", "invalid_token")
            self.limits.count_call(shop.shop_id, now)
            if scope is not None and scope not in tok.scopes:
                raise err("invalid_scope")
            return shop

    def scopes_of(self, authorization: str | None) -> tuple[str, ...]:
        """Scopes of a (known) bearer token."""
        with self.lock:
            return self.oauth.scopes_of(authorization)

    def expire_tokens(self, shop_id: str) -> JSON:
        """Make every access token of the shop expired now."""
        with self.lock:
            return self.oauth.expire_tokens(shop_id)

    def expire_refresh_tokens(self, shop_id: str) -> JSON:
        """Make the shop's live refresh tokens expired now."""
        with self.lock:
            return self.oauth.expire_refresh_tokens(shop_id)

    def revoke_tokens(self, shop_id: str) -> JSON:
        """Revoke every refresh token of the shop (access tokens live on until they expire)."""
        with self.lock:
            return self.oauth.revoke_tokens(shop_id)

    def token_report(self) -> JSON:
        """Issuance counters and active-token counts per shop; never the token values."""
        with self.lock:
            return self.oauth.token_report()

    # ------------------------------------------------------------------ API reads and edit_status
    def list_orders(self, shop: Shop, query: dict[str, str]) -> JSON:
        """GET /1/orders: JST date window, newest first, limit/offset paging."""
        with self.lock:
            return self.book.list_orders(shop, query)

    def order_detail(self, shop: Shop, unique_key: str) -> JSON:
        """GET /1/orders/detail/{unique_key}; another shop's order is `no_order`."""
        with self.lock:
            return self.book.order_detail(shop, unique_key)

    def edit_status(self, shop: Shop, form: dict[str, str]) -> JSON:
        """POST /1/orders/edit_status with BASE's per-item rules; records one e-mail per dispatching call."""
        with self.lock:
            return self.book.edit_status(shop, form)

    def list_emails(self, shop_id: str | None) -> JSON:
        """Recorded buyer shipping e-mails."""
        with self.lock:
            return self.outbox.to_json(shop_id)

    # ------------------------------------------------------------------ limits
    def set_limits(self, spec: JSON) -> JSON:
        """Change a shop's hourly/daily limits or preset its counters."""
        with self.lock:
            shop = self.directory.shop(str(spec.get("shop_id", "")))
            return self.limits.set(shop.shop_id, spec, self.clock.now())

    def get_limits(self, shop_id: str) -> JSON:
        """Current limits and counters of a shop."""
        with self.lock:
            shop = self.directory.shop(shop_id)
            return self.limits.get(shop.shop_id, self.clock.now())

    # ------------------------------------------------------------------ faults
    def add_fault(self, spec: JSON) -> JSON:
        """Register a fault rule for /1/ calls."""
        with self.lock:
            return self.faults.add(spec)

    def pick_fault(self, path: str) -> FaultRule | None:
        """Decide whether this /1/ call gets a fault; first matching rule that fires wins."""
        with self.lock:
            return self.faults.pick(path)

    def fault_status(self, rule: FaultRule) -> int:
        """HTTP status for a 5xx fault (fixed, or drawn from 500/502/503)."""
        with self.lock:
            return self.faults.status(rule)

    def faults_json(self) -> JSON:
        """Active rules and totals injected per mode."""
        with self.lock:
            return self.faults.to_json()

    def clear_faults(self) -> JSON:
        """Remove all fault rules (totals are kept until reset)."""
        with self.lock:
            return self.faults.clear()

    # ------------------------------------------------------------------ call log
    def log_call(
        self,
        method: str,
        path: str,
        shop_id: str | None,
        status: int,
        error: str | None,
        fault: str | None = None,
        client_id: str | None = None,
    ) -> None:
        """Append to the call log (never tokens, codes or secrets)."""
        with self.lock:
            self.calls.log(self.clock.now(), method, path, shop_id, status, error, fault, client_id)

    def calls_json(self, shop_id: str | None, path_prefix: str | None) -> JSON:
        """Filtered call log plus summary counts by endpoint and by error."""
        with self.lock:
            return self.calls.to_json(shop_id, path_prefix)

    def clear_calls(self) -> JSON:
        """Empty the call log and its summary."""
        with self.lock:
            return self.calls.clear()
