"""The CLI's wheel ships what the CLI imports (issue 13, item 8): ``pip install .`` outside this
repository gives a working ``base-sync``, with the pure parts of the layer it uses (domain, rules)."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import botocore
import jinja2
import markupsafe
import pydantic
import pytest
import requests

ROOT = Path(__file__).resolve().parents[3]
CLI = ROOT / "cli"
LAYER = ROOT / "layers" / "shared"
PROJECT = ("base_sync", "base_sync_cli")


def _source(module: str) -> Path:
    base = (CLI if module.split(".", maxsplit=1)[0] == "base_sync_cli" else LAYER) / Path(*module.split("."))
    return base / "__init__.py" if base.is_dir() else base.with_suffix(".py")


def _imports(module: str) -> Iterator[str]:
    """The project modules ``module`` imports (any import statement, wherever it stands)."""
    path = _source(module)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    [*package.split(".")[: len(package.split(".")) - node.level + 1], base]
                ).strip(".")
            # ``from package import module`` imports the module too
            names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        else:
            continue
        for name in names:
            if name.split(".")[0] in PROJECT and _source(name).is_file():
                yield name


def cli_closure() -> set[str]:
    """Every project module an import of the CLI loads: its imports, theirs, and each one's packages."""
    todo = [f"base_sync_cli.{p.stem}" for p in (CLI / "base_sync_cli").glob("*.py") if p.stem != "__init__"]
    seen: set[str] = set()
    while todo:
        module = todo.pop()
        parts = module.split(".")
        for depth in range(1, len(parts) + 1):  # importing a.b.c runs a/__init__ and a/b/__init__
            name = ".".join(parts[:depth])
            if name not in seen and _source(name).is_file():
                seen.add(name)
                todo.extend(_imports(name))
    return seen


def _wheel_path(module: str) -> str:
    path = Path(*module.split("."))
    return (
        str(path / "__init__.py") if _source(module).name == "__init__.py" else str(path.with_suffix(".py"))
    )


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built from a copy of what the build reads (the checkout stays untouched: no build/, no egg-info)."""
    src = tmp_path_factory.mktemp("src")
    shutil.copy(ROOT / "pyproject.toml", src)
    shutil.copy(ROOT / "README.md", src)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(CLI, src / "cli", ignore=ignore)
    shutil.copytree(LAYER / "base_sync", src / "layers" / "shared" / "base_sync", ignore=ignore)
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            str(src),
            "-w",
            str(out),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (built,) = out.glob("base_order_sync-*.whl")
    return built


def test_the_closure_sees_the_layer_modules_the_cli_imports() -> None:
    closure = cli_closure()
    assert {"base_sync.domain.status", "base_sync.rules.tracking", "base_sync.rules", "base_sync"} <= closure
    assert not any(m.startswith(("base_sync.dal", "base_sync.services", "base_sync.wiring")) for m in closure)


def test_the_wheel_holds_every_module_the_cli_imports(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {_wheel_path(m) for m in cli_closure() if m != "base_sync"}  # base_sync: a namespace package
    assert expected - names == set()


def test_the_wheel_ships_no_aws_code(wheel: Path) -> None:
    """Only the pure layers: nothing that needs boto3 or powertools, nothing that reads the environment."""
    packages = {str(Path(name).parent) for name in zipfile.ZipFile(wheel).namelist() if name.endswith(".py")}
    assert packages == {"base_sync_cli", "base_sync_cli/console", "base_sync/domain", "base_sync/rules"}


def test_the_wheel_ships_the_console_templates_and_stylesheet(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    console = CLI / "base_sync_cli" / "console"
    expected = {
        str(p.relative_to(CLI))
        for pattern in ("templates/*.html", "static/*.css")
        for p in console.glob(pattern)
    }
    assert expected and expected - names == set()


def test_the_cli_runs_from_the_wheel_alone(wheel: Path, tmp_path: Path) -> None:
    """No layer on sys.path, no .pth files (-S): the unpacked wheel plus requests, pydantic, botocore and
    jinja2 (the console's templates load from the wheel)."""
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    third_party = {
        str(Path(m.__file__ or "").parent.parent) for m in (requests, pydantic, botocore, jinja2, markupsafe)
    }
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": os.pathsep.join([str(site), *sorted(third_party)]),
    }
    probe = (
        "import base_sync_cli.main, base_sync_cli.shipments, base_sync.rules.tracking\n"
        "from base_sync_cli.console.app import Console\n"
        "from base_sync_cli.console.guard import Guard\n"
        "assert Console(None, Guard(port=1)).templates.get_template('shops.html')\n"
        f"assert base_sync.rules.tracking.__file__.startswith({str(site)!r}), base_sync.rules.tracking.__file__\n"
        "try:\n"
        "    import base_sync.wiring\n"
        "except ModuleNotFoundError:\n"
        "    print('ok')\n"
    )

    def python(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-S", *args],
            check=False,
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    done = python("-c", probe)
    assert (done.returncode, done.stdout.strip()) == (0, "ok"), done.stderr
    shown = python("-m", "base_sync_cli", "--help")
    assert shown.returncode == 0, shown.stderr
    assert "base-sync" in shown.stdout
