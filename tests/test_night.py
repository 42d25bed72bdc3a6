"""`kpi run` end to end: ingest, dbt build, audit, publish, and what a failed night leaves."""

from __future__ import annotations

import datetime as dt
import json
import os

import duckdb
import pytest
from landing_kit import (
    BUSINESS_DATE,
    TEST_KEY,
    VISIT_HEADER,
    resident_id,
    visit,
    write_csv,
    write_reference,
)

from cli.main import main
from ingest.contract import KINDS
from warehouse.publish import find_clear_ids

PID = resident_id()
PUBLISHED_TABLES = {
    "kpi_monthly", "kpi_definitions", "ingest_files", "quarantine_rows", "delivery_status",
    "dim_institution", "dim_consortium", "dim_region", "dim_date", "dim_patient", "dim_service_item",
    "fct_visits", "fct_referrals", "fct_claims", "fct_public_health_services",
}  # fmt: skip


@pytest.fixture(scope="module")
def zone(tmp_path_factory):
    root = tmp_path_factory.mktemp("night")
    landing = root / "landing"
    write_reference(landing)
    write_csv(
        landing / BUSINESS_DATE / "H44162300011" / "visits.csv",
        [*VISIT_HEADER, "姓名"],
        [
            visit("v1", pid=PID) + ["王五"],
            visit("v2", cost="-1") + ["王五"],
            visit("v3") + ["王五"],
        ],
    )
    return root


def kpi_run(root) -> int:
    os.environ["KPI_PSEUDONYM_KEY"] = TEST_KEY.decode()
    return main(
        ["run", "--landing", str(root / "landing"), "--warehouse", str(root / "kpi.duckdb")]
    )


@pytest.fixture(scope="module")
def first_night(zone):
    assert kpi_run(zone) == 0
    return zone / "kpi.duckdb"


def test_published_warehouse_has_the_interface_tables_and_reconciles(first_night):
    with duckdb.connect(str(first_night), read_only=True) as con:
        tables = {
            r[0]
            for r in con.sql(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
            ).fetchall()
        }
        assert tables >= PUBLISHED_TABLES
        assert con.sql(
            "SELECT file_name, status, rows_read, rows_loaded, rows_quarantined FROM ingest_files"
        ).fetchall() == [("visits.csv", "loaded", 3, 2, 1)]
        assert con.sql("SELECT row_number, reason FROM quarantine_rows").fetchall() == [
            (2, "invalid_amount")
        ]
        assert con.sql(
            "SELECT value FROM kpi_monthly WHERE kpi_id = 'primary_care_visit_share' AND month = DATE '2026-03-01'"
        ).fetchall() == [(1.0,)]


def test_no_clear_identifier_or_name_in_any_text_column(first_night):
    with duckdb.connect(str(first_night), read_only=True) as con:
        assert find_clear_ids(con) == set()
        columns = con.sql(
            "SELECT table_schema, table_name, column_name FROM information_schema.columns WHERE data_type = 'VARCHAR'"
        ).fetchall()
        for schema, table, column in columns:
            hits = con.sql(
                f'SELECT count(*) FROM "{schema}"."{table}" WHERE contains("{column}", \'{PID}\') OR contains("{column}", \'王五\')'
            ).fetchall()[0][0]
            assert hits == 0, f"{schema}.{table}.{column}"


def test_clear_id_scan_finds_a_planted_identifier(tmp_path):
    con = duckdb.connect(str(tmp_path / "x.duckdb"))
    con.execute("CREATE TABLE t (note VARCHAR, digest VARCHAR)")
    con.execute("INSERT INTO t VALUES ('call back ' || ?, ?)", [PID, "ab" + PID + "cd"])
    assert find_clear_ids(con) == {"main.t.note"}  # an ID inside a hex-like token is not one


def test_clear_id_scan_judges_every_row_not_a_sample(tmp_path):
    """Numbers of an ID's shape with a wrong check character are not IDs; thousands of them
    ahead of one real ID (lower-case check character) must not hide it."""
    real = resident_id(seq="123")
    wrong = real[:17] + ("0" if real[17] != "0" else "1")
    con = duckdb.connect(str(tmp_path / "x.duckdb"))
    con.execute('CREATE TABLE t ("odd ""name" VARCHAR, other VARCHAR)')
    con.execute("INSERT INTO t SELECT 'ref ' || ?, ? FROM range(5000)", [wrong, wrong])
    assert find_clear_ids(con) == set()
    con.execute("INSERT INTO t VALUES ('note ' || lower(?), 'x')", [real])
    assert find_clear_ids(con) == {'main.t.odd "name'}


@pytest.mark.slow
def test_a_reader_holding_the_file_does_not_block_the_next_night(zone, first_night):
    reader = duckdb.connect(str(first_night), read_only=True)
    before = reader.sql("SELECT count(*) FROM fct_visits").fetchall()[0][0]
    write_csv(
        zone / "landing" / "2026-03-11" / "H44162300011" / "visits.csv",
        VISIT_HEADER,
        [visit("v7", date="2026-03-11")],
    )
    assert kpi_run(zone) == 0
    assert reader.sql("SELECT count(*) FROM fct_visits").fetchall()[0][0] == before  # its snapshot
    reader.close()
    with duckdb.connect(str(first_night), read_only=True) as fresh:
        assert fresh.sql("SELECT count(*) FROM fct_visits").fetchall()[0][0] == before + 1


def test_a_failed_night_publishes_nothing_and_leaves_the_file_byte_identical(
    zone, first_night, capsys
):
    published = first_night.read_bytes()
    write_csv(
        zone / "landing" / "2026-03-12" / "H44162300011" / "visits.csv",
        VISIT_HEADER,
        [visit("v8", date="2026-03-12")],
    )
    institutions = zone / "landing" / "reference" / "institutions.csv"
    good = institutions.read_bytes()
    institutions.write_bytes(good.replace(b"township_center", b"township"))
    try:
        assert kpi_run(zone) == 1
    finally:
        institutions.write_bytes(good)
    assert "nothing published" in capsys.readouterr().err
    assert first_night.read_bytes() == published
    with duckdb.connect(str(first_night), read_only=True) as con:
        assert con.sql("SELECT count(*) FROM fct_visits WHERE visit_id = 'v8'").fetchall() == [(0,)]


@pytest.mark.slow
def test_dbt_docs_generate_describes_every_mart(first_night):
    import json

    from warehouse.transform import dbt_paths, docs

    site = docs(first_night)
    assert site.exists() and site.stat().st_size > 10_000
    catalog = json.loads((dbt_paths(first_night)["target"] / "catalog.json").read_text())
    manifest = json.loads((dbt_paths(first_night)["target"] / "manifest.json").read_text())
    marts = [
        n
        for n in manifest["nodes"].values()
        if n["resource_type"] == "model" and "/marts/" in n["original_file_path"]
    ]
    assert len(marts) >= 15
    for node in marts:
        assert node["description"], node["name"]
        columns = catalog["nodes"][node["unique_id"]]["columns"]
        undocumented = [c for c in columns if not node["columns"].get(c, {}).get("description")]
        assert undocumented == [], (node["name"], undocumented)


def test_gx_data_docs_of_a_night(first_night, tmp_path):
    from pathlib import Path

    from ingest.expectations import build_data_docs

    url = build_data_docs(first_night, dt.date(2026, 3, 10), tmp_path / "gx")
    index = Path(url.removeprefix("file://"))
    assert index.exists()
    results = list((index.parent / "validations").rglob("*.html"))
    assert len(results) == len(KINDS)  # one per extract kind


def test_the_night_alerts_read_the_published_tables(first_night):
    """The alert queries run on the tables the dbt project really publishes."""
    from night.alerts import night_alerts

    alerts = {a.kind: a for a in night_alerts(first_night, dt.date.fromisoformat(BUSINESS_DATE))}
    with duckdb.connect(str(first_night), read_only=True) as con:
        missing = con.sql(
            "SELECT source_code FROM delivery_status WHERE is_expected AND NOT is_delivered "
            f"AND business_date = DATE '{BUSINESS_DATE}' ORDER BY ALL"
        ).fetchall()
    assert missing  # the registry's other members sent nothing that day
    assert [(m["source_code"],) for m in alerts["missing_files"].facts["missing"]] == missing
    assert set(alerts) <= {"kpi_lines", "missing_files"}


def test_source_freshness_judged_on_the_business_date_is_in_the_run_log(first_night):
    log = first_night.with_name("kpi.lake") / "audit" / "runs" / "*.parquet"
    runs = "\n".join(
        m
        for (m,) in duckdb.sql(
            f"SELECT message FROM read_parquet('{log}', union_by_name = true)"
        ).fetchall()
    )
    assert f"as of {BUSINESS_DATE}: " in runs
    assert "lake.visits pass (24 h)" in runs  # delivered on the night's own business date
    assert "lake.referrals never delivered" in runs  # an empty kind is named, not aged


def test_gx_results_are_stored_per_business_date_and_kind_and_read_offline(first_night):
    gx = first_night.with_name("kpi.lake") / "gx"
    stored = list((gx / "visits" / "gx" / "uncommitted" / "validations").rglob("*.json"))
    # one stored result per business date, named by it (later tests of this module add dates)
    names = {p.parent.parent.name: p for p in stored}
    assert len(names) == len(stored) and f"{BUSINESS_DATE} visits" in names
    assert all(n.endswith(" visits") for n in names)
    result = json.loads(names[f"{BUSINESS_DATE} visits"].read_text())
    assert (
        result["success"] is True
        and result["meta"]["run_id"]["run_name"] == f"{BUSINESS_DATE} visits"
    )
    pages = list((gx / "visits" / "gx" / "uncommitted" / "data_docs").rglob("*.html"))
    assert any(f"{BUSINESS_DATE} visits" in str(p) for p in pages)  # GX's page of the run
    index = (gx / "index.html").read_text()
    assert f"<td>{BUSINESS_DATE}</td><td>visits</td>" in index and "通过 pass" in index
    assert "http" not in index and "<script" not in index  # reads without network


def test_dbt_never_sees_the_pseudonym_key(monkeypatch, tmp_path):
    """dbt (and Spark's JVM under it) runs with the night's environment minus the key."""
    from warehouse.transform import dbt_environment

    monkeypatch.setenv("KPI_PSEUDONYM_KEY", "a-deployment-secret-of-some-length")
    env = dbt_environment(tmp_path / "work.duckdb", {"EXTRA": "1"})
    assert "KPI_PSEUDONYM_KEY" not in env
    assert env["KPI_DBT_DATABASE"] == str(tmp_path / "work.duckdb") and env["EXTRA"] == "1"
