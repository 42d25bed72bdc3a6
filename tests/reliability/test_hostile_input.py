"""What one source sends cannot stop the night for the others: each case below once did.

Every test ingests a hostile file or folder beside a good one and checks that the good one is
loaded, the bad one is quarantined (or refused with a log line), and every row is accounted for.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import sys
import zipfile
from pathlib import Path

import duckdb
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from landing_kit import (  # noqa: E402
    BUSINESS_DATE,
    TEST_KEY,
    VISIT_HEADER,
    visit,
    write_csv,
    write_reference,
    write_xlsx,
)

from ingest.pseudonym import PseudonymKey, WeakKeyError  # noqa: E402
from night.steps import KeyMismatchError, NightConfig, check_key, ingest, land_reference  # noqa: E402
from warehouse.publish import audit, load_raw_schema, start_working_copy  # noqa: E402

KEY = PseudonymKey(TEST_KEY)
TOWNSHIP = "H44162300011"
CLAIM_HEADER = [
    "claim_id", "record_type", "original_claim_id", "settlement_date", "institution_code",
    "visit_id", "patient_id", "insured_region_code", "insurance_scheme", "visit_type",
    "total_amount", "fund_paid", "personal_paid",
]  # fmt: skip


@pytest.fixture
def cfg(tmp_path: Path) -> NightConfig:
    landing = tmp_path / "landing"
    write_reference(landing)
    return NightConfig.build(landing, tmp_path / "kpi.duckdb")


def good_visits(cfg: NightConfig) -> None:
    write_csv(cfg.landing / BUSINESS_DATE / TOWNSHIP / "visits.csv", VISIT_HEADER, [visit("g1")])


def night(cfg: NightConfig, kinds=("visits",)) -> duckdb.DuckDBPyConnection:
    codes = land_reference(cfg)
    for kind in kinds:
        ingest(cfg, kind, KEY, codes)
    con = duckdb.connect(str(start_working_copy(cfg.warehouse)))
    load_raw_schema(con, cfg.lake)
    assert audit(con) == []
    return con


def files(con) -> list[tuple]:
    return con.sql(
        "SELECT source_code, file_name, status, rows_read, rows_loaded, rows_quarantined "
        "FROM raw.ingest_files ORDER BY ALL"
    ).fetchall()


def test_an_18_digit_amount_is_quarantined_not_a_stop(cfg):
    good_visits(cfg)
    row = visit("v1", institution="H44162300001", cost="123456789012345678")
    write_csv(cfg.landing / BUSINESS_DATE / "H44162300001" / "visits.csv", VISIT_HEADER, [row])
    con = night(cfg)
    reasons = con.sql("SELECT source_code, reason FROM raw.quarantine_rows").fetchall()
    assert reasons == [("H44162300001", "invalid_amount")]
    assert con.sql("SELECT count(*) FROM raw.visits").fetchall()[0][0] == 1


def test_the_same_settlement_from_two_bureaus_is_not_fatal(cfg):
    from landing_kit import resident_id

    row = ["c1", "settle", "", BUSINESS_DATE, TOWNSHIP, "v1", resident_id(), "441623",
           "resident", "outpatient", "100.00", "80.00", "20.00"]  # fmt: skip
    for bureau in ("YB441623", "YB441600"):
        write_csv(cfg.landing / BUSINESS_DATE / bureau / "claims.csv", CLAIM_HEADER, [row])
    con = night(cfg, kinds=("claims",))
    assert [f[2:] for f in files(con)] == [("loaded", 1, 1, 0), ("loaded", 1, 1, 0)]


@pytest.mark.parametrize("damage", ["missing_sheet", "corrupt_deflate", "malformed_xml"])
def test_a_broken_workbook_is_unreadable_file(cfg, damage):
    good_visits(cfg)
    path = write_xlsx(
        cfg.landing / BUSINESS_DATE / "H44162300012" / "visits.xlsx", VISIT_HEADER, [visit("x1")]
    )
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    if damage == "missing_sheet":
        del parts[sheet]
    elif damage == "malformed_xml":
        parts[sheet] = parts[sheet][: len(parts[sheet]) // 2]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    if damage == "corrupt_deflate":
        raw = bytearray(path.read_bytes())
        start = raw.find(b"sheet1.xml") + 40  # inside the sheet's compressed stream
        raw[start : start + 40] = b"\xff" * 40
        path.write_bytes(bytes(raw))
    con = night(cfg)
    status = {f[0]: f[2] for f in files(con)}
    assert status == {TOWNSHIP: "loaded", "H44162300012": "quarantined"}
    assert con.sql("SELECT reason FROM raw.quarantine_rows").fetchall() == [("unreadable_file",)]


@pytest.mark.parametrize(
    "manifest", ["nested", "directory", "rows_as_text", "not_an_object", "binary"]
)
def test_an_unusable_manifest_is_ignored(cfg, manifest):
    good_visits(cfg)
    folder = cfg.landing / BUSINESS_DATE / TOWNSHIP
    path = folder / "_manifest.json"
    if manifest == "nested":
        path.write_text("[" * 100_000 + "]" * 100_000)
    elif manifest == "directory":
        path.mkdir()
    elif manifest == "rows_as_text":
        path.write_text(json.dumps({"files": {"visits.csv": {"rows": "1"}}}))
    elif manifest == "not_an_object":
        path.write_text(json.dumps({"files": ["visits.csv"]}))
    else:
        path.write_bytes(b"\xff\xfe\x00garbage")
    con = night(cfg)
    assert [f[2:] for f in files(con)] == [("loaded", 1, 1, 0)]


@pytest.mark.parametrize("name", ["H4416230001?", "*", "H44162300[01]1"])
def test_glob_characters_in_a_folder_name_are_literal(cfg, name):
    good_visits(cfg)
    write_csv(cfg.landing / BUSINESS_DATE / name / "visits.csv", VISIT_HEADER, [visit("w1")])
    con = night(cfg)
    by_source = {f[0]: f[2:] for f in files(con)}
    assert by_source[TOWNSHIP] == ("loaded", 1, 1, 0)
    # the odd folder's one row, read from its own file only, is quarantined (wrong source)
    assert by_source[name] == ("loaded", 1, 0, 1)


def test_a_long_folder_name_does_not_reach_a_lake_path(cfg):
    good_visits(cfg)
    name = "H" * 250
    write_csv(cfg.landing / BUSINESS_DATE / name / "visits.csv", VISIT_HEADER, [visit("l1")])
    con = night(cfg)
    assert {f[0] for f in files(con)} == {TOWNSHIP, name}


def test_a_quote_in_the_warehouse_path(tmp_path):
    landing = tmp_path / "landing"
    write_reference(landing)
    cfg = NightConfig.build(landing, tmp_path / "o'brien" / "kpi.duckdb")
    good_visits(cfg)
    con = night(cfg)
    assert con.sql("SELECT count(*) FROM raw.visits").fetchall()[0][0] == 1


@pytest.mark.parametrize("folder", ["2204-03-01", "20260302", "2026-W09-7"])
def test_only_a_plausible_yyyy_mm_dd_names_a_business_date(cfg, folder):
    good_visits(cfg)
    write_csv(cfg.landing / folder / TOWNSHIP / "visits.csv", VISIT_HEADER, [visit("d1")])
    con = night(cfg)
    assert con.sql("SELECT DISTINCT business_date FROM raw.ingest_files").fetchall() == [
        (dt.date.fromisoformat(BUSINESS_DATE),)
    ]


def test_symlinks_out_of_the_landing_zone_are_not_followed(cfg, tmp_path):
    good_visits(cfg)
    outside = tmp_path / "outside"
    write_csv(outside / "visits.csv", VISIT_HEADER, [visit("o1")])
    (cfg.landing / BUSINESS_DATE / "H44162300012").symlink_to(outside)
    other = cfg.landing / BUSINESS_DATE / "H44162300013"
    other.mkdir()
    (other / "visits.csv").symlink_to("/etc/passwd")
    con = night(cfg)
    assert [f[0] for f in files(con)] == [TOWNSHIP]


@pytest.mark.parametrize("key", [b"a", b" ", b"short-key"])
def test_weak_keys_are_refused(key):
    with pytest.raises(WeakKeyError):
        PseudonymKey(key).check_strength()


def test_a_changed_key_is_refused(cfg):
    check_key(cfg, KEY)
    check_key(cfg, KEY)  # the same key again is fine
    with pytest.raises(KeyMismatchError):
        check_key(cfg, PseudonymKey(b"another-key-of-enough-length"))
    fingerprint = (cfg.lake_dir / "key_fingerprint").read_text()
    assert TEST_KEY.decode() not in fingerprint


def test_a_killed_night_leaves_tmp_files_that_the_next_night_sweeps(cfg):
    from night.steps import sweep_tmp

    stale = cfg.lake_dir / "raw" / "visits" / f"business_date={BUSINESS_DATE}" / ".x.1.tmp"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"half")
    assert sweep_tmp(cfg) == 1
    assert not stale.exists()


def test_a_second_night_on_one_warehouse_is_refused(cfg):
    from night.steps import NightLockedError, night_lock

    holder = pytest.raises(NightLockedError, match=str(os.getpid()))
    with night_lock(cfg), holder, night_lock(cfg):
        pass
    with night_lock(cfg):  # released: the next night runs
        pass


def test_the_ingests_of_the_kinds_share_the_lock_but_not_with_a_night(cfg):
    from night.steps import NightLockedError, night_lock

    exclusive = pytest.raises(NightLockedError)
    with night_lock(cfg, shared=True), night_lock(cfg, shared=True), exclusive, night_lock(cfg):
        pass
    with night_lock(cfg), pytest.raises(NightLockedError), night_lock(cfg, shared=True):
        pass


def test_every_dag_task_waits_for_the_night_lock(cfg, monkeypatch):
    """The DAG's steps are separate processes: each must hold the lock for its step, so a
    `kpi run` never interleaves with one (here the lock is held, and no wait is allowed)."""
    import pendulum
    from airflow.dag_processing.dagbag import DagBag

    from night import airflow_support
    from night.steps import NightLockedError, night_lock

    monkeypatch.setenv("KPI_LANDING_DIR", str(cfg.landing))
    monkeypatch.setenv("KPI_WAREHOUSE", str(cfg.warehouse))
    monkeypatch.setenv("KPI_PSEUDONYM_KEY", TEST_KEY.decode())
    monkeypatch.setattr(airflow_support, "LOCK_WAIT_SECONDS", 0)
    bag = DagBag(dag_folder=str(Path(__file__).resolve().parents[2] / "dags"))
    dag = bag.dags["consortium_kpi_nightly"]
    start = pendulum.datetime(2026, 3, 1, tz="Asia/Shanghai")
    arguments = {
        "ingest": {"kind": "visits", "registry_codes": [], "data_interval_start": start},
        "dbt_build": {"data_interval_start": start},
        "publish": {"data_interval_start": start, "run_id": "test"},
    }
    refused = []
    with night_lock(cfg):
        for task in dag.tasks:
            with pytest.raises(NightLockedError):
                task.python_callable(**arguments.get(task.task_id, {}))
            refused.append(task.task_id)
    assert sorted(refused) == sorted(t.task_id for t in dag.tasks)
    assert not cfg.lake_dir.exists()  # refused before doing anything


def test_only_the_file_the_audit_passed_is_published(cfg):
    """A build between this run's audit and its publish (another night, in the DAG's gaps) must
    fail the publish, not be published unaudited."""
    from night.steps import audit_build, publish_build
    from warehouse.publish import AuditFailedError

    good_visits(cfg)
    night(cfg).close()
    with pytest.raises(AuditFailedError, match="not the file the audit passed"):
        publish_build(cfg)  # never audited
    audit_build(cfg)
    with duckdb.connect(str(cfg.warehouse.with_name("kpi.duckdb.building"))) as con:
        con.execute("CREATE TABLE written_after_the_audit AS SELECT 1 AS x")
    with pytest.raises(AuditFailedError, match="not the file the audit passed"):
        publish_build(cfg)
    assert not cfg.warehouse.exists()
    audit_build(cfg)
    assert publish_build(cfg) == cfg.warehouse and cfg.warehouse.exists()


def test_a_quoted_newline_is_valid_csv_and_a_row_longer_than_its_header_is_not(cfg):
    folder = cfg.landing / BUSINESS_DATE / TOWNSHIP
    folder.mkdir(parents=True)
    (folder / "visits.csv").write_text(
        ",".join(VISIT_HEADER) + "\n" + ",".join(visit("q0")) + "\n"
        + '"q1\nsecond line",' + ",".join(visit("q1")[1:]) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    other = cfg.landing / BUSINESS_DATE / "H44162300001"
    write_csv(other / "visits.csv", VISIT_HEADER, [visit("l1", institution="H44162300001")])
    longer = (other / "visits.csv").read_text(encoding="utf-8").rstrip("\r\n") + ",extra\n"
    (other / "visits.csv").write_text(longer, encoding="utf-8")
    con = night(cfg)
    assert con.sql("SELECT visit_id FROM raw.visits ORDER BY 1").fetchall() == [
        ("q0",),
        ("q1\nsecond line",),
    ]
    status = {f[0]: f[2] for f in files(con)}
    assert status == {TOWNSHIP: "loaded", "H44162300001": "quarantined"}
    detail = con.sql("SELECT detail FROM raw.quarantine_rows").fetchall()[0][0]
    assert "data row 1 has 9 values, the header 8" in detail


def test_a_small_workbook_declaring_a_huge_sheet_is_read_by_its_rows(cfg):
    import time

    path = write_xlsx(
        cfg.landing / BUSINESS_DATE / TOWNSHIP / "visits.xlsx", VISIT_HEADER, [visit("h1")]
    )
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    parts[sheet] = re.sub(
        rb'<dimension ref="[^"]*" ?/>', b'<dimension ref="A1:XFD1048576"/>', parts[sheet]
    )
    assert b"XFD1048576" in parts[sheet]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    assert path.stat().st_size < 10_000
    start = time.monotonic()
    con = night(cfg)
    assert time.monotonic() - start < 120  # a bound on the hang, not a benchmark
    assert [f[2:] for f in files(con)] == [("loaded", 1, 1, 0)]


def test_a_workbook_beyond_the_bounds_is_unreadable_with_the_bound_named(cfg, monkeypatch):
    from ingest import reading

    monkeypatch.setattr(reading, "XLSX_MAX_UNPACKED_BYTES", 1000)
    write_xlsx(cfg.landing / BUSINESS_DATE / TOWNSHIP / "visits.xlsx", VISIT_HEADER, [visit("b1")])
    con = night(cfg)
    detail = con.sql("SELECT reason, detail FROM raw.quarantine_rows").fetchall()
    assert detail[0][0] == "unreadable_file" and "over the bound of 1,000" in detail[0][1]


def test_a_resident_id_in_free_text_or_a_shifted_row_is_masked_and_the_night_goes_on(cfg):
    from landing_kit import resident_id

    from warehouse.publish import find_clear_ids

    pid = resident_id(seq="007")
    typed = visit("t1")
    typed.insert(VISIT_HEADER.index("total_cost"), f"复诊 {pid}")  # a department column
    header = [*VISIT_HEADER[:-1], "department", VISIT_HEADER[-1]]
    shifted = visit("s1")[1:] + [""]  # first field lost: the ID lands in institution_code
    write_csv(cfg.landing / BUSINESS_DATE / TOWNSHIP / "visits.csv", header, [typed, shifted])
    con = night(cfg)  # audits the working file: no clear ID in any table
    assert find_clear_ids(con) == set()
    department = con.sql("SELECT department FROM raw.visits").fetchall()
    assert department == [("复诊 [身份证号已遮蔽 resident ID masked]",)]
    detail, record = con.sql("SELECT detail, record FROM raw.quarantine_rows").fetchall()[0]
    assert pid not in detail + record and resident_id() not in detail + record
    lake_bytes = b"".join(p.read_bytes() for p in cfg.lake_dir.rglob("*.parquet"))
    text = duckdb.sql(
        f"SELECT string_agg(to_json(t)::VARCHAR, '') FROM read_parquet("
        f"{[str(p) for p in cfg.lake_dir.rglob('*.parquet') if 'audit' not in p.parts]}, "
        "union_by_name=true) t"
    ).fetchall()[0][0]
    assert pid not in text and resident_id() not in text and pid.encode() not in lake_bytes
