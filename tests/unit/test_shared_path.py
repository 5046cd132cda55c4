"""Tests that read ../shared fail, clearly, when it is missing (tests/support/shared.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.support.shared import SHARED, shared_path


def test_a_missing_shared_folder_fails_with_the_message(tmp_path: Path) -> None:
    absent = tmp_path / "shared"
    with pytest.raises(pytest.fail.Exception) as failed:
        shared_path("base-api/recorded", shared=absent)
    message = str(failed.value)
    assert message.startswith("../shared が見つかりません")
    assert "../shared not found" in message
    assert "clone with ../shared beside it" in message
    assert str(absent / "base-api" / "recorded") in message


def test_a_missing_file_inside_shared_fails_too(tmp_path: Path) -> None:
    (tmp_path / "base-api").mkdir()
    with pytest.raises(pytest.fail.Exception, match="recorded"):
        shared_path("base-api/recorded", shared=tmp_path)


def test_an_existing_path_is_returned(tmp_path: Path) -> None:
    (tmp_path / "CONTRACT.md").write_text("x", encoding="utf-8")
    assert shared_path("CONTRACT.md", shared=tmp_path) == tmp_path / "CONTRACT.md"


def test_the_default_is_the_folder_beside_the_repository() -> None:
    assert Path(__file__).resolve().parents[2].parent / "shared" == SHARED
