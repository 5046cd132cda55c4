"""The complexity gate (issue 13, item 9): ruff's mccabe rule C901 at the threshold pyproject.toml sets.

`make lint` (part of `make test`) runs `ruff check .` with the project's settings, so a function over
the threshold fails the build. These tests prove the settings do refuse one (and accept one at the
threshold), and that nothing in the repository is over it — not even behind a noqa comment.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = ROOT / "pyproject.toml"
THRESHOLD = 12


def _ruff() -> Path:
    ruff = Path(sys.executable).parent / "ruff"
    assert ruff.is_file(), (
        f"ruff がありません / ruff is missing beside {sys.executable} (make setup installs it)"
    )
    return ruff


def _ruff_json(*args: str) -> list[dict[str, Any]]:
    done = subprocess.run(
        [str(_ruff()), "check", "--config", str(PYPROJECT), "--no-cache", "--output-format", "json", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode in (0, 1), done.stderr  # 1 means "found something"; anything else is ruff failing
    found: list[dict[str, Any]] = json.loads(done.stdout)
    return found


def _function(name: str, complexity: int) -> str:
    """A function whose cyclomatic complexity is exactly `complexity` (1 + one per `if`)."""
    ifs = "".join(f"    if x == {i}:\n        return {i}\n" for i in range(complexity - 1))
    return f"def {name}(x: int) -> int:\n{ifs}    return -1\n"


def test_pyproject_sets_the_gate() -> None:
    lint = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["ruff"]["lint"]
    assert "C90" in lint["select"]
    assert lint["mccabe"]["max-complexity"] == THRESHOLD


def test_the_project_settings_refuse_a_function_over_the_threshold(tmp_path: Path) -> None:
    source = tmp_path / "too_complex.py"
    source.write_text(
        '"""Two functions: one at the threshold, one over it."""\n\n\n'
        + _function("at_threshold", THRESHOLD)
        + "\n\n"
        + _function("over_threshold", THRESHOLD + 1),
        encoding="utf-8",
    )
    # No --select: exactly the rules `make lint` runs.
    c901 = [d for d in _ruff_json(str(source)) if d["code"] == "C901"]
    assert [d["message"] for d in c901] == [
        f"`over_threshold` is too complex ({THRESHOLD + 1} > {THRESHOLD})"
    ]


def test_no_function_in_the_repository_is_over_the_threshold() -> None:
    # --ignore-noqa: a noqa comment naming C901 does not get a function past the gate either.
    over = _ruff_json("--select", "C901", "--ignore-noqa", ".")
    assert [f"{d['filename']}:{d['location']['row']}: {d['message']}" for d in over] == []
