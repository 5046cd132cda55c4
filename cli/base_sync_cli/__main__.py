"""``python -m base_sync_cli``: the same as the ``base-sync`` command."""

from base_sync_cli.main import main

raise SystemExit(main())
