"""A hand-made landing zone for the KPIs and marts of the second release, worked out in
test_second_release_exact.py.

Three consortia:

- ``LP`` 连平县医共体, a county community (region ``441623``): county hospital LPH, the TCM
  hospital LPZ (``tcm`` = 是), township centre LPT and village clinic LPV sign family-doctor
  contracts; HYH (河源, 441602) is external.
- ``GD`` 广东省远程医疗协作网, a remote-care network at province level (``440000``: it matches
  every ``44xxxx`` code), led by the provincial hospital GDH with the community centre GDC.
- ``SH`` 嘉定区城市医联体, an urban alliance in Shanghai city (``310100``): the community centre
  SHC signs 1+1+1 contracts naming the district hospital SHD and the city hospital SHR; SHO is an
  external city hospital (in the city region, outside every combination).

Records fall in January 2024 (a year-earlier span of in-region inpatient stays, and a contract
signed in February 2024 that runs to 31 January 2025) and January-February 2025. Every file but
one follows the contract; SHC's contracts of 2025-01-10 carry one row per contract fault (and a
repeated key), each quarantined with exactly its reason (``CONTRACT_FAULTS``).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from landing_kit import resident_id, write_csv

from ingest.contract import KEY_POPULATIONS

KEY_POPULATION_CODES = tuple(KEY_POPULATIONS)

LP, GD, SH = "441623", "440000", "310100"


def pid(label: str) -> str:
    """Resident ID of a fixture person: A<n> live in Lianping, S<n> in Jiading (Shanghai)."""
    n = int(label[1:])
    region = "441623" if label[0] == "A" else "310114"
    return resident_id(region, f"19{40 + n}0{n % 9 + 1}1{n % 9}", f"{n:03d}")


INSTITUTION_HEADER = [
    "institution_code", "name", "tier", "region_code", "consortium_id", "role", "valid_from",
    "valid_to", "tcm",
]  # fmt: skip
INSTITUTIONS = [
    ("LPH", "连平县人民医院", "county_hospital", LP, "LP", "lead", "2020-01-01", "", "0"),
    ("LPZ", "连平县中医院", "county_hospital", LP, "LP", "member", "2020-01-01", "", "是"),
    ("LPT", "上坪镇卫生院", "township_center", LP, "LP", "member", "2020-01-01", "", ""),
    ("LPV", "中村卫生室", "village_clinic", LP, "LP", "member", "2020-01-01", "", "否"),
    ("HYH", "河源市人民医院", "city_hospital", "441602", "", "external", "2020-01-01", "", "0"),
    ("GDH", "广东省人民医院", "provincial_hospital", "440104", "GD", "lead", "2020-01-01", "", ""),
    ("GDC", "东山社区卫生服务中心", "community_center", "440104", "GD", "member", "2020-01-01", "", ""),
    ("SHR", "瑞金医院", "city_hospital", "310101", "SH", "lead", "2020-01-01", "", "0"),
    ("SHD", "嘉定区中心医院", "county_hospital", "310114", "SH", "member", "2020-01-01", "", "0"),
    ("SHC", "嘉定镇街道社区卫生服务中心", "community_center", "310114", "SH", "member", "2020-01-01", "", "0"),
    ("SHO", "仁济医院", "city_hospital", "310101", "", "external", "2020-01-01", "", "0"),
]  # fmt: skip
CONSORTIA = [
    ("LP", "连平县医共体", "county_community", LP, "LPH"),
    ("GD", "广东省远程医疗协作网", "remote_network", GD, "GDH"),
    ("SH", "嘉定区城市医联体", "urban_alliance", SH, "SHR"),
]
SERVICE_POPULATION = [
    # year, institution, group, people (2025 only: 2024 months have no denominator)
    (2025, "LPT", "resident", 100),
    (2025, "LPT", "key_population", 40),
    (2025, "LPT", "elderly", 30),
    (2025, "LPT", "hypertension", 20),
    (2025, "LPT", "ltc", 4),
    (2025, "LPV", "resident", 50),
    (2025, "LPV", "key_population", 10),
    (2025, "LPV", "ltc", 1),
    (2025, "SHC", "resident", 200),
    (2025, "SHC", "key_population", 50),
    (2025, "SHC", "ltc", 2),
]
WORK_POINT_WEIGHTS = [
    ("hypertension_followup", "2.5"),
    ("2型糖尿病患者健康管理", "2.5"),
    ("health_record", "1"),
]

# --- contracts -------------------------------------------------------------------------------

CONTRACT_HEADER = [
    "contract_id", "institution_code", "team_code", "patient_id", "sign_date", "start_date",
    "end_date", "status", "terminated_date", "key_populations", "hospital_codes",
]  # fmt: skip
# LPV delivers under the Chinese aliases, with Chinese status labels
CONTRACT_HEADER_ZH = [
    "签约编号", "签约机构编码", "团队编码", "身份证号", "签约日期", "生效日期", "到期日期",
    "签约状态", "解约日期", "重点人群类别", "签约医院编码",
]  # fmt: skip

CONTRACTS = [
    # business date, contract, institution, team, person, signed, start, end, status,
    # terminated, key populations, hospitals
    # K3: A3's ltc contract of 2024, ending 31 January 2025; renewed as K4 from 1 February
    ("2024-02-01", "K3", "LPT", "T01", "A3", "2024-02-01", "2024-02-01", "2025-01-31", "active", "", "ltc", ""),
    ("2025-01-05", "K1", "LPT", "T01", "A1", "2025/01/05", "2025-01-05", "2026-01-04", "active", "", "老年人、高血压患者", ""),
    ("2025-01-06", "K2", "LPT", "T02", "A2", "2025-01-06", "2025-01-06", "2026-01-05", "active", "", "diabetes", ""),
    # K2 terminated mid-February: the latest delivery decides every day
    ("2025-02-14", "K2", "LPT", "T02", "A2", "2025-01-06", "2025-01-06", "2026-01-05", "terminated", "2025-02-14", "diabetes", ""),
    ("2025-01-10", "K5", "LPT", "T02", "A4", "20250110", "2025-01-10", "2026-01-09", "active", "", "", ""),
    ("2025-01-20", "K4", "LPT", "T01", "A3", "2025-01-20", "2025-02-01", "2026-01-31", "active", "", "长护险对象;老年人", ""),
    # A4 signs a second contract at LPV: two active contracts, the later one decides visits
    ("2025-01-12", "K6", "LPV", "", "A4", "2025-01-12", "2025-01-12", "2026-01-11", "有效", "", "高血压患者", ""),
    # SHC's 1+1+1: the district hospital and the city hospital; K8 names an unregistered hospital
    ("2025-01-03", "K7", "SHC", "J01", "S1", "2025-01-03", "2025-01-03", "2026-01-02", "active", "", "elderly", "SHD;SHR"),
    ("2025-01-08", "K8", "SHC", "J01", "S2", "2025-01-08", "2025-01-08", "2026-01-07", "active", "", "", "SHD;H31010100099"),
]  # fmt: skip

FAULT_DATE = "2025-01-10"
BAD_ID = pid("S7")[:-1] + ("0" if pid("S7")[-1] != "0" else "1")  # wrong check digit
_OK = ["SHC", "J02", pid("S5"), "2025-01-10", "2025-01-10", "2026-01-09", "active", "", "", ""]


def _fault(contract_id: str, **changes: str) -> list[str]:
    row = dict(zip(CONTRACT_HEADER[1:], _OK, strict=True))
    row.update(changes)
    return [contract_id, *(row[c] for c in CONTRACT_HEADER[1:])]


# SHC's contracts file of 2025-01-10: row number -> (row, reason)
CONTRACT_FAULTS: list[tuple[list[str], str | None]] = [
    (_fault("F01", institution_code="LPT"), "wrong_source_folder"),
    (_fault("F02", start_date=""), "missing_required_value"),
    (_fault("F03", status="terminated"), "missing_required_value"),
    (_fault("F04", patient_id=BAD_ID), "invalid_patient_id"),
    (_fault("F05", hospital_codes="SHD;XYZ999"), "unknown_institution"),
    (_fault("F06", status="expired"), "invalid_enum"),
    (_fault("F07", key_populations="老年人;学生"), "invalid_enum"),
    (_fault("F08", hospital_codes="SHD;SHR;SHO"), "invalid_enum"),
    (_fault("F09", sign_date="2025-01-11"), "invalid_date"),
    (_fault("F10", sign_date="2023-12-01"), "invalid_date"),
    (_fault("F11", end_date="2025-01-01"), "invalid_date"),
    (_fault("F12", status="terminated", terminated_date="2025-01-15"), "invalid_date"),
    (_fault("F13", start_date="2025-13-01"), "invalid_date"),
    # K9: S4 signs at SHC (loaded); the same key again is a duplicate
    (_fault("K9", patient_id=pid("S4")), None),
    (_fault("K9", patient_id=pid("S4"), team_code="J03"), "duplicate_key"),
]

# --- visits, claims, public health --------------------------------------------------------------

VISIT_HEADER = [
    "visit_id", "institution_code", "patient_id", "residence_region_code", "visit_type",
    "visit_date", "discharge_date", "department", "total_cost",
]  # fmt: skip
VISITS = [
    # visit, institution, person, type, date, discharge, department
    ("V01", "LPH", "A1", "outpatient", "2025-01-05", "", "内科"),
    ("V02", "LPH", "A2", "outpatient", "2025-01-06", "", "中医科"),  # TCM department, non-TCM hospital
    ("V03", "LPZ", "A3", "outpatient", "2025-01-07", "", "针灸科"),  # at the TCM hospital
    ("V04", "LPZ", "A5", "inpatient", "2025-01-02", "2025-01-08", "中医科"),  # a stay: not a visit
    ("V05", "LPT", "A6", "home", "2025-01-09", "", ""),
    ("V06", "LPT", "A7", "outpatient", "2025-01-10", "", "中医馆"),
    ("V07", "HYH", "A8", "outpatient", "2025-01-11", "", "中医科"),  # external: no consortium
    ("V08", "LPV", "A9", "emergency", "2025-02-03", "", "全科"),
]  # fmt: skip

CLAIM_HEADER = [
    "claim_id", "record_type", "original_claim_id", "settlement_date", "institution_code",
    "patient_id", "insured_region_code", "insurance_scheme", "visit_type", "total_amount",
    "fund_paid", "personal_paid",
]  # fmt: skip
CLAIMS = [
    # claim, reverses, date, institution, person, insured region, type, total, fund
    ("C01", "", "2024-01-10", "LPH", "A5", LP, "inpatient", 8000, 6000),  # the year-earlier span
    ("C02", "", "2024-01-20", "LPT", "A6", LP, "inpatient", 2000, 1500),
    ("C03", "", "2025-01-15", "LPH", "A1", LP, "outpatient", 300, 200),
    ("C04", "", "2025-01-10", "LPT", "A3", LP, "outpatient", 100, 80),
    ("C05", "", "2025-01-20", "LPT", "A4", LP, "outpatient", 120, 90),
    ("C06", "", "2025-01-25", "LPV", "A4", LP, "outpatient", 50, 40),
    ("C07", "", "2025-02-03", "LPT", "A1", LP, "outpatient", 110, 85),
    ("C08", "", "2025-02-20", "LPT", "A2", LP, "outpatient", 90, 70),
    ("C09", "", "2025-01-12", "LPH", "A7", LP, "inpatient", 9000, 7000),
    # A8, under hypertension management, hospitalised outside the county (in the province)
    ("C10", "", "2025-01-18", "HYH", "A8", LP, "inpatient", 12000, 9000),
    ("C11", "", "2025-01-22", "GDH", "A5", LP, "outpatient", 600, 400),
    ("C12", "", "2025-01-28", "P44162300001", "A5", LP, "outpatient", 80, 60),  # a pharmacy
    ("C13", "", "2025-02-10", "H44030400001", "A7", LP, "inpatient", 20000, 15000),  # Shenzhen, unregistered
    ("C14", "", "2025-02-15", "LPH", "A6", LP, "inpatient", 3000, 2400),
    ("C15", "", "2025-01-13", "LPH", "A9", LP, "inpatient", 5000, 4000),
    ("C16", "C15", "2025-01-30", "LPH", "A9", LP, "inpatient", 5000, 4000),  # reverses C15
    ("D01", "", "2025-01-02", "SHC", "S1", "310114", "outpatient", 50, 40),  # before K7 starts
    ("D02", "", "2025-01-15", "SHR", "S1", "310114", "outpatient", 400, 300),  # a chosen hospital
    ("D03", "", "2025-01-20", "SHO", "S1", "310114", "outpatient", 500, 350),  # outside the 1+1+1
    ("D04", "", "2025-02-10", "SHC", "S1", "310114", "outpatient", 60, 50),
    ("D05", "", "2025-01-25", "H31010100099", "S2", "310114", "outpatient", 200, 150),
    ("D06", "", "2025-01-16", "SHR", "S1", "310114", "inpatient", 15000, 12000),
    ("D07", "", "2025-01-18", "P31011400001", "S1", "310114", "outpatient", 30, 20),  # a pharmacy
    ("D08", "", "2025-01-21", "SHC", "S3", "310114", "outpatient", 70, 55),  # S3 signed nothing
    ("D09", "", "2025-02-12", "H32010600001", "S3", "310114", "inpatient", 10000, 7000),  # Nanjing
]  # fmt: skip
BUREAU = {LP: "YB441623", "310114": "YB310114"}

PUBLIC_HEALTH_HEADER = [
    "service_id", "institution_code", "patient_id", "service_date", "service_item",
    "systolic_bp", "diastolic_bp", "fasting_glucose",
]  # fmt: skip
PUBLIC_HEALTH = [
    ("S01", "LPT", "A8", "2025-01-05", "hypertension_followup", "150", "95", ""),
    ("S02", "LPT", "A1", "2025-01-06", "hypertension_followup", "130", "80", ""),
    ("S03", "LPV", "A6", "2025-02-04", "diabetes_followup", "", "", "6.5"),
    ("S04", "LPT", "A1", "2025-01-20", "health_record", "", "", ""),
    ("S05", "LPT", "A7", "2025-02-05", "health_record", "", "", ""),
    ("S06", "SHC", "S1", "2025-01-10", "diabetes_followup", "", "", "8.0"),
    ("S07", "LPT", "A2", "2025-01-07", "vaccination", "", "", ""),  # no work-point weight
]


def _money(yuan: int) -> str:
    return f"{yuan:.2f}"


def write_landing(landing: Path) -> None:
    ref = landing / "reference"
    write_csv(ref / "institutions.csv", INSTITUTION_HEADER, [list(r) for r in INSTITUTIONS])
    write_csv(
        ref / "consortia.csv",
        ["consortium_id", "name", "kind", "region_code", "lead_institution_code"],
        [list(r) for r in CONSORTIA],
    )
    write_csv(
        ref / "service_population.csv",
        ["year", "institution_code", "population_group", "population"],
        [[str(y), i, g, str(n)] for y, i, g, n in SERVICE_POPULATION],
    )
    write_csv(
        ref / "work_point_weights.csv",
        ["service_item", "points"],
        [list(r) for r in WORK_POINT_WEIGHTS],
    )

    files: dict[tuple[str, str, str], list[list[str]]] = defaultdict(list)
    for bd, cid, inst, team, who, signed, start, end, status, ended, keys, hospitals in CONTRACTS:
        row = [cid, inst, team, pid(who), signed, start, end, status, ended, keys, hospitals]
        files[bd, inst, "contracts"].append(row)
    files[FAULT_DATE, "SHC", "contracts"].extend(row for row, _ in CONTRACT_FAULTS)
    for vid, inst, who, vtype, vdate, discharge, department in VISITS:
        bd = discharge or vdate
        region = LP if who.startswith("A") else "310114"
        files[bd, inst, "visits"].append(
            [vid, inst, pid(who), region, vtype, vdate, discharge, department, "88.00"]
        )
    for cid, orig, sdate, inst, who, insured, vtype, total, fund in CLAIMS:
        files[sdate, BUREAU[insured], "claims"].append(
            [
                cid, "reverse" if orig else "settle", orig, sdate, inst, pid(who), insured,
                "resident", vtype, _money(total), _money(fund), _money(total - fund),
            ]
        )  # fmt: skip
    for sid, inst, who, sdate, item, sbp, dbp, glucose in PUBLIC_HEALTH:
        files[sdate, inst, "public_health"].append(
            [sid, inst, pid(who), sdate, item, sbp, dbp, glucose]
        )

    headers = {
        "visits": VISIT_HEADER,
        "claims": CLAIM_HEADER,
        "public_health": PUBLIC_HEALTH_HEADER,
        "contracts": CONTRACT_HEADER,
    }
    for (bd, source, kind), rows in files.items():
        header = CONTRACT_HEADER_ZH if (kind, source) == ("contracts", "LPV") else headers[kind]
        write_csv(landing / bd / source / f"{kind}.csv", header, rows)
