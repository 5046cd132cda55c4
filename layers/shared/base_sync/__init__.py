"""base-order-sync's shared Lambda layer: the BASE API client, the export/import rules and data access."""
