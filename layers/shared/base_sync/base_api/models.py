"""Pydantic models of BASE's responses: lenient, since BASE adds fields over time and sends nulls.

Unknown fields are ignored and almost everything may be null (partner-shop orders carry null buyer
fields). ``payment`` and ``dispatch_status`` are open strings: ``bnpl`` or a method no docs list yet
must parse. Numbers sent as strings (or strings as numbers, e.g. ``delivery_time_zone``) are coerced;
a list sent as null is empty; a nested object sent as PHP's empty array ``[]`` (or any non-object)
is null. Buyer addresses and e-mail are deliberately not modelled: the product never needs them,
so it never stores them. Tokens are ``SecretStr`` so that a stray ``repr`` or log line cannot reveal them.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, SecretStr


def _list_or_empty(value: Any) -> Any:
    """BASE may send null (or PHP's ``{}``) where a list is documented: read it as no entries."""
    return [] if value is None or value == {} else value


def _object_or_none(value: Any) -> Any:
    """PHP encodes an empty map as ``[]``; anything that is not an object means "nothing here"."""
    return value if isinstance(value, dict | BaseModel) else None


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, coerce_numbers_to_str=True)


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
    subscription: Annotated[Subscription | None, BeforeValidator(_object_or_none)] = None


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


class ShippingLine(_Lenient):
    """An entry of ``shipping_lines`` (newer responses). BASE's docs do not show its shape; the method's
    name is read from ``shipping_method`` or, failing that, ``name``."""

    shipping_method: str | None = None
    name: str | None = None
    shipping_fee: int | None = None
    order_item_ids: Annotated[list[int], BeforeValidator(_list_or_empty)] = Field(default_factory=list)

    @property
    def method_name(self) -> str | None:
        """The shipping method this line names, if any."""
        return self.shipping_method or self.name or None


class OrderDiscount(_Lenient):
    """``order_discount``: coupon or campaign discount on the whole order."""

    discount: int | None = None
    note: str | None = None


class OrderCharge(_Lenient):
    """``order_charge``: BASE's fee on the order."""

    collected_fee: int | None = None


class OrderAmountAdjustment(_Lenient):
    """``order_amount_adjustment`` (cart app that adjusts the amount)."""

    adjusted_amount: int | None = None


_Transaction = Annotated[PaymentTransaction | None, BeforeValidator(_object_or_none)]


class OrderDetail(OrderSummary):
    """``GET /1/orders/detail/{unique_key}``'s ``order`` (and ``edit_status``'s answer)."""

    shipping_method: str | None = None
    shipping_fee: int | None = None
    cod_fee: int | None = None
    remark: str | None = None
    add_comment: str | None = None
    delivery_company_id: int | None = None
    tracking_number: str | None = None
    country_code: str | None = None
    order_items: Annotated[list[OrderItem], BeforeValidator(_list_or_empty)] = Field(default_factory=list)
    shipping_lines: Annotated[list[ShippingLine], BeforeValidator(_list_or_empty)] = Field(
        default_factory=list
    )
    order_discount: Annotated[OrderDiscount | None, BeforeValidator(_object_or_none)] = None
    order_charge: Annotated[OrderCharge | None, BeforeValidator(_object_or_none)] = None
    order_amount_adjustment: Annotated[OrderAmountAdjustment | None, BeforeValidator(_object_or_none)] = None
    cvs_payment_transaction: _Transaction = None
    bt_payment_transaction: _Transaction = None
    atobarai_payment_transaction: _Transaction = None

    @property
    def shipping_method_name(self) -> str | None:
        """The shipping method from whichever field BASE filled: ``shipping_lines`` first (newer
        responses, where ``shipping_method`` is null), else ``shipping_method``."""
        for line in self.shipping_lines:
            if line.method_name:
                return line.method_name
        return self.shipping_method or None


class DeliveryCompany(_Lenient):
    """An entry of ``GET /1/delivery_companies``."""

    delivery_company_id: int
    name: str


class OrderList(_Lenient):
    orders: Annotated[list[OrderSummary], BeforeValidator(_list_or_empty)] = Field(default_factory=list)


class OrderEnvelope(_Lenient):
    order: OrderDetail


class UserEnvelope(_Lenient):
    user: BaseUser


class DeliveryCompanyList(_Lenient):
    delivery_companies: Annotated[list[DeliveryCompany], BeforeValidator(_list_or_empty)] = Field(
        default_factory=list
    )
