"""The files beside the repository in ../shared (the API contract, recorded BASE responses).

A test that needs one calls :func:`shared_path`: a clone without ../shared fails with a message
saying what is missing and how to get it, instead of skipping quietly (CI must not pass on it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import pytest

ROOT: Final = Path(__file__).resolve().parents[2]
SHARED: Final = ROOT.parent / "shared"


def shared_path(relative: str, *, shared: Path = SHARED) -> Path:
    """``shared/<relative>``, which must exist; otherwise the test (or its module) fails, naming it."""
    path = shared / relative
    if not path.exists():
        pytest.fail(
            f"../shared が見つかりません（{path} がありません）。"
            "このリポジトリと同じ階層に ../shared を置いて clone してください / "
            f"../shared not found ({path} is missing): clone with ../shared beside it",
            pytrace=False,
        )
    return path
