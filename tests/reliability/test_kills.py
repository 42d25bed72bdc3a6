"""SIGKILL at each step of the night, then a rerun: the published warehouse equals the one an
uninterrupted night publishes, and nothing half-done is ever published.

The night runs as `kpi run` in a child process whose step functions are wrapped to SIGKILL
the process at the chosen point (no hook in the product code)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import kpi_landing  # noqa: E402
from landing_kit import TEST_KEY  # noqa: E402

KILLER = textwrap.dedent(
    """
    import os, signal, sys
    from night import steps

    point, landing, warehouse = sys.argv[1:4]

    def die(*_):
        os.kill(os.getpid(), signal.SIGKILL)

    if point == "ingest":  # after the first lake file, before its audit commit
        import ingest.deliveries as deliveries
        write = deliveries.write_parquet_atomic
        def first_write_then_die(*args, **kwargs):
            write(*args, **kwargs)
            die()
        deliveries.write_parquet_atomic = first_write_then_die
    elif point == "lake_commit":  # visits committed, claims written but not committed
        from ingest.lake import Lake
        commit = Lake.commit_audit
        def commit_or_die(self, kind, *args, **kwargs):
            if kind == "claims":
                die()
            return commit(self, kind, *args, **kwargs)
        Lake.commit_audit = commit_or_die
    elif point == "raw_load":  # the working file loaded, dbt not started
        load = steps.load_raw_schema
        def load_then_die(*args):
            load(*args)
            die()
        steps.load_raw_schema = load_then_die
    elif point == "audit":
        steps.audit = die
    elif point == "publish_before":
        steps.publish = die
    elif point == "publish_after":  # replaced, the run log not yet written
        publish = steps.publish
        def publish_then_die(*args):
            publish(*args)
            die()
        steps.publish = publish_then_die
    elif point == "export":
        steps.export_for_bi = die
    from cli.main import main
    sys.exit(main(["run", "--landing", landing, "--warehouse", warehouse]))
    """
)
POINTS = ["ingest", "lake_commit", "raw_load", "audit", "publish_before", "publish_after", "export"]
REPO = Path(__file__).resolve().parents[2]


def night(landing: Path, warehouse: Path, point: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "KPI_PSEUDONYM_KEY": TEST_KEY.decode()}
    command = (
        [sys.executable, "-c", KILLER, point, str(landing), str(warehouse)]
        if point
        else [str(Path(sys.executable).with_name("kpi")), "run", "--landing", str(landing),
              "--warehouse", str(warehouse)]
    )  # fmt: skip
    return subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True, timeout=600)


def published(warehouse: Path) -> dict[str, list]:
    queries = {
        "kpi_monthly": "SELECT * FROM kpi_monthly",
        "fct_visits": "SELECT * FROM fct_visits",
        "fct_claims": "SELECT * FROM fct_claims",
        "fct_referrals": "SELECT * FROM fct_referrals",
        "fct_public_health_services": "SELECT * FROM fct_public_health_services",
        "ingest_files": "SELECT business_date, source_code, kind, file_name, status, rows_read, "
        "rows_loaded, rows_quarantined FROM ingest_files",
        "quarantine_rows": "SELECT business_date, source_code, kind, row_number, reason FROM quarantine_rows",
    }
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {name: sorted(con.sql(sql).fetchall(), key=repr) for name, sql in queries.items()}


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("uninterrupted")
    kpi_landing.write_night_one(root / "landing")
    done = night(root / "landing", root / "kpi.duckdb")
    assert done.returncode == 0, done.stderr
    return root / "landing", published(root / "kpi.duckdb")


@pytest.mark.slow
@pytest.mark.parametrize("point", POINTS)
def test_a_night_killed_at_each_step_then_rerun_publishes_what_an_uninterrupted_night_does(
    tmp_path, uninterrupted, point
):
    landing, want = uninterrupted
    shutil.copytree(landing, tmp_path / "landing", copy_function=shutil.copy2)  # same mtimes
    warehouse = tmp_path / "kpi.duckdb"
    killed = night(tmp_path / "landing", warehouse, point)
    assert killed.returncode == -9, (killed.returncode, killed.stderr[-2000:])
    if point in ("publish_after", "export"):
        assert published(warehouse) == want  # it had published: the whole night
    else:
        assert not warehouse.exists()  # nothing half-done is published
    rerun = night(tmp_path / "landing", warehouse)
    assert rerun.returncode == 0, rerun.stderr
    assert published(warehouse) == want
    assert not list((tmp_path / "kpi.lake").rglob("*.tmp"))
