#!/usr/bin/env python3
"""Checks around ``make build``: the build Python is 3.13, and the built layer is all arm64.

``check_build.py python``
    Fails unless the interpreter running it (the one ``make build`` puts first on ``PATH`` for
    ``sam build``) is Python 3.13, the Lambda runtime.

``check_build.py layer DIR [--lock FILE]``
    Fails unless, under ``DIR`` (``.aws-sam/build/SharedLayer``):

    * every ELF file and every ``*.so`` is a 64-bit little-endian ELF for EM_AARCH64 (183);
    * every installed wheel's tags (``*.dist-info/WHEEL``) are pure Python (``py3-none-any``) or
      CPython 3.13 (``cp313-cp313``, or ``cp3X-abi3`` with X <= 13) on ``manylinux*_aarch64``;
    * with ``--lock``, every package pinned in the lock is installed at exactly its pinned version.

Only the standard library: it runs with any Python.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REQUIRED_PYTHON = (3, 13)
ELF_MAGIC = b"\x7fELF"
EM_AARCH64 = 183
ELF_MACHINES = {3: "x86 (i386)", 40: "arm (32-bit)", 62: "x86_64", 183: "aarch64"}
ELFCLASS64 = 2
ELFDATA2LSB = 1
PURE_TAGS = frozenset({("py3", "none", "any"), ("py2.py3", "none", "any")})
AARCH64_PLATFORM = re.compile(r"manylinux(?:1|2010|2014|_\d+_\d+)_aarch64")
ABI3_PYTHON = re.compile(r"cp3(\d+)")
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")


@dataclass(frozen=True)
class Problem:
    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


def check_python(version: tuple[int, ...] = tuple(sys.version_info[:3])) -> list[str]:
    if tuple(version[:2]) == REQUIRED_PYTHON:
        return []
    found = ".".join(map(str, version))
    return [
        f"sam build には Python 3.13 が必要です（見つかったのは {found}: {sys.executable}）。"
        f" / make build needs Python 3.13 (the Lambda runtime); found {found} at {sys.executable}."
        " Run `make setup` with Python 3.13 installed (e.g. `pyenv install 3.13`)."
    ]


def elf_machine(head: bytes) -> tuple[int, int, int] | None:
    """``(class, data, e_machine)`` of an ELF header, or None when ``head`` is not one."""
    if len(head) < 20 or not head.startswith(ELF_MAGIC):
        return None
    elf_class, data = head[4], head[5]
    machine = int.from_bytes(head[18:20], "little" if data == ELFDATA2LSB else "big")
    return elf_class, data, machine


def _files(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            yield path


def _head(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(20)


def check_elf(root: Path) -> list[Problem]:
    problems: list[Problem] = []
    for path in _files(root):
        header = elf_machine(_head(path))
        rel = str(path.relative_to(root))
        if header is None:
            if path.suffix == ".so" or ".so." in path.name:
                problems.append(Problem(rel, "a shared object that is not an ELF file"))
            continue
        elf_class, data, machine = header
        if machine != EM_AARCH64 or elf_class != ELFCLASS64 or data != ELFDATA2LSB:
            name = ELF_MACHINES.get(machine, f"e_machine {machine}")
            problems.append(
                Problem(
                    rel, f"compiled for {name} (class {elf_class}, data {data}); Lambda arm64 needs aarch64"
                )
            )
    return problems


def _tag_ok(tag: str) -> bool:
    try:
        python, abi, platform = tag.split("-")
    except ValueError:
        return False
    if (python, abi, platform) in PURE_TAGS:
        return True
    if not AARCH64_PLATFORM.fullmatch(platform):
        return False
    if python == "cp313" and abi == "cp313":
        return True
    match = ABI3_PYTHON.fullmatch(python)
    return abi == "abi3" and match is not None and int(match.group(1)) <= REQUIRED_PYTHON[1]


def check_wheels(root: Path) -> list[Problem]:
    problems: list[Problem] = []
    for wheel in sorted(root.rglob("*.dist-info/WHEEL")):
        rel = str(wheel.relative_to(root))
        tags = [
            line.split(":", 1)[1].strip()
            for line in wheel.read_text(encoding="utf-8", errors="replace").splitlines()
            if line.startswith("Tag:")
        ]
        if not tags:
            problems.append(Problem(rel, "no Tag: line (not installed from a wheel?)"))
        problems.extend(
            Problem(rel, f"wheel tag {tag} is neither pure Python nor cp313 manylinux aarch64")
            for tag in tags
            if not _tag_ok(tag)
        )
    return problems


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_pins(lock: Path) -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        match = PIN.match(line.strip())
        if match:
            pins[_normal(match.group(1))] = match.group(2)
    return pins


def installed(root: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    for metadata in root.rglob("*.dist-info/METADATA"):
        name = version = ""
        for line in metadata.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("Name:"):
                name = line.split(":", 1)[1].strip()
            elif line.startswith("Version:"):
                version = line.split(":", 1)[1].strip()
            elif not line:
                break
        if name:
            found[_normal(name)] = version
    return found


def check_lock(root: Path, lock: Path) -> list[Problem]:
    pins = read_pins(lock)
    if not pins:
        return [Problem(str(lock), "no name==version pins found")]
    have = installed(root)
    problems = [
        Problem(name, f"pinned {version} in {lock.name} but installed {have.get(name, 'nothing')}")
        for name, version in sorted(pins.items())
        if have.get(name) != version
    ]
    problems.extend(
        Problem(name, f"installed {version} but not pinned in {lock.name}")
        for name, version in sorted(have.items())
        if name not in pins
    )
    return problems


def check_layer(root: Path, lock: Path | None = None) -> list[Problem]:
    if not root.is_dir():
        return [Problem(str(root), "no such directory (did sam build run?)")]
    problems = check_elf(root) + check_wheels(root)
    if lock is not None:
        problems += check_lock(root, lock)
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("python", help="fail unless this interpreter is Python 3.13")
    layer = sub.add_parser("layer", help="fail unless the built layer is all aarch64 / cp313")
    layer.add_argument("directory", type=Path)
    layer.add_argument("--lock", type=Path, default=None, help="the lock the layer was built from")
    args = parser.parse_args(argv)
    if args.command == "python":
        errors = check_python()
        for error in errors:
            print(f"ERROR: {error}", file=sys.stderr)
        if not errors:
            print(f"build Python: {sys.version.split()[0]} at {sys.executable}")
        return 1 if errors else 0
    problems = check_layer(args.directory, args.lock)
    if problems:
        print(
            f"ERROR: レイヤーに arm64 (aarch64) / cp313 でないものがあります / the layer in {args.directory}"
            f" is not all arm64 (aarch64) / cp313 ({len(problems)} problem(s)):",
            file=sys.stderr,
        )
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    count = sum(1 for path in _files(args.directory) if elf_machine(_head(path)))
    print(f"layer {args.directory}: {count} compiled module(s), all aarch64; every wheel cp313/pure")
    return 0


if __name__ == "__main__":
    sys.exit(main())
