"""The nightly DAG: it imports cleanly, its graph is the documented runbook, and a real
`airflow dags test` run over a small landing zone publishes a warehouse."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from landing_kit import TEST_KEY, VISIT_HEADER, visit, write_csv, write_reference

REPO = Path(__file__).resolve().parent.parent
AIRFLOW = Path(sys.executable).with_name("airflow")
DAG_FILE = REPO / "dags" / "consortium_kpi_nightly.py"


@pytest.fixture(scope="module")
def dag():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(REPO / "dags"))
    assert bag.import_errors == {}
    return bag.dags["consortium_kpi_nightly"]


def test_dag_is_the_documented_runbook(dag):
    assert dag.max_active_runs == 1
    assert dag.doc_md and "publish" in dag.doc_md
    assert dag.default_args["retries"] >= 1 and dag.default_args["on_failure_callback"]
    assert dag.description and str(dag.timezone) in ("Asia/Shanghai", "Timezone('Asia/Shanghai')")
    assert all(t.execution_timeout for t in dag.tasks)
    outlets = {t.task_id: [a.name for a in t.outlets] for t in dag.tasks if t.outlets}
    assert outlets == {
        "publish": ["consortium_kpi_warehouse"],
        "export_for_bi": ["consortium_kpi_bi_export"],
    }
    downstream = {t.task_id: sorted(t.downstream_task_ids) for t in dag.tasks}
    assert downstream == {
        "land_reference": ["ingest"],
        "ingest": ["dbt_build"],
        "dbt_build": ["audit"],
        "audit": ["publish"],
        "publish": ["export_for_bi"],
        "export_for_bi": [],
    }


def test_dag_module_imports_nothing_heavy():
    """Import lines can hide a heavy import further down the chain: look at sys.modules."""
    probe = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('dag', {str(DAG_FILE)!r})\n"
        "spec.loader.exec_module(importlib.util.module_from_spec(spec))\n"
        "heavy = ('duckdb', 'pyarrow', 'pandas', 'numpy', 'great_expectations', 'dbt')\n"
        "print('heavy:', ','.join(m for m in heavy if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=REPO
    )
    heavy = [line for line in done.stdout.splitlines() if line.startswith("heavy:")]
    assert heavy == ["heavy: "]


def test_dag_file_does_no_work_at_import():
    source = (REPO / "dags" / "consortium_kpi_nightly.py").read_text()
    top_level_imports = [
        line for line in source.splitlines() if line.startswith(("import ", "from "))
    ]
    assert not any(
        "duckdb" in line or "great_expectations" in line or "dbt" in line
        for line in top_level_imports
    )


@pytest.mark.slow
def test_airflow_dags_test_runs_a_night_of_2024_and_publishes_that_date(tmp_path):
    """Consortia backfill years of history: a business date before 2026 (the DAG's first
    schedule) runs every task and publishes the warehouse of that date."""
    night = "2024-02-20"
    landing = tmp_path / "landing"
    write_reference(landing)
    write_csv(
        landing / night / "H44162300011" / "visits.csv",
        VISIT_HEADER,
        [visit("v1", date=night), visit("v2", vtype="x", date=night)],
    )
    # A file of a later business date: the night of 2024-02-20 must not read it.
    write_csv(
        landing / "2024-02-21" / "H44162300011" / "visits.csv",
        VISIT_HEADER,
        [visit("v3", date="2024-02-21")],
    )
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(tmp_path / "airflow"),
        "KPI_LANDING_DIR": str(landing),
        "KPI_WAREHOUSE": str(tmp_path / "kpi.duckdb"),
        "KPI_PSEUDONYM_KEY": TEST_KEY.decode(),
    }
    env.pop("AIRFLOW__CORE__UNIT_TEST_MODE", None)
    subprocess.run([str(AIRFLOW), "db", "migrate"], env=env, check=True, capture_output=True)
    # The run whose data interval is [2024-02-20 02:00, 2024-02-21 02:00) Beijing time.
    run = subprocess.run(
        [str(AIRFLOW), "dags", "test", "consortium_kpi_nightly", "2024-02-21T03:00:00+08:00"],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-3000:]
    assert "state=success" in output
    tasks = (
        "land_reference",
        "ingest",
        "dbt_build",
        "audit",
        "publish",
        "export_for_bi",
    )
    for task_id in tasks:
        assert f"task_id={task_id}" in output, f"{task_id} did not run"
    # after the publish the office notifier reported the members that sent nothing that day
    assert "文件未到 · Expected files missing: 2024-02-20" in output
    with duckdb.connect(str(tmp_path / "kpi.duckdb"), read_only=True) as con:
        assert con.sql("SELECT visit_id FROM fct_visits").fetchall() == [("v1",)]
        assert con.sql("SELECT reason FROM quarantine_rows").fetchall() == [("invalid_enum",)]
        months = con.sql("SELECT DISTINCT month::VARCHAR FROM kpi_monthly").fetchall()
        assert months == [("2024-02-01",)]
    # the dbt build's per-node status is in the UI (the task's XCom), not only in its log
    import sqlite3

    with sqlite3.connect(tmp_path / "airflow" / "airflow.db") as db:
        (value,) = db.execute("SELECT value FROM xcom WHERE key = 'dbt_nodes'").fetchone()
    assert "model.consortium_kpi.kpi_monthly" in str(value)
    # kpi status lists the DAG's nights too
    from night.steps import recent_runs

    runs = recent_runs(tmp_path / "kpi.lake")
    assert "airflow" in runs and "published" in runs and "night of 2024-02-20" in runs


def test_the_pseudonym_key_is_masked_in_airflow_logs(monkeypatch):
    from airflow.sdk._shared.secrets_masker import redact

    from night.airflow_support import pseudonym_key

    secret = "a-deployment-secret-of-some-length"
    monkeypatch.setenv("KPI_PSEUDONYM_KEY", secret)
    pseudonym_key()
    assert secret not in str(redact(f"the key is {secret}"))


def test_the_dag_builds_on_the_engine_its_settings_name(monkeypatch, tmp_path):
    from night.airflow_support import night_config

    monkeypatch.setenv("KPI_LANDING_DIR", str(tmp_path / "landing"))
    monkeypatch.setenv("KPI_WAREHOUSE", str(tmp_path / "kpi.duckdb"))
    monkeypatch.delenv("KPI_ENGINE", raising=False)
    assert night_config().engine == "duckdb"
    monkeypatch.setenv("AIRFLOW_VAR_KPI_ENGINE", "spark")  # an Airflow Variable
    assert night_config().engine == "spark"
