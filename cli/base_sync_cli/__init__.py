"""base-sync: the operator's command line for base-order-sync (see ``base_sync_cli.main``)."""

__version__ = "0.1.0"
