"""Pydantic models of BASE's responses: lenient, since BASE adds fields over time and sends nulls.

Unknown fields are ignored and almost everything may be null. Buyer addresses and e-mail are
deliberately not modelled: the product never needs them, so it never stores them.
Tokens are ``SecretStr`` so that a stray ``repr`` or log line cannot reveal them.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class TokenPair(_Lenient):
    """``POST /1/oauth/token``'s answer."""

    access_token: SecretStr
    refresh_token: SecretStr
    token_type: str = "bearer"
    expires_in: int = 3600


class BaseUser(_Lenient):
    """``GET /1/users/me``'s ``user``: the connected shop."""

    shop_id: str
    shop_name: str | None = None
    shop_url: str | None = None


class Subscription(_Lenient):
    unique_key: str | None = None
    repeat_number: int | None = None
    repeat_times: int | None = None


class OrderSummary(_Lenient):
    """An entry of ``GET /1/orders``: no items, no address."""

    unique_key: str
    ordered: int | None = None
    cancelled: int | None = None
    dispatched: int | None = None
    payment: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    total: int | None = None
    delivery_date: str | None = None
    delivery_time_zone: str | None = None
    terminated: bool | None = None
    dispatch_status: str | None = None
    modified: int | None = None
    subscription: Subscription | None = None


class OrderItem(_Lenient):
    """One line of an order; BASE dispatches per item."""

    order_item_id: int
    item_id: int | None = None
    variation_id: int | None = None
    title: str | None = None
    variation: str | None = None
    price: int | None = None
    amount: int | None = None
    total: int | None = None
    status: str | None = None
    shipping_method: str | None = None
    shipping_fee: int | None = None
    modified: int | None = None


class PaymentTransaction(_Lenient):
    collected_fee: int | None = None
    status: str | None = None


class OrderDetail(OrderSummary):
    """``GET /1/orders/detail/{unique_key}``'s ``order`` (and ``edit_status``'s answer)."""

    shipping_method: str | None = None
    shipping_fee: int | None = None
    cod_fee: int | None = None
    remark: str | None = None
    add_comment: str | None = None
    delivery_company_id: int | None = None
    tracking_number: str | None = None
    order_items: list[OrderItem] = Field(default_factory=list)
    cvs_payment_transaction: PaymentTransaction | None = None
    bt_payment_transaction: PaymentTransaction | None = None
    atobarai_payment_transaction: PaymentTransaction | None = None


class DeliveryCompany(_Lenient):
    """An entry of ``GET /1/delivery_companies``."""

    delivery_company_id: int
    name: str


class OrderList(_Lenient):
    orders: list[OrderSummary] = Field(default_factory=list)


class OrderEnvelope(_Lenient):
    order: OrderDetail


class UserEnvelope(_Lenient):
    user: BaseUser


class DeliveryCompanyList(_Lenient):
    delivery_companies: list[DeliveryCompany] = Field(default_factory=list)
