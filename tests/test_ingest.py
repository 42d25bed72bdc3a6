"""Ingest of hand-made landing zones: every reason code, encodings, redelivery, corrections."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import duckdb
import pytest
from landing_kit import (
    BUSINESS_DATE,
    TEST_KEY,
    VISIT_HEADER,
    resident_id,
    visit,
    write_csv,
    write_manifest,
    write_reference,
    write_xlsx,
)

from ingest.pseudonym import PseudonymKey
from night.steps import NightConfig, ingest, land_reference
from warehouse.publish import audit, load_raw_schema, start_working_copy

KEY = PseudonymKey(TEST_KEY)
TOWNSHIP = "H44162300011"
BUREAU = "YB441623"
PID = resident_id()


@pytest.fixture
def zone(tmp_path: Path):
    landing = tmp_path / "landing"
    write_reference(landing)
    return NightConfig.build(landing, tmp_path / "kpi.duckdb")


def folder(cfg: NightConfig, source: str = TOWNSHIP, date: str = BUSINESS_DATE) -> Path:
    return cfg.landing / date / source


def night(
    cfg: NightConfig, kinds=("visits", "referrals", "claims", "public_health")
) -> duckdb.DuckDBPyConnection:
    """Ingest every kind, then load the lake's current state into a working DuckDB file."""
    codes = land_reference(cfg)
    for kind in kinds:
        ingest(cfg, kind, KEY, codes)
    work = start_working_copy(cfg.warehouse)
    con = duckdb.connect(str(work))
    load_raw_schema(con, cfg.lake)
    assert audit(con) == []
    return con


def reasons(con, kind: str) -> list[tuple[int, str]]:
    return con.sql(
        f"SELECT row_number, reason FROM raw.quarantine_rows WHERE kind = '{kind}' ORDER BY row_number"
    ).fetchall()


def files(con) -> list[tuple]:
    return con.sql(
        "SELECT kind, file_name, status, rows_read, rows_loaded, rows_quarantined FROM raw.ingest_files "
        "ORDER BY ingested_at"
    ).fetchall()


CLAIM_HEADER = [
    "claim_id",
    "record_type",
    "original_claim_id",
    "settlement_date",
    "institution_code",
    "patient_id",
    "insured_region_code",
    "insurance_scheme",
    "visit_type",
    "total_amount",
    "fund_paid",
    "personal_paid",
]


def claim(
    claim_id,
    rtype="settle",
    original="",
    inst="H44162300001",
    total="100.00",
    fund="60.00",
    personal="40.00",
    date=BUSINESS_DATE,
):
    return [
        claim_id,
        rtype,
        original,
        date,
        inst,
        PID,
        "441623",
        "resident",
        "inpatient",
        total,
        fund,
        personal,
    ]


PH_HEADER = [
    "service_id",
    "institution_code",
    "patient_id",
    "service_date",
    "service_item",
    "systolic_bp",
    "diastolic_bp",
    "fasting_glucose",
]

# One file per row-level reason: the second data row triggers exactly that reason.
ROW_CASES = {
    "wrong_source_folder": (
        "visits",
        VISIT_HEADER,
        [visit("v1"), visit("v2", institution="H44162300001")],
    ),
    "missing_required_value": ("visits", VISIT_HEADER, [visit("v1"), visit("v2", cost="")]),
    "invalid_patient_id": (
        "visits",
        VISIT_HEADER,
        [visit("v1"), visit("v2", pid=PID[:17] + ("0" if PID[17] != "0" else "1"))],
    ),
    "unknown_institution": (
        "referrals",
        [
            "referral_id",
            "from_institution_code",
            "to_institution_code",
            "patient_id",
            "referral_date",
            "status",
        ],
        [
            ["r1", TOWNSHIP, "H44162300001", PID, BUSINESS_DATE, "issued"],
            ["r2", TOWNSHIP, "H99999999999", PID, BUSINESS_DATE, "issued"],
        ],
    ),
    "invalid_enum": ("visits", VISIT_HEADER, [visit("v1"), visit("v2", vtype="walk-in")]),
    "invalid_date": ("visits", VISIT_HEADER, [visit("v1"), visit("v2", date="2026-03-11")]),
    "invalid_amount": ("visits", VISIT_HEADER, [visit("v1"), visit("v2", cost="-5.00")]),
    "out_of_range": (
        "public_health",
        PH_HEADER,
        [
            ["s1", TOWNSHIP, PID, BUSINESS_DATE, "hypertension_followup", "135", "85", ""],
            ["s2", TOWNSHIP, PID, BUSINESS_DATE, "diabetes_followup", "", "", "45.0"],
        ],
    ),
    "duplicate_key": ("visits", VISIT_HEADER, [visit("v1"), visit("v1")]),
    "orphan_reversal": (
        "claims",
        CLAIM_HEADER,
        [claim("c1"), claim("c2", "reverse", original="c-none")],
    ),
}


@pytest.mark.parametrize("reason", sorted(ROW_CASES))
def test_each_row_reason_code_alone(zone, reason):
    kind, header, rows = ROW_CASES[reason]
    source = BUREAU if kind == "claims" else TOWNSHIP
    write_csv(folder(zone, source) / f"{kind}.csv", header, rows)
    con = night(zone, kinds=(kind,))
    assert reasons(con, kind) == [(2, reason)]
    assert files(con) == [(kind, f"{kind}.csv", "loaded", 2, 1, 1)]
    assert con.sql(f"SELECT row_number FROM raw.{kind}").fetchall() == [(1,)]


def test_precedence_first_reason_in_the_table_wins(zone):
    # Wrong folder, empty cost and a bad ID at once: wrong_source_folder comes first.
    rows = [visit("v1", institution="H44162300001", cost="", pid="123")]
    # Empty cost and bad ID: missing_required_value. Bad ID and bad enum: invalid_patient_id.
    rows += [visit("v2", cost="", pid="123"), visit("v3", pid="123", vtype="x")]
    # Bad date and bad amount: invalid_date. A duplicate of a quarantined row is not a duplicate.
    rows += [visit("v4", date="bad", cost="x"), visit("v4")]
    write_csv(folder(zone) / "visits.csv", VISIT_HEADER, rows)
    con = night(zone, kinds=("visits",))
    assert reasons(con, "visits") == [
        (1, "wrong_source_folder"),
        (2, "missing_required_value"),
        (3, "invalid_patient_id"),
        (4, "invalid_date"),
    ]
    assert con.sql("SELECT visit_id FROM raw.visits").fetchall() == [("v4",)]


def test_unreadable_file_counts_nothing_and_has_one_entry(zone):
    path = folder(zone) / "visits.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\xff\xfe\x00\x81\x30\xff garbage \x80\x80\xff")
    con = night(zone, kinds=("visits",))
    assert files(con) == [("visits", "visits.csv", "quarantined", 0, 0, 0)]
    assert reasons(con, "visits") == [(0, "unreadable_file")]


def test_missing_required_column_quarantines_every_row(zone):
    header = [h for h in VISIT_HEADER if h != "total_cost"]
    write_csv(folder(zone) / "visits.csv", header, [visit("v1")[:-1], visit("v2")[:-1]])
    con = night(zone, kinds=("visits",))
    assert files(con) == [("visits", "visits.csv", "quarantined", 2, 0, 2)]
    assert reasons(con, "visits") == [
        (1, "missing_required_column"),
        (2, "missing_required_column"),
    ]
    detail = con.sql("SELECT detail FROM raw.quarantine_rows LIMIT 1").fetchall()[0][0]
    assert "total_cost" in detail and "总费用" in detail


@pytest.mark.parametrize("bad", ["rows", "sha256"])
def test_manifest_mismatch_quarantines_the_file(zone, bad):
    d = folder(zone)
    write_csv(d / "visits.csv", VISIT_HEADER, [visit("v1"), visit("v2")])
    write_csv(
        d / "public_health.csv",
        PH_HEADER,
        [["s1", TOWNSHIP, PID, BUSINESS_DATE, "health_record", "", "", ""]],
    )
    write_manifest(
        d,
        {"visits.csv": 3 if bad == "rows" else 2, "public_health.csv": 1},
        sha={"visits.csv": "0" * 64} if bad == "sha256" else None,
    )
    con = night(zone, kinds=("visits", "public_health"))
    assert reasons(con, "visits") == [(1, "manifest_mismatch"), (2, "manifest_mismatch")]
    assert reasons(con, "public_health") == []  # named in the manifest and matching


def test_conditional_columns_may_be_absent_when_no_row_needs_them(zone):
    header = [h for h in VISIT_HEADER if h != "discharge_date"]
    row = visit("v1")
    del row[VISIT_HEADER.index("discharge_date")]
    write_csv(folder(zone) / "visits.csv", header, [row])
    write_csv(
        folder(zone, BUREAU) / "claims.csv",
        [h for h in CLAIM_HEADER if h != "original_claim_id"],
        [claim("c1")[:2] + claim("c1")[3:]],
    )
    con = night(zone, kinds=("visits", "claims"))
    assert con.sql("SELECT count(*) FROM raw.visits").fetchall() == [(1,)]
    assert con.sql("SELECT count(*) FROM raw.claims").fetchall() == [(1,)]


def test_gb18030_chinese_headers_and_labels_crlf(zone):
    header = [
        "就诊流水号",
        "医疗机构编码",
        "身份证号",
        "现住址区划代码",
        "就诊类型",
        "就诊日期",
        "出院日期",
        "医疗总费用",
        "患者姓名",
        "备注",
    ]
    rows = [
        ["v1", TOWNSHIP, PID, "441623", "门诊", "2026/03/10", "", "30", "王小明", "x"],
        ["v2", TOWNSHIP, PID, "441623", "住院", "20260301", "20260310", "3000.5", "王小明", "y"],
    ]
    write_csv(folder(zone) / "visits.csv", header, rows, encoding="gb18030", newline="\r\n")
    con = night(zone, kinds=("visits",))
    assert con.sql(
        "SELECT visit_type, visit_date, discharge_date, total_cost::VARCHAR FROM raw.visits ORDER BY 1"
    ).fetchall() == [
        ("inpatient", dt.date(2026, 3, 1), dt.date(2026, 3, 10), "3000.50"),
        ("outpatient", dt.date(2026, 3, 10), None, "30.00"),
    ]
    assert con.sql("SELECT dropped_columns FROM raw.ingest_files").fetchall() == [
        ("患者姓名,备注",)
    ]
    assert_nowhere(zone, "王小明")


def test_utf8_bom_crlf_and_sex_birth_derived_from_id(zone):
    female = resident_id(birth="19750615", seq="002")  # 17th digit even: female
    write_csv(
        folder(zone) / "visits.csv",
        VISIT_HEADER,
        [visit("v1", pid=female)],
        bom=True,
        newline="\r\n",
    )
    con = night(zone, kinds=("visits",))
    assert con.sql("SELECT sex, birth_date FROM raw.visits").fetchall() == [
        ("2", dt.date(1975, 6, 15))
    ]


def test_xlsx_with_date_cells_and_numeric_cells(zone):
    header = [
        "服务记录号",
        "机构编码",
        "身份证号",
        "服务日期",
        "服务项目",
        "收缩压",
        "舒张压",
        "姓名",
    ]
    rows = [
        ["s1", TOWNSHIP, PID, dt.datetime(2026, 3, 10), "高血压患者健康管理", 128, 82, "赵六"],
        ["s2", TOWNSHIP, PID, "2026-03-09", "health_education", None, None, "赵六"],
    ]
    write_xlsx(folder(zone) / "public_health.xlsx", header, rows)
    con = night(zone, kinds=("public_health",))
    assert con.sql(
        "SELECT service_id, service_date, service_item, systolic_bp FROM raw.public_health ORDER BY 1"
    ).fetchall() == [
        ("s1", dt.date(2026, 3, 10), "hypertension_followup", 128),
        ("s2", dt.date(2026, 3, 9), "health_education", None),
    ]
    assert_nowhere(zone, "赵六")


def test_identical_redelivery_is_skipped_and_correction_replaces(zone):
    path = write_csv(
        folder(zone) / "visits.csv",
        VISIT_HEADER,
        [visit("v1"), visit("v2"), visit("v3", cost="bad")],
    )
    night(zone, kinds=("visits",)).close()
    # The same bytes delivered again (a new file on disk): a no-op with an audit row.
    data = path.read_bytes()
    path.unlink()
    path.write_bytes(data)
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    con = night(zone, kinds=("visits",))
    assert files(con) == [
        ("visits", "visits.csv", "loaded", 3, 2, 1),
        ("visits", "visits.csv", "skipped_duplicate", 0, 0, 0),
    ]
    con.close()
    # Nothing changed since: the next night sees nothing new.
    con = night(zone, kinds=("visits",))
    assert len(files(con)) == 2
    con.close()
    # A correction replaces what the first delivery contributed, its quarantine included.
    write_csv(path.parent / "visits.csv", VISIT_HEADER, [visit("v1", cost="99.00"), visit("v9")])
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 2 * 10**9))
    con = night(zone, kinds=("visits",))
    assert files(con) == [
        ("visits", "visits.csv", "replaced", 3, 2, 1),
        ("visits", "visits.csv", "skipped_duplicate", 0, 0, 0),
        ("visits", "visits.csv", "loaded", 2, 2, 0),
    ]
    assert con.sql(
        "SELECT visit_id, total_cost::VARCHAR FROM raw.visits ORDER BY 1"
    ).fetchall() == [("v1", "99.00"), ("v9", "12.50")]
    assert reasons(con, "visits") == []


def test_late_file_for_an_old_date_is_picked_up_next_night(zone):
    write_csv(folder(zone) / "visits.csv", VISIT_HEADER, [visit("v1")])
    night(zone, kinds=("visits",)).close()
    write_csv(
        folder(zone, date="2026-03-02") / "visits.csv",
        VISIT_HEADER,
        [visit("old", date="2026-03-02")],
    )
    con = night(zone, kinds=("visits",))
    assert con.sql("SELECT business_date, visit_id FROM raw.visits ORDER BY 1").fetchall() == [
        (dt.date(2026, 3, 2), "old"),
        (dt.date(2026, 3, 10), "v1"),
    ]


def test_reversal_of_a_settlement_from_an_earlier_night_is_not_an_orphan(zone):
    write_csv(
        folder(zone, BUREAU, "2026-03-09") / "claims.csv",
        CLAIM_HEADER,
        [claim("c1", date="2026-03-09")],
    )
    night(zone, kinds=("claims",)).close()
    write_csv(
        folder(zone, BUREAU) / "claims.csv",
        CLAIM_HEADER,
        [claim("c2", "reverse", original="c1"), claim("c3", "reverse", original="c4")],
    )
    # A settlement of a LATER business date does not make an earlier reversal valid.
    write_csv(
        folder(zone, BUREAU, "2026-03-11") / "claims.csv",
        CLAIM_HEADER,
        [claim("c4", date="2026-03-11")],
    )
    con = night(zone, kinds=("claims",))
    assert reasons(con, "claims") == [(2, "orphan_reversal")]
    assert con.sql("SELECT claim_id FROM raw.claims ORDER BY 1").fetchall() == [
        ("c1",),
        ("c2",),
        ("c4",),
    ]


def test_claims_amounts_must_add_up_and_unregistered_national_codes_are_known(zone):
    rows = [
        claim("c1", inst="P44162300077"),  # a pharmacy outside the registry, well formed
        claim("c2", fund="70.00"),  # 70 + 40 <> 100
        claim("c3", fund="120.00", personal="-20.00"),  # negative
        claim("c4", inst="X123"),
    ]
    write_csv(folder(zone, BUREAU) / "claims.csv", CLAIM_HEADER, rows)
    con = night(zone, kinds=("claims",))
    assert reasons(con, "claims") == [
        (2, "invalid_amount"),
        (3, "invalid_amount"),
        (4, "unknown_institution"),
    ]


def test_every_file_reconciles_and_no_clear_id_reaches_lake_or_warehouse(zone):
    write_csv(
        folder(zone) / "visits.csv", VISIT_HEADER, [visit("v1"), visit("v2", cost="x"), visit("v2")]
    )
    write_csv(
        folder(zone, BUREAU) / "claims.csv",
        CLAIM_HEADER,
        [claim("c1"), claim("c2", "reverse", "nope")],
    )
    write_csv(
        folder(zone) / "public_health.csv",
        PH_HEADER,
        [["s1", TOWNSHIP, PID, BUSINESS_DATE, "vaccination", "", "", ""]],
    )
    con = night(zone)
    assert con.sql(
        "SELECT count(*) FROM raw.ingest_files WHERE rows_read <> rows_loaded + rows_quarantined"
    ).fetchall() == [(0,)]
    assert con.sql(
        "SELECT sum(rows_read), sum(rows_loaded), sum(rows_quarantined) FROM raw.ingest_files"
    ).fetchall() == [(6, 4, 2)]
    assert_nowhere(zone, PID)
    assert KEY.python(PID) in con.sql("SELECT patient_key FROM raw.visits").fetchall()[0]


def test_no_key_no_run(monkeypatch):
    from ingest.pseudonym import MissingKeyError

    monkeypatch.delenv("KPI_PSEUDONYM_KEY", raising=False)
    with pytest.raises(MissingKeyError, match="KPI_PSEUDONYM_KEY"):
        PseudonymKey.from_env()
    assert PseudonymKey.from_env(allow_demo=True).demo


def assert_nowhere(cfg: NightConfig, text: str) -> None:
    """`text` appears in no lake file (Parquet, any compression decoded by DuckDB) nor log."""
    con = duckdb.connect()
    for path in cfg.lake_dir.rglob("*.parquet"):
        rows = con.sql(f"SELECT * FROM read_parquet('{path}')").fetchall()
        assert text not in json.dumps(rows, default=str, ensure_ascii=False), path
