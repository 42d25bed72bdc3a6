"""`dbt build` of the warehouse on the hand-made raw fixture, and the KPI values worked out by hand.

The fixture (make_raw_fixture.py) holds two consortia: LP01, a county community in Lianping
(441623), and CZ01, an urban alliance in Chuzhou city (341100, a city code: it matches 3411xx).
Records span December 2023 (one late visit) to February 2024, so the KPI grid is 2 consortia x 3
months x 18 KPIs. Every expected value below is worked out from the fixture rows in comments.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import make_raw_fixture
import pytest
from dbt.cli.main import dbtRunner

PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
DATABASE_NAME = "kpi.duckdb"


def release_duckdb() -> None:
    """dbt-duckdb keeps the database open in this process after an invocation (a class-level
    environment, closed only at exit): close it, so that the file can be read with another
    configuration, copied or rebuilt."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    environment = DuckDBConnectionManager._ENV
    if environment is not None:
        environment.close()
    DuckDBConnectionManager.close_all_connections()


def run_dbt(database: Path, work_dir: Path, *args: str) -> None:
    """Invoke dbt in-process on `database`; fail the test with dbt's own error when it fails."""
    previous = os.environ.get("KPI_DBT_DATABASE")
    os.environ["KPI_DBT_DATABASE"] = str(database)
    try:
        result = dbtRunner().invoke(
            [
                *args,
                "--project-dir",
                str(PROJECT_DIR),
                "--profiles-dir",
                str(PROJECT_DIR),
                "--target-path",
                str(work_dir / "target"),
                "--log-path",
                str(work_dir / "logs"),
            ]
        )
    finally:
        release_duckdb()
        if previous is None:
            os.environ.pop("KPI_DBT_DATABASE", None)
        else:
            os.environ["KPI_DBT_DATABASE"] = previous
    assert result.success, f"dbt {args[0]} failed: {result.exception or result.result}"


def kpi_cells(database: Path) -> dict[tuple[str, str, str], dict]:
    con = duckdb.connect(str(database), read_only=True)
    try:
        rows = con.execute(
            "select consortium_id, cast(month as varchar), kpi_id, numerator, denominator, value,"
            " target, better, meets_target, source_completeness from main.kpi_monthly"
        ).fetchall()
    finally:
        con.close()
    keys = (
        "numerator",
        "denominator",
        "value",
        "target",
        "better",
        "meets_target",
        "source_completeness",
    )
    return {(r[0], r[1], r[2]): dict(zip(keys, r[3:], strict=True)) for r in rows}


@pytest.fixture(scope="module")
def night_one(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    work = tmp_path_factory.mktemp("night_one")
    database = work / DATABASE_NAME
    make_raw_fixture.build_raw(database, night=1)
    run_dbt(database, work, "build")
    yield database


def test_fixture_columns_follow_the_ingest_contract() -> None:
    """The fixture's extract tables have the columns the ingest writes (ingest/contract.py)."""
    contract = pytest.importorskip("ingest.contract")
    for kind, columns in make_raw_fixture.EXTRACT_COLUMNS.items():
        expected = contract.lake_columns(contract.KINDS[kind])
        assert {**make_raw_fixture.DELIVERY_COLUMNS, **columns} == expected, kind


def test_grid_is_complete(night_one: Path) -> None:
    cells = kpi_cells(night_one)
    # 2 consortia x 3 months (2023-12 .. 2024-02: the late visit V001 of 30 December 2023 opens
    # the grid, the February records close it) x 18 KPIs of the registry
    assert len(cells) == 2 * 3 * 18
    assert {month for _, month, _ in cells} == {"2023-12-01", "2024-01-01", "2024-02-01"}


# (consortium, month, kpi) -> (numerator, denominator); value = numerator / denominator.
EXPECTED_NIGHT_ONE: dict[tuple[str, str, str], tuple[float, float]] = {
    # -- primary_care_visit_share: outpatient/emergency/home visits at members on the visit date.
    # LP01 Jan: LPH001 V101, V102, V103 (3, county hospital: not primary care); LPT001 V201-V204
    # (4); LPV001 V301, V302 (2); LPT002 joined 16 Jan: V402, V403 on 20 Jan count, V401 on 10 Jan
    # does not (2). V104 is an inpatient stay. 4 + 2 + 2 = 8 of 3 + 4 + 2 + 2 = 11.
    ("LP01", "2024-01-01", "primary_care_visit_share"): (8, 11),
    # LP01 Feb: V105 at LPH001, V205 at LPT001; V106 is an inpatient stay (discharged 2 Feb).
    ("LP01", "2024-02-01", "primary_care_visit_share"): (1, 2),
    # LP01 Dec 2023: the late visit V001 at LPT001 (delivered 2 January, dated 30 December).
    ("LP01", "2023-12-01", "primary_care_visit_share"): (1, 1),
    # CZ01 Jan: CZH001 4 (city hospital), CZC001 3 + CZS001 1 (primary care) -> 4 of 8.
    ("CZ01", "2024-01-01", "primary_care_visit_share"): (4, 8),
    # CZ01 Feb: no visits -> 0 / 0, value NULL.
    ("CZ01", "2024-02-01", "primary_care_visit_share"): (0, 0),
    # -- referrals (effective = latest status accepted/completed; sender a member that day).
    # LP01 Jan: upward R1 (LPT001 2 -> LPH001 3) and R3 (LPH001 3 -> HYH001 4, region 441602);
    # downward R2 (3 -> 2) and R7 (3 -> 1, issued then accepted). Not counted: R4 issued only,
    # R5 accepted then cancelled, R6 sent by LPT002 before it joined, R8 lateral (2 -> 2).
    ("LP01", "2024-01-01", "referral_down_up_ratio"): (2, 2),
    # upward leaving the county 441623: R3 only.
    ("LP01", "2024-01-01", "out_of_region_referral_share"): (1, 2),
    # LP01 Feb: R9 upward (LPV001 1 -> LPH001 3), inside the county.
    ("LP01", "2024-02-01", "referral_down_up_ratio"): (0, 1),
    ("LP01", "2024-02-01", "out_of_region_referral_share"): (0, 1),
    # CZ01 Jan: R14 downward (4 -> 2); upward R11 (to CZH001 in 341102: inside city 341100), R12
    # (to Nanjing 320106: outside), R13 (to CZK001 in 341122, a county of the city: inside).
    ("CZ01", "2024-01-01", "referral_down_up_ratio"): (1, 3),
    ("CZ01", "2024-01-01", "out_of_region_referral_share"): (1, 3),
    # -- claims (live settlements of people insured in the region; pharmacies excluded).
    # LP01 Jan, insured in 441623: C1 7000 (LPH001, inpatient), C2 150 (LPT001), C3 80 (LPV001),
    # C4 9000 (unregistered Guangzhou hospital H44010600001, region 440106: out, inpatient),
    # C6 2400 (LPT001, inpatient), C8 600 (HYH001 in 441602: out; delivered by two bureaus,
    # counted once), C9 300 (unregistered H44162300099 in 441623: in, not primary care).
    # Out: C5 pharmacy, C7 reversed by C7R, C10 insured in 441602.
    # in region: 7000 + 150 + 80 + 2400 + 300 = 9930 of 9930 + 9000 + 600 = 19530.
    ("LP01", "2024-01-01", "in_region_fund_share"): (9930, 19530),
    # primary care in region: 150 + 80 + 2400 = 2630 of 9930.
    ("LP01", "2024-01-01", "primary_care_fund_share"): (2630, 9930),
    # inpatient stays: C1, C4, C6; in region C1, C6.
    ("LP01", "2024-01-01", "in_region_inpatient_share"): (2, 3),
    # cost of C1 and C6: 10000 + 3000 over 2 stays.
    ("LP01", "2024-01-01", "in_region_inpatient_cost"): (13000, 2),
    # LP01 Feb: C11 400 at LPH001 (outpatient), no inpatient stay -> 0 / 0.
    ("LP01", "2024-02-01", "in_region_fund_share"): (400, 400),
    ("LP01", "2024-02-01", "primary_care_fund_share"): (0, 400),
    ("LP01", "2024-02-01", "in_region_inpatient_share"): (0, 0),
    ("LP01", "2024-02-01", "in_region_inpatient_cost"): (0, 0),
    # CZ01 Jan, insured in 3411xx: C20 14000 (insured 341102 at CZH001 341102, inpatient), C21
    # 1000 (insured 341103 at CZC001 in 341102: same city, primary care), C22 24000 (insured
    # 341122, inpatient at unregistered Nanjing H32010600001: out). Out: C23 pharmacy, C24
    # insured in Nanjing. 15000 / 39000; 1000 / 15000; 1 / 2; 20000 / 1.
    ("CZ01", "2024-01-01", "in_region_fund_share"): (15000, 39000),
    ("CZ01", "2024-01-01", "primary_care_fund_share"): (1000, 15000),
    ("CZ01", "2024-01-01", "in_region_inpatient_share"): (1, 2),
    ("CZ01", "2024-01-01", "in_region_inpatient_cost"): (20000, 1),
    # -- public health (year to date).
    # LP01 Jan task completion, 2024 targets of members on some day of the year:
    # LPT001 hypertension 3 (served P1, P2, P3, P4 = 4 -> 3), LPT001 health_record 2 (P1, P2, P5
    # = 3 -> 2), LPV001 hypertension 2 (P6 -> 1), LPT002 vaccination 1 (P8; P7 was served before
    # LPT002 joined -> 1), LPV002 health_record 2 (P9 -> 1). 3 + 2 + 1 + 1 + 1 = 8 of 10.
    ("LP01", "2024-01-01", "public_health_task_completion"): (8, 10),
    # Feb: LPV001 adds P12 (2 -> 2); LPV002 left on 31 Jan: its target still counts, P13 served
    # on 5 Feb does not. 3 + 2 + 2 + 1 + 1 = 9 of 10.
    ("LP01", "2024-02-01", "public_health_task_completion"): (9, 10),
    # Dec 2023: LPT001's 2023 health_record target 5, nobody served in 2023 -> 0 / 5.
    ("LP01", "2023-12-01", "public_health_task_completion"): (0, 5),
    # Hypertension, Jan: P1 latest 130/85 (controlled), P2 135/85 (controlled), P3 two
    # follow-ups on 28 Jan - S006 150/95 is the latest (greater service_id) -> not controlled,
    # P6 139/89 (controlled); P4 has no diastolic value. 3 of 4.
    ("LP01", "2024-01-01", "hypertension_control_rate"): (3, 4),
    # Feb: + P12 at 140/85 (SBP not < 140) -> 3 of 5.
    ("LP01", "2024-02-01", "hypertension_control_rate"): (3, 5),
    # Diabetes, Jan: P1 8.2 (no), P10 6.5 (yes), P11 no glucose -> 1 of 2; Feb: P10's latest is
    # 7.0 (not < 7.0) -> 0 of 2.
    ("LP01", "2024-01-01", "diabetes_control_rate"): (1, 2),
    ("LP01", "2024-02-01", "diabetes_control_rate"): (0, 2),
    # CZ01: CZC001 health_record 4 (Q5, Q6 -> 2) and hypertension 2 (Q7 -> 1) -> 3 of 6, also in
    # February (year to date); Q7 128/78 controlled; no diabetes follow-up -> 0 / 0.
    ("CZ01", "2024-01-01", "public_health_task_completion"): (3, 6),
    ("CZ01", "2024-02-01", "public_health_task_completion"): (3, 6),
    ("CZ01", "2024-02-01", "hypertension_control_rate"): (1, 1),
    ("CZ01", "2024-01-01", "diabetes_control_rate"): (0, 0),
}


@pytest.mark.parametrize("cell", sorted(EXPECTED_NIGHT_ONE), ids=lambda c: "/".join(c))
def test_kpi_values_worked_by_hand(night_one: Path, cell: tuple[str, str, str]) -> None:
    numerator, denominator = EXPECTED_NIGHT_ONE[cell]
    got = kpi_cells(night_one)[cell]
    assert (got["numerator"], got["denominator"]) == (numerator, denominator)
    if denominator == 0:
        assert got["value"] is None
    else:
        assert got["value"] == pytest.approx(numerator / denominator, rel=1e-12)


def test_targets_and_completeness(night_one: Path) -> None:
    cells = kpi_cells(night_one)
    # LP01's own 2024 target 0.70 replaces the default 0.65; 8/11 = 0.727 meets it.
    cell = cells["LP01", "2024-01-01", "primary_care_visit_share"]
    assert (cell["target"], cell["better"], cell["meets_target"]) == (0.70, "higher", True)
    # CZ01 has no target of its own: the default 0.65; 0.5 misses it.
    assert cells["CZ01", "2024-01-01", "primary_care_visit_share"]["target"] == 0.65
    assert cells["CZ01", "2024-01-01", "primary_care_visit_share"]["meets_target"] is False
    # Lower is better: out-of-region 0.5 against LP01's 0.10 misses, 0.0 in February meets.
    assert cells["LP01", "2024-01-01", "out_of_region_referral_share"]["meets_target"] is False
    assert cells["LP01", "2024-02-01", "out_of_region_referral_share"]["meets_target"] is True
    # CZ01's cost target 15000: 20000 misses (lower is better).
    assert cells["CZ01", "2024-01-01", "in_region_inpatient_cost"]["meets_target"] is False
    # No target anywhere: NULL; a NULL value never meets or misses.
    assert cells["LP01", "2024-01-01", "referral_down_up_ratio"]["target"] is None
    assert cells["LP01", "2024-01-01", "referral_down_up_ratio"]["meets_target"] is None
    assert cells["CZ01", "2024-02-01", "primary_care_visit_share"]["meets_target"] is None
    # Source completeness. Business dates run 2 Jan .. 10 Feb 2024 (ingest audit).
    # CZ01 Jan, visits of its 3 institutions on 30 business dates = 90 expected; loaded: the
    # three files of 15 Jan (CZC001's was corrected once: still one slot) -> 3 / 90.
    completeness = cells["CZ01", "2024-01-01", "primary_care_visit_share"]["source_completeness"]
    assert completeness == pytest.approx(3 / 90)
    # LP01 Jan: LPH001, LPT001, LPV001, LPV002 on 30 days + LPT002 from 16 Jan (16 days) = 136
    # expected; loaded: LPT001 2, 5, 20 Jan; LPH001 5, 8, 10 Jan; LPV001 8 Jan; LPT002 20 Jan
    # (its 10 January file came before it joined: not expected) -> 8 / 136.
    completeness = cells["LP01", "2024-01-01", "hypertension_control_rate"]["source_completeness"]
    assert completeness == pytest.approx(8 / 136)
    # Claims KPIs: 3 bureaus (YB441623, YB441602, YB341100) x 30 days = 90; loaded claims files
    # in January: YB441623 on 5, 8, 12, 15, 20, 25 Jan, YB441602 on 15 Jan, YB341100 on 15, 16
    # Jan -> 9 / 90 for every consortium.
    for consortium in ("LP01", "CZ01"):
        cell = cells[consortium, "2024-01-01", "in_region_fund_share"]
        assert cell["source_completeness"] == pytest.approx(9 / 90)
    # December 2023 lies before the first business date: nothing expected -> NULL.
    assert cells["LP01", "2023-12-01", "primary_care_visit_share"]["source_completeness"] is None


def test_published_audit_and_star_schema(night_one: Path) -> None:
    con = duckdb.connect(str(night_one), read_only=True)
    try:
        tables = {
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'main'"
            ).fetchall()
        }
        assert {
            "kpi_monthly",
            "kpi_definitions",
            "ingest_files",
            "quarantine_rows",
            "delivery_status",
            "dim_institution",
            "dim_consortium",
            "dim_region",
            "dim_date",
            "dim_patient",
            "dim_service_item",
            "fct_visits",
            "fct_referrals",
            "fct_claims",
            "fct_public_health_services",
        } <= tables
        columns = [
            r[0]
            for r in con.execute(
                "select column_name from information_schema.columns where table_schema = 'main'"
                " and table_name = 'ingest_files' order by ordinal_position"
            ).fetchall()
        ]
        assert columns == [
            "business_date",
            "source_code",
            "kind",
            "file_name",
            "sha256",
            "rows_read",
            "rows_loaded",
            "rows_quarantined",
            "dropped_columns",
            "status",
            "ingested_at",
        ]
        # live settlements only: C7 (reversed) and reversal C7R are absent, C8 appears once
        claims = {r[0] for r in con.execute("select claim_id from main.fct_claims").fetchall()}
        assert "C7" not in claims and "C7R" not in claims and "C8" in claims
        # unregistered institutions seen in claims are typed from their code
        typed = dict(
            con.execute(
                "select institution_code, code_scheme from main.dim_institution"
                " where not is_registered"
            ).fetchall()
        )
        assert typed == {
            "H44010600001": "national_medical",
            "H44162300099": "national_medical",
            "H32010600001": "national_medical",
            "P44162300001": "national_pharmacy",
            "P34110200001": "national_pharmacy",
        }
        # the missing delivery is visible: CZ01's institutions delivered nothing in February
        missing = con.execute(
            "select count(*) from main.delivery_status where is_expected and not is_delivered"
            " and source_code like 'CZ%' and business_date >= date '2024-02-01'"
        ).fetchall()[0][0]
        assert missing == 3 * 10
    finally:
        con.close()


@pytest.mark.slow
def test_second_night_changes_exactly_the_affected_cells(tmp_path: Path) -> None:
    """Night 2: a reversal of January's C1 arrives on 12 Feb, R1 (accepted in January) is
    cancelled, LPT001's visits file of 20 Jan is corrected without V204. The incremental facts
    follow, and exactly the affected January cells of LP01 change."""
    database = tmp_path / DATABASE_NAME
    make_raw_fixture.build_raw(database, night=1)
    run_dbt(database, tmp_path, "build")
    before = kpi_cells(database)

    make_raw_fixture.build_raw(database, night=2)
    run_dbt(database, tmp_path, "build")  # incremental: the facts exist
    after = kpi_cells(database)

    def figures(cell: dict) -> tuple:
        return cell["numerator"], cell["denominator"], cell["value"]

    changed = {key for key in before if figures(before[key]) != figures(after[key])}
    jan = ("LP01", "2024-01-01")
    expected = {
        # V204 (a home visit at LPT001) gone: 7 of 10
        (*jan, "primary_care_visit_share"): (7, 10),
        # R1 cancelled: upward R3 only; downward R2, R7
        (*jan, "referral_down_up_ratio"): (2, 1),
        (*jan, "out_of_region_referral_share"): (1, 1),
        # C1 (7000, inpatient at LPH001) reversed: 2930 / 12530, 2630 / 2930, stays C4 and C6
        # with C6 in region, whose cost is 3000
        (*jan, "in_region_fund_share"): (2930, 12530),
        (*jan, "primary_care_fund_share"): (2630, 2930),
        (*jan, "in_region_inpatient_share"): (1, 2),
        (*jan, "in_region_inpatient_cost"): (3000, 1),
        # V204 gone from the visit count too (no TCM visits in the fixture)
        (*jan, "tcm_visit_share"): (0, 10),
        # C1 reversed: 4 of the 6 live settlements of LP01's insured stay in the county
        (*jan, "in_region_visit_share"): (4, 6),
    }
    assert changed == set(expected)
    for key, (numerator, denominator) in expected.items():
        assert figures(after[key]) == (numerator, denominator, numerator / denominator)

    # The incremental facts equal a full rebuild (the in_sync_with tests of the build check the
    # same every night): rebuild them from scratch in a copy and compare.
    facts = ("fct_visits", "fct_claims", "fct_public_health_services")
    rebuilt_dir = tmp_path / "rebuilt"
    rebuilt_dir.mkdir()
    rebuilt = rebuilt_dir / DATABASE_NAME
    shutil.copyfile(database, rebuilt)
    run_dbt(rebuilt, rebuilt_dir, "run", "--full-refresh", "--select", *facts)
    con = duckdb.connect(str(database), read_only=True)
    try:
        con.execute(f"attach '{rebuilt}' as rebuilt (read_only)")
        for fact in facts:
            difference = con.execute(
                f"select count(*) from ((select * from main.{fact} except select * from"
                f" rebuilt.main.{fact}) union all (select * from rebuilt.main.{fact} except"
                f" select * from main.{fact}))"
            ).fetchall()[0][0]
            assert difference == 0, fact
        gone = "select count(*) from main.{} where {} = '{}'"
        assert con.execute(gone.format("fct_visits", "visit_id", "V204")).fetchall() == [(0,)]
        assert con.execute(gone.format("fct_claims", "claim_id", "C1")).fetchall() == [(0,)]
    finally:
        con.close()
