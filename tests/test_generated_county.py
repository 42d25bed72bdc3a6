"""A generated county, end to end through `kpi run`: every injected fault is quarantined with
exactly its reason, nothing else is (family-doctor contracts included), and the KPIs land in the
registry's plausible ranges."""

from __future__ import annotations

import csv
import datetime as dt
import os
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from cli.main import main
from ingest.contract import FILE_REASONS
from synthetic.generate import generate_landing_zone

REPO = Path(__file__).resolve().parent.parent
START = dt.date(2026, 3, 2)

# a county zone of generated faults through a whole night: in .ci/run's slow half
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    root = tmp_path_factory.mktemp("county")
    report = generate_landing_zone(root / "landing", START, 4, "county", seed=11, fault_rate=0.01)
    os.environ["KPI_PSEUDONYM_KEY"] = "generated-county-test-key"
    assert (
        main(["run", "--landing", str(root / "landing"), "--warehouse", str(root / "kpi.duckdb")])
        == 0
    )
    return report, duckdb.connect(str(root / "kpi.duckdb"), read_only=True)


def test_every_generated_fault_is_quarantined_with_its_reason_and_only_those(county):
    report, con = county
    expected = Counter()
    for reason, hits in report.faults.items():
        for path, row in hits:
            expected[(path, row, reason)] += 1
    got = Counter()
    for date, source, _kind, file_name, row, reason in con.sql(
        "SELECT business_date, source_code, kind, file_name, row_number, reason FROM quarantine_rows"
    ).fetchall():
        path = f"{date}/{source}/{file_name}"
        # A file rejected whole is reported by the generator once, as row 0.
        got[
            (path, 0 if reason in ("missing_required_column", "manifest_mismatch") else row, reason)
        ] = 1
    assert set(got) == set(expected)


def test_contracts_are_ingested_and_each_contract_fault_quarantined(county):
    """Every contracts file the generator wrote is in the audit with its rows; each row reason a
    contract can have (and each file-level one) reaches the quarantine from contracts files."""
    report, con = county
    written = [f for f in report.files if f.kind == "contracts"]
    audited = con.sql(
        "SELECT count(*), sum(rows_read), sum(rows_loaded) FROM ingest_files WHERE kind = 'contracts'"
    ).fetchall()[0]
    assert audited[0] == len(written) and audited[1] == report.rows["contracts"]
    faulty_rows = sum(
        1
        for hits in report.faults.values()
        for path, row in hits
        if row and path.rsplit("/", 1)[1].startswith("contracts.")
    )
    rejected_whole = sum(
        f.rows
        for f in written
        if any((f.path, 0) in hits for reason, hits in report.faults.items())
    )
    assert audited[2] == report.rows["contracts"] - faulty_rows - rejected_whole > 500
    reasons = {
        reason
        for (reason,) in con.sql(
            "SELECT DISTINCT reason FROM quarantine_rows WHERE kind = 'contracts'"
        ).fetchall()
    }
    contract_rows = {
        "wrong_source_folder",
        "missing_required_value",
        "invalid_patient_id",
        "unknown_institution",
        "invalid_enum",
        "invalid_date",
        "duplicate_key",
    }
    assert reasons == contract_rows | FILE_REASONS


def test_every_file_reconciles(county):
    _, con = county
    assert con.sql(
        "SELECT count(*) FROM ingest_files WHERE rows_read <> rows_loaded + rows_quarantined"
    ).fetchall() == [(0,)]
    assert con.sql("SELECT count(*) FROM ingest_files").fetchall()[0][0] > 100


def test_kpis_of_a_generated_county_are_plausible(county):
    _, con = county
    bands = {
        row["kpi_id"]: row
        for row in csv.DictReader(
            (REPO / "dbt_project" / "seeds" / "kpi_registry.csv").open(encoding="utf-8")
        )
    }
    rows = con.sql(
        "SELECT consortium_id, kpi_id, value, denominator FROM kpi_monthly WHERE value IS NOT NULL"
    ).fetchall()
    judged = 0
    for consortium, kpi_id, value, denominator in rows:
        band = bands[kpi_id]
        if denominator < float(band["plausibility_min_denominator"] or 0):
            continue
        judged += 1
        low = float(band["plausible_min"]) if band["plausible_min"] else float("-inf")
        high = float(band["plausible_max"]) if band["plausible_max"] else float("inf")
        assert low <= value <= high, (consortium, kpi_id, value)
    assert judged >= 10
    share = con.sql(
        "SELECT min(value), max(value) FROM kpi_monthly WHERE kpi_id = 'primary_care_visit_share' AND value IS NOT NULL"
    ).fetchall()[0]
    assert share[0] >= 0.45 and share[1] <= 0.85  # around the ≥65% policy target
