"""Whole nights as processes: the registry's doubtful rows reach the office, two nights at
once on one warehouse, and a night killed while dbt runs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from landing_kit import (  # noqa: E402
    BUSINESS_DATE,
    CONSORTIA,
    INSTITUTIONS,
    TEST_KEY,
    VISIT_HEADER,
    visit,
    write_csv,
    write_reference,
)

KPI = Path(sys.executable).with_name("kpi")
TOWNSHIP = "H44162300011"


def zone(root: Path, institutions=INSTITUTIONS, consortia=CONSORTIA) -> Path:
    landing = root / "landing"
    write_reference(landing, institutions, consortia)
    write_csv(landing / BUSINESS_DATE / TOWNSHIP / "visits.csv", VISIT_HEADER, [visit("v1")])
    return landing


def kpi_run(root: Path, **popen) -> subprocess.Popen:
    env = {**os.environ, "KPI_PSEUDONYM_KEY": TEST_KEY.decode()}
    command = [
        str(KPI),
        "run",
        "--landing",
        str(root / "landing"),
        "--warehouse",
        str(root / "kpi.duckdb"),
    ]
    return subprocess.Popen(
        command, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **popen
    )


def published(root: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(root / "kpi.duckdb"), read_only=True) as con:
        return con.sql(sql).fetchall()


@pytest.mark.slow
def test_an_institution_in_two_consortia_is_a_finding_the_office_sees(tmp_path):
    township = next(r for r in INSTITUTIONS if r[0] == TOWNSHIP)
    second = (*township[:4], "CZ", "member", "2026-01-01", "")
    consortia = [*CONSORTIA, ("CZ", "滁州医联体", "urban_alliance", "441600", "H44162300001")]
    zone(tmp_path, [*INSTITUTIONS, second], consortia)
    run = kpi_run(tmp_path)
    out, err = run.communicate(timeout=300)
    assert run.returncode == 0, err
    assert "registry_multiple_consortia" in out  # the run log says it too
    findings = published(
        tmp_path,
        "SELECT source_code, finding, severity FROM data_quality_findings WHERE kind = 'reference'",
    )
    assert findings == [(TOWNSHIP, "registry_multiple_consortia", "warning")]


@pytest.mark.slow
def test_two_nights_at_once_one_runs_the_other_is_refused(tmp_path):
    zone(tmp_path)
    first, second = kpi_run(tmp_path), kpi_run(tmp_path)
    results = [(p.wait(timeout=300), p.communicate()[1]) for p in (first, second)]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 2], results
    refused = next(err for code, err in results if code == 2)
    assert "another night (pid" in refused
    rows = published(tmp_path, "SELECT status, count(*) FROM ingest_files GROUP BY ALL")
    assert rows == [("loaded", 1)]  # one delivery, not two


@pytest.mark.slow
def test_a_night_killed_during_dbt_takes_dbt_with_it_and_the_next_night_publishes(tmp_path):
    zone(tmp_path)
    night = kpi_run(tmp_path, start_new_session=True)
    deadline = time.monotonic() + 240
    dbt = None
    while time.monotonic() < deadline and dbt is None:
        found = subprocess.run(
            ["pgrep", "-P", str(night.pid), "-f", "dbt build"], capture_output=True, text=True
        )
        dbt = int(found.stdout.split()[0]) if found.stdout.split() else None
        time.sleep(0.2)
    assert dbt is not None, "dbt never started"
    os.kill(night.pid, signal.SIGKILL)
    night.wait(timeout=30)
    for _ in range(100):  # the child is killed with its parent (PR_SET_PDEATHSIG)
        if (
            not Path(f"/proc/{dbt}").exists()
            or Path(f"/proc/{dbt}/stat").read_text().split()[2] == "Z"
        ):
            break
        time.sleep(0.1)
    else:
        pytest.fail("dbt outlived the killed night")
    assert not (tmp_path / "kpi.duckdb").exists()  # nothing was published
    rerun = kpi_run(tmp_path)
    out, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err
    assert published(tmp_path, "SELECT count(*) FROM fct_visits") == [(1,)]


@pytest.mark.slow
def test_an_export_failure_after_publish_says_published(tmp_path, monkeypatch, capsys):
    from cli.main import main
    from night import steps

    zone(tmp_path)

    def broken_export(cfg):
        raise OSError("No space left on device")

    monkeypatch.setattr(steps, "export_for_bi", broken_export)
    monkeypatch.setenv("KPI_PSEUDONYM_KEY", TEST_KEY.decode())
    code = main(
        ["run", "--landing", str(tmp_path / "landing"), "--warehouse", str(tmp_path / "kpi.duckdb")]
    )
    err = capsys.readouterr().err
    assert code == 0  # published: the interface says exit 0
    assert "published" in err and "BI export failed" in err and "nothing published" not in err
    assert published(tmp_path, "SELECT count(*) FROM fct_visits") == [(1,)]
    runs = duckdb.sql(
        f"SELECT status FROM read_parquet('{tmp_path / 'kpi.lake' / 'audit' / 'runs'}/*.parquet')"
        " WHERE status <> 'freshness'"  # the night's source-freshness verdict is its own entry
    )
    assert runs.fetchall() == [("published_export_failed",)]


def test_a_warehouse_that_cannot_be_written_is_one_clear_line(tmp_path):
    zone(tmp_path)
    (tmp_path / "blocked").write_text("a file where the warehouse folder should be")
    env = {**os.environ, "KPI_PSEUDONYM_KEY": TEST_KEY.decode()}
    done = subprocess.run(
        [str(KPI), "run", "--landing", str(tmp_path / "landing"), "--warehouse", str(tmp_path / "blocked" / "kpi.duckdb")],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().startswith("kpi run: FAILED, nothing published")
