# labgate: the two commands that matter are `make demo` and `make test`.
#
#   make demo         system programs + venv, then the hub demo (or the CLI walkthrough)
#   make test         system programs + venv, lint, types, then the whole test suite
#   make check        lint (ruff) and types (mypy) only
#   make unit         the test suite only (pytest; PYTEST_ARGS="-k foo" to narrow it)
#   make bench        every benchmark in benchmarks/
#   make system-deps  Debian packages and configurable-http-proxy (scripts/install-system-deps.sh)
#   make venv         .venv with labgate and its extras, editable
#   make clean        caches and var/; `make distclean` also drops .venv and node_modules

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.labgate-installed
LINTED := src tests benchmarks
PYTEST_ARGS ?=
# The tests start configurable-http-proxy from ./node_modules (npm ci, package-lock.json).
TEST_PATH := $(CURDIR)/node_modules/.bin:$(CURDIR)/$(BIN):$(PATH)

.PHONY: help venv system-deps test check unit demo bench clean distclean

help:
	@sed -n 's/^#   //p' $(MAKEFILE_LIST)

# --- environment -------------------------------------------------------------------------

venv: $(STAMP)

$(STAMP): pyproject.toml
	@echo "== venv: $(VENV) with labgate[data,hub,test]"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[data,hub,test]"
	@touch $@

system-deps:
	@echo "== system-deps"
	@bash scripts/install-system-deps.sh

# --- checks ------------------------------------------------------------------------------

# Each runs every step, so one report shows every kind of failure, and fails if any failed.
RUN_CHECK = status=0; \
	echo "== ruff check $(LINTED)"; $(BIN)/ruff check --no-cache --output-format concise $(LINTED) || status=1; \
	echo "== ruff format --check $(LINTED)"; $(BIN)/ruff format --no-cache --check --output-format concise $(LINTED) || status=1; \
	echo "== mypy (pyproject [tool.mypy])"; $(BIN)/mypy || status=1; \
	exit $$status

# pytest's exit code 5 (no test collected) is a failure here, never a silent pass.
RUN_PYTEST = status=0; \
	echo "== pytest $(PYTEST_ARGS)"; \
	PATH="$(TEST_PATH)" $(BIN)/python -m pytest $(PYTEST_ARGS) || status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests: that is a failure."; fi; \
	exit $$status

check: venv
	@$(RUN_CHECK)

unit: system-deps venv
	@$(RUN_PYTEST)

test: system-deps venv
	@check=0; unit=0; \
	( $(RUN_CHECK) ) || check=$$?; \
	( $(RUN_PYTEST) ) || unit=$$?; \
	echo "== make test: lint+types $$( [ $$check -eq 0 ] && echo ok || echo FAILED )," \
	     "tests $$( [ $$unit -eq 0 ] && echo ok || echo "FAILED (pytest exit $$unit)" )"; \
	[ $$check -eq 0 ] && [ $$unit -eq 0 ]

# --- running it --------------------------------------------------------------------------

demo: system-deps venv
	@if [ -f scripts/demo.py ]; then \
	  PATH="$(TEST_PATH)" $(BIN)/python scripts/demo.py; \
	elif [ -f scripts/demo.sh ]; then \
	  PATH="$(TEST_PATH)" bash scripts/demo.sh; \
	else \
	  echo "The hub demo (scripts/demo.py) is not there yet. Showing the CLI walkthrough instead."; \
	  echo; \
	  PATH="$(TEST_PATH)" bash scripts/demo-cli.sh; \
	fi

bench: system-deps venv
	@for f in benchmarks/*.py; do \
	  echo "== $$f"; \
	  PATH="$(TEST_PATH)" $(BIN)/python "$$f"; \
	done

clean:
	rm -rf var/ build/ .pytest_cache .mypy_cache .ruff_cache .hypothesis src/*.egg-info
	find src tests benchmarks scripts -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) node_modules
