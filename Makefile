# shre — the two commands that matter: `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check -q

.DEFAULT_GOAL := help
.PHONY: help run serve test lint format typecheck migrate bench services clean web web-deps lock \
	api-types browser monitoring kubernetes test-fast

help:
	@echo "make run      install, migrate the SQLite database, ensure an admin, serve on 127.0.0.1:8000"
	@echo "make test     install dev tools, start PostgreSQL/Redis if needed, build the web app,"
	@echo "              lint (ruff, mypy, layers, tsc, eslint), vitest, pytest (browser tests included)"
	@echo "make test-fast  the same without the slow, browser and benchmark-sized tests"
	@echo "make web      build the web app (web/ -> src/shre/web/dist) when its sources changed"
	@echo "make api-types  regenerate web/openapi.json and the web app's API types from the app"
	@echo "make lock     rewrite requirements/*.lock from pyproject.toml, and web/package-lock.json"
	@echo "make lint     ruff check + format check + mypy --strict + lint-imports (the layers),"
	@echo "              hadolint, the workflow and compose schemas, tsc, eslint"
	@echo "make format   ruff format + autofix"
	@echo "make migrate  apply database migrations (DATABASE_URL)"
	@echo "make bench    load benchmark: 10,000 employees, cache on/off, Redis killed (bench/README.md)"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "shre needs Python 3.11+ ($(PYTHON) is $$($(PYTHON) --version))"; exit 1; }
	$(PYTHON) -m venv $(VENV)

# What is installed is the whole dependency tree as locked in requirements/*.lock
# (pinned, with hashes; `make lock` writes them from pyproject.toml, whose lower bounds
# stay for library users), then shre itself without dependencies. The `ai` extra
# (document classification; SHRE_AI=1 turns it on) needs torch, locked as the CPU build
# (requirements/torch-cpu.txt): on this project's machines a local wheel.
ifneq ($(filter 1 true yes,$(SHRE_AI)),)
RUN_STAMP := $(VENV)/.installed-ai
else
RUN_STAMP := $(VENV)/.installed
endif

$(VENV)/.installed: pyproject.toml requirements/runtime.lock | $(BIN)/python
	$(PIP) install --require-hashes -r requirements/runtime.lock
	$(PIP) install --no-deps -e .
	@touch $@

$(VENV)/.installed-ai: pyproject.toml requirements/ai.lock | $(BIN)/python
	$(PIP) install --require-hashes -r requirements/ai.lock
	$(PIP) install --no-deps -e .
	@touch $@ $(VENV)/.installed

# The tests cover the AI features too: the dev tools come with the `ai` extra.
$(VENV)/.installed-dev: pyproject.toml requirements/dev.lock | $(BIN)/python
	$(PIP) install --require-hashes -r requirements/dev.lock
	$(PIP) install --no-deps -e .
	@touch $@ $(VENV)/.installed $(VENV)/.installed-ai

# Refresh the locks: the Python tree from pyproject.toml (runtime, with the `ai` extra,
# with the dev tools too) and web/package-lock.json from web/package.json.
PIP_COMPILE = $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	--no-emit-index-url --no-emit-find-links --find-links /opt/wheels \
	--constraint requirements/torch-cpu.txt
lock: $(VENV)/.installed-dev
	$(PIP_COMPILE) --output-file requirements/runtime.lock pyproject.toml
	$(PIP_COMPILE) --extra ai --output-file requirements/ai.lock pyproject.toml
	$(PIP_COMPILE) --extra ai --extra dev --output-file requirements/dev.lock pyproject.toml
	$(NPM) install --package-lock-only

# --- the web app (web/): built into the package, which serves it -------------------------
NPM := npm --prefix web --no-audit --no-fund --loglevel=error
WEB_DIST := src/shre/web/dist/index.html
WEB_SOURCES := $(shell find web/src web/public -type f 2>/dev/null) web/index.html \
	web/package.json web/package-lock.json web/vite.config.ts web/postcss.config.cjs \
	web/tsconfig.json web/tsconfig.app.json web/tsconfig.node.json web/tsconfig.sw.json

web/node_modules/.installed: web/package-lock.json
	@command -v node >/dev/null || { echo "shre's web app needs Node.js 20+ (https://nodejs.org)"; exit 1; }
	@node -e 'process.exit(Number(process.versions.node.split(".")[0]) < 20 ? 1 : 0)' \
		|| { echo "shre's web app needs Node.js 20+ (this is $$(node --version))"; exit 1; }
	$(NPM) ci
	@touch $@

web-deps: web/node_modules/.installed

$(WEB_DIST): $(WEB_SOURCES) web/node_modules/.installed
	@echo "web: its sources changed; building the web app into src/shre/web/dist"
	$(NPM) run build
	@touch $@

web: $(WEB_DIST)

# The API's OpenAPI document as the web app's client is typed from it; a test fails when
# the committed copy is stale.
api-types: $(VENV)/.installed web/node_modules/.installed
	$(BIN)/python -m shre.cli.openapi > web/openapi.json
	$(NPM) run api

browser:
	@scripts/ensure-chromium.sh

# promtool and prometheus (Debian's package) for the tests of deploy/monitoring/.
monitoring:
	@scripts/ensure-prometheus.sh

# kubectl (Debian's package; kustomize built in) for the tests of deploy/kubernetes/.
kubernetes:
	@scripts/ensure-kubectl.sh

run: $(RUN_STAMP) $(WEB_DIST)
	$(BIN)/shre migrate
	$(BIN)/shre ensure-admin
	$(BIN)/shre serve

migrate: $(VENV)/.installed
	$(BIN)/shre migrate

services:
	@scripts/ensure-services.sh

lint: $(VENV)/.installed-dev web/node_modules/.installed
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy src
	$(BIN)/lint-imports
	$(BIN)/hadolint deploy/Dockerfile
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows \
		.github/workflows/ci.yml .github/workflows/deploy.yml
	$(BIN)/check-jsonschema --builtin-schema vendor.compose-spec deploy/compose.yaml
	$(NPM) run typecheck
	$(NPM) run lint
	$(NPM) run api:check

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

# The browser tests' screenshots (every page, 1280 and 375 px wide) go here.
SCREENSHOTS ?= $(CURDIR)/var/screenshots
# pytest runs its test files in this many processes (pytest-xdist; a file's tests stay in
# one process): most tests wait on PostgreSQL, Redis, a server or a browser, so three keep
# two cores busy. TEST_WORKERS=0 runs everything in this process.
TEST_WORKERS ?= 3
PYTEST := $(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile

test: $(VENV)/.installed-dev services browser monitoring kubernetes $(WEB_DIST) lint
	$(NPM) run test
	SHRE_SCREENSHOTS=$(SCREENSHOTS) $(PYTEST)
	@echo "screenshots of the web app: $(SCREENSHOTS)"

test-fast: $(VENV)/.installed-dev services monitoring kubernetes $(WEB_DIST) lint
	$(NPM) run test
	$(PYTEST) -m "not slow and not browser and not ai"

bench: $(VENV)/.installed-dev
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
		&& apt-get install -y -qq wrk >/dev/null; } \
		|| { echo "make bench needs wrk: apt-get install wrk"; exit 1; }
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis web/node_modules src/shre/web/dist
