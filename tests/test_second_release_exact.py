"""`kpi run` publishes exactly the hand-worked values of the eight KPIs and four marts of the
second release (the acceptance test of family-doctor signing and the national set).

The landing zone is tests/second_release_landing.py: LP (county 441623), GD (a province-level
network, 440000) and SH (Shanghai city 310100, 1+1+1 contracts). Records span January 2024 to
February 2025, so the grid is 3 consortia x 14 months. Every cell and mart row not listed below
is worked out to be empty (0 / 0, value NULL): nothing happens in those months.
"""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import pytest
import second_release_landing as landing
from landing_kit import TEST_KEY

from cli.main import main

CONSORTIA = ("LP", "GD", "SH")
MONTHS = [f"2024-{m:02d}-01" for m in range(1, 13)] + ["2025-01-01", "2025-02-01"]
JAN, FEB = "2025-01-01", "2025-02-01"
LATE_2024 = MONTHS[1:12]  # February to December 2024: A3's 2024 contract K3 runs
NEW_KPIS = (
    "family_doctor_signing_rate",
    "key_population_signing_rate",
    "ltc_signing_rate",
    "signed_contracted_visit_share",
    "in_region_visit_share",
    "in_region_inpatient_cost_growth",
    "tcm_visit_share",
    "chronic_managed_inpatient_rate",
)
DEFAULT_TARGETS = {
    "key_population_signing_rate": 0.65,
    "ltc_signing_rate": 0.95,
    "in_region_visit_share": 0.90,
}
BETTER = {"in_region_inpatient_cost_growth": "lower", "chronic_managed_inpatient_rate": "lower"}

# (consortium, month, kpi) -> (numerator, denominator)
KPI_CELLS: dict[tuple[str, str, str], tuple[float, float]] = {
    # == signing, judged on the month's last day at LP's primary-care members LPT and LPV.
    # 2024: K3 (A3, ltc) is active from 1 February; no 2024 service population -> x / 0.
    **{
        ("LP", m, k): (1, 0)
        for m in LATE_2024
        for k in ("family_doctor_signing_rate", "key_population_signing_rate", "ltc_signing_rate")
    },
    # 31 January 2025: K1 (A1 elderly, hypertension - Chinese labels with 、), K2 (A2 diabetes,
    # terminated only on 14 February), K3 (A3 ltc, its last day), K5 (A4, none) and K6 (A4 at
    # LPV, hypertension: A4's second contract, counted once). K4 (A3's renewal under a new id)
    # starts 1 February. Populations 2025: resident 100 + 50, key 40 + 10, ltc 4 + 1.
    ("LP", JAN, "family_doctor_signing_rate"): (4, 150),
    ("LP", JAN, "key_population_signing_rate"): (4, 50),
    ("LP", JAN, "ltc_signing_rate"): (1, 5),
    # 28 February: K2 terminated mid-month, K3 ended; K4 (A3 ltc, elderly) started: A1, A3, A4.
    ("LP", FEB, "family_doctor_signing_rate"): (3, 150),
    ("LP", FEB, "key_population_signing_rate"): (3, 50),
    ("LP", FEB, "ltc_signing_rate"): (1, 5),
    # SHC: K7 (S1 elderly), K8 (S2), K9 (S4, loaded from the file of faults); 200 / 50 / 2.
    **{("SH", m, "family_doctor_signing_rate"): (3, 200) for m in (JAN, FEB)},
    **{("SH", m, "key_population_signing_rate"): (1, 50) for m in (JAN, FEB)},
    **{("SH", m, "ltc_signing_rate"): (0, 2) for m in (JAN, FEB)},
    # == signed_contracted_visit_share: live outpatient settlements, pharmacies out, on days a
    # contract is active; the latest-signed active contract decides.
    # LP January: C03 A1 at LPH (K1 names no hospital: outside), C04 A3 at LPT (K3: inside),
    # C05 A4 at LPT (K6 of 12 January decides, at LPV: outside), C06 A4 at LPV (inside).
    ("LP", JAN, "signed_contracted_visit_share"): (2, 4),
    # LP February: C07 A1 at LPT (inside); C08 A2 on 20 February, after K2 ended: not counted.
    ("LP", FEB, "signed_contracted_visit_share"): (1, 1),
    # SH January: D02 S1 at SHR (a chosen hospital), D03 S1 at SHO (outside the 1+1+1), D05 S2
    # at unregistered H31010100099 (named by K8). Not counted: D01 (before K7 started), D06
    # (inpatient), D07 (pharmacy), D08 (S3 signed nothing).
    ("SH", JAN, "signed_contracted_visit_share"): (2, 3),
    ("SH", FEB, "signed_contracted_visit_share"): (1, 1),  # D04 S1 at SHC
    # == in_region_visit_share: live settlements of the region's insured, pharmacies out.
    # LP January 2024: C01, C02 in the county. January 2025: C03, C04, C05, C06, C09 in; C10 at
    # HYH (441602) and C11 at GDH (440104) out; C12 a pharmacy; C15 reversed by C16.
    ("LP", "2024-01-01", "in_region_visit_share"): (2, 2),
    ("LP", JAN, "in_region_visit_share"): (5, 7),
    ("LP", FEB, "in_region_visit_share"): (3, 4),  # C07, C08, C14 in; C13 in Shenzhen out
    # GD, the province 440000: every Guangdong institution is in the region.
    ("GD", "2024-01-01", "in_region_visit_share"): (2, 2),
    ("GD", JAN, "in_region_visit_share"): (7, 7),
    ("GD", FEB, "in_region_visit_share"): (4, 4),
    # SH, the city 310100: D01, D02, D03, D05, D06, D08 in 3101xx; February D04 in, D09 Nanjing.
    ("SH", JAN, "in_region_visit_share"): (6, 6),
    ("SH", FEB, "in_region_visit_share"): (1, 2),
    # == in_region_inpatient_cost_growth: year-to-date mean of in-region inpatient stays minus
    # the mean over the same span a year earlier, over that mean. LP: January 2024 C01 8000,
    # C02 2000 -> 5000. January 2025 C09 9000 (C10 is outside, C15 reversed) -> (9000 - 5000) /
    # 5000. February 2025 (C09 + C14) / 2 = 6000 against 5000.
    ("LP", JAN, "in_region_inpatient_cost_growth"): (4000, 5000),
    ("LP", FEB, "in_region_inpatient_cost_growth"): (1000, 5000),
    # GD: C10 at HYH is inside the province: (9000 + 12000) / 2 = 10500; February + C13 20000 +
    # C14 3000 -> 44000 / 4 = 11000.
    ("GD", JAN, "in_region_inpatient_cost_growth"): (5500, 5000),
    ("GD", FEB, "in_region_inpatient_cost_growth"): (6000, 5000),
    # SH has D06 in January 2025 but no year-earlier stay: 0 / 0, NULL (not listed).
    # == tcm_visit_share: LP January: V01 (LPH 内科), V02 (LPH 中医科: a TCM department in a
    # non-TCM hospital), V03 (LPZ, a TCM hospital), V05 (LPT home visit), V06 (LPT 中医馆);
    # V04 is a stay, V07 at external HYH. February: V08 at LPV, 全科.
    ("LP", JAN, "tcm_visit_share"): (3, 5),
    ("LP", FEB, "tcm_visit_share"): (0, 1),
    # == chronic_managed_inpatient_rate: LP January: A8 and A1 followed up at LPT; A8
    # hospitalised at HYH, outside the region (anywhere counts). February + A6 (LPV diabetes),
    # hospitalised at LPH on 15 February (his 2024 stay is another year).
    ("LP", JAN, "chronic_managed_inpatient_rate"): (1, 2),
    ("LP", FEB, "chronic_managed_inpatient_rate"): (2, 3),
    # SH: S1 (diabetes follow-up 10 January), hospitalised on 16 January; year to date in February.
    ("SH", JAN, "chronic_managed_inpatient_rate"): (1, 1),
    ("SH", FEB, "chronic_managed_inpatient_rate"): (1, 1),
}

# kpi_institution_monthly rows of the new KPIs: (consortium, month, kpi, institution) -> parts
SIGNING = ("family_doctor_signing_rate", "key_population_signing_rate", "ltc_signing_rate")
INSTITUTION_PARTS: dict[tuple[str, str, str, str], tuple[float, float]] = {
    **{("LP", m, k, "LPT"): (1, 0) for m in LATE_2024 for k in SIGNING},
    # A4 counts at LPT (K5) and at LPV (K6): the signing parts add up to more than LP's 4
    ("LP", JAN, "family_doctor_signing_rate", "LPT"): (4, 100),
    ("LP", JAN, "family_doctor_signing_rate", "LPV"): (1, 50),
    ("LP", JAN, "key_population_signing_rate", "LPT"): (3, 40),  # K5 lists none
    ("LP", JAN, "key_population_signing_rate", "LPV"): (1, 10),
    ("LP", JAN, "ltc_signing_rate", "LPT"): (1, 4),
    ("LP", JAN, "ltc_signing_rate", "LPV"): (0, 1),
    ("LP", FEB, "family_doctor_signing_rate", "LPT"): (3, 100),
    ("LP", FEB, "family_doctor_signing_rate", "LPV"): (1, 50),
    ("LP", FEB, "key_population_signing_rate", "LPT"): (2, 40),
    ("LP", FEB, "key_population_signing_rate", "LPV"): (1, 10),
    ("LP", FEB, "ltc_signing_rate", "LPT"): (1, 4),
    ("LP", FEB, "ltc_signing_rate", "LPV"): (0, 1),
    **{("SH", m, "family_doctor_signing_rate", "SHC"): (3, 200) for m in (JAN, FEB)},
    **{("SH", m, "key_population_signing_rate", "SHC"): (1, 50) for m in (JAN, FEB)},
    **{("SH", m, "ltc_signing_rate", "SHC"): (0, 2) for m in (JAN, FEB)},
    # by the contract's institution
    ("LP", JAN, "signed_contracted_visit_share", "LPT"): (1, 2),
    ("LP", JAN, "signed_contracted_visit_share", "LPV"): (1, 2),
    ("LP", FEB, "signed_contracted_visit_share", "LPT"): (1, 1),
    ("SH", JAN, "signed_contracted_visit_share", "SHC"): (2, 3),
    ("SH", FEB, "signed_contracted_visit_share", "SHC"): (1, 1),
    # by the institution of the settlement, in the region or not
    **{
        (c, "2024-01-01", "in_region_visit_share", i): (1, 1)
        for c in ("LP", "GD")
        for i in ("LPH", "LPT")
    },
    ("LP", JAN, "in_region_visit_share", "LPH"): (2, 2),
    ("LP", JAN, "in_region_visit_share", "LPT"): (2, 2),
    ("LP", JAN, "in_region_visit_share", "LPV"): (1, 1),
    ("LP", JAN, "in_region_visit_share", "HYH"): (0, 1),
    ("LP", JAN, "in_region_visit_share", "GDH"): (0, 1),
    ("LP", FEB, "in_region_visit_share", "LPT"): (2, 2),
    ("LP", FEB, "in_region_visit_share", "LPH"): (1, 1),
    ("LP", FEB, "in_region_visit_share", "H44030400001"): (0, 1),
    ("GD", JAN, "in_region_visit_share", "LPH"): (2, 2),
    ("GD", JAN, "in_region_visit_share", "LPT"): (2, 2),
    ("GD", JAN, "in_region_visit_share", "LPV"): (1, 1),
    ("GD", JAN, "in_region_visit_share", "HYH"): (1, 1),
    ("GD", JAN, "in_region_visit_share", "GDH"): (1, 1),
    ("GD", FEB, "in_region_visit_share", "LPT"): (2, 2),
    ("GD", FEB, "in_region_visit_share", "LPH"): (1, 1),
    ("GD", FEB, "in_region_visit_share", "H44030400001"): (1, 1),
    ("SH", JAN, "in_region_visit_share", "SHC"): (2, 2),
    ("SH", JAN, "in_region_visit_share", "SHR"): (2, 2),
    ("SH", JAN, "in_region_visit_share", "SHO"): (1, 1),
    ("SH", JAN, "in_region_visit_share", "H31010100099"): (1, 1),
    ("SH", FEB, "in_region_visit_share", "SHC"): (1, 1),
    ("SH", FEB, "in_region_visit_share", "H32010600001"): (0, 1),
    # the growth at one institution: LPH's 9000, then (9000 + 3000) / 2, against its 8000
    **{(c, JAN, "in_region_inpatient_cost_growth", "LPH"): (1000, 8000) for c in ("LP", "GD")},
    **{(c, FEB, "in_region_inpatient_cost_growth", "LPH"): (-2000, 8000) for c in ("LP", "GD")},
    ("LP", JAN, "tcm_visit_share", "LPH"): (1, 2),
    ("LP", JAN, "tcm_visit_share", "LPZ"): (1, 1),
    ("LP", JAN, "tcm_visit_share", "LPT"): (1, 2),
    ("LP", FEB, "tcm_visit_share", "LPV"): (0, 1),
    ("LP", JAN, "chronic_managed_inpatient_rate", "LPT"): (1, 2),
    ("LP", FEB, "chronic_managed_inpatient_rate", "LPT"): (1, 2),
    ("LP", FEB, "chronic_managed_inpatient_rate", "LPV"): (1, 1),
    ("SH", JAN, "chronic_managed_inpatient_rate", "SHC"): (1, 1),
    ("SH", FEB, "chronic_managed_inpatient_rate", "SHC"): (1, 1),
}

# signing_by_population_group: (consortium, month, group) -> (signed, population)
POPULATION_GROUPS = {
    **{("LP", m, g): (1, 0) for m in LATE_2024 for g in ("resident", "key_population", "ltc")},
    ("LP", JAN, "resident"): (4, 150),
    ("LP", JAN, "key_population"): (4, 50),
    ("LP", JAN, "elderly"): (1, 30),  # A1
    ("LP", JAN, "hypertension"): (2, 20),  # A1 (K1), A4 (K6)
    ("LP", JAN, "diabetes"): (1, 0),  # A2; no population given
    ("LP", JAN, "ltc"): (1, 5),
    ("LP", FEB, "resident"): (3, 150),
    ("LP", FEB, "key_population"): (3, 50),
    ("LP", FEB, "elderly"): (2, 30),  # A1, A3 (K4 lists elderly)
    ("LP", FEB, "hypertension"): (2, 20),
    ("LP", FEB, "ltc"): (1, 5),
    **{("SH", m, "resident"): (3, 200) for m in (JAN, FEB)},
    **{("SH", m, "key_population"): (1, 50) for m in (JAN, FEB)},
    **{("SH", m, "elderly"): (1, 0) for m in (JAN, FEB)},
    **{("SH", m, "ltc"): (0, 2) for m in (JAN, FEB)},
}
GROUPS = ("resident", "key_population", *landing.KEY_POPULATION_CODES)

OUTFLOW = {
    # (consortium, month, destination, region, tier, visit type) -> (settlements, total, fund)
    ("LP", JAN, "HYH", "441602", "city_hospital", "inpatient"): (1, 12000, 9000),
    ("LP", JAN, "GDH", "440104", "provincial_hospital", "outpatient"): (1, 600, 400),
    ("LP", FEB, "H44030400001", "440304", None, "inpatient"): (1, 20000, 15000),
    ("SH", FEB, "H32010600001", "320106", None, "inpatient"): (1, 10000, 7000),
}

WORK_POINTS = {
    # (consortium, month, institution, item) -> (services, points, points year to date)
    ("LP", JAN, "LPT", "hypertension_followup"): (2, 5.0, 5.0),
    ("LP", JAN, "LPT", "health_record"): (1, 1.0, 1.0),
    ("LP", FEB, "LPV", "diabetes_followup"): (1, 2.5, 2.5),
    ("LP", FEB, "LPT", "health_record"): (1, 1.0, 2.0),
    ("SH", JAN, "SHC", "diabetes_followup"): (1, 2.5, 2.5),
}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("second_release")
    landing.write_landing(root / "landing")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KPI_PSEUDONYM_KEY", TEST_KEY.decode())
        code = main(
            ["run", "--landing", str(root / "landing"), "--warehouse", str(root / "kpi.duckdb")]
        )
    assert code == 0
    return root / "kpi.duckdb"


def rows(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.sql(sql).fetchall()


def ratio(numerator: float, denominator: float) -> float | None:
    return None if denominator == 0 else numerator / denominator


def same(a, b) -> bool:
    if b is None or a is None:
        return a is b
    if isinstance(b, str):
        return a == b
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)


def test_every_contract_fault_is_quarantined_with_exactly_its_reason(warehouse) -> None:
    quarantined = rows(
        warehouse,
        "SELECT business_date::VARCHAR, source_code, kind, row_number, reason FROM quarantine_rows",
    )
    expected = [
        (landing.FAULT_DATE, "SHC", "contracts", n, reason)
        for n, (_, reason) in enumerate(landing.CONTRACT_FAULTS, start=1)
        if reason
    ]
    assert sorted(quarantined) == sorted(expected)
    files = rows(
        warehouse,
        "SELECT rows_read, rows_loaded, rows_quarantined FROM ingest_files "
        f"WHERE kind = 'contracts' AND source_code = 'SHC' AND business_date = '{landing.FAULT_DATE}'",
    )
    assert files == [(len(landing.CONTRACT_FAULTS), 1, len(expected))]
    assert rows(
        warehouse,
        "SELECT count(*) FROM ingest_files WHERE rows_read <> rows_loaded + rows_quarantined",
    ) == [(0,)]


def test_contracts_keep_their_latest_state(warehouse) -> None:
    contracts = dict(
        (cid, rest)
        for cid, *rest in rows(
            warehouse,
            "SELECT contract_id, status, terminated_date::VARCHAR, key_populations, hospital_codes,"
            " state_count FROM fct_contracts",
        )
    )
    assert sorted(contracts) == ["K1", "K2", "K3", "K4", "K5", "K6", "K7", "K8", "K9"]
    assert contracts["K2"] == ["terminated", "2025-02-14", "diabetes", None, 2]
    assert contracts["K1"][2] == "elderly;hypertension"  # Chinese labels, sorted codes
    assert contracts["K4"][2] == "elderly;ltc"
    assert contracts["K6"][:3] == ["active", None, "hypertension"]  # 有效 under Chinese headers
    bridge = rows(
        warehouse,
        "SELECT contract_id, hospital_position, hospital_code, hospital_tier, is_registered FROM bridge_contract_hospitals ORDER BY ALL",
    )
    assert bridge == [
        ("K7", 1, "SHD", "county_hospital", True),
        ("K7", 2, "SHR", "city_hospital", True),
        ("K8", 1, "SHD", "county_hospital", True),
        ("K8", 2, "H31010100099", None, False),  # a national code, not in the registry
    ]


def test_the_new_kpis_are_exactly_the_hand_worked_cells(warehouse) -> None:
    published = {
        (c, m, k): (n, d, v, t, b)
        for c, m, k, n, d, v, t, b in rows(
            warehouse,
            "SELECT consortium_id, month::VARCHAR, kpi_id, numerator, denominator, value, target,"
            f" better FROM kpi_monthly WHERE kpi_id IN {NEW_KPIS}",
        )
    }
    assert len(published) == len(CONSORTIA) * len(MONTHS) * len(NEW_KPIS)
    wrong = []
    for c in CONSORTIA:
        for m in MONTHS:
            for k in NEW_KPIS:
                n, d = KPI_CELLS.get((c, m, k), (0, 0))
                want = (n, d, ratio(n, d), DEFAULT_TARGETS.get(k), BETTER.get(k, "higher"))
                got = published[c, m, k]
                if not all(same(a, b) for a, b in zip(got, want, strict=True)):
                    wrong.append(f"{(c, m, k)}: published {got}, worked by hand {want}")
    assert wrong == []


def test_kpi_institution_monthly_holds_the_hand_worked_parts(warehouse) -> None:
    published = {
        (c, m, k, i): (n, d, v)
        for c, m, k, i, n, d, v in rows(
            warehouse,
            "SELECT consortium_id, month::VARCHAR, kpi_id, institution_code, numerator,"
            f" denominator, value FROM kpi_institution_monthly WHERE kpi_id IN {NEW_KPIS}",
        )
    }
    assert sorted(published) == sorted(INSTITUTION_PARTS)
    for key, (n, d) in INSTITUTION_PARTS.items():
        assert all(same(a, b) for a, b in zip(published[key], (n, d, ratio(n, d)), strict=True)), (
            key
        )
    # the registry says which add up; kpi_definitions carries it
    adds_up = dict(rows(warehouse, "SELECT kpi_id, parts_add_up FROM kpi_definitions"))
    assert {k for k in NEW_KPIS if adds_up[k]} == {
        "signed_contracted_visit_share",
        "in_region_visit_share",
        "tcm_visit_share",
    }


def test_signing_by_population_group_is_the_hand_worked_grid(warehouse) -> None:
    published = {
        (c, m, g): (s, p, r)
        for c, m, g, s, p, r in rows(
            warehouse,
            "SELECT consortium_id, month::VARCHAR, population_group, signed, population, rate"
            " FROM signing_by_population_group",
        )
    }
    assert len(published) == len(CONSORTIA) * len(MONTHS) * len(GROUPS)
    for c in CONSORTIA:
        for m in MONTHS:
            for g in GROUPS:
                s, p = POPULATION_GROUPS.get((c, m, g), (0, 0))
                got = published[c, m, g]
                assert all(same(a, b) for a, b in zip(got, (s, p, ratio(s, p)), strict=True)), (
                    c,
                    m,
                    g,
                    got,
                )


def test_outflow_and_work_points_are_the_hand_worked_rows(warehouse) -> None:
    outflow = {
        tuple(r[:6]): tuple(r[6:])
        for r in rows(
            warehouse,
            "SELECT consortium_id, month::VARCHAR, destination_institution_code,"
            " destination_region_code, destination_tier, visit_type, settlements, total_amount,"
            " fund_paid FROM outflow_monthly",
        )
    }
    assert outflow == OUTFLOW
    points = {
        tuple(r[:4]): tuple(r[4:])
        for r in rows(
            warehouse,
            "SELECT consortium_id, month::VARCHAR, institution_code, service_item, services,"
            " points, points_ytd FROM public_health_work_points",
        )
    }
    assert points == WORK_POINTS
