"""``scripts/check_build.py``: make build refuses a Python other than 3.13 and a layer with anything
compiled for another machine than aarch64, wheels not tagged cp313 / manylinux aarch64, or packages
other than the lock's."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[3]
EM_X86_64, EM_AARCH64 = 62, 183


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_build", ROOT / "scripts" / "check_build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


check_build = _load()


def _elf(machine: int, *, elf_class: int = 2) -> bytes:
    """A minimal ELF header: magic, 64-bit, little-endian, version 1, ET_DYN, e_machine."""
    ident = b"\x7fELF" + bytes([elf_class, 1, 1, 0]) + bytes(8)
    return ident + (3).to_bytes(2, "little") + machine.to_bytes(2, "little") + bytes(44)


def _wheel(root: Path, name: str, version: str, *tags: str) -> None:
    info = root / "python" / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "WHEEL").write_text(
        "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: false\n" + "".join(f"Tag: {t}\n" for t in tags)
    )
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\nbody\n")


def _good_layer(root: Path) -> Path:
    (root / "python" / "pydantic_core").mkdir(parents=True)
    (root / "python" / "pydantic_core" / "_pydantic_core.cpython-313-aarch64-linux-gnu.so").write_bytes(
        _elf(EM_AARCH64)
    )
    (root / "python" / "base_sync").mkdir()
    (root / "python" / "base_sync" / "__init__.py").write_text('"""layer code"""\n')
    _wheel(
        root,
        "pydantic-core",
        "2.50.5",
        "cp313-cp313-manylinux_2_17_aarch64",
        "cp313-cp313-manylinux2014_aarch64",
    )
    _wheel(root, "requests", "2.34.2", "py3-none-any")
    _wheel(root, "charset-normalizer", "3.5.3", "cp39-abi3-manylinux_2_28_aarch64")
    return root


def test_an_all_aarch64_cp313_layer_passes(tmp_path: Path) -> None:
    assert check_build.check_layer(_good_layer(tmp_path)) == []


def test_an_x86_64_shared_object_is_refused(tmp_path: Path) -> None:
    root = _good_layer(tmp_path)
    bad = root / "python" / "charset_normalizer" / "md.cpython-313-x86_64-linux-gnu.so"
    bad.parent.mkdir()
    bad.write_bytes(_elf(EM_X86_64))
    problems = [str(p) for p in check_build.check_layer(root)]
    assert len(problems) == 1
    assert "md.cpython-313-x86_64-linux-gnu.so" in problems[0] and "x86_64" in problems[0]


def test_an_x86_64_elf_without_so_suffix_and_a_32_bit_arm_one_are_refused(tmp_path: Path) -> None:
    root = _good_layer(tmp_path)
    (root / "python" / "helper").write_bytes(_elf(EM_X86_64))
    (root / "python" / "old.so.1").write_bytes(_elf(40, elf_class=1))
    problems = {p.path: p.reason for p in check_build.check_layer(root)}
    assert set(problems) == {"python/helper", "python/old.so.1"}
    assert "arm (32-bit)" in problems["python/old.so.1"]


def test_a_so_that_is_not_elf_is_refused(tmp_path: Path) -> None:
    root = _good_layer(tmp_path)
    (root / "python" / "fake.so").write_bytes(b"MZ not an ELF file at all........")
    [problem] = check_build.check_layer(root)
    assert problem.path == "python/fake.so"


@pytest.mark.parametrize(
    "tag",
    [
        "cp313-cp313-manylinux_2_17_x86_64",
        "cp312-cp312-manylinux_2_17_aarch64",
        "cp313-cp313-macosx_11_0_arm64",
        "cp313-cp313-linux_aarch64",
        "cp314-abi3-manylinux_2_28_aarch64",
        "cp313-cp313-musllinux_1_2_aarch64",
        "garbage",
    ],
)
def test_wheels_for_another_python_or_platform_are_refused(tmp_path: Path, tag: str) -> None:
    root = _good_layer(tmp_path)
    _wheel(root, "other", "1.0", tag)
    [problem] = check_build.check_layer(root)
    assert tag in problem.reason and "other-1.0.dist-info" in problem.path


def test_the_layer_must_hold_exactly_the_locked_versions(tmp_path: Path) -> None:
    root = _good_layer(tmp_path)
    lock = tmp_path / "requirements.txt"
    lock.write_text(
        "# lock\n"
        "pydantic-core==2.50.5 \\\n    --hash=sha256:aa\n"
        "requests==2.34.1 \\\n    --hash=sha256:bb\n"
        "idna==3.20 \\\n    --hash=sha256:cc\n"
    )
    problems = {p.path: p.reason for p in check_build.check_layer(root, lock)}
    assert problems == {
        "requests": "pinned 2.34.1 in requirements.txt but installed 2.34.2",
        "idna": "pinned 3.20 in requirements.txt but installed nothing",
        "charset-normalizer": "installed 3.5.3 but not pinned in requirements.txt",
    }


def test_a_missing_layer_directory_is_refused(tmp_path: Path) -> None:
    [problem] = check_build.check_layer(tmp_path / "nothing")
    assert "did sam build run" in problem.reason


def test_only_python_3_13_may_build() -> None:
    assert check_build.check_python((3, 13, 0)) == []
    [message] = check_build.check_python((3, 12, 1))
    assert "3.12.1" in message
    assert message.index("Python 3.13 が必要") < message.index("make build needs Python 3.13")


def test_the_command_exits_non_zero_and_names_the_file(tmp_path: Path) -> None:
    root = _good_layer(tmp_path)
    (root / "python" / "x.so").write_bytes(_elf(EM_X86_64))
    script = str(ROOT / "scripts" / "check_build.py")
    failed = subprocess.run(
        [sys.executable, script, "layer", str(root)], capture_output=True, text=True, check=False
    )
    assert failed.returncode == 1 and "python/x.so" in failed.stderr
    (root / "python" / "x.so").unlink()
    passed = subprocess.run(
        [sys.executable, script, "layer", str(root)], capture_output=True, text=True, check=False
    )
    assert passed.returncode == 0, passed.stderr
    assert "1 compiled module(s), all aarch64" in passed.stdout


def _make_n(target: str) -> list[str]:
    done = subprocess.run(["make", "-n", "-C", str(ROOT), target], capture_output=True, text=True, check=True)
    return [line for line in done.stdout.splitlines() if line.strip()]


def test_make_build_checks_the_python_before_and_the_layer_after_sam_build() -> None:
    lines = _make_n("build")
    python_check = next(i for i, line in enumerate(lines) if "check_build.py python" in line)
    sam_build = next(i for i, line in enumerate(lines) if line.rstrip().endswith("sam build"))
    layer_check = next(i for i, line in enumerate(lines) if "check_build.py layer" in line)
    assert python_check < sam_build < layer_check
    assert ".aws-sam/build/SharedLayer" in lines[layer_check]
    assert "--lock layers/shared/requirements.txt" in lines[layer_check]


def test_make_test_runs_checkov_after_the_template_lint() -> None:
    lines = _make_n("test")
    sam_validate = next(i for i, line in enumerate(lines) if "validate --lint" in line)
    checkov = next(i for i, line in enumerate(lines) if "checkov --framework cloudformation" in line)
    pytest_run = next(i for i, line in enumerate(lines) if "-m pytest" in line)
    assert sam_validate < checkov < pytest_run
    assert "-f template.yaml --config-file .checkov.yaml --compact --quiet" in lines[checkov]
