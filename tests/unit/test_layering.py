"""The layer stacks one way: each module imports only the layers drawn below it.

An AST walk over ``layers/shared/base_sync`` (no import of the code, so it cannot be fooled by
import order or by a module that fails to import). Every ``import`` and ``from … import`` counts:
top-level, inside functions (the lazy imports in ``wiring``), and inside ``if TYPE_CHECKING:``
blocks — a dependency that exists only for the type checker is still one a reader has to follow,
and it is the usual first step of an upward import becoming a real one.

The stack, from the ground up (a layer may import itself and what its row lists, nothing else):

- ``domain``: value types, enums, errors of the product's own words. Imports nothing of the project.
- ``config``: reads the environment. Imports nothing of the project.
- ``observability``: the logger and metrics. Imports nothing of the project, so any layer but the
  pure ones (``domain``, ``rules``) may log through it without creating a cycle.
- ``aws``: boto3 clients and tables, named from ``config``.
- ``rules``: pure decisions over domain values. Imports only ``domain``.
- ``base_api``: the BASE client, its wire models and the BASE→domain mapping. Imports ``domain``
  (and ``observability`` to log calls).
- ``dal``: the DynamoDB / Secrets Manager repositories. Imports ``domain`` and the platform
  helpers at the bottom (``aws``, ``config``, ``observability``); never ``base_api`` or ``rules``.
- ``services``: use cases. Import everything below them (not ``api`` or ``wiring``).
- ``api``: HTTP shapes (request models, responses, error mapping, pages). Imports ``domain``,
  ``rules`` (input normalisation), ``services`` (their errors) and ``config``/``observability``;
  never ``dal``, ``base_api`` or ``aws`` — services re-raise what the API must map
  (``services.errors``).
- ``wiring``: builds the long-lived objects; the top of the layer, may import any of it.

Handlers (``functions/*/*.py``) import ``api``, ``services``, ``wiring``, and ``observability``,
``config`` and ``domain`` (value types such as ``Deadline``, ``ExportState``, ``ManagementStatus``
and ``ShopSettings`` that appear in their route signatures). Never ``dal``, ``base_api``,
``rules`` or ``aws``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path
from typing import Final

ROOT: Final = Path(__file__).resolve().parents[2]
PACKAGE_DIR: Final = ROOT / "layers" / "shared" / "base_sync"
FUNCTIONS_DIR: Final = ROOT / "functions"
PACKAGE: Final = "base_sync"

PLATFORM: Final = frozenset({"config", "observability", "aws"})

ALLOWED: Final[dict[str, frozenset[str]]] = {
    "domain": frozenset(),
    "config": frozenset(),
    "observability": frozenset(),
    "aws": frozenset({"config"}),
    "rules": frozenset({"domain"}),
    "base_api": frozenset({"domain", "observability"}),
    "dal": frozenset({"domain"}) | PLATFORM,
    "services": frozenset({"domain", "rules", "base_api", "dal"}) | PLATFORM,
    "api": frozenset({"domain", "rules", "services", "config", "observability"}),
    "wiring": frozenset({"domain", "rules", "base_api", "dal", "services", "api"}) | PLATFORM,
    "root": frozenset(),
}
"""Layer -> the other layers it may import (every layer may import its own modules)."""

HANDLER_ALLOWED: Final = frozenset({"api", "services", "wiring", "observability", "config", "domain"})


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_module(dotted: str) -> bool:
    rel = Path(*dotted.split("."))
    base = PACKAGE_DIR.parent / rel
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def layer_of(dotted: str) -> str:
    """``base_sync.dal.orders`` -> ``dal``; ``base_sync`` itself -> ``root``."""
    parts = dotted.split(".")
    assert parts[0] == PACKAGE, dotted
    if len(parts) == 1:
        return "root"
    layer = parts[1]
    assert layer in ALLOWED, f"{dotted}: no layer named {layer!r}; place it in test_layering.ALLOWED"
    return layer


def project_imports(tree: ast.AST, module: str, *, is_package: bool) -> Iterator[tuple[int, str]]:
    """(line, imported base_sync module) for every import anywhere in the tree, relative ones resolved."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == PACKAGE or alias.name.startswith(PACKAGE + "."):
                    yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = module.split(".")
                if not is_package:
                    anchor = anchor[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                target = ".".join([*anchor, node.module] if node.module else anchor)
            else:
                target = node.module or ""
            if target != PACKAGE and not target.startswith(PACKAGE + "."):
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                yield node.lineno, sub if _is_module(sub) else target


def _layer_modules() -> list[Path]:
    return sorted(p for p in PACKAGE_DIR.rglob("*.py") if "__pycache__" not in p.parts)


def layer_violations() -> list[str]:
    found: list[str] = []
    for path in _layer_modules():
        module = _module_name(path)
        here = layer_of(module)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for line, imported in project_imports(tree, module, is_package=path.name == "__init__.py"):
            there = layer_of(imported)
            if there != here and there not in ALLOWED[here]:
                found.append(f"{path.relative_to(ROOT)}:{line}: {here} imports {imported} ({there})")
    return sorted(set(found))


def handler_violations() -> list[str]:
    found: list[str] = []
    for path in sorted(FUNCTIONS_DIR.glob("*/*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for line, imported in project_imports(tree, f"handler.{path.stem}", is_package=False):
            there = layer_of(imported)
            if there not in HANDLER_ALLOWED:
                found.append(f"{path.relative_to(ROOT)}:{line}: handler imports {imported} ({there})")
    return sorted(set(found))


PRIVATE_SIGNALS: Final[dict[str, frozenset[str]]] = {}
"""Exceptions used as control flow inside one module, never raised to a caller, may stay there.
None today: the one run-stopping signal, ``StopRun``, lives in ``domain/errors.py`` (importer and
exporter share it through ``domain.budget.CallBudget``)."""


def _raises_something(node: ast.ClassDef, known: set[str]) -> bool:
    for base in node.bases:
        name = base.id if isinstance(base, ast.Name) else base.attr if isinstance(base, ast.Attribute) else ""
        if name in known or name in {"Exception", "BaseException"} or name.endswith(("Error", "Exception")):
            return True
    return False


def misplaced_errors() -> list[str]:
    """Exception classes defined outside their layer's ``errors`` module."""
    known: set[str] = set()
    classes: list[tuple[str, ast.ClassDef]] = []
    for path in _layer_modules():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        classes += [(_module_name(path), n) for n in tree.body if isinstance(n, ast.ClassDef)]
    for _ in range(5):  # subclasses of subclasses, across modules
        known |= {n.name for _, n in classes if _raises_something(n, known)}
    found: list[str] = []
    for module, node in classes:
        if node.name not in known or module.endswith(".errors"):
            continue
        if node.name in PRIVATE_SIGNALS.get(module, frozenset()):
            continue
        found.append(f"{module}.{node.name}")
    return sorted(found)


def test_each_layer_keeps_its_errors_in_one_module() -> None:
    """``rules/errors.py``, ``base_api/errors.py``, ``dal/errors.py``, ``services/errors.py``."""
    assert misplaced_errors() == []


def test_every_layer_module_sits_in_a_known_layer() -> None:
    modules = [_module_name(p) for p in _layer_modules()]
    assert len(modules) > 30
    assert {layer_of(m) for m in modules} == set(ALLOWED)


def test_the_layer_stacks_one_way() -> None:
    assert layer_violations() == []


def test_handlers_import_only_api_services_and_wiring() -> None:
    handlers = sorted(FUNCTIONS_DIR.glob("*/*.py"))
    assert len(handlers) >= 9
    assert handler_violations() == []


def test_the_walk_sees_every_kind_of_import() -> None:
    """The checker itself: lazy, TYPE_CHECKING, relative and ``from package import module`` forms."""
    source = (
        "from typing import TYPE_CHECKING\n"
        "import base_sync.dal.orders\n"
        "from base_sync import wiring\n"
        "from . import shop\n"
        "from ..rules.comment import render_comment\n"
        "if TYPE_CHECKING:\n"
        "    from base_sync.base_api.models import OrderDetail\n"
        "def f() -> None:\n"
        "    from base_sync.services.tokens import ShopTokenCaller\n"
    )
    found = [m for _, m in project_imports(ast.parse(source), "base_sync.domain.order", is_package=False)]
    assert found == [
        "base_sync.dal.orders",
        "base_sync.wiring",
        "base_sync.domain.shop",
        "base_sync.rules.comment",
        "base_sync.base_api.models",
        "base_sync.services.tokens",
    ]
    assert [layer_of(m) for m in found] == ["dal", "wiring", "domain", "rules", "base_api", "services"]
