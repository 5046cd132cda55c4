"""``GET /shops/{shop_id}/delivery-companies``: the shop's BASE list as the import cached it, read
from the shop record alone (the management function holds no BASE token)."""

from __future__ import annotations

import pytest
from tests.support.flows import connect_shop
from tests.support.stack import StackUnderTest

from base_sync import wiring
from base_sync.domain.shop import KnownCompany

pytestmark = pytest.mark.integration

SHOP = "shop-a"


def test_the_cached_list_is_served_and_null_before_the_first_fetch(stack: StackUnderTest) -> None:
    connect_shop(stack, SHOP, "テスト商店")
    before = stack.http("GET", f"/shops/{SHOP}/delivery-companies")
    assert before.status == 200
    assert before.json() == {"delivery_companies": None, "fetched_at": None}
    with stack.env("ManagementApiFunction"):
        wiring.shop_repository().put_delivery_companies(
            SHOP,
            [
                KnownCompany(delivery_company_id=1, name="クロネコヤマト"),
                KnownCompany(delivery_company_id=2, name="佐川急便"),
            ],
            at_iso="2026-12-03T01:00:00+00:00",
        )
    after = stack.http("GET", f"/shops/{SHOP}/delivery-companies")
    assert after.status == 200
    assert after.json() == {
        "delivery_companies": [
            {"delivery_company_id": 1, "name": "クロネコヤマト"},
            {"delivery_company_id": 2, "name": "佐川急便"},
        ],
        "fetched_at": "2026-12-03T01:00:00+00:00",
    }


def test_an_unknown_shop_is_a_404(stack: StackUnderTest) -> None:
    missing = stack.http("GET", "/shops/nope/delivery-companies")
    assert missing.status == 404
    assert missing.json()["error"] == "shop_not_found"
