"""Figure 5: handler import time in a fresh interpreter against ``import boto3``, and package sizes.

Each handler module of template.yaml is imported in a new ``python`` process with its folder and
the layer first on ``sys.path`` and the environment Lambda gives it (``LAMBDA_TASK_ROOT`` and
friends: the X-Ray SDK builds a cheaper recorder inside Lambda, so leaving them out would
overstate the cost); the time of the import statement alone is taken, median of several runs.
"""

from __future__ import annotations

import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import zipfile
from collections import defaultdict
from pathlib import Path

from bench.economy import say
from bench.report import Report
from devstack.template import ROOT, FunctionSpec, Template

LAYER = ROOT / "layers" / "shared"
GOAL_FACTOR = 1.5
LAYER_GOAL_MB = 25.0  # pydantic-core + powertools + requests; the runtime brings boto3/botocore
PROBE = """
import sys, time
sys.path[:0] = {paths!r}
start = time.perf_counter()
import {module}
print((time.perf_counter() - start) * 1000)
"""


def lambda_env(spec: FunctionSpec | None) -> dict[str, str]:
    env = {
        "PATH": "/usr/bin:/bin",
        "LAMBDA_TASK_ROOT": str(spec.code_dir if spec else ROOT),
        "AWS_LAMBDA_FUNCTION_NAME": spec.logical_id if spec else "baseline",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
        "AWS_REGION": "ap-northeast-1",
        "AWS_DEFAULT_REGION": "ap-northeast-1",
    }
    if spec is not None:
        for key, value in spec.environment.items():
            if isinstance(value, str):
                env[key] = value
            else:  # the handlers check their environment at import: a URL must look like one
                env[key] = (
                    f"https://bench.invalid/{key.lower()}" if key.endswith("_URL") else f"bench-{key.lower()}"
                )
    return env


def _probe(module: str, paths: list[str], env: dict[str, str], importtime: bool = False) -> tuple[float, str]:
    args = [
        sys.executable,
        *(["-X", "importtime"] if importtime else []),
        "-c",
        PROBE.format(paths=paths, module=module),
    ]
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=True, timeout=60)
    return float(done.stdout.strip().splitlines()[-1]), done.stderr


def import_ms(module: str, paths: list[str], env: dict[str, str]) -> float:
    return _probe(module, paths, env)[0]


def heaviest(module: str, paths: list[str], env: dict[str, str], runs: int = 3) -> dict[str, float]:
    """Self import time per top-level package (``-X importtime``), median of ``runs``, in ms."""
    samples: dict[str, list[float]] = {}
    for _ in range(runs):
        _, log = _probe(module, paths, env, importtime=True)
        per_package: defaultdict[str, float] = defaultdict(float)
        for line in log.splitlines():
            found = re.match(r"import time:\s+(\d+) \|\s+\d+ \|\s*(\S+)", line)
            if found:
                name = found.group(2).split(".")[0]
                per_package["base_sync" if name == module else name] += int(found.group(1)) / 1000
        for name, ms in per_package.items():
            samples.setdefault(name, []).append(ms)
    return {
        name: statistics.median(values + [0.0] * (runs - len(values))) for name, values in samples.items()
    }


def cold_start(report: Report, runs: int) -> None:
    """Rounds interleave the baseline with every handler, so load from elsewhere hits both alike."""
    say(f"figure 5: importing every handler in fresh interpreters ({runs} rounds)")
    specs = list(Template.load().functions().values())
    samples: dict[str, list[float]] = {"boto3": [], **{s.logical_id: [] for s in specs}}
    for _ in range(runs):
        samples["boto3"].append(import_ms("boto3", [], lambda_env(None)))
        for spec in specs:
            samples[spec.logical_id].append(
                import_ms(spec.module, [str(spec.code_dir), str(LAYER)], lambda_env(spec))
            )
    baseline = statistics.median(samples["boto3"])
    report.add("5", "import boto3 alone (baseline)", f"{baseline:.0f} ms", "-", None, f"median of {runs}")
    boto_parts = heaviest("boto3", [], lambda_env(None))
    for spec in specs:
        paths = [str(spec.code_dir), str(LAYER)]
        took = statistics.median(samples[spec.logical_id])
        factor = took / baseline
        note = ""
        if factor > GOAL_FACTOR:
            extra = [
                (name, ms - boto_parts.get(name, 0.0))
                for name, ms in heaviest(spec.module, paths, lambda_env(spec)).items()
            ]
            extra = sorted((e for e in extra if e[1] > 2), key=lambda e: -e[1])[:6]
            note = "self import time beyond boto3's: " + ", ".join(f"{n} {ms:.0f} ms" for n, ms in extra)
        report.add(
            "5", f"import {spec.module} ({spec.logical_id})", f"{took:.0f} ms ({factor:.2f}x)",
            f"≤ {GOAL_FACTOR}x boto3 ({GOAL_FACTOR * baseline:.0f} ms)", factor <= GOAL_FACTOR, note,
        )  # fmt: skip


def _size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and "__pycache__" not in f.parts)


def _zipped(path: Path) -> int:
    with tempfile.TemporaryFile() as handle:
        with zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive:
            for file in path.rglob("*"):
                if file.is_file() and "__pycache__" not in file.parts:
                    archive.write(file, file.relative_to(path))
        return handle.tell()


def sizes(report: Report) -> None:
    say("figure 5: building the layer's dependencies with pip (arm64, Python 3.13)")
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "python"
        platform = ["--platform", "manylinux2014_aarch64", "--only-binary=:all:", "--python-version", "3.13"]
        base_args = [sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        args = [*base_args, "-r", str(LAYER / "requirements.txt"), "--target", str(target)]
        built_for = "manylinux2014_aarch64, CPython 3.13 (as Lambda arm64)"
        if subprocess.run([*args, *platform], capture_output=True, check=False, timeout=300).returncode != 0:
            shutil.rmtree(target, ignore_errors=True)
            subprocess.run(args, capture_output=True, check=True, timeout=300)
            built_for = "this machine's platform (the arm64 download failed)"
        shutil.copytree(
            LAYER / "base_sync", target / "base_sync", ignore=shutil.ignore_patterns("__pycache__")
        )
        total, zipped = _size(target), _zipped(target)
        packages = sorted(
            (
                (p.name, _size(p))
                for p in target.iterdir()
                if p.is_dir() and not p.name.endswith(".dist-info")
            ),
            key=lambda e: -e[1],
        )
        sdk = sum(size for name, size in packages if name in {"botocore", "boto3", "s3transfer"})
    mb = 1024 * 1024
    report.add(
        "5", "layer as built (dependencies + base_sync), unzipped", f"{total / mb:.1f} MB ({zipped / mb:.1f} MB zipped)",
        f"≤ {LAYER_GOAL_MB:.0f} MB (Lambda's limit: 250 MB)", total / mb <= LAYER_GOAL_MB,
        f"built for {built_for}; largest: " + ", ".join(f"{n} {s / mb:.1f} MB" for n, s in packages[:6])
        + (f"; an AWS SDK copy ({sdk / mb:.1f} MB) the runtime already has" if sdk else ""),
    )  # fmt: skip
    folders = {spec.code_dir.name: _size(spec.code_dir) for spec in Template.load().functions().values()}
    report.add(
        "5", f"function folders ({len(folders)})", f"≤ {max(folders.values()) / 1024:.1f} KB each", "-", None,
        ", ".join(f"{name} {size / 1024:.1f} KB" for name, size in sorted(folders.items())),
    )  # fmt: skip
