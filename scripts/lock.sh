#!/usr/bin/env bash
# `make lock`: compile every requirements/*.in into its hashed lock, for Python 3.13.
#   requirements/layer.in   -> layers/shared/requirements.txt  (linux aarch64, what sam build installs)
#   requirements/dev.in     -> requirements-dev.txt            (the layer's versions kept; any OS)
#   requirements/sam.in     -> requirements-sam.txt            (.venv-sam)
#   requirements/checkov.in -> requirements/checkov.txt        (.venv-checkov)
#   requirements/uv.in      -> requirements/uv.txt             (.venv-lock: this script's uv)
# Existing pins are kept unless an .in file asks otherwise; `make lock UPGRADE=1` moves every
# package to its newest release. Every hash of every file of a pinned release is written, so
# the same lock installs on x86_64 and aarch64, Linux and macOS.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-$(bash scripts/setup.sh --print-python)}
if [ ! -x .venv-lock/bin/uv ] || [ requirements/uv.txt -nt .venv-lock/.installed ]; then
  echo "==> installing uv into .venv-lock (from requirements/uv.txt, hashes checked)"
  [ -x .venv-lock/bin/python ] || "$PYTHON" -m venv .venv-lock
  .venv-lock/bin/python -m pip install --quiet --require-hashes --no-deps -r requirements/uv.txt
  touch .venv-lock/.installed
fi
UV=.venv-lock/bin/uv
upgrade=()
[ "${UPGRADE:-0}" = "1" ] && upgrade=(--upgrade)

compile() {  # compile IN OUT [extra uv arguments]
  local in=$1 out=$2; shift 2
  echo "==> $in -> $out"
  UV_CUSTOM_COMPILE_COMMAND="make lock" "$UV" pip compile --quiet --generate-hashes \
    --python-version 3.13 --no-config \
    "${upgrade[@]}" "$@" "$in" -o "$out"
}

compile requirements/layer.in layers/shared/requirements.txt --python-platform aarch64-manylinux2014
compile requirements/dev.in requirements-dev.txt --universal -c layers/shared/requirements.txt
compile requirements/sam.in requirements-sam.txt --universal
compile requirements/checkov.in requirements/checkov.txt --universal
compile requirements/uv.in requirements/uv.txt --universal
echo "==> locks written; run 'make setup' to install them"
