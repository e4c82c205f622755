# tradeledger: `make run` serves the platform on the embedded dev chain; `make test` runs the test suite.
# Both set up what is missing first (Python venv, npm toolchain), and go straight to the job when it is there.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SLITHER_VENV := .venv-slither
SLITHER_VERSION := 0.11.6

.DEFAULT_GOAL := help
.PHONY: help setup run demo test chaos lint contracts bench chain-start chain-stop clean console chromium screenshots

help:
	@echo "make run        start the dev chain, deploy the contracts and serve the API (WORKERS=N: N API processes)"
	@echo "make demo       walk a complete trade through the API (of \`make run\`, or of its own platform)"
	@echo "make test       run the whole test suite (contracts, service, reconciliation)"
	@echo "make chaos      the long chaos drill: ROUNDS=20 rounds of kill -9 during writes (SEED=..., DATABASE=postgresql)"
	@echo "make lint       ruff and mypy"
	@echo "make console    build the web console (platform/console) served at /console, if its sources changed"
	@echo "make screenshots  walk the console in Chromium and refresh the README's pictures in docs/console/"
	@echo "make contracts  recompile contracts/ into platform/tradeledger/chain/artifacts/"
	@echo "make bench      full-size benchmarks (write path, API, indexer, reconciliation, statements, dev chain) vs targets"

$(BIN)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required (set PYTHON=...)")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "Node.js 18+ with npm is required for the dev chain and the compiler: install it first"; exit 1; }
	npm ci --no-audit --no-fund
	touch $@

# Slither pins web3 < 8, so it lives in its own virtual environment.
$(SLITHER_VENV)/.installed:
	test -x $(SLITHER_VENV)/bin/python || $(PYTHON) -m venv $(SLITHER_VENV)
	$(SLITHER_VENV)/bin/python -m pip install --quiet slither-analyzer==$(SLITHER_VERSION)
	touch $@

setup: $(BIN)/.installed node_modules/.installed $(SLITHER_VENV)/.installed console chromium

# The web console: its own npm package (platform/console/package-lock.json), a typed client generated from the
# service's OpenAPI document (scripts/dump_openapi.py rewrites generated/ only when the API changed), built by
# tsc + vite into platform/console/dist, which the service serves at /console.
CONSOLE := platform/console
CONSOLE_SOURCES := $(shell find $(CONSOLE)/src -type f 2>/dev/null) $(CONSOLE)/index.html $(CONSOLE)/vite.config.ts \
	$(CONSOLE)/tsconfig.json
API_SOURCES := $(shell find platform/tradeledger reconciliation -name '*.py' -not -path '*/migrations/*' 2>/dev/null)

$(CONSOLE)/node_modules/.installed: $(CONSOLE)/package.json $(CONSOLE)/package-lock.json
	@command -v npm >/dev/null || { echo "Node.js 20.19+ with npm is required for the console: install it first"; exit 1; }
	cd $(CONSOLE) && npm ci --no-audit --no-fund
	touch $@

$(CONSOLE)/generated/openapi.json: $(BIN)/.installed $(API_SOURCES) scripts/dump_openapi.py
	$(BIN)/python scripts/dump_openapi.py $(CONSOLE)/generated

$(CONSOLE)/dist/index.html: $(CONSOLE)/node_modules/.installed $(CONSOLE)/generated/openapi.json $(CONSOLE_SOURCES)
	cd $(CONSOLE) && npm run build
	touch $@

console: $(CONSOLE)/dist/index.html

# The browser tests drive Debian's chromium: never a browser downloaded at run time.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1
chromium:
	@command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)

# WORKERS=N: N API worker processes beside this one, which runs the engine (one process by default: see README)
WORKERS ?= 1
run: $(BIN)/.installed node_modules/.installed console
	$(BIN)/tradeledger serve --workers $(WORKERS)

demo: $(BIN)/.installed node_modules/.installed
	$(BIN)/tradeledger demo

# Two workers (TEST_WORKERS=0 for one process): most tests wait on blocks, receivers and subprocesses, so the second
# worker uses what the first leaves idle. A folder sharing a deployed world, or else a file, goes to one worker
# (tests/conftest.py).
TEST_WORKERS ?= 2
test: setup
	cd $(CONSOLE) && npm test
	$(BIN)/python -m pytest $(if $(filter-out 0,$(TEST_WORKERS)),-n $(TEST_WORKERS) --dist loadgroup)

# The chaos drill's long form (a few rounds of it run in `make test`): kill -9 of the node, the service or both,
# or a PostgreSQL crash (DATABASE=postgresql: a private cluster), during bursts of writes; then the checks.
# The platforms of failed rounds stay under out/chaos for inspection.
ROUNDS ?= 20
SEED ?=
DATABASE ?= sqlite
chaos: $(BIN)/.installed node_modules/.installed
	$(BIN)/python -m tests.chaos --rounds $(ROUNDS) --database $(DATABASE) --home out/chaos $(if $(SEED),--seed $(SEED))

# The console's walk in Chromium (tests/console) photographs each workspace into out/console/; this run writes the
# pictures into docs/console/ instead, where the README shows them: refreshed on purpose, never by a test run.
screenshots: setup
	TRADELEDGER_CONSOLE_SHOTS=docs/console $(BIN)/python -m pytest tests/console -p no:cacheprovider

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Full-size benchmarks, one after the other (they share the machine); results also land in out/bench/.
bench: $(BIN)/.installed node_modules/.installed
	mkdir -p out/bench
	$(BIN)/python scripts/bench_write_path.py --json out/bench/write_path.json
	$(BIN)/python scripts/bench_api.py --json out/bench/api.json
	$(BIN)/python scripts/bench_api.py --postgres --json out/bench/api_postgresql.json
	$(BIN)/python scripts/bench_api.py --workers 2 --json out/bench/api_workers.json
	$(BIN)/python scripts/bench_api.py --postgres --workers 2 --json out/bench/api_postgresql_workers.json
	$(BIN)/python scripts/bench_indexer.py --json out/bench/indexer.json
	$(BIN)/python scripts/bench_reconcile.py --json out/bench/reconcile.json
	$(BIN)/python scripts/bench_statements.py --json out/bench/statements.json
	$(BIN)/python scripts/bench_devchain.py --json out/bench/devchain.json
	$(BIN)/python scripts/bench_report.py out/bench

contracts: $(BIN)/.installed node_modules/.installed
	$(BIN)/python scripts/compile_contracts.py

chain-start: $(BIN)/.installed node_modules/.installed
	$(BIN)/tradeledger chain start

chain-stop: $(BIN)/.installed
	$(BIN)/tradeledger chain stop

clean:
	rm -rf data .pytest_cache .mypy_cache .ruff_cache
