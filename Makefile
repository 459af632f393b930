# Kvalitet: the two commands of README.md, plus lint.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app kvalitet
STAMP := $(VENV)/.installed

.PHONY: run test test-pg lint install system-deps system-deps-run migrate demo bench bench-city mutate

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

system-deps:
	bash scripts/system-deps.sh test

system-deps-run:
	bash scripts/system-deps.sh run

migrate: install
	$(FLASK) migrate-db

demo: migrate
	$(FLASK) demo --if-empty

# First command: install, migrate, load demo data, start web server and scheduler.
run: system-deps-run demo
	bash scripts/run.sh

# Second command: install what the tests need and run the whole suite.
# Two workers (pytest-xdist): the suite has grown to ~700 tests with browser, SSO and fuzz
# tests; each worker has its own databases. PYTEST_WORKERS=0 runs it in one process.
PYTEST_WORKERS ?= 2
test: system-deps install
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

# The same suite on PostgreSQL: a throwaway server of its own in memory (scripts/test-postgres.sh).
# To use a server of yours: KVALITET_TEST_DATABASE_URL=postgresql://user:pw@host/postgres make test
test-pg:
	bash scripts/test-postgres.sh $(MAKE) test

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# The read path on a generated city of 100,000 items (every page's p50/p95 beside its bare
# SQL, the EXPLAIN check, throughput at 2/4 workers and 8/32 clients; BENCH_ITEMS=1000000
# for the big one), the Word/PDF times with the table-fit checks (50,000 items), then the
# load benchmark (gunicorn, 20 users, 3 minutes). Figures: docs/benchmarks.md.
# Set KVALITET_BENCH_DATABASE_URL=postgresql://... to run them on PostgreSQL.
BENCH_ITEMS ?= 100000
bench: install
	$(BIN)/python -m bench --items $(BENCH_ITEMS)
	$(BIN)/python -m bench.rapport_times --check
	$(BIN)/python -m bench.load
	$(BIN)/python -m bench.stats_times
	$(BIN)/python -m bench.scheduler_times
	$(BIN)/python -m bench.export_times

# The big city's figures (issue 12): a city made once with
#   .venv/bin/python -m bench.generate --items 1000000 --database $(BENCH_CITY_URL)
# and PostgreSQL sized for it (scripts/pg-tune.sh). Run on an otherwise idle machine.
BENCH_CITY_URL ?= postgresql://postgres:postgres@127.0.0.1:5432/kvalitet_city1m
bench-city: install
	$(BIN)/python -m bench.pages --database $(BENCH_CITY_URL) --requests 20 --check
	$(BIN)/python -m bench.stats_times --database $(BENCH_CITY_URL) --repeat 20
	$(BIN)/python -m bench.throughput --database $(BENCH_CITY_URL) --workers 2 4 --clients 8 32
	$(BIN)/python -m bench.import_times --rows 10000

# Break each guard of core/permissions.py and core/workflow.py in turn; report survivors.
mutate: install
	$(BIN)/python scripts/mutate.py
