"""A small hand-made `raw` schema for building and testing the dbt project without the ingest.

It holds what the Python ingest leaves in the warehouse file before `dbt build`: the four extract
tables (current deliveries only, with their delivery columns), the four reference tables and the
ingest audit (`ingest_files`, `quarantine_rows`). Two consortia:

- ``LP01``: a county medical community (县域医共体) in Lianping county, region ``441623``;
- ``CZ01``: an urban alliance (城市医联体) in Chuzhou city, region ``341100`` (a city code: it
  matches every ``3411xx`` code).

Night 1 holds records of December 2023 (one late visit), January and February 2024. Night 2 is
the next night's rebuild of ``raw``: a reversal of a January inpatient claim, the cancellation of a
January referral and a corrected January visits file that drops one visit. The expected KPI values
are worked out by hand in ``test_dbt_build.py``.

Usage: ``python tests/dbt/make_raw_fixture.py /tmp/dbtwork/kpi.duckdb [--night 2]``
"""

from __future__ import annotations

import argparse
import hashlib
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb

from ingest.contract import DELIVERY_COLUMNS as LAKE_DELIVERY_COLUMNS
from ingest.contract import KINDS, lake_columns
from warehouse.publish import row_keys, write_changed_keys

DELIVERY_COLUMNS = {
    "business_date": "DATE",
    "source_code": "VARCHAR",
    "file_sha256": "VARCHAR",
    "file_name": "VARCHAR",
    "row_number": "INTEGER",
    "_loaded_at": "TIMESTAMP",
}

EXTRACT_COLUMNS: dict[str, dict[str, str]] = {
    "visits": {
        "visit_id": "VARCHAR",
        "institution_code": "VARCHAR",
        "patient_key": "VARCHAR",
        "sex": "VARCHAR",
        "birth_date": "DATE",
        "residence_region_code": "VARCHAR",
        "visit_type": "VARCHAR",
        "visit_date": "DATE",
        "discharge_date": "DATE",
        "department": "VARCHAR",
        "diagnosis_code": "VARCHAR",
        "total_cost": "DECIMAL(18,2)",
    },
    "referrals": {
        "referral_id": "VARCHAR",
        "from_institution_code": "VARCHAR",
        "to_institution_code": "VARCHAR",
        "patient_key": "VARCHAR",
        "sex": "VARCHAR",
        "birth_date": "DATE",
        "referral_date": "DATE",
        "status": "VARCHAR",
        "diagnosis_code": "VARCHAR",
    },
    "claims": {
        "claim_id": "VARCHAR",
        "record_type": "VARCHAR",
        "original_claim_id": "VARCHAR",
        "settlement_date": "DATE",
        "institution_code": "VARCHAR",
        "visit_id": "VARCHAR",
        "patient_key": "VARCHAR",
        "sex": "VARCHAR",
        "birth_date": "DATE",
        "insured_region_code": "VARCHAR",
        "insurance_scheme": "VARCHAR",
        "visit_type": "VARCHAR",
        "total_amount": "DECIMAL(18,2)",
        "fund_paid": "DECIMAL(18,2)",
        "personal_paid": "DECIMAL(18,2)",
    },
    "public_health": {
        "service_id": "VARCHAR",
        "institution_code": "VARCHAR",
        "patient_key": "VARCHAR",
        "sex": "VARCHAR",
        "birth_date": "DATE",
        "service_date": "DATE",
        "service_item": "VARCHAR",
        "systolic_bp": "INTEGER",
        "diastolic_bp": "INTEGER",
        "fasting_glucose": "DOUBLE",
    },
}

# no contracts in this fixture: an empty table of the lake's shape
EXTRACT_COLUMNS["contracts"] = {
    c: t for c, t in lake_columns(KINDS["contracts"]).items() if c not in LAKE_DELIVERY_COLUMNS
}

REFERENCE_COLUMNS: dict[str, dict[str, str]] = {
    "institutions": {
        "institution_code": "VARCHAR",
        "name": "VARCHAR",
        "tier": "VARCHAR",
        "region_code": "VARCHAR",
        "consortium_id": "VARCHAR",
        "role": "VARCHAR",
        "valid_from": "DATE",
        "valid_to": "DATE",
        "tcm": "BOOLEAN",
    },
    "consortia": {
        "consortium_id": "VARCHAR",
        "name": "VARCHAR",
        "kind": "VARCHAR",
        "region_code": "VARCHAR",
        "lead_institution_code": "VARCHAR",
    },
    "public_health_targets": {
        "year": "INTEGER",
        "institution_code": "VARCHAR",
        "service_item": "VARCHAR",
        "target_count": "INTEGER",
    },
    "kpi_targets": {
        "kpi_id": "VARCHAR",
        "consortium_id": "VARCHAR",
        "year": "INTEGER",
        "target": "DOUBLE",
    },
    # optional files, not delivered in this fixture (empty tables, as the ingest lands them)
    "service_population": {
        "year": "INTEGER",
        "institution_code": "VARCHAR",
        "population_group": "VARCHAR",
        "population": "BIGINT",
    },
    "work_point_weights": {"service_item": "VARCHAR", "points": "DOUBLE"},
}

AUDIT_COLUMNS: dict[str, dict[str, str]] = {
    "ingest_files": {
        "business_date": "DATE",
        "source_code": "VARCHAR",
        "kind": "VARCHAR",
        "file_name": "VARCHAR",
        "sha256": "VARCHAR",
        "rows_read": "BIGINT",
        "rows_loaded": "BIGINT",
        "rows_quarantined": "BIGINT",
        "dropped_columns": "VARCHAR",
        "status": "VARCHAR",
        "ingested_at": "TIMESTAMP",
    },
    "quarantine_rows": {
        "business_date": "DATE",
        "source_code": "VARCHAR",
        "kind": "VARCHAR",
        "file_name": "VARCHAR",
        "row_number": "INTEGER",
        "reason": "VARCHAR",
        "detail": "VARCHAR",
        "sha256": "VARCHAR",
        "record": "VARCHAR",
    },
}


def d(text: str) -> date:
    return date.fromisoformat(text)


def patient(label: str) -> str:
    """A 64-hex pseudonym standing in for the ingest's HMAC of a resident ID."""
    return hashlib.sha256(f"fixture-patient-{label}".encode()).hexdigest()


# Sex and birth date per patient label (derived from the resident ID by the ingest).
def demographics(label: str) -> tuple[str, date]:
    n = int(label[1:])
    return ("1" if n % 2 else "2", date(1950 + n, 1 + n % 12, 1 + n % 28))


# --- reference ----------------------------------------------------------------------------

INSTITUTIONS = [
    # code, name, tier, region, consortium, role, valid_from, valid_to
    ("LPH001", "连平县人民医院", "county_hospital", "441623", "LP01", "lead", "2023-01-01", None),
    ("LPT001", "上坪镇卫生院", "township_center", "441623", "LP01", "member", "2023-01-01", None),
    ("LPV001", "中村卫生室", "village_clinic", "441623", "LP01", "member", "2023-01-01", None),
    # joins mid-month: its visits, referrals and services before 16 January count nowhere
    ("LPT002", "忠信镇卫生院", "township_center", "441623", "LP01", "member", "2024-01-16", None),
    # leaves at the end of January: its targets still count in February (year to date)
    (
        "LPV002",
        "上村卫生室",
        "village_clinic",
        "441623",
        "LP01",
        "member",
        "2023-01-01",
        "2024-01-31",
    ),
    ("HYH001", "河源市人民医院", "city_hospital", "441602", None, "external", "2020-01-01", None),
    ("GDH001", "省人民医院", "provincial_hospital", "440104", None, "external", "2020-01-01", None),
    ("CZH001", "滁州市第一人民医院", "city_hospital", "341102", "CZ01", "lead", "2023-01-01", None),
    ("CZC001", "琅琊中心", "community_center", "341102", "CZ01", "member", "2023-01-01", None),
    ("CZS001", "乌衣站", "community_station", "341103", "CZ01", "member", "2023-01-01", None),
    ("CZK001", "来安县人民医院", "county_hospital", "341122", None, "external", "2020-01-01", None),
    ("NJH001", "鼓楼医院", "provincial_hospital", "320106", None, "external", "2020-01-01", None),
]

CONSORTIA = [
    ("LP01", "连平县医共体", "county_community", "441623", "LPH001"),
    ("CZ01", "滁州市城市医联体", "urban_alliance", "341100", "CZH001"),
]

PUBLIC_HEALTH_TARGETS = [
    (2023, "LPT001", "health_record", 5),
    (2024, "LPT001", "hypertension_followup", 3),
    (2024, "LPT001", "health_record", 2),
    (2024, "LPV001", "hypertension_followup", 2),
    (2024, "LPT002", "vaccination", 1),
    (2024, "LPV002", "health_record", 2),
    (2024, "CZC001", "health_record", 4),
    (2024, "CZC001", "hypertension_followup", 2),
]

KPI_TARGETS = [
    ("primary_care_visit_share", "LP01", 2024, 0.70),
    ("referral_down_up_ratio", "CZ01", 2024, 0.5),
    ("out_of_region_referral_share", "LP01", 2024, 0.10),
    ("in_region_inpatient_cost", "CZ01", 2024, 15000.0),
]

# --- extracts (night 1) -------------------------------------------------------------------
# Visits, referrals and public-health records are delivered by their institution (the folder's
# source_code); claims by an insurance bureau.

LP = "441623"
OUT, EMG, INP, HOME = "outpatient", "emergency", "inpatient", "home"

VISITS = [
    # business_date, visit_id, institution, patient, type, visit_date, discharge, residence, cost
    ("2024-01-02", "V001", "LPT001", "P20", OUT, "2023-12-30", None, LP, "35.00"),
    ("2024-01-05", "V101", "LPH001", "P21", OUT, "2024-01-05", None, LP, "120.00"),
    ("2024-01-05", "V102", "LPH001", "P22", OUT, "2024-01-05", None, LP, "80.50"),
    ("2024-01-10", "V103", "LPH001", "P23", EMG, "2024-01-10", None, LP, "460.00"),
    ("2024-01-08", "V104", "LPH001", "P24", INP, "2024-01-03", "2024-01-08", LP, "10000.00"),
    ("2024-01-05", "V201", "LPT001", "P1", OUT, "2024-01-05", None, LP, "45.00"),
    ("2024-01-05", "V202", "LPT001", "P2", OUT, "2024-01-05", None, LP, "30.00"),
    ("2024-01-20", "V203", "LPT001", "P3", OUT, "2024-01-20", None, LP, "52.00"),
    ("2024-01-20", "V204", "LPT001", "P4", HOME, "2024-01-20", None, LP, "60.00"),
    ("2024-01-08", "V301", "LPV001", "P6", OUT, "2024-01-08", None, LP, "15.00"),
    ("2024-01-08", "V302", "LPV001", "P12", OUT, "2024-01-08", None, LP, "12.00"),
    ("2024-01-10", "V401", "LPT002", "P7", OUT, "2024-01-10", None, LP, "40.00"),
    ("2024-01-20", "V402", "LPT002", "P8", OUT, "2024-01-20", None, LP, "38.00"),
    ("2024-01-20", "V403", "LPT002", "P9", OUT, "2024-01-20", None, LP, "41.00"),
    ("2024-02-05", "V105", "LPH001", "P21", OUT, "2024-02-05", None, LP, "150.00"),
    ("2024-02-02", "V106", "LPH001", "P25", INP, "2024-01-28", "2024-02-02", LP, "8600.00"),
    ("2024-02-05", "V205", "LPT001", "P1", OUT, "2024-02-05", None, LP, "45.00"),
    ("2024-01-15", "V501", "CZH001", "Q1", OUT, "2024-01-15", None, "341102", "210.00"),
    ("2024-01-15", "V502", "CZH001", "Q2", OUT, "2024-01-15", None, "341102", "180.00"),
    ("2024-01-15", "V503", "CZH001", "Q3", OUT, "2024-01-15", None, "341103", "95.00"),
    ("2024-01-15", "V504", "CZH001", "Q4", OUT, "2024-01-15", None, "341122", "130.00"),
    ("2024-01-15", "V601", "CZC001", "Q5", OUT, "2024-01-15", None, "341103", "60.00"),
    ("2024-01-15", "V602", "CZC001", "Q6", OUT, "2024-01-15", None, "341102", "55.00"),
    ("2024-01-15", "V603", "CZC001", "Q7", OUT, "2024-01-15", None, "341102", "70.00"),
    ("2024-01-15", "V701", "CZS001", "Q8", OUT, "2024-01-15", None, "341103", "25.00"),
]

REFERRALS = [
    # business_date, referral_id, from, to, patient, referral_date, status
    ("2024-01-06", "R1", "LPT001", "LPH001", "P1", "2024-01-06", "accepted"),
    ("2024-01-12", "R2", "LPH001", "LPT001", "P2", "2024-01-12", "completed"),
    ("2024-01-15", "R3", "LPH001", "HYH001", "P23", "2024-01-15", "accepted"),
    ("2024-01-18", "R4", "LPV001", "LPT001", "P6", "2024-01-18", "issued"),
    ("2024-01-20", "R5", "LPH001", "GDH001", "P24", "2024-01-20", "accepted"),
    ("2024-01-22", "R5", "LPH001", "GDH001", "P24", "2024-01-20", "cancelled"),
    ("2024-01-10", "R6", "LPT002", "LPH001", "P7", "2024-01-10", "accepted"),
    ("2024-01-25", "R7", "LPH001", "LPV001", "P22", "2024-01-25", "issued"),
    ("2024-01-26", "R7", "LPH001", "LPV001", "P22", "2024-01-25", "accepted"),
    ("2024-01-25", "R8", "LPT001", "LPT002", "P3", "2024-01-25", "accepted"),
    ("2024-02-05", "R9", "LPV001", "LPH001", "P12", "2024-02-05", "completed"),
    ("2024-01-16", "R11", "CZS001", "CZH001", "Q8", "2024-01-16", "completed"),
    ("2024-01-16", "R12", "CZC001", "NJH001", "Q5", "2024-01-16", "accepted"),
    ("2024-01-17", "R13", "CZC001", "CZK001", "Q6", "2024-01-17", "accepted"),
    ("2024-01-17", "R14", "CZH001", "CZC001", "Q1", "2024-01-17", "accepted"),
]

RES, EMP = "resident", "employee"

CLAIMS = [
    # business_date (= settlement date), bureau, claim_id, original_claim_id (set for a
    # reversal), institution, patient, insured region, scheme, visit type, total, fund paid;
    # personal paid = total - fund
    ("2024-01-08", "YB441623", "C1", None, "LPH001", "P24", LP, RES, INP, 10000, 7000),
    ("2024-01-05", "YB441623", "C2", None, "LPT001", "P1", LP, RES, OUT, 200, 150),
    ("2024-01-08", "YB441623", "C3", None, "LPV001", "P6", LP, RES, OUT, 100, 80),
    # unregistered out-of-region hospital (Guangzhou, 440106)
    ("2024-01-12", "YB441623", "C4", None, "H44010600001", "P26", LP, EMP, INP, 15000, 9000),
    # unregistered pharmacy in the county: excluded from every claims KPI
    ("2024-01-12", "YB441623", "C5", None, "P44162300001", "P1", LP, RES, OUT, 300, 200),
    ("2024-01-20", "YB441623", "C6", None, "LPT001", "P3", LP, RES, INP, 3000, 2400),
    ("2024-01-20", "YB441623", "C7", None, "LPH001", "P21", LP, RES, INP, 8000, 5600),
    ("2024-01-25", "YB441623", "C7R", "C7", "LPH001", "P21", LP, RES, INP, 8000, 5600),
    # registered external hospital outside the county (441602) ...
    ("2024-01-15", "YB441623", "C8", None, "HYH001", "P23", LP, RES, OUT, 1000, 600),
    # ... the same settlement, delivered again by the bureau where it was treated
    ("2024-01-15", "YB441602", "C8", None, "HYH001", "P23", LP, RES, OUT, 1000, 600),
    # unregistered hospital inside the county (441623): in the region, not primary care
    ("2024-01-15", "YB441623", "C9", None, "H44162300099", "P22", LP, RES, OUT, 500, 300),
    # insured elsewhere (441602): no consortium's claims KPI
    ("2024-01-15", "YB441602", "C10", None, "LPH001", "P27", "441602", RES, OUT, 400, 300),
    ("2024-02-05", "YB441623", "C11", None, "LPH001", "P21", LP, RES, OUT, 600, 400),
    ("2024-01-15", "YB341100", "C20", None, "CZH001", "Q1", "341102", EMP, INP, 20000, 14000),
    # insured in 341103, treated in 341102: inside the city region
    ("2024-01-15", "YB341100", "C21", None, "CZC001", "Q5", "341103", RES, OUT, 1200, 1000),
    # insured in a county of the city (341122), treated in Nanjing (unregistered)
    ("2024-01-16", "YB341100", "C22", None, "H32010600001", "Q2", "341122", EMP, INP, 40000, 24000),
    ("2024-01-16", "YB341100", "C23", None, "P34110200001", "Q3", "341102", EMP, OUT, 300, 250),
    ("2024-01-16", "YB341100", "C24", None, "CZH001", "Q9", "320106", EMP, OUT, 500, 300),
]

HT, DM, HR = "hypertension_followup", "diabetes_followup", "health_record"

PUBLIC_HEALTH = [
    # service_id, institution, patient, service_date (= business date), item, sbp, dbp, glucose
    ("S001", "LPT001", "P1", "2024-01-05", HT, 150, 95, None),
    ("S002", "LPT001", "P1", "2024-01-25", HT, 130, 85, None),
    ("S003", "LPT001", "P2", "2024-01-10", HT, 135, 85, None),
    ("S004", "LPT001", "P3", "2024-01-12", HT, 145, 80, None),
    ("S005", "LPT001", "P3", "2024-01-28", HT, 130, 80, None),
    ("S006", "LPT001", "P3", "2024-01-28", HT, 150, 95, None),
    ("S007", "LPT001", "P4", "2024-01-15", HT, 138, None, None),
    ("S008", "LPT001", "P1", "2024-01-05", HR, None, None, None),
    ("S009", "LPT001", "P2", "2024-01-10", HR, None, None, None),
    ("S010", "LPT001", "P5", "2024-01-12", HR, None, None, None),
    ("S011", "LPT001", "P1", "2024-01-05", DM, None, None, 8.2),
    ("S012", "LPT001", "P10", "2024-01-06", DM, None, None, 6.5),
    ("S013", "LPT001", "P11", "2024-01-07", DM, None, None, None),
    ("S014", "LPT001", "P10", "2024-02-10", DM, None, None, 7.0),
    ("S101", "LPV001", "P6", "2024-01-08", HT, 139, 89, None),
    ("S102", "LPV001", "P12", "2024-02-03", HT, 140, 85, None),
    ("S201", "LPT002", "P7", "2024-01-10", "vaccination", None, None, None),
    ("S202", "LPT002", "P8", "2024-01-20", "vaccination", None, None, None),
    ("S301", "LPV002", "P9", "2024-01-09", HR, None, None, None),
    ("S302", "LPV002", "P13", "2024-02-05", HR, None, None, None),
    ("T001", "CZC001", "Q5", "2024-01-15", HR, None, None, None),
    ("T002", "CZC001", "Q6", "2024-01-15", HR, None, None, None),
    ("T003", "CZC001", "Q7", "2024-01-15", HT, 128, 78, None),
]

# --- night 2: what the ingest adds or corrects on the next night ---------------------------

NIGHT_TWO_CLAIMS = [
    # a reversal of January's inpatient settlement C1, arriving on a February business date
    ("2024-02-12", "YB441623", "C1R", "C1", "LPH001", "P24", LP, RES, INP, 10000, 7000),
]
NIGHT_TWO_REFERRALS = [
    # R1 (accepted in January) is cancelled
    ("2024-02-12", "R1", "LPT001", "LPH001", "P1", "2024-01-06", "cancelled"),
]
# LPT001's visits file of 2024-01-20 is corrected: the new file no longer holds visit V204
NIGHT_TWO_CORRECTED_SLOT = ("2024-01-20", "LPT001", "visits")
NIGHT_TWO_DROPPED_VISIT = "V204"

# The rest of the audit: a row quarantined from a loaded file, a file that could not be read, a
# slot whose first delivery was replaced before night 1 (4 rows, then 3) and an identical
# redelivery.
QUARANTINED_ROWS = [
    # business_date, source, kind, row_number, reason, detail
    ("2024-01-05", "LPT001", "visits", 3, "invalid_patient_id", "check digit does not match"),
]
UNREADABLE_FILES = [("2024-01-15", "CZS001", "public_health")]
REPLACED_BEFORE_NIGHT_ONE = [("2024-01-15", "CZC001", "visits", 4)]
SKIPPED_DUPLICATES = [("2024-01-05", "LPH001", "visits")]


def sha(*parts: object) -> str:
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()


def loaded_at(business_date: str, night_offset_hours: int = 0) -> datetime:
    return datetime.combine(d(business_date) + timedelta(days=1), datetime.min.time()) + timedelta(
        hours=1 + night_offset_hours
    )


def _extract_rows(night: int) -> dict[str, list[tuple[str, str, dict]]]:
    """Every extract record as (business_date, source_code, fields) per kind."""
    rows: dict[str, list[tuple[str, str, dict]]] = defaultdict(list)
    for bd, vid, inst, pat, vtype, vdate, ddate, region, cost in VISITS:
        corrected = (bd, inst, "visits") == NIGHT_TWO_CORRECTED_SLOT
        if night >= 2 and corrected and vid == NIGHT_TWO_DROPPED_VISIT:
            continue
        sex, birth = demographics(pat)
        rows["visits"].append(
            (
                bd,
                inst,
                {
                    "visit_id": vid,
                    "institution_code": inst,
                    "patient_key": patient(pat),
                    "sex": sex,
                    "birth_date": birth,
                    "residence_region_code": region,
                    "visit_type": vtype,
                    "visit_date": d(vdate),
                    "discharge_date": d(ddate) if ddate else None,
                    "department": "全科",
                    "diagnosis_code": "I10",
                    "total_cost": Decimal(cost),
                },
            )
        )
    referrals = REFERRALS + (NIGHT_TWO_REFERRALS if night >= 2 else [])
    for bd, rid, frm, to, pat, rdate, status in referrals:
        sex, birth = demographics(pat)
        rows["referrals"].append(
            (
                bd,
                frm,
                {
                    "referral_id": rid,
                    "from_institution_code": frm,
                    "to_institution_code": to,
                    "patient_key": patient(pat),
                    "sex": sex,
                    "birth_date": birth,
                    "referral_date": d(rdate),
                    "status": status,
                    "diagnosis_code": "I63.9",
                },
            )
        )
    claims = CLAIMS + (NIGHT_TWO_CLAIMS if night >= 2 else [])
    for bd, bureau, cid, orig, inst, pat, insured, scheme, vtype, total, fund in claims:
        sex, birth = demographics(pat)
        rows["claims"].append(
            (
                bd,
                bureau,
                {
                    "claim_id": cid,
                    "record_type": "reverse" if orig else "settle",
                    "original_claim_id": orig,
                    "settlement_date": d(bd),
                    "institution_code": inst,
                    "visit_id": None,
                    "patient_key": patient(pat),
                    "sex": sex,
                    "birth_date": birth,
                    "insured_region_code": insured,
                    "insurance_scheme": scheme,
                    "visit_type": vtype,
                    "total_amount": Decimal(total),
                    "fund_paid": Decimal(fund),
                    "personal_paid": Decimal(total) - Decimal(fund),
                },
            )
        )
    for sid, inst, pat, sdate, item, sbp, dbp, glucose in PUBLIC_HEALTH:
        sex, birth = demographics(pat)
        rows["public_health"].append(
            (
                sdate,
                inst,
                {
                    "service_id": sid,
                    "institution_code": inst,
                    "patient_key": patient(pat),
                    "sex": sex,
                    "birth_date": birth,
                    "service_date": d(sdate),
                    "service_item": item,
                    "systolic_bp": sbp,
                    "diastolic_bp": dbp,
                    "fasting_glucose": glucose,
                },
            )
        )
    return rows


def _slot_version(slot: tuple[str, str, str], night: int) -> int:
    return 2 if night >= 2 and slot == NIGHT_TWO_CORRECTED_SLOT else 1


def _slot_loaded_at(slot: tuple[str, str, str], night: int) -> datetime:
    if night >= 2 and slot == NIGHT_TWO_CORRECTED_SLOT:
        return datetime(2024, 2, 13, 1, 0)
    return loaded_at(slot[0])


def _create(con: duckdb.DuckDBPyConnection, table: str, columns: dict[str, str]) -> None:
    cols = ", ".join(f'"{name}" {ctype}' for name, ctype in columns.items())
    con.execute(f"create or replace table raw.{table} ({cols})")


def _insert(
    con: duckdb.DuckDBPyConnection, table: str, columns: list[str], rows: list[tuple]
) -> None:
    if not rows:
        return
    placeholders = ", ".join("?" for _ in columns)
    quoted = ", ".join(f'"{c}"' for c in columns)
    con.executemany(f"insert into raw.{table} ({quoted}) values ({placeholders})", rows)


def build_raw(path: str | Path, night: int = 1) -> None:
    """(Re)build schema `raw` of the DuckDB file at `path` as the ingest leaves it on `night`."""
    con = duckdb.connect(str(path))
    try:
        con.execute("create schema if not exists raw")

        # reference
        for table, columns in REFERENCE_COLUMNS.items():
            _create(con, table, columns)
        _insert(
            con,
            "institutions",
            list(REFERENCE_COLUMNS["institutions"]),
            [
                (c, n, t, r, cid, role, d(vf), d(vt) if vt else None, False)
                for c, n, t, r, cid, role, vf, vt in INSTITUTIONS
            ],
        )
        _insert(con, "consortia", list(REFERENCE_COLUMNS["consortia"]), CONSORTIA)
        _insert(
            con,
            "public_health_targets",
            list(REFERENCE_COLUMNS["public_health_targets"]),
            PUBLIC_HEALTH_TARGETS,
        )
        _insert(con, "kpi_targets", list(REFERENCE_COLUMNS["kpi_targets"]), KPI_TARGETS)

        # extracts, slot by slot
        slot_rows: dict[tuple[str, str, str], int] = defaultdict(int)
        extract_rows = _extract_rows(night)
        for kind in EXTRACT_COLUMNS:
            records = extract_rows.get(kind, [])
            columns = {**DELIVERY_COLUMNS, **EXTRACT_COLUMNS[kind]}
            keys = ", ".join(row_keys(KINDS[kind]))
            con.execute(
                f"create or replace temp table previous_rows ({keys.replace(',', ' varchar,')} varchar)"
            )
            if night > 1:  # the facts must also forget the keys of rows that are gone
                con.execute(f"insert into previous_rows select {keys} from raw.{kind}")
            _create(con, kind, columns)
            batch = []
            for bd, src, fields in records:
                slot = (bd, src, kind)
                slot_rows[slot] += 1
                version = _slot_version(slot, night)
                batch.append(
                    (
                        d(bd),
                        src,
                        sha(bd, src, kind, version),
                        f"{kind}.csv",
                        slot_rows[slot],
                        _slot_loaded_at(slot, night),
                        *(fields[c] for c in EXTRACT_COLUMNS[kind]),
                    )
                )
            _insert(con, kind, list(columns), batch)
            # a whole reload: every key of the old and the new rows changed (the ingest's load
            # writes these tables in the warehouse)
            both = f"(select {keys} from raw.{kind} union all select * from previous_rows)"
            write_changed_keys(con, KINDS[kind], both)

        # the audit
        for table, columns in AUDIT_COLUMNS.items():
            _create(con, table, columns)
        quarantined_per_slot: dict[tuple[str, str, str], int] = defaultdict(int)
        quarantine = []
        for bd, src, kind, row_number, reason, detail in QUARANTINED_ROWS:
            slot = (bd, src, kind)
            quarantined_per_slot[slot] += 1
            quarantine.append(
                (
                    d(bd),
                    src,
                    kind,
                    f"{kind}.csv",
                    row_number,
                    reason,
                    detail,
                    sha(bd, src, kind, _slot_version(slot, night)),
                    '{"row": "…"}',
                )
            )
        files = []
        for slot, loaded in sorted(slot_rows.items()):
            bd, src, kind = slot
            version = _slot_version(slot, night)
            if version == 2:  # the first delivery of a corrected slot stays in the audit
                files.append(
                    (
                        d(bd),
                        src,
                        kind,
                        f"{kind}.csv",
                        sha(bd, src, kind, 1),
                        loaded + 1,
                        loaded + 1,
                        0,
                        None,
                        "replaced",
                        loaded_at(bd),
                    )
                )
            q = quarantined_per_slot[slot]
            files.append(
                (
                    d(bd),
                    src,
                    kind,
                    f"{kind}.csv",
                    sha(bd, src, kind, version),
                    loaded + q,
                    loaded,
                    q,
                    None,
                    "loaded",
                    _slot_loaded_at(slot, night),
                )
            )
        for bd, src, kind, rows in REPLACED_BEFORE_NIGHT_ONE:
            files.append(
                (
                    d(bd),
                    src,
                    kind,
                    f"{kind}.csv",
                    sha(bd, src, kind, 0),
                    rows,
                    rows,
                    0,
                    None,
                    "replaced",
                    loaded_at(bd) - timedelta(minutes=30),
                )
            )
        for bd, src, kind in SKIPPED_DUPLICATES:
            files.append(
                (
                    d(bd),
                    src,
                    kind,
                    f"{kind}.csv",
                    sha(bd, src, kind, 1),
                    0,
                    0,
                    0,
                    None,
                    "skipped_duplicate",
                    loaded_at(bd) + timedelta(days=1),
                )
            )
        for bd, src, kind in UNREADABLE_FILES:
            files.append(
                (
                    d(bd),
                    src,
                    kind,
                    f"{kind}.xlsx",
                    sha(bd, src, kind, "bad"),
                    0,
                    0,
                    0,
                    None,
                    "quarantined",
                    loaded_at(bd),
                )
            )
            quarantine.append(
                (
                    d(bd),
                    src,
                    kind,
                    f"{kind}.xlsx",
                    0,
                    "unreadable_file",
                    "not a readable XLSX",
                    sha(bd, src, kind, "bad"),
                    None,
                )
            )
        _insert(con, "ingest_files", list(AUDIT_COLUMNS["ingest_files"]), files)
        _insert(con, "quarantine_rows", list(AUDIT_COLUMNS["quarantine_rows"]), quarantine)
    finally:
        con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database", help="DuckDB file to write schema raw into")
    parser.add_argument("--night", type=int, default=1, choices=(1, 2))
    args = parser.parse_args()
    Path(args.database).parent.mkdir(parents=True, exist_ok=True)
    build_raw(args.database, night=args.night)
    print(f"raw schema (night {args.night}) written to {args.database}")


if __name__ == "__main__":
    main()
