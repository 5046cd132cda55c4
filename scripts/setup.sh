#!/usr/bin/env bash
# One-command developer setup: a Python 3.13 virtual environment (.venv) with the layer's
# and the test dependencies, the shared layer and the sandbox importable, and SAM CLI and
# checkov each in its own environment (.venv-sam, .venv-checkov) because they pin versions
# that clash with ours. Everything is installed from hashed locks (pip --require-hashes):
# requirements-dev.txt, requirements-sam.txt, requirements/checkov.txt; `make lock` updates them.
#   SKIP_SAM=1 / SKIP_CHECKOV=1   leave that environment out; SKIP_NPM=1: no npm ci (node_modules/axe-core)
#   scripts/setup.sh --print-python   print the Python 3.13 it would use, and stop
set -euo pipefail
cd "$(dirname "$0")/.."
PIP_HASHED=(-m pip install --quiet --require-hashes --no-deps)

find_python() {
  local candidates=()
  command -v python3.13 >/dev/null 2>&1 && candidates+=("$(command -v python3.13)")
  local pyenv_root="${PYENV_ROOT:-$HOME/.pyenv}"
  for p in "$pyenv_root"/versions/3.13*/bin/python3.13 /usr/local/bin/python3.13 /usr/bin/python3.13; do
    [ -x "$p" ] && candidates+=("$p")
  done
  for p in "${candidates[@]}"; do
    if "$p" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 13) else 1)' 2>/dev/null; then
      echo "$p"; return 0
    fi
  done
  # Fall back to the newest Python 3.11+ we can find.
  local best="" best_minor=0
  for p in python3.14 python3.12 python3.11 python3 "$pyenv_root"/versions/3.1[1-9]*/bin/python3; do
    local exe; exe=$(command -v "$p" 2>/dev/null || true)
    [ -n "$exe" ] && [ -x "$exe" ] || continue
    local minor; minor=$("$exe" -c 'import sys; print(sys.version_info[1] if sys.version_info[0] == 3 else 0)' 2>/dev/null || echo 0)
    if [ "$minor" -ge 11 ] && [ "$minor" -gt "$best_minor" ]; then best="$exe"; best_minor="$minor"; fi
  done
  if [ -n "$best" ]; then
    echo "WARNING: Python 3.13 (the Lambda runtime) not found; falling back to $("$best" --version 2>&1) at $best." >&2
    echo "WARNING: tests may pass here and still differ on Lambda. Install 3.13 (e.g. 'pyenv install 3.13') to match." >&2
    echo "$best"; return 0
  fi
  echo "ERROR: no Python 3.11+ found. Install Python 3.13 (e.g. 'pyenv install 3.13')." >&2
  return 1
}

PYTHON=$(find_python)
if [ "${1:-}" = "--print-python" ]; then echo "$PYTHON"; exit 0; fi
stamp=.venv/.installed
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv with $("$PYTHON" --version 2>&1)"
  "$PYTHON" -m venv .venv
fi
if [ ! -f "$stamp" ] || [ requirements-dev.txt -nt "$stamp" ] || [ pyproject.toml -nt "$stamp" ] \
   || [ ! -x .venv/bin/base-sync ]; then
  echo "==> installing layer and test dependencies into .venv"
  # Every package pinned with its hashes (a tampered or swapped file is refused); --no-deps
  # because the lock already lists every dependency.
  .venv/bin/python "${PIP_HASHED[@]}" -r requirements-dev.txt
  # The shared layer and the sandbox are importable from the venv, exactly as Lambda
  # sees the layer (its folder on sys.path).
  site=$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  # The operator CLI (base-sync) and devstack (python -m devstack) are importable too.
  printf '%s\n%s\n%s\n%s\n' "$PWD/layers/shared" "$PWD/sandbox" "$PWD/cli" "$PWD" > "$site/base_order_sync_paths.pth"
  # The operator CLI as the console command base-sync (pyproject.toml packages cli/base_sync_cli
  # and the layer's pure base_sync.domain and base_sync.rules, which it imports). Its dependencies
  # and setuptools come from the lock (--no-deps, no unpinned build environment).
  .venv/bin/python -m pip install --quiet --no-deps --no-build-isolation -e .
  touch "$stamp"
fi

if [ "${SKIP_SAM:-0}" != "1" ]; then
  sam_stamp=.venv-sam/.installed
  if [ ! -f "$sam_stamp" ] || [ requirements-sam.txt -nt "$sam_stamp" ]; then
    echo "==> installing SAM CLI into its own environment (.venv-sam)"
    [ -x .venv-sam/bin/python ] || "$PYTHON" -m venv .venv-sam
    .venv-sam/bin/python "${PIP_HASHED[@]}" -r requirements-sam.txt
    touch "$sam_stamp"
  fi
fi

if [ "${SKIP_CHECKOV:-0}" != "1" ]; then
  checkov_stamp=.venv-checkov/.installed
  if [ ! -f "$checkov_stamp" ] || [ requirements/checkov.txt -nt "$checkov_stamp" ]; then
    echo "==> installing checkov into its own environment (.venv-checkov)"
    [ -x .venv-checkov/bin/python ] || "$PYTHON" -m venv .venv-checkov
    .venv-checkov/bin/python "${PIP_HASHED[@]}" -r requirements/checkov.txt
    touch "$checkov_stamp"
  fi
fi
# The console's browser tests read axe-core from node_modules (package.json pins it, package-lock.json
# carries its hash); npm ci installs exactly that, running no package scripts.
if [ "${SKIP_NPM:-0}" != "1" ]; then
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    if ! command -v npm >/dev/null 2>&1; then
      echo "ERROR: npm not found; install Node.js and npm (Debian: apt-get install -y npm), or SKIP_NPM=1" >&2
      exit 1
    fi
    echo "==> installing the console tests' front-end packages (npm ci)"
    npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
  fi
fi
echo "==> setup done: $(.venv/bin/python --version) in .venv"
