# base-order-sync — the developer's commands. `make help` lists them.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
SAM := .venv-sam/bin/sam
CHECKOV := .venv-checkov/bin/checkov
# sam build takes python3.13 from PATH: the directory of the interpreter behind .venv comes first.
BUILD_PATH = $$(dirname $$(readlink -f $(PY))):$$PATH
LAYER_BUILD := .aws-sam/build/SharedLayer
export AWS_DEFAULT_REGION ?= ap-northeast-1
export SAM_CLI_TELEMETRY := 0

.PHONY: help setup lock run demo sandbox build screenshots test lint typecheck template-lint checkov pytest unit integration bench reliability clean

help:  ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

setup:  ## create .venv (Python 3.13), .venv-sam and .venv-checkov; install everything from the hashed locks
	@bash scripts/setup.sh

lock:  ## update the hashed locks from requirements/*.in (Python 3.13; UPGRADE=1: newest releases); then run make setup
	@bash scripts/lock.sh

run: setup  ## set up, then run the whole product locally (moto + BASE sandbox + HTTP API + console); ports: API_PORT=3000 SANDBOX_PORT=8081 CONSOLE_PORT=any
	$(PY) -m devstack run$(if $(API_PORT), --api-port $(API_PORT))$(if $(SANDBOX_PORT), --sandbox-port $(SANDBOX_PORT))$(if $(CONSOLE_PORT), --console-port $(CONSOLE_PORT))

demo: setup  ## the scripted demo: connect, import, tracking numbers, export, summary
	$(PY) -m devstack demo

sandbox: setup  ## the BASE sandbox alone on 127.0.0.1:8081
	$(PY) -m base_sandbox --host 127.0.0.1 --port 8081 --seed demo

screenshots: setup  ## the console's browser tests, writing the README's screenshots to docs/screenshots/
	CONSOLE_SCREENSHOTS=docs/screenshots $(PY) -m pytest -q tests/browser

test: setup lint typecheck template-lint checkov pytest  ## the whole test command: lint, types, template lint, checkov, tests

lint: setup  ## ruff
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: setup  ## mypy (strict)
	$(VENV)/bin/mypy layers/shared sandbox functions tests devstack cli bench

template-lint: setup  ## cfn-lint and sam validate --lint on template.yaml
	$(VENV)/bin/cfn-lint template.yaml
	$(SAM) validate --lint --template-file template.yaml --region $(AWS_DEFAULT_REGION)

checkov: setup  ## checkov (CloudFormation) on template.yaml; skips and their reasons are in .checkov.yaml
	@test -f .checkov.yaml || { echo "ERROR: .checkov.yaml がありません / .checkov.yaml is missing" >&2; exit 1; }
	$(CHECKOV) --framework cloudformation -f template.yaml --config-file .checkov.yaml --compact --quiet

pytest: setup  ## unit and integration tests
	$(PY) -m pytest

unit: setup  ## unit tests only
	$(PY) -m pytest tests/unit

integration: setup  ## integration tests only (moto server + sandbox over loopback HTTP)
	$(PY) -m pytest tests/integration

build: setup  ## sam build with Python 3.13, then check the layer is all aarch64 / cp313 and matches its lock
	$(PY) scripts/check_build.py python
	PATH="$(BUILD_PATH)" python3.13 scripts/check_build.py python
	PATH="$(BUILD_PATH)" $(SAM) build
	$(PY) scripts/check_build.py layer $(LAYER_BUILD) --lock layers/shared/requirements.txt

bench: setup  ## the benchmarks (about 5 minutes): table printed and written to bench/results/latest.md
	$(PY) -m bench

reliability: setup  ## the fault, load and bad-input suite at full size (50 shops x 200 orders), with its report
	RELIABILITY_SCALE=full $(PY) -m pytest -m reliability tests/reliability tests/unit/security -q

clean:  ## remove the environments and caches
	rm -rf $(VENV) .venv-sam .venv-checkov .venv-lock .pytest_cache .mypy_cache .ruff_cache .aws-sam
