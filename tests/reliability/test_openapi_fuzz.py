"""OpenAPI-driven fuzz of the management API: schemathesis generates requests (valid and invalid)
from the document the handler itself serves at ``GET /openapi.json``; each is delivered through
the template's route table into the real handler. Nothing may answer 5xx."""

from __future__ import annotations

import json
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.core import NOT_SET
from schemathesis.generation import GenerationMode
from tests.reliability.ledger import LEDGER, scale
from tests.support.flows import connect_shop
from tests.support.orders import make_orders
from tests.support.stack import StackUnderTest

pytestmark = pytest.mark.reliability

KNOWN_SHOP = "shop-fz"


@pytest.fixture
def fuzz_stack(stack: StackUnderTest) -> StackUnderTest:
    connect_shop(stack, KNOWN_SHOP, "FZ店")
    make_orders(stack, KNOWN_SHOP, [{}])
    return stack


def _deliver(stack: StackUnderTest, case: Any) -> None:
    path = case.formatted_path
    query = {k: str(v) for k, v in case.query.items()} if isinstance(case.query, dict) else None
    raw_body = None
    if isinstance(case.body, bytes):
        raw_body = case.body  # negative mode sends raw bytes too
    elif case.body is not NOT_SET and case.body is not None:
        raw_body = json.dumps(case.body, ensure_ascii=False).encode("utf-8", errors="surrogatepass")
    LEDGER.bad_input("openapi_fuzz")
    answer = stack.http(case.method, path, query=query, raw_body=raw_body)
    assert answer.status < 500, (case.method, path, query, raw_body, answer.status, answer.body[:300])


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=lambda m: m.value)
def test_management_api_never_answers_5xx(fuzz_stack: StackUnderTest, mode: GenerationMode) -> None:
    """schemathesis' Python API (its pytest loader does not run on pytest 9): one hypothesis run
    per documented operation, bounded by ``max_examples``."""
    answer = fuzz_stack.http("GET", "/openapi.json")
    assert answer.status == 200, answer.body
    api = schemathesis.openapi.from_dict(answer.json())
    operations = [result.ok() for result in api.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) >= 6, [op.label for op in operations]
    for operation in operations:
        # Half the examples aim at the shop that exists, so deeper code (orders, settings) runs too.
        strategy = st.one_of(
            operation.as_strategy(generation_mode=mode),
            operation.as_strategy(
                generation_mode=mode,
                path_parameters={"shop_id": KNOWN_SHOP} if "{shop_id}" in operation.path else None,
            ),
        )

        @given(case=strategy)
        @settings(
            max_examples=scale(25, 200),
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def fuzz(case: Any) -> None:
            _deliver(fuzz_stack, case)

        try:
            fuzz()
        except Unsatisfiable:
            # Nothing to make invalid (no parameters, no body): the positive run covers it.
            assert mode is GenerationMode.NEGATIVE, operation.label
