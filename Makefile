# Developer entry points. `make demo` and `make test` work on a fresh machine with Python 3.11+.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check -q

.DEFAULT_GOAL := help
.PHONY: help install install-dev demo test lint format typecheck bench check clean

help:  ## List the targets.
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-11s %s\n", $$1, $$2}'

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -U "pip>=25.1"

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PIP) install -e ".[testing]"
	@touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(PIP) install -e ".[testing]" --group dev --group bench
	@touch $@

install: $(VENV)/.installed  ## Create .venv and install llmkit (with the fake server for the offline demo).

install-dev: $(VENV)/.installed-dev  ## Install llmkit plus test, lint, type-check and bench tools.

demo: install  ## Run the quick-start agent (offline on the fake server unless a key or LLMKIT_MODEL is set).
	$(PY) examples/quickstart.py

test: install-dev  ## Run the whole test suite.
	$(PY) -m pytest -q $(PYTEST_ARGS)

lint: install-dev  ## Lint with ruff.
	$(PY) -m ruff check src tests examples bench
	$(PY) -m ruff format --check src tests examples bench

format: install-dev  ## Format with ruff.
	$(PY) -m ruff check --fix src tests examples bench
	$(PY) -m ruff format src tests examples bench

typecheck: install-dev  ## Type-check src/ with mypy --strict.
	$(PY) -m mypy

bench: install-dev  ## Run the benchmarks and write bench/results/.
	$(PY) -m bench

check: lint typecheck test  ## Lint, type-check and test: what CI runs.

clean:  ## Remove the virtualenv and caches.
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache build dist
