# CollisionOS: `make run` to try it, `make test` to check it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := wsgi

.PHONY: run test browser bench lint db-upgrade clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

db-upgrade: $(VENV)/.installed
	$(BIN)/flask db upgrade

## run: install, migrate the SQLite database under instance/, seed defaults and demo data, serve with the scheduler on
run: db-upgrade
	$(BIN)/flask seed demo
	$(BIN)/flask seed analyze
	@echo
	@echo "CollisionOS is starting at http://$(HOST):$(PORT)  (Ctrl+C to stop)"
	@echo
	SCHEDULER_ENABLED=1 $(BIN)/flask run --host $(HOST) --port $(PORT) --no-reload --no-debugger

## test: the whole default suite (SQLite; set TEST_DATABASE_URL for PostgreSQL)
test: $(VENV)/.installed-dev
	@echo "Not in 'make test': browser tests ('make browser', run by .ci/run) and benchmarks ('make bench')."
	$(BIN)/pytest

## browser: Playwright tests driving Debian's Chromium (/usr/bin/chromium)
browser: $(VENV)/.installed-dev
	$(BIN)/pytest tests/browser -m browser

## bench: benchmarks printing p50/p95 and queries per request (not assertions)
bench: $(VENV)/.installed-dev
	$(BIN)/python -m tests.perf
	$(BIN)/python -m tests.perf.bench_dispatcher
	$(BIN)/python -m tests.perf.bench_sla_sweep
	$(BIN)/python -m tests.perf.bench_bms

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check collisionos tests
	$(BIN)/ruff format --check collisionos tests

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
