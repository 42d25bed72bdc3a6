# Two commands: `make demo` and `make test`. Both build .venv from uv.lock first (idempotent:
# a no-op when pyproject.toml and uv.lock are unchanged).
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.9
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
VENV := .venv
export UV_PYTHON := 3.11
# Byte-compile the venv once at install: every night, task and test process then imports
# Airflow, dbt and GX from .pyc (GX alone: 13 s -> 3 s to import).
export UV_COMPILE_BYTECODE := 1
# Byte-code caching makes every Airflow task process start seconds faster (imports of Airflow,
# dbt and GX); some environments switch it off globally.
unexport PYTHONDONTWRITEBYTECODE

SPARK_VENV := .venv-spark

.PHONY: test-spark test-slow demo test lint lint-sql format suites dashboard clean bench bench-smoke

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet "uv==$(UV_VERSION)"

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --group dev
	touch $@

demo: $(VENV)/.synced
	$(VENV)/bin/kpi demo

test: $(VENV)/.synced
	$(VENV)/bin/ruff check ingest synthetic warehouse night cli dags dashboard tests bench
	$(VENV)/bin/ruff format --check ingest synthetic warehouse night cli dags dashboard tests bench
	$(MAKE) --no-print-directory lint-sql
	$(VENV)/bin/python -m pytest -q -ra -n 2 --dist loadfile -m "not slow and not spark" --durations=15
	$(MAKE) --no-print-directory bench-smoke

# The long suites (kills, property-based nights, privacy scan of a whole night, rebuild
# equality): .ci/run runs them after `make test`.
test-slow: $(VENV)/.synced
	$(VENV)/bin/python -m pytest -q -ra -n 2 --dist loadfile -m slow --durations=15

# The Spark engine in its own venv (the default install stays without Spark): the same lock,
# plus the `spark` group (dbt-spark with pyspark; Java 17 must be on the machine). Two nights of
# a generated county on both engines, compared cell for cell.
$(SPARK_VENV)/.synced: pyproject.toml uv.lock | $(UV)
	UV_PROJECT_ENVIRONMENT=$(SPARK_VENV) $(UV) sync --frozen --group dev --group spark
	touch $@

test-spark: $(SPARK_VENV)/.synced
	SPARK_LOCAL_IP=127.0.0.1 $(SPARK_VENV)/bin/python -m pytest -q -ra -s -m spark tests/spark --durations=5

# The night against plain DuckDB and a pandas peer on the same files, and night 30 against
# night 1; appends the figures to BENCHMARKS.md. The zones are generated once into bench/.cache.
bench: $(VENV)/.synced
	$(VENV)/bin/python bench/night.py --scale province --repeat 3 --history-days 30 --write BENCHMARKS.md

# The same harness at county scale in about a minute, so that it cannot rot (no timing asserted).
bench-smoke: $(VENV)/.synced
	$(VENV)/bin/python bench/night.py --scale county --repeat 1 --history-days 0

lint: $(VENV)/.synced
	$(VENV)/bin/ruff check ingest synthetic warehouse night cli dags dashboard tests bench

# SQLFluff with the dbt templater over the dbt project (rules and their reasons: .sqlfluff). dbt
# parses the profile, so KPI_DBT_DATABASE must name a file; it, dbt's target and its logs go to a
# temporary directory (never dbt_project/target, which a concurrent dbt run may be using).
# About 45 s on 2 cores.
lint-sql: $(VENV)/.synced
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	  KPI_DBT_DATABASE="$$tmp/lint.duckdb" DBT_TARGET_PATH="$$tmp/target" DBT_LOG_PATH="$$tmp/logs" \
	  $(VENV)/bin/sqlfluff lint dbt_project/models dbt_project/tests dbt_project/macros

format: $(VENV)/.synced
	$(VENV)/bin/ruff format ingest synthetic warehouse night cli dags dashboard tests bench
	$(VENV)/bin/ruff check --fix ingest synthetic warehouse night cli dags dashboard tests bench

# Regenerate expectations/*.json from ingest/contract.py (a test fails when they drift).
suites: $(VENV)/.synced
	$(VENV)/bin/python -m ingest.expectations

# The dashboard on http://localhost:8501 over the demo warehouse (or KPI_WAREHOUSE=...).
KPI_WAREHOUSE ?= demo/kpi.duckdb
DASHBOARD_PORT ?= 8501
dashboard: $(VENV)/.synced
	$(VENV)/bin/streamlit run dashboard/app.py --server.address 127.0.0.1 --server.port $(DASHBOARD_PORT) \
	  --server.headless true --browser.gatherUsageStats false --client.toolbarMode minimal \
	  -- --warehouse $(KPI_WAREHOUSE)

clean:
	rm -rf $(VENV) .tools demo
