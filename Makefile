# Two commands: `make demo` and `make test`. Both build .venv from uv.lock first (idempotent:
# a no-op when pyproject.toml and uv.lock are unchanged).
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.9
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
VENV := .venv
export UV_PYTHON := 3.11
# Byte-code caching makes every Airflow task process start seconds faster (imports of Airflow,
# dbt and GX); some environments switch it off globally.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: demo test lint format suites dashboard clean

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
	$(VENV)/bin/python -m pytest -q -ra -n 2 --dist loadfile

lint: $(VENV)/.synced
	$(VENV)/bin/ruff check ingest synthetic warehouse night cli dags dashboard tests bench

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
