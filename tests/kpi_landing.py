"""A small hand-made landing zone whose every KPI value is worked out in test_kpi_exact.py.

The files follow the extract contract exactly: ``reference/*.csv`` and one folder per business
date and source, ``<landing>/<YYYY-MM-DD>/<source_code>/<kind>.csv``. Visits, referrals and
public-health records come from the institution's own folder (its code is the folder name); claims
come from an insurance bureau's folder (``YB441623``, ``YB441602``, ``YB341100``). Every record
date is on or before its folder's business date and within 366 days of it; an inpatient stay is
delivered on its discharge date. Nothing here should be quarantined (the test checks that).

The scenario is the one of tests/dbt/make_raw_fixture.py (two consortia, the same institutions,
patients and most records), trimmed to two months (January and February 2024) and extended with
membership boundary days, late deliveries, an institution joining in February and tie-breaks of
"latest follow-up":

- ``LP01``: a county medical community (县域医共体) in Lianping county, region ``441623``;
- ``CZ01``: an urban alliance (城市医联体) in Chuzhou city, region ``341100`` (a city code ending in
  ``00``: it matches every ``3411xx`` code).

Night 1 is ``write_night_one``; night 2 (``add_night_two``) adds, on business date 2024-02-12, a
reversal of January's inpatient settlement C1 and the cancellation of January's referral R1, which
was accepted.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from landing_kit import resident_id, write_csv

LP, CZ = "441623", "341100"
OUT, EMG, INP, HOME = "outpatient", "emergency", "inpatient", "home"
RES, EMP = "resident", "employee"
HT, DM, HR, VAC = "hypertension_followup", "diabetes_followup", "health_record", "vaccination"


def pid(label: str) -> str:
    """The resident ID (valid GB 11643 check digit) of a fixture person: P<n> live in Lianping,
    Q<n> in Chuzhou. Each label is one distinct person."""
    n = int(label[1:])
    region = "441623" if label[0] == "P" else "341102"
    return resident_id(region, f"{1940 + n}{n % 12 + 1:02d}{n % 28 + 1:02d}", f"{n:03d}")


# --- reference ------------------------------------------------------------------------------

INSTITUTIONS = [
    # code, name, tier, region, consortium, role, valid_from, valid_to (inclusive; empty = open)
    ("LPH001", "连平县人民医院", "county_hospital", LP, "LP01", "lead", "2023-01-01", ""),
    ("LPT001", "上坪镇卫生院", "township_center", LP, "LP01", "member", "2023-01-01", ""),
    ("LPV001", "中村卫生室", "village_clinic", LP, "LP01", "member", "2023-01-01", ""),
    # an external institution until 15 January, a member from 16 January (joins mid-month)
    ("LPT002", "忠信镇卫生院", "township_center", LP, "", "external", "2020-01-01", "2024-01-15"),
    ("LPT002", "忠信镇卫生院", "township_center", LP, "LP01", "member", "2024-01-16", ""),
    # leaves the consortium after 31 January
    ("LPV002", "上村卫生室", "village_clinic", LP, "LP01", "member", "2023-01-01", "2024-01-31"),
    # joins on 6 February
    ("LPV003", "下村卫生室", "village_clinic", LP, "LP01", "member", "2024-02-06", ""),
    ("HYH001", "河源市人民医院", "city_hospital", "441602", "", "external", "2020-01-01", ""),
    ("GDH001", "省人民医院", "provincial_hospital", "440104", "", "external", "2020-01-01", ""),
    ("CZH001", "滁州市第一人民医院", "city_hospital", "341102", "CZ01", "lead", "2023-01-01", ""),
    ("CZC001", "琅琊中心", "community_center", "341102", "CZ01", "member", "2023-01-01", ""),
    ("CZS001", "乌衣站", "community_station", "341103", "CZ01", "member", "2023-01-01", ""),
    # a county hospital in a county of Chuzhou city (341122): external, but inside city 341100
    ("CZK001", "来安县人民医院", "county_hospital", "341122", "", "external", "2020-01-01", ""),
    ("NJH001", "鼓楼医院", "provincial_hospital", "320106", "", "external", "2020-01-01", ""),
]

CONSORTIA = [
    ("LP01", "连平县医共体", "county_community", LP, "LPH001"),
    ("CZ01", "滁州市城市医联体", "urban_alliance", CZ, "CZH001"),
]

PUBLIC_HEALTH_TARGETS = [
    # year, institution, service item, target count
    (2023, "LPT001", HR, 5),  # another year: counts in no 2024 month
    (2024, "LPT001", HT, 3),
    (2024, "LPT001", HR, 2),
    (2024, "LPV001", HT, 2),
    (2024, "LPT002", VAC, 1),  # member from 16 January
    (2024, "LPV002", HR, 2),  # member until 31 January: still counts in February (year to date)
    (2024, "LPV003", "居民健康档案", 1),  # Chinese label of health_record; member from 6 February
    (2024, "HYH001", HR, 10),  # never a member: counts nowhere
    (2024, "CZC001", HR, 4),
    (2024, "CZC001", HT, 2),
]

KPI_TARGETS = [
    # kpi_id, consortium, year, target
    ("primary_care_visit_share", "LP01", 2024, 0.70),  # replaces the default 0.65
    ("primary_care_visit_share", "CZ01", 2023, 0.40),  # another year: CZ01 keeps the default
    ("referral_down_up_ratio", "CZ01", 2024, 0.5),
    ("out_of_region_referral_share", "LP01", 2024, 0.10),
    ("in_region_inpatient_share", "LP01", 2024, 0.60),  # replaces the default 0.90
    ("in_region_inpatient_cost", "LP01", 2024, 6500),
    ("in_region_inpatient_cost", "CZ01", 2024, 15000),
    ("hypertension_control_rate", "LP01", 2024, 0.75),
]

# --- night 1 --------------------------------------------------------------------------------

VISITS = [
    # business date, visit_id, institution (= folder), patient, type, visit_date, discharge,
    # residence, total cost
    ("2024-01-05", "V101", "LPH001", "P21", OUT, "2024-01-05", "", LP, "120.00"),
    ("2024-01-05", "V102", "LPH001", "P22", OUT, "2024-01-05", "", LP, "80.50"),
    ("2024-01-10", "V103", "LPH001", "P23", EMG, "2024-01-10", "", LP, "460.00"),
    # inpatient stay delivered on its discharge date: not a counted visit
    ("2024-01-08", "V104", "LPH001", "P24", INP, "2024-01-03", "2024-01-08", LP, "10000.00"),
    # dated 30 January, delivered late on 1 February: a January visit
    ("2024-02-01", "V107", "LPH001", "P22", OUT, "2024-01-30", "", LP, "95.00"),
    ("2024-01-05", "V201", "LPT001", "P1", OUT, "2024-01-05", "", LP, "45.00"),
    ("2024-01-05", "V202", "LPT001", "P2", OUT, "2024-01-05", "", LP, "30.00"),
    ("2024-01-20", "V203", "LPT001", "P3", OUT, "2024-01-20", "", LP, "52.00"),
    ("2024-01-20", "V204", "LPT001", "P4", HOME, "2024-01-20", "", LP, "60.00"),
    ("2024-01-08", "V301", "LPV001", "P6", OUT, "2024-01-08", "", LP, "15.00"),
    ("2024-01-08", "V302", "LPV001", "P12", OUT, "2024-01-08", "", LP, "12.00"),
    # LPT002 before it joined (external until 15 January), on the day it joined, after
    ("2024-01-10", "V401", "LPT002", "P7", OUT, "2024-01-10", "", LP, "40.00"),
    ("2024-01-16", "V402", "LPT002", "P8", OUT, "2024-01-16", "", LP, "38.00"),
    ("2024-01-20", "V403", "LPT002", "P9", OUT, "2024-01-20", "", LP, "41.00"),
    # LPV002 on its last day as a member, then after it left
    ("2024-01-31", "V802", "LPV002", "P9", OUT, "2024-01-31", "", LP, "20.00"),
    ("2024-02-05", "V801", "LPV002", "P13", OUT, "2024-02-05", "", LP, "22.00"),
    ("2024-02-05", "V105", "LPH001", "P21", OUT, "2024-02-05", "", LP, "150.00"),
    # admitted in January, discharged (and delivered) in February
    ("2024-02-02", "V106", "LPH001", "P25", INP, "2024-01-28", "2024-02-02", LP, "8600.00"),
    ("2024-02-05", "V205", "LPT001", "P1", OUT, "2024-02-05", "", LP, "45.00"),
    # LPV003, a member from 6 February
    ("2024-02-08", "V901", "LPV003", "P16", OUT, "2024-02-08", "", LP, "18.00"),
    ("2024-01-15", "V501", "CZH001", "Q1", OUT, "2024-01-15", "", "341102", "210.00"),
    ("2024-01-15", "V502", "CZH001", "Q2", OUT, "2024-01-15", "", "341102", "180.00"),
    ("2024-01-15", "V503", "CZH001", "Q3", OUT, "2024-01-15", "", "341103", "95.00"),
    ("2024-01-15", "V504", "CZH001", "Q4", OUT, "2024-01-15", "", "341122", "130.00"),
    ("2024-01-15", "V601", "CZC001", "Q5", OUT, "2024-01-15", "", "341103", "60.00"),
    ("2024-01-15", "V602", "CZC001", "Q6", OUT, "2024-01-15", "", "341102", "55.00"),
    ("2024-01-15", "V603", "CZC001", "Q7", OUT, "2024-01-15", "", "341102", "70.00"),
    ("2024-01-15", "V701", "CZS001", "Q8", OUT, "2024-01-15", "", "341103", "25.00"),
]

REFERRALS = [
    # business date, referral_id, from (= folder), to, patient, referral_date, status
    ("2024-01-06", "R1", "LPT001", "LPH001", "P1", "2024-01-06", "accepted"),  # night 2: cancelled
    ("2024-01-12", "R2", "LPH001", "LPT001", "P2", "2024-01-12", "completed"),
    ("2024-01-15", "R3", "LPH001", "HYH001", "P23", "2024-01-15", "accepted"),
    ("2024-01-18", "R4", "LPV001", "LPT001", "P6", "2024-01-18", "issued"),
    ("2024-01-20", "R5", "LPH001", "GDH001", "P24", "2024-01-20", "accepted"),
    ("2024-01-22", "R5", "LPH001", "GDH001", "P24", "2024-01-20", "cancelled"),
    ("2024-01-10", "R6", "LPT002", "LPH001", "P7", "2024-01-10", "accepted"),
    ("2024-01-25", "R7", "LPH001", "LPV001", "P22", "2024-01-25", "issued"),
    ("2024-01-26", "R7", "LPH001", "LPV001", "P22", "2024-01-25", "accepted"),
    ("2024-01-25", "R8", "LPT001", "LPT002", "P3", "2024-01-25", "accepted"),
    ("2024-01-19", "R10", "LPV001", "LPH001", "P6", "2024-01-19", "issued"),
    ("2024-01-21", "R10", "LPV001", "LPH001", "P6", "2024-01-19", "rejected"),
    # issued in January, accepted on a February business date: still a January referral
    ("2024-01-30", "R11", "LPV001", "LPH001", "P12", "2024-01-30", "issued"),
    ("2024-02-01", "R11", "LPV001", "LPH001", "P12", "2024-01-30", "accepted"),
    ("2024-02-05", "R9", "LPV001", "LPH001", "P12", "2024-02-05", "completed"),
    ("2024-01-16", "R21", "CZS001", "CZH001", "Q8", "2024-01-16", "completed"),
    ("2024-01-16", "R22", "CZC001", "NJH001", "Q5", "2024-01-16", "accepted"),
    ("2024-01-17", "R23", "CZC001", "CZK001", "Q6", "2024-01-17", "accepted"),
    ("2024-01-17", "R24", "CZH001", "CZC001", "Q1", "2024-01-17", "accepted"),
]

# fmt: off
CLAIMS = [
    # business date, bureau (= folder), claim_id, original_claim_id (a reversal), settlement
    # date, institution, patient, insured region, scheme, visit type, total, fund paid;
    # personal paid = total - fund paid
    ("2024-01-05", "YB441623", "C2", "", "2024-01-05", "LPT001", "P1", LP, RES, OUT, 200, 150),
    ("2024-01-08", "YB441623", "C1", "", "2024-01-08", "LPH001", "P24", LP, RES, INP, 10000, 7000),
    ("2024-01-08", "YB441623", "C3", "", "2024-01-08", "LPV001", "P6", LP, RES, OUT, 100, 80),
    # at LPT002 before it joined: region-based KPIs do not depend on membership
    ("2024-01-10", "YB441623", "C12", "", "2024-01-10", "LPT002", "P7", LP, RES, OUT, 100, 70),
    # an unregistered hospital in Guangzhou (H + 440106 + serial): out of the region
    ("2024-01-12", "YB441623", "C4", "", "2024-01-12", "H44010600001", "P26", LP, EMP, INP, 15000, 9000),
    # an unregistered retail pharmacy in the county: excluded from every claims KPI
    ("2024-01-12", "YB441623", "C5", "", "2024-01-12", "P44162300001", "P1", LP, RES, OUT, 300, 200),
    # registered external hospital outside the county (441602) ...
    ("2024-01-15", "YB441623", "C8", "", "2024-01-15", "HYH001", "P23", LP, RES, OUT, 1000, 600),
    # an unregistered hospital inside the county: in the region, not primary care
    ("2024-01-15", "YB441623", "C9", "", "2024-01-15", "H44162300099", "P22", LP, RES, OUT, 500, 300),
    # ... the same settlement C8, delivered again by the bureau where it was treated
    ("2024-01-15", "YB441602", "C8", "", "2024-01-15", "HYH001", "P23", LP, RES, OUT, 1000, 600),
    # insured elsewhere (441602): in no consortium's claims KPI
    ("2024-01-15", "YB441602", "C10", "", "2024-01-15", "LPH001", "P27", "441602", RES, OUT, 400, 300),
    ("2024-01-20", "YB441623", "C6", "", "2024-01-20", "LPT001", "P3", LP, RES, INP, 3000, 2400),
    ("2024-01-20", "YB441623", "C7", "", "2024-01-20", "LPH001", "P21", LP, RES, INP, 8000, 5600),
    # C7 reversed five days later
    ("2024-01-25", "YB441623", "C7R", "C7", "2024-01-25", "LPH001", "P21", LP, RES, INP, 8000, 5600),
    # settled 31 January, delivered 1 February: a January settlement
    ("2024-02-01", "YB441623", "C13", "", "2024-01-31", "LPV002", "P9", LP, RES, OUT, 50, 40),
    ("2024-02-05", "YB441623", "C11", "", "2024-02-05", "LPH001", "P21", LP, RES, OUT, 600, 400),
    # at LPV002 after it left the consortium: still in the region and primary care
    ("2024-02-07", "YB441623", "C14", "", "2024-02-07", "LPV002", "P13", LP, RES, OUT, 80, 60),
    ("2024-01-15", "YB341100", "C20", "", "2024-01-15", "CZH001", "Q1", "341102", EMP, INP, 20000, 14000),
    # insured in 341103, treated in 341102: both inside city 341100
    ("2024-01-15", "YB341100", "C21", "", "2024-01-15", "CZC001", "Q5", "341103", RES, OUT, 1200, 1000),
    # insured in a county of the city (341122), treated at an unregistered Nanjing hospital
    ("2024-01-16", "YB341100", "C22", "", "2024-01-16", "H32010600001", "Q2", "341122", EMP, INP, 40000, 24000),
    # an unregistered pharmacy in the city: excluded
    ("2024-01-16", "YB341100", "C23", "", "2024-01-16", "P34110200001", "Q3", "341102", EMP, OUT, 300, 250),
    # insured in Nanjing (320106): in no consortium's claims KPI
    ("2024-01-16", "YB341100", "C24", "", "2024-01-16", "CZH001", "Q9", "320106", EMP, OUT, 500, 300),
    # insured in 341122, at the registered external county hospital in 341122: inside the city
    ("2024-01-16", "YB341100", "C26", "", "2024-01-16", "CZK001", "Q4", "341122", RES, INP, 6000, 4200),
    ("2024-02-06", "YB341100", "C25", "", "2024-02-06", "CZS001", "Q8", "341103", RES, OUT, 200, 150),
]
# fmt: on

PUBLIC_HEALTH = [
    # business date, service_id, institution (= folder), patient, service_date, item, sbp, dbp,
    # fasting glucose
    ("2024-01-05", "S001", "LPT001", "P1", "2024-01-05", HT, 150, 95, ""),
    ("2024-01-25", "S002", "LPT001", "P1", "2024-01-25", HT, 130, 85, ""),
    ("2024-01-10", "S003", "LPT001", "P2", "2024-01-10", HT, 135, 85, ""),
    # P2's later follow-up has no diastolic value: S003 stays the latest with both pressures
    ("2024-01-30", "S015", "LPT001", "P2", "2024-01-30", HT, 150, "", ""),
    ("2024-01-12", "S004", "LPT001", "P3", "2024-01-12", HT, 145, 80, ""),
    # two follow-ups of P3 on one day: service_id compared as text, "9" > "10"
    ("2024-01-28", "10", "LPT001", "P3", "2024-01-28", HT, 130, 80, ""),
    ("2024-01-28", "9", "LPT001", "P3", "2024-01-28", HT, 150, 95, ""),
    ("2024-01-15", "S007", "LPT001", "P4", "2024-01-15", HT, 138, "", ""),
    # P6 seen at LPT001 and LPV001 on one day under the same service_id: institution_code
    # compared as text, "LPV001" > "LPT001"
    ("2024-01-08", "S101", "LPT001", "P6", "2024-01-08", HT, 150, 95, ""),
    ("2024-01-05", "S008", "LPT001", "P1", "2024-01-05", HR, "", "", ""),
    ("2024-01-10", "S009", "LPT001", "P2", "2024-01-10", HR, "", "", ""),
    ("2024-01-12", "S010", "LPT001", "P5", "2024-01-12", HR, "", "", ""),
    ("2024-01-05", "S011", "LPT001", "P1", "2024-01-05", DM, "", "", "8.2"),
    ("2024-01-06", "S012", "LPT001", "P10", "2024-01-06", DM, "", "", "6.5"),
    ("2024-01-07", "S013", "LPT001", "P11", "2024-01-07", DM, "", "", ""),
    ("2024-02-10", "S014", "LPT001", "P10", "2024-02-10", DM, "", "", "7.0"),
    ("2024-01-08", "S101", "LPV001", "P6", "2024-01-08", HT, 139, 89, ""),
    ("2024-02-03", "S102", "LPV001", "P12", "2024-02-03", HT, 140, 85, ""),
    # LPT002 before it joined (10 January) and after (20 January)
    ("2024-01-10", "S201", "LPT002", "P7", "2024-01-10", VAC, "", "", ""),
    ("2024-01-10", "S203", "LPT002", "P14", "2024-01-10", HT, 125, 80, ""),
    ("2024-01-20", "S202", "LPT002", "P8", "2024-01-20", VAC, "", "", ""),
    # LPV002 while a member (9 January), after it left (5 February)
    ("2024-01-09", "S301", "LPV002", "P9", "2024-01-09", HR, "", "", ""),
    ("2024-02-05", "S302", "LPV002", "P13", "2024-02-05", HR, "", "", ""),
    # LPV003 before it joined (3 February, delivered late on 6 February) and after (8 February)
    ("2024-02-06", "S401", "LPV003", "P15", "2024-02-03", HR, "", "", ""),
    ("2024-02-08", "S402", "LPV003", "P16", "2024-02-08", HR, "", "", ""),
    ("2024-01-15", "T001", "CZC001", "Q5", "2024-01-15", HR, "", "", ""),
    ("2024-01-15", "T002", "CZC001", "Q6", "2024-01-15", HR, "", "", ""),
    ("2024-01-15", "T003", "CZC001", "Q7", "2024-01-15", HT, 128, 78, ""),
]

# --- night 2: delivered on business date 2024-02-12 -------------------------------------------

NIGHT_TWO_DATE = "2024-02-12"
# fmt: off
NIGHT_TWO_CLAIMS = [
    # the reversal of January's inpatient settlement C1 (delivered 8 January, a night earlier)
    (NIGHT_TWO_DATE, "YB441623", "C1R", "C1", NIGHT_TWO_DATE, "LPH001", "P24", LP, RES, INP, 10000, 7000),
]
# fmt: on
NIGHT_TWO_REFERRALS = [
    # R1, issued 6 January and accepted, is cancelled
    (NIGHT_TWO_DATE, "R1", "LPT001", "LPH001", "P1", "2024-01-06", "cancelled"),
]

# --- writing --------------------------------------------------------------------------------

VISIT_HEADER = [
    "visit_id", "institution_code", "patient_id", "residence_region_code", "visit_type",
    "visit_date", "discharge_date", "total_cost",
]  # fmt: skip
REFERRAL_HEADER = [
    "referral_id", "from_institution_code", "to_institution_code", "patient_id", "referral_date",
    "status",
]  # fmt: skip
CLAIM_HEADER = [
    "claim_id", "record_type", "original_claim_id", "settlement_date", "institution_code",
    "patient_id", "insured_region_code", "insurance_scheme", "visit_type", "total_amount",
    "fund_paid", "personal_paid",
]  # fmt: skip
PUBLIC_HEALTH_HEADER = [
    "service_id", "institution_code", "patient_id", "service_date", "service_item", "systolic_bp",
    "diastolic_bp", "fasting_glucose",
]  # fmt: skip


INSTITUTION_HEADER = [
    "institution_code", "name", "tier", "region_code", "consortium_id", "role", "valid_from",
    "valid_to",
]  # fmt: skip


def _money(yuan: int) -> str:
    return f"{yuan:.2f}"


def _files(visits, referrals, claims, services) -> dict[tuple[str, str, str], list[list[str]]]:
    """Rows per (business date, source folder, kind)."""
    files: dict[tuple[str, str, str], list[list[str]]] = defaultdict(list)
    for bd, vid, inst, pat, vtype, vdate, ddate, region, cost in visits:
        files[bd, inst, "visits"].append([vid, inst, pid(pat), region, vtype, vdate, ddate, cost])
    for bd, rid, frm, to, pat, rdate, status in referrals:
        files[bd, frm, "referrals"].append([rid, frm, to, pid(pat), rdate, status])
    for bd, bureau, cid, orig, sdate, inst, pat, insured, scheme, vtype, total, fund in claims:
        files[bd, bureau, "claims"].append(
            [
                cid,
                "reverse" if orig else "settle",
                orig,
                sdate,
                inst,
                pid(pat),
                insured,
                scheme,
                vtype,
                _money(total),
                _money(fund),
                _money(total - fund),
            ]
        )
    for bd, sid, inst, pat, sdate, item, sbp, dbp, glucose in services:
        files[bd, inst, "public_health"].append(
            [sid, inst, pid(pat), sdate, item, str(sbp), str(dbp), glucose]
        )
    return files


HEADERS = {
    "visits": VISIT_HEADER,
    "referrals": REFERRAL_HEADER,
    "claims": CLAIM_HEADER,
    "public_health": PUBLIC_HEALTH_HEADER,
}


def _write_files(landing: Path, files: dict[tuple[str, str, str], list[list[str]]]) -> None:
    for (bd, source, kind), rows in files.items():
        path = landing / bd / source / f"{kind}.csv"
        assert not path.exists(), f"{path} would be replaced (a correction): not intended here"
        write_csv(path, HEADERS[kind], rows)


def write_reference(landing: Path) -> None:
    ref = landing / "reference"
    write_csv(ref / "institutions.csv", INSTITUTION_HEADER, [list(r) for r in INSTITUTIONS])
    write_csv(
        ref / "consortia.csv",
        ["consortium_id", "name", "kind", "region_code", "lead_institution_code"],
        [list(r) for r in CONSORTIA],
    )
    write_csv(
        ref / "public_health_targets.csv",
        ["year", "institution_code", "service_item", "target_count"],
        [[str(y), i, s, str(t)] for y, i, s, t in PUBLIC_HEALTH_TARGETS],
    )
    write_csv(
        ref / "kpi_targets.csv",
        ["kpi_id", "consortium_id", "year", "target"],
        [[k, c, str(y), str(t)] for k, c, y, t in KPI_TARGETS],
    )


def write_night_one(landing: Path) -> None:
    write_reference(landing)
    _write_files(landing, _files(VISITS, REFERRALS, CLAIMS, PUBLIC_HEALTH))


def add_night_two(landing: Path) -> None:
    _write_files(landing, _files([], NIGHT_TWO_REFERRALS, NIGHT_TWO_CLAIMS, []))


def record_counts() -> dict[str, int]:
    """Rows per kind over both nights (every one should be loaded)."""
    return {
        "visits": len(VISITS),
        "referrals": len(REFERRALS) + len(NIGHT_TWO_REFERRALS),
        "claims": len(CLAIMS) + len(NIGHT_TWO_CLAIMS),
        "public_health": len(PUBLIC_HEALTH),
    }
