"""Contract tests: every response recorded from the live BASE API parses with our models.

The recordings live in ../shared/base-api/recorded (not copied into the project); without that
folder this module fails, saying so (tests/support/shared.py), rather than skipping.
"""

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel
from tests.support.shared import shared_path

from base_sync.base_api import errors
from base_sync.base_api.errors import Endpoint, error_from_response
from base_sync.base_api.models import DeliveryCompanyList, OrderEnvelope, OrderList, TokenPair, UserEnvelope

RECORDED = shared_path("base-api/recorded")
CASSETTES = sorted(RECORDED.glob("*.yml"))
NOW = datetime(2026, 1, 1, tzinfo=errors.JST)


def _interactions(path: Path) -> list[dict[str, Any]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return list(data["http_interactions"])


def _model_for(uri: str) -> type[BaseModel]:
    if uri.endswith("/1/oauth/token"):
        return TokenPair
    if "/1/orders/detail/" in uri:
        return OrderEnvelope
    if "/1/orders" in uri:
        return OrderList
    if uri.endswith("/1/users/me"):
        return UserEnvelope
    if uri.endswith("/1/delivery_companies"):
        return DeliveryCompanyList
    raise AssertionError(f"no model for {uri}")


@pytest.mark.parametrize("cassette", CASSETTES, ids=lambda p: p.stem)
def test_recorded_response_parses(cassette: Path):
    for interaction in _interactions(cassette):
        uri = interaction["request"]["uri"]
        status = interaction["response"]["status"]["code"]
        body = json.loads(interaction["response"]["body"]["string"])
        if status == 200:
            parsed = _model_for(uri).model_validate(body)
            assert parsed is not None
        else:
            assert status == 400  # BASE answers every error with 400
            grant = (
                "refresh_token"
                if "grant_type=refresh_token" in interaction["request"]["body"]["string"]
                else "code"
            )
            endpoint = Endpoint.TOKEN_REFRESH if grant == "refresh_token" else Endpoint.CODE_EXCHANGE
            error = error_from_response(body["error"], body["error_description"], endpoint=endpoint, now=NOW)
            assert isinstance(error, errors.ReauthorizationRequired)


def test_all_recorded_kinds_are_present():
    """Guards against the folder silently moving or emptying: it holds what we test against."""
    names = {p.stem for p in CASSETTES}
    assert any("orders_detail" in n for n in names)
    assert any("users_me" in n for n in names)


def test_recorded_detail_fields_land_in_the_model():
    detail = next(p for p in CASSETTES if "orders_detail" in p.stem)
    body = json.loads(_interactions(detail)[0]["response"]["body"]["string"])
    order = OrderEnvelope.model_validate(body).order
    assert order.unique_key == "testuniquekey"
    assert order.dispatch_status == "cancelled"
    assert order.delivery_company_id == 0
    assert order.tracking_number is None
    assert [item.order_item_id for item in order.order_items] == [19749229]
    assert order.order_items[0].status == "cancelled"
