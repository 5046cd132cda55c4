"""Ready-made orders for BASE as it behaves today: ``POST /_sandbox/shops/{id}/orders/preset``.

Body ``{"kind": <kind>, "ordered_days_ago": N (optional, float), "unique_key": K (optional)}``; the answer
is ``{"kind", "unique_key", "order_item_ids", "order"}`` (``order`` = the admin view, with ``_sandbox``).
Every preset is one item 「テスト商品」 3,000 yen, buyer 山田 太郎, so tests only vary what the kind is about.

==================  ====================  ============================================================
kind                default days ago      what BASE shows
==================  ====================  ============================================================
``partner_shop``    1                     creditcard order sold through a partner shop (販売パートナー
                                          App): detail ``country``, ``zip_code``, ``address``,
                                          ``address2``, ``mail_address``, ``tel`` are null. Dispatchable.
``bnpl``            1                     ``payment: "bnpl"`` (Pay ID あと払い), paid, dispatchable like a
                                          card order.
``bnpl_refused``    1                     ``bnpl`` order whose dispatch BASE refuses: every dispatching
                                          edit_status answers 400 ``not_change_status``
                                          「ステータスを変更できません。」 (``refuse_dispatch``).
``new_payment``     1                     ``payment: "future_pay"``, a method no docs list yet; paid,
                                          dispatchable like a card order, no transaction block.
``unshippable``     2                     creditcard order in ``dispatch_status: "unshippable"`` (final):
                                          edit_status answers ``not_change_status``
                                          「unshippableから他ステータスへの更新はできません。」.
``shipping_lines``  1                     newer-shape detail: ``shipping_method`` null, ``country_code``
                                          "JP", ``shipping_lines`` [{"shipping_method": "ゆうパケット",
                                          "shipping_fee": 370, "order_item_ids": [...]}].
``old_open``        40                    open creditcard order older than any usual import window; use
                                          PATCH /_sandbox/orders/{key} {cancel|paid|dispatch_by_hand|
                                          dispatch_status} to change it (moves ``modified``).
``near_auto_close`` 55                    PAID ``cvs`` order, still ``ordered``: ``_sandbox.base_deadline``
                                          is 5 days ahead (within the 7-day warning); BASE closes it
                                          (dispatched, no e-mail) when the sandbox clock reaches it.
``past_auto_close`` 61                    PAID ``base_bt`` order older than 60 days: BASE has closed it
                                          (``dispatched``, ``_sandbox.closed_by_base``, no e-mail) by the
                                          time anything reads it; edit_status answers ``not_change_status``.
==================  ====================  ============================================================

``ordered_days_ago`` moves the order date (and so ``base_deadline``): e.g. ``near_auto_close`` with 59.5
closes half a day later. A value of 60 or more makes ``near_auto_close`` closed on the next read.
"""

from __future__ import annotations

from typing import Any

from .errors import JSON, ApiError

PRESET_DEFAULT_DAYS: dict[str, float] = {
    "partner_shop": 1,
    "bnpl": 1,
    "bnpl_refused": 1,
    "new_payment": 1,
    "unshippable": 2,
    "shipping_lines": 1,
    "old_open": 40,
    "near_auto_close": 55,
    "past_auto_close": 61,
}
NEW_PAYMENT = "future_pay"
_KIND_SPECS: dict[str, JSON] = {
    "partner_shop": {"payment": "creditcard", "partner_shop": True},
    "bnpl": {"payment": "bnpl"},
    "bnpl_refused": {"payment": "bnpl", "refuse_dispatch": True},
    "new_payment": {"payment": NEW_PAYMENT},
    "unshippable": {"payment": "creditcard", "dispatch_status": "unshippable"},
    "shipping_lines": {
        "payment": "creditcard",
        "shipping_fee": 370,
        "country_code": "JP",
        "shipping_lines": [{"shipping_method": "ゆうパケット", "shipping_fee": 370}],
    },
    "old_open": {"payment": "creditcard"},
    "near_auto_close": {"payment": "cvs", "paid": True},
    "past_auto_close": {"payment": "base_bt", "paid": True},
}


def preset_spec(body: JSON, now: int) -> tuple[str, JSON]:
    """(kind, admin order spec) for a preset request; ``bad_spec`` for an unknown kind."""
    kind = str(body.get("kind") or "")
    base = _KIND_SPECS.get(kind)
    if base is None:
        raise ApiError("bad_spec", f"kind must be one of {', '.join(_KIND_SPECS)}")
    days_raw: Any = body.get("ordered_days_ago")
    days = PRESET_DEFAULT_DAYS[kind] if days_raw is None else float(days_raw)
    if days < 0:
        raise ApiError("bad_spec", "ordered_days_ago must not be negative")
    spec: JSON = {
        **base,
        "ordered": now - int(days * 86400),
        "items": [{"title": "テスト商品", "price": 3000, "amount": 1}],
        "first_name": "太郎",
        "last_name": "山田",
    }
    if body.get("unique_key"):
        spec["unique_key"] = str(body["unique_key"])
    return kind, spec
