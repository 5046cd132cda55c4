"""Which stream records mean "this order just became ready" (pure)."""

from base_sync.services.changes import became_ready, ready_orders_by_shop

READY = {
    "shop_id": "s",
    "unique_key": "K1",
    "export_state": "pending",
    "status": "processed",
    "tracking_number": "1",
    "delivery_company": "佐川",
    "ship_date": None,
}


def test_becoming_pending_counts():
    assert became_ready(None, READY)
    assert became_ready(READY | {"export_state": "not_ready"}, READY)
    assert became_ready(READY | {"export_state": "deferred"}, READY)


def test_a_management_edit_of_a_pending_order_counts():
    assert became_ready(READY, READY | {"tracking_number": "2"})
    assert became_ready(READY, READY | {"delivery_company": "ヤマト"})


def test_the_exporters_own_writes_do_not_count():
    """The attempt marker, a transient failure or an import keep pending -> pending with the same fields."""
    assert not became_ready(READY, READY | {"dispatch_attempt": {"attempt_id": "a"}})
    assert not became_ready(READY, READY | {"export_reason": "transient:db_error", "version": 9})
    assert not became_ready(READY, READY | {"export_state": "exported"})
    assert not became_ready(READY, None)


def test_orders_are_grouped_per_shop_once_each_in_order():
    images = [
        (None, READY),
        (None, READY | {"unique_key": "K2"}),
        (READY, READY | {"tracking_number": "9"}),
        (None, READY | {"shop_id": "t"}),
        (None, READY | {"unique_key": "K3", "export_state": "not_ready"}),
    ]
    assert ready_orders_by_shop(images) == {"s": ["K1", "K2"], "t": ["K1"]}
