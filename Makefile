# smsinbox — the README's two commands are `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# The first Python >= 3.11 on PATH (override with `make run PYTHON=/path/to/python3.12`).
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	&& { echo $$p; break; }; done)
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
EMULATOR_PORT ?= 8025

# The locks: every direct and transitive dependency pinned with the hashes of all its files, for
# any platform and Python >= 3.11. `make lock` compiles the dev lock from requirements-dev.txt, then
# the runtime lock from requirements.txt constrained by it (shared packages: the same versions).
# UPGRADE=1 moves every package to the newest release its range allows; without it, pins the
# ranges still allow are kept.
LOCK_COMPILE = $(VENV)/bin/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes \
	--custom-compile-command "make lock" $(if $(filter 1,$(UPGRADE)),--upgrade)

.PHONY: help run test lint lock check-python migrate clean

help:
	@echo "make run   - set up .venv and serve the inbox at http://$(HOST):$(PORT) (SQLite, no services needed)"
	@echo "make test  - set up .venv with test tools and run the whole test suite"
	@echo "make lint  - ruff"
	@echo "make lock  - recompile requirements.lock and requirements-dev.lock from requirements*.txt (UPGRADE=1: newest allowed)"
	@echo "make bench - benchmarks against local PostgreSQL and Redis (DATABASE_URL, REDIS_URL); BENCH_QUICK=1 for the <1 min CI size"
	@echo "make chaos - fault injection (own PostgreSQL + Redis): lost/duplicated per scenario -> docs/reliability.md; CHAOS_QUICK=1 for ~3 min"

check-python:
	@if [ -z "$(PYTHON)" ]; then echo "smsinbox needs Python 3.11 or newer on PATH (python3.11, python3.12, python3.13 or python3)." >&2; exit 1; fi

# A .venv whose pip does not run (half-made, or from a removed Python) is made again.
define ensure_venv
	@$(PY) -m pip --version >/dev/null 2>&1 || { rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); } || \
		{ echo "Could not create $(VENV): install your Python's venv module (e.g. apt-get install python3-venv)." >&2; exit 1; }
endef

# Installs come from the locks only (exact versions, hashes checked), never from the ranges.
$(VENV)/.stamp-run: requirements.lock | check-python
	$(ensure_venv)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r requirements.lock
	@touch $@

# The dev lock holds the runtime lock's versions plus the tools, so it stands for both stamps.
$(VENV)/.stamp-dev: requirements.lock requirements-dev.lock | check-python
	$(ensure_venv)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r requirements-dev.lock
	@touch $@ $(VENV)/.stamp-run

# Needs PyPI. Then run the whole suite (`make test`, and with services) before committing the locks.
lock: $(VENV)/.stamp-dev
	$(LOCK_COMPILE) requirements-dev.txt -o requirements-dev.lock
	$(LOCK_COMPILE) requirements.txt -c requirements-dev.lock -o requirements.lock

run: export PUBLIC_BASE_URL ?= http://$(HOST):$(PORT)
run: export TWILIO_EMULATOR_PORT ?= $(EMULATOR_PORT)
run: $(VENV)/.stamp-run
	DEBUG=$${DEBUG:-1} $(PY) manage.py migrate --noinput
	DEBUG=$${DEBUG:-1} $(PY) manage.py seed_demo
	DEBUG=$${DEBUG:-1} $(PY) manage.py vapid_keys
	@# The local Twilio emulator runs beside the server (with the demo organization's number, by
	@# default); the server runs the task worker itself.
	@DEBUG=$${DEBUG:-1} $(PY) manage.py twilio_emulator --port $(EMULATOR_PORT) & EMU=$$!; \
	trap 'kill $$EMU 2>/dev/null' EXIT INT TERM; \
	DEBUG=$${DEBUG:-1} $(PY) manage.py runserver $(HOST):$(PORT)

test: $(VENV)/.stamp-dev
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.stamp-dev
	$(VENV)/bin/ruff check .

# Figures are ratios measured in the same run; results in bench-results/latest.json (tests/bench/run.py).
.PHONY: bench
bench: $(VENV)/.stamp-run
	BENCH_QUICK=$(BENCH_QUICK) $(PY) -m tests.bench.run

# Faults injected into real processes; starts its own throwaway PostgreSQL and Redis (never the shared ones).
# Results in chaos-results/latest.json, the table in docs/reliability.md (tests/chaos/run.py, report.py).
# Fails on a lost or duplicated message and on any other broken promise (e.g. webhooks answered within 5 s with
# PostgreSQL paused, inboxes resynced within 5 s of Redis returning); CHAOS_STRICT=0 only on lost/duplicated.
.PHONY: chaos
chaos: $(VENV)/.stamp-run
	@CHAOS_QUICK=$(CHAOS_QUICK) $(PY) -m tests.chaos.run; status=$$?; \
	$(PY) -m tests.chaos.report || status=1; exit $$status

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
