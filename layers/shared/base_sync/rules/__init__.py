"""Export rules: pure functions deciding whether and how an order is dispatched on BASE.

No I/O, no AWS, no clock: callers pass ``now`` and the shop's BASE company list. Import the
module you need (``base_sync.rules.readiness`` …); this package re-exports nothing.
"""
