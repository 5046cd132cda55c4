"""The dependency locks: every package pinned to one version with its hashes, the layer built from
its lock, the dev tools at the layer's versions, setup installing with ``--require-hashes``."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
LOCKS = {
    "requirements/layer.in": "layers/shared/requirements.txt",
    "requirements/dev.in": "requirements-dev.txt",
    "requirements/sam.in": "requirements-sam.txt",
    "requirements/checkov.in": "requirements/checkov.txt",
    "requirements/uv.in": "requirements/uv.txt",
}
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==([^\s;\\]+)")


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirements(path: Path) -> list[tuple[str, str | None, list[str]]]:
    """``(name, version or None, hashes)`` per requirement of a requirements file (continuations joined)."""
    text = re.sub(r"\\\n", " ", path.read_text(encoding="utf-8"))
    found: list[tuple[str, str | None, list[str]]] = []
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        match = PIN.match(line)
        hashes = re.findall(r"--hash=sha256:([0-9a-f]{64})", line)
        if match:
            found.append((_normal(match.group(1)), match.group(3), hashes))
        else:
            bare = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", line)
            found.append(
                (_normal(bare.group(0)) if bare and not line.startswith("-") else line, None, hashes)
            )
    return found


@pytest.mark.parametrize("lock", sorted(LOCKS.values()))
def test_every_requirement_of_a_lock_is_pinned_with_hashes(lock: str) -> None:
    requirements = _requirements(ROOT / lock)
    assert requirements, f"{lock} is empty"
    unpinned = [name for name, version, _ in requirements if version is None]
    assert unpinned == [], f"{lock}: not name==version: {unpinned}"
    unhashed = [name for name, _, hashes in requirements if not hashes]
    assert unhashed == [], f"{lock}: no --hash for {unhashed}"


@pytest.mark.parametrize(("source", "lock"), sorted(LOCKS.items()))
def test_each_lock_holds_what_its_in_file_pins(source: str, lock: str) -> None:
    locked = {name: version for name, version, _ in _requirements(ROOT / lock)}
    for name, version, _ in _requirements(ROOT / source):
        if name.startswith("-r "):
            continue
        assert name in locked, f"{name} from {source} is missing from {lock}"
        if version is not None:
            assert locked[name] == version, f"{name}: {source} pins {version}, {lock} has {locked[name]}"


def test_the_layers_compiled_packages_carry_hashes_for_several_platforms() -> None:
    # An aarch64-only or x86_64-only hash list would fail the other side of sam build's downloads.
    hashes = {name: h for name, _, h in _requirements(ROOT / "layers/shared/requirements.txt")}
    for compiled in ("pydantic-core", "charset-normalizer"):
        assert len(hashes[compiled]) >= 10, f"{compiled} has only {len(hashes[compiled])} hashes"


def test_the_dev_tools_use_the_layers_versions() -> None:
    layer = {name: version for name, version, _ in _requirements(ROOT / "layers/shared/requirements.txt")}
    dev = {name: version for name, version, _ in _requirements(ROOT / "requirements-dev.txt")}
    assert {name: dev.get(name) for name in layer} == layer


def test_setup_installs_every_lock_with_require_hashes() -> None:
    setup = (ROOT / "scripts/setup.sh").read_text(encoding="utf-8")
    assert re.search(r"PIP_HASHED=\(-m pip install [^)]*--require-hashes", setup)
    for lock in ("requirements-dev.txt", "requirements-sam.txt", "requirements/checkov.txt"):
        assert re.search(rf'"\$\{{PIP_HASHED\[@\]\}}" -r {re.escape(lock)}', setup), lock
    # Nothing else is installed from the index without hashes (the editable CLI's come from the lock).
    installs = [line for line in setup.splitlines() if "pip install" in line and "PIP_HASHED=" not in line]
    assert all("--no-deps" in line and "--no-build-isolation" in line for line in installs), installs


def test_make_lock_is_one_command() -> None:
    done = subprocess.run(["make", "-n", "-C", str(ROOT), "lock"], capture_output=True, text=True, check=True)
    assert "scripts/lock.sh" in done.stdout
    script = (ROOT / "scripts/lock.sh").read_text(encoding="utf-8")
    for source, lock in LOCKS.items():
        assert re.search(rf"compile {re.escape(source)} {re.escape(lock)}", script), source
    assert "--generate-hashes" in script and "--python-version 3.13" in script
    assert "--python-platform aarch64-manylinux2014" in script
