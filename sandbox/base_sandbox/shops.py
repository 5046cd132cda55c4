"""Registered apps (OAuth clients) and shops (OAuth users): who may ask, and for whom."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .errors import JSON, ApiError


@dataclass
class App:
    """A registered BASE Developers app (confidential client with ONE redirect URI)."""

    client_id: str
    client_secret: str
    redirect_uri: str
    suspended: bool = False  # BASE stopped the app: 「停止中のクライアントです。」


@dataclass
class Shop:
    """A BASE shop (the OAuth 'user'); its API rate-limit counters live in :mod:`.limits`."""

    shop_id: str
    shop_name: str
    shop_url: str
    mail_address: str
    shop_introduction: str = ""

    def user_json(self, with_mail: bool) -> JSON:
        """The `user` object of /1/users/me, field for field as recorded."""
        return {
            "shop_id": self.shop_id,
            "shop_name": self.shop_name,
            "shop_introduction": self.shop_introduction,
            "shop_url": self.shop_url,
            "twitter_id": "",
            "facebook_id": "",
            "ameba_id": "",
            "instagram_id": "",
            "background": None,
            "display_background": 0,
            "repeat_background": 1,
            "logo": None,
            "display_logo": 0,
            "mail_address": self.mail_address if with_mail else None,
        }


@dataclass
class Directory:
    """Apps by client_id and shops by shop_id (the caller holds the state's lock)."""

    apps: dict[str, App] = field(default_factory=dict)
    shops: dict[str, Shop] = field(default_factory=dict)

    def add_app(self, client_id: str, client_secret: str, redirect_uri: str) -> JSON:
        """Register (or replace) an app."""
        self.apps[client_id] = App(client_id, client_secret, redirect_uri)
        return {"client_id": client_id, "redirect_uri": redirect_uri}

    def suspend_app(self, client_id: str, suspended: bool) -> JSON:
        """BASE stops (or restarts) an app: its token and authorize calls get ``unauthorized_client``."""
        app = self.apps.get(client_id)
        if app is None:
            raise ApiError("unknown_app", f"app {client_id!r} does not exist", 404)
        app.suspended = suspended
        return {"client_id": client_id, "suspended": suspended}

    def add_shop(self, shop_id: str, shop_name: str, **extra: Any) -> JSON:
        """Create (or rename) a shop."""
        shop = self.shops.get(shop_id)
        if shop is None:
            shop = Shop(
                shop_id=shop_id,
                shop_name=shop_name,
                shop_url=extra.get("shop_url") or f"https://{shop_id}.thebase.in",
                mail_address=extra.get("mail_address") or f"owner@{shop_id}.example.jp",
                shop_introduction=extra.get("shop_introduction") or "",
            )
            self.shops[shop_id] = shop
        else:
            shop.shop_name = shop_name
        return shop.user_json(True)

    def shop(self, shop_id: str) -> Shop:
        """The shop, or the admin API's 404 ``unknown_shop``."""
        shop = self.shops.get(shop_id)
        if shop is None:
            raise ApiError("unknown_shop", f"shop {shop_id!r} does not exist", 404)
        return shop
