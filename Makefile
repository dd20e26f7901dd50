# shre — the two commands that matter: `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check -q

.DEFAULT_GOAL := help
.PHONY: help run serve test lint format typecheck migrate bench services clean

help:
	@echo "make run      install, migrate the SQLite database, ensure an admin, serve on 127.0.0.1:8000"
	@echo "make test     install dev tools, start PostgreSQL/Redis if needed, ruff + mypy + pytest"
	@echo "make lint     ruff check + format check + mypy --strict"
	@echo "make format   ruff format + autofix"
	@echo "make migrate  apply database migrations (DATABASE_URL)"
	@echo "make bench    load benchmark: 10,000 employees, cache on/off, Redis killed (bench/README.md)"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "shre needs Python 3.11+ ($(PYTHON) is $$($(PYTHON) --version))"; exit 1; }
	$(PYTHON) -m venv $(VENV)

# Re-install only when the project's metadata changed.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(PIP) install -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(PIP) install -e '.[dev]'
	@touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/shre migrate
	$(BIN)/shre ensure-admin
	$(BIN)/shre serve

migrate: $(VENV)/.installed
	$(BIN)/shre migrate

services:
	@scripts/ensure-services.sh

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy src

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

test: $(VENV)/.installed-dev services lint
	$(BIN)/pytest

bench: $(VENV)/.installed-dev
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
		&& apt-get install -y -qq wrk >/dev/null; } \
		|| { echo "make bench needs wrk: apt-get install wrk"; exit 1; }
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
