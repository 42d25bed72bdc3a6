"""Test session set-up: Airflow gets a private home, so no test touches a real deployment."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# Set before anything imports airflow (its configuration is read at import time).
os.environ["AIRFLOW_HOME"] = tempfile.mkdtemp(prefix="kpi-airflow-home-")
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(REPO / "dags")
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__UNIT_TEST_MODE"] = "True"
for name in ("KPI_LANDING_DIR", "KPI_WAREHOUSE", "KPI_LAKE_DIR", "KPI_PSEUDONYM_KEY"):
    os.environ.pop(name, None)
