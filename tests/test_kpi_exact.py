"""`kpi run` publishes exactly the KPI values worked out by hand (the acceptance test).

The landing zone is tests/kpi_landing.py: two consortia, LP01 (county community, region 441623)
and CZ01 (urban alliance, city 341100, which matches every 3411xx code), with records in January
and February 2024. So kpi_monthly holds 2 consortia x 2 months x 10 KPIs of the first release =
40 rows, every one of which is worked out below from the landing files and the KPI definitions
(the eight KPIs of the second release have their own landing zone: test_second_release_exact.py).

Night 1 runs `kpi run` on the landing zone and compares the whole published kpi_monthly (numerator,
denominator, value, target, better, meets_target) with the hand-worked table. Night 2 adds, on
business date 2024-02-12, a reversal of January's settlement C1 and a 'cancelled' event for
January's referral R1 (accepted on night 1), runs `kpi run` again, and checks that the cells
that changed are exactly the expected ones, with the expected new values.

source_completeness is not compared: it is a delivery-status measure (not a KPI figure), and
night 2's new business date changes it by design.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import duckdb
import kpi_landing
import pytest
from landing_kit import TEST_KEY

from cli.main import main

JAN, FEB = "2024-01-01", "2024-02-01"
HIGHER, LOWER = "higher", "lower"
BETTER = {
    "primary_care_visit_share": HIGHER,
    "referral_down_up_ratio": HIGHER,
    "out_of_region_referral_share": LOWER,
    "in_region_fund_share": HIGHER,
    "primary_care_fund_share": HIGHER,
    "in_region_inpatient_share": HIGHER,
    "in_region_inpatient_cost": LOWER,
    "public_health_task_completion": HIGHER,
    "hypertension_control_rate": HIGHER,
    "diabetes_control_rate": HIGHER,
}

# (consortium, month, kpi_id) -> (numerator, denominator, target, meets_target).
# value = numerator / denominator, NULL when the denominator is 0; meets_target is NULL when the
# value or the target is NULL, else value >= target (higher is better) or value <= target (lower).
# Targets: reference/kpi_targets.csv for (kpi, consortium, 2024), else the registry defaults
# primary_care_visit_share 0.65, in_region_inpatient_share 0.90, public_health_task_completion
# 1.00, else NULL.
EXPECTED_NIGHT_ONE: dict[tuple[str, str, str], tuple[float, float, float | None, bool | None]] = {
    # == primary_care_visit_share: outpatient/emergency/home visits at institutions that are
    # lead or member on the visit date; primary care = village/community/township/clinic tiers.
    # LP01 January: LPH001 (county hospital, not primary care) V101, V102, V103 (emergency) and
    # V107 (dated 30 Jan, delivered 1 Feb: a January visit) = 4; V104 is an inpatient stay.
    # LPT001 V201, V202, V203, V204 (home) = 4; LPV001 V301, V302 = 2; LPT002 V402 (16 Jan, the
    # day it joined) and V403 = 2, not V401 (10 Jan, when its registry row was 'external');
    # LPV002 V802 (31 Jan, its last day as a member) = 1. 4 + 2 + 2 + 1 = 9 of 4 + 9 = 13.
    # Target LP01 2024 = 0.70; 9/13 = 0.692 misses it.
    ("LP01", JAN, "primary_care_visit_share"): (9, 13, 0.70, False),
    # LP01 February: V105 (LPH001), V205 (LPT001), V901 (LPV003, member since 6 Feb) -> 2 of 3;
    # V801 at LPV002 (left on 31 Jan) and V106 (inpatient, discharged 2 Feb) do not count.
    ("LP01", FEB, "primary_care_visit_share"): (2, 3, 0.70, False),
    # CZ01 January: CZH001 (city hospital) V501-V504 = 4; CZC001 V601-V603 = 3 and CZS001 V701
    # = 1 (primary care) -> 4 of 8 = 0.5. No 2024 target for CZ01 (its 0.40 is for 2023): the
    # default 0.65, missed.
    ("CZ01", JAN, "primary_care_visit_share"): (4, 8, 0.65, False),
    # CZ01 February: no visit -> 0 / 0, value NULL, meets NULL.
    ("CZ01", FEB, "primary_care_visit_share"): (0, 0, 0.65, None),
    # == referrals: effective = latest status (latest business date) accepted/completed; sender
    # lead or member on the referral date; month of referral_date. Levels: village 1, township 2,
    # county hospital 3, city/provincial hospital 4; community station 1, community center 2.
    # LP01 January: R1 LPT001(2)->LPH001(3) up; R2 LPH001(3)->LPT001(2) down; R3 LPH001(3)->
    # HYH001(4, region 441602) up, out of region; R7 LPH001(3)->LPV001(1) down (issued 25 Jan,
    # accepted 26 Jan); R11 LPV001(1)->LPH001(3) up (issued 30 Jan, accepted on business date
    # 1 Feb: still January). Not counted: R4 issued only; R5 accepted then cancelled (22 Jan);
    # R6 sent by LPT002 on 10 Jan, before it joined; R8 LPT001(2)->LPT002(2) lateral; R10
    # rejected. Down 2 (R2, R7), up 3 (R1, R3, R11); out of region 1 (R3).
    ("LP01", JAN, "referral_down_up_ratio"): (2, 3, None, None),
    # Target LP01 0.10 (lower is better): 1/3 misses.
    ("LP01", JAN, "out_of_region_referral_share"): (1, 3, 0.10, False),
    # LP01 February: R9 LPV001(1)->LPH001(3) up, inside the county -> 0 / 1 and 0 / 1 (0 <= 0.10).
    ("LP01", FEB, "referral_down_up_ratio"): (0, 1, None, None),
    ("LP01", FEB, "out_of_region_referral_share"): (0, 1, 0.10, True),
    # CZ01 January: R24 CZH001(4)->CZC001(2) down; up R21 CZS001(1)->CZH001(4, 341102: inside
    # city 341100), R22 CZC001(2)->NJH001(4, 320106: outside), R23 CZC001(2)->CZK001(3, 341122:
    # a county of the city, inside). Down 1, up 3, out 1. Target CZ01 0.5: 1/3 misses.
    ("CZ01", JAN, "referral_down_up_ratio"): (1, 3, 0.5, False),
    ("CZ01", JAN, "out_of_region_referral_share"): (1, 3, None, None),
    # CZ01 February: no referral -> 0 / 0.
    ("CZ01", FEB, "referral_down_up_ratio"): (0, 0, 0.5, None),
    ("CZ01", FEB, "out_of_region_referral_share"): (0, 0, None, None),
    # == claims: live settlements (record_type settle, not reversed) of people insured in the
    # consortium's region, by settlement month; pharmacies (P codes) excluded; an institution's
    # region from the registry, or from its national code when unregistered; independent of
    # membership.
    # LP01 January, insured 441623 (fund_paid, in region?, primary care?, inpatient total):
    #   C2 150 in, pc (LPT001)          C1 7000 in (LPH001), inpatient 10000
    #   C3 80 in, pc (LPV001)           C12 70 in, pc (LPT002 before it joined: still counts)
    #   C4 9000 out (unregistered H44010600001, 440106), inpatient 15000
    #   C6 2400 in, pc (LPT001), inpatient 3000
    #   C8 600 out (HYH001, 441602; delivered by two bureaus, counted once)
    #   C9 300 in, not pc (unregistered H44162300099 in 441623: hospital of unknown tier)
    #   C13 40 in, pc (LPV002; settled 31 Jan, delivered 1 Feb)
    # Not counted: C5 (pharmacy), C7 (reversed by C7R) and C7R itself, C10 (insured 441602).
    # in region: 7000 + 150 + 80 + 70 + 2400 + 300 + 40 = 10040; insured total: 10040 + 9000 +
    # 600 = 19640. Primary care in region: 150 + 80 + 70 + 2400 + 40 = 2740 of 10040.
    ("LP01", JAN, "in_region_fund_share"): (10040, 19640, None, None),
    ("LP01", JAN, "primary_care_fund_share"): (2740, 10040, None, None),
    # inpatient stays C1, C4, C6; in region C1, C6 -> 2 / 3 = 0.667 >= LP01's own 0.60.
    ("LP01", JAN, "in_region_inpatient_share"): (2, 3, 0.60, True),
    # C1 10000 + C6 3000 over 2 stays = 6500 <= LP01's 6500 (lower is better; equal meets).
    ("LP01", JAN, "in_region_inpatient_cost"): (13000, 2, 6500, True),
    # LP01 February: C11 400 at LPH001 (not pc) and C14 60 at LPV002 (primary care in the
    # county, though no longer a member) -> 460 / 460, 60 / 460; no inpatient stay -> 0 / 0.
    ("LP01", FEB, "in_region_fund_share"): (460, 460, None, None),
    ("LP01", FEB, "primary_care_fund_share"): (60, 460, None, None),
    ("LP01", FEB, "in_region_inpatient_share"): (0, 0, 0.60, None),
    ("LP01", FEB, "in_region_inpatient_cost"): (0, 0, 6500, None),
    # CZ01 January, insured in 3411xx:
    #   C20 14000 (insured 341102, CZH001 341102: in), inpatient 20000
    #   C21 1000 (insured 341103, CZC001 341102: in, community center = pc)
    #   C22 24000 (insured 341122, unregistered H32010600001 in 320106: out), inpatient
    #   C26 4200 (insured 341122, CZK001 341122: in the city, county hospital), inpatient 6000
    # Not counted: C23 (pharmacy P34110200001), C24 (insured 320106).
    # in region 14000 + 1000 + 4200 = 19200 of 19200 + 24000 = 43200; pc 1000 of 19200;
    # stays C20, C22, C26, in region C20, C26 -> 2 / 3 < default 0.90; cost (20000 + 6000) / 2
    # = 13000 <= CZ01's 15000.
    ("CZ01", JAN, "in_region_fund_share"): (19200, 43200, None, None),
    ("CZ01", JAN, "primary_care_fund_share"): (1000, 19200, None, None),
    ("CZ01", JAN, "in_region_inpatient_share"): (2, 3, 0.90, False),
    ("CZ01", JAN, "in_region_inpatient_cost"): (26000, 2, 15000, True),
    # CZ01 February: C25 150 at CZS001 (community station, in) -> 150 / 150 twice; no stay.
    ("CZ01", FEB, "in_region_fund_share"): (150, 150, None, None),
    ("CZ01", FEB, "primary_care_fund_share"): (150, 150, None, None),
    ("CZ01", FEB, "in_region_inpatient_share"): (0, 0, 0.90, None),
    ("CZ01", FEB, "in_region_inpatient_cost"): (0, 0, 15000, None),
    # == public_health_task_completion: over the 2024 targets of institutions that were lead or
    # member on at least one day from 1 January to the month's end, min(distinct people served
    # year to date on days the institution was a member, target) over the sum of the targets.
    # The 2023 target (LPT001 health_record 5) and HYH001's (never a member) count nowhere.
    # LP01 January (LPV003 not yet a member: its target is out):
    #   LPT001 hypertension 3: P1, P2, P3, P4, P6 served = 5 -> 3
    #   LPT001 health_record 2: P1, P2, P5 = 3 -> 2
    #   LPV001 hypertension 2: P6 = 1 -> 1
    #   LPT002 vaccination 1: P8 (20 Jan); P7 (10 Jan) was before it joined -> 1
    #   LPV002 health_record 2: P9 (9 Jan) -> 1
    # 3 + 2 + 1 + 1 + 1 = 8 of 3 + 2 + 2 + 1 + 2 = 10; default target 1.00 missed.
    ("LP01", JAN, "public_health_task_completion"): (8, 10, 1.0, False),
    # LP01 February (year to date): LPV001 adds P12 (3 Feb) -> 2; LPV002's target still counts
    # (a member in January), P13 (5 Feb, after it left) does not -> 1; LPV003 (member from
    # 6 Feb) health_record 1: P16 (8 Feb) -> 1, P15 (3 Feb, before it joined) not.
    # 3 + 2 + 2 + 1 + 1 + 1 = 10 of 10 + 1 = 11.
    ("LP01", FEB, "public_health_task_completion"): (10, 11, 1.0, False),
    # CZ01: CZC001 health_record 4 (Q5, Q6 -> 2) and hypertension 2 (Q7 -> 1) -> 3 of 6, the
    # same in February (year to date, nothing new).
    ("CZ01", JAN, "public_health_task_completion"): (3, 6, 1.0, False),
    ("CZ01", FEB, "public_health_task_completion"): (3, 6, 1.0, False),
    # == hypertension_control_rate: people with a year-to-date follow-up at a member institution
    # (on the service date) with both pressures; their latest such follow-up (service_date, then
    # service_id as text, then institution_code as text) has SBP < 140 and DBP < 90.
    # LP01 January:
    #   P1: 150/95 (5 Jan), 130/85 (25 Jan) -> latest 130/85, controlled
    #   P2: 135/85 (10 Jan); S015 on 30 Jan has no DBP, so not a candidate -> controlled
    #   P3: 145/80 (12 Jan); on 28 Jan "10" 130/80 and "9" 150/95: "9" > "10" as text ->
    #       150/95, not controlled
    #   P4: no DBP at all -> not in the denominator
    #   P6: S101 on 8 Jan at LPT001 150/95 and at LPV001 139/89: "LPV001" > "LPT001" ->
    #       139/89, controlled
    #   P14: at LPT002 on 10 Jan, before it joined -> nowhere
    # 3 of 4 = 0.75 >= LP01's target 0.75 (equal meets).
    ("LP01", JAN, "hypertension_control_rate"): (3, 4, 0.75, True),
    # February: + P12 140/85 at LPV001 (SBP not < 140) -> 3 of 5 = 0.6, missed.
    ("LP01", FEB, "hypertension_control_rate"): (3, 5, 0.75, False),
    # CZ01: Q7 128/78 -> 1 / 1 in January and (year to date) February.
    ("CZ01", JAN, "hypertension_control_rate"): (1, 1, None, None),
    ("CZ01", FEB, "hypertension_control_rate"): (1, 1, None, None),
    # == diabetes_control_rate: latest follow-up with glucose, < 7.0.
    # LP01 January: P1 8.2 (no), P10 6.5 (yes); P11 has no glucose -> 1 of 2.
    # February: P10's latest is 7.0 on 10 Feb (not < 7.0) -> 0 of 2.
    ("LP01", JAN, "diabetes_control_rate"): (1, 2, None, None),
    ("LP01", FEB, "diabetes_control_rate"): (0, 2, None, None),
    # CZ01: no diabetes follow-up -> 0 / 0 both months.
    ("CZ01", JAN, "diabetes_control_rate"): (0, 0, None, None),
    ("CZ01", FEB, "diabetes_control_rate"): (0, 0, None, None),
}

# Night 2 (business date 2024-02-12): C1R reverses C1 (7000 fund, 10000 total, inpatient at
# LPH001, settled 8 January); R1 (LPT001 -> LPH001, upward, 6 January) is cancelled. Both affect
# LP01's January only: CZ01's region (3411xx) does not match the insured region 441623, R1 was
# sent by an LP01 member, and the reversal row itself (dated 12 February) counts nowhere, so
# February is unchanged. Only these cells change:
EXPECTED_NIGHT_TWO_CHANGES = {
    # up R3, R11 (R1 gone); down R2, R7 -> 2 / 2; out of region R3 -> 1 / 2 (misses 0.10)
    ("LP01", JAN, "referral_down_up_ratio"): (2, 2, None, None),
    ("LP01", JAN, "out_of_region_referral_share"): (1, 2, 0.10, False),
    # without C1's 7000: in region 10040 - 7000 = 3040 of 19640 - 7000 = 12640
    ("LP01", JAN, "in_region_fund_share"): (3040, 12640, None, None),
    # primary care unchanged 2740, of 3040
    ("LP01", JAN, "primary_care_fund_share"): (2740, 3040, None, None),
    # stays C4 (out), C6 (in) -> 1 / 2 = 0.5 < 0.60: now misses
    ("LP01", JAN, "in_region_inpatient_share"): (1, 2, 0.60, False),
    # C6 only: 3000 / 1 <= 6500
    ("LP01", JAN, "in_region_inpatient_cost"): (3000, 1, 6500, True),
}

Key = tuple[str, str, str]


def kpi_run(root: Path) -> int:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KPI_PSEUDONYM_KEY", TEST_KEY.decode())
        return main(
            ["run", "--landing", str(root / "landing"), "--warehouse", str(root / "kpi.duckdb")]
        )


def published(warehouse: Path) -> dict[Key, tuple]:
    """kpi_monthly as {(consortium, month, kpi): (numerator, denominator, value, target,
    better, meets_target)} for the KPIs of the first release (the second release's are worked
    by hand in test_second_release_exact.py); fails on a repeated key."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "SELECT consortium_id, month, kpi_id, numerator, denominator, value, target, better,"
            " meets_target FROM kpi_monthly WHERE list_contains($kpis, kpi_id)",
            {"kpis": list(BETTER)},
        ).fetchall()
    table: dict[Key, tuple] = {}
    for consortium, month, kpi, *figures in rows:
        assert isinstance(month, dt.date)
        key = (consortium, month.isoformat(), kpi)
        assert key not in table, f"kpi_monthly repeats {key}"
        table[key] = tuple(figures)
    return table


def expected_row(kpi: str, worked: tuple) -> tuple:
    numerator, denominator, target, meets = worked
    value = None if denominator == 0 else numerator / denominator
    return (numerator, denominator, value, target, BETTER[kpi], meets)


def mismatches(got: dict[Key, tuple], want: dict[Key, tuple]) -> list[str]:
    """Cells whose published row differs from the hand-worked one (values compared to 1e-12)."""

    def same(a, b) -> bool:
        if b is None or isinstance(b, bool):  # NULL, meets_target
            return a is b
        if isinstance(b, str):  # better
            return a == b
        return isinstance(a, float) and math.isclose(a, b, rel_tol=1e-12, abs_tol=0.0)

    out = []
    for key in sorted(set(got) | set(want)):
        g, w = got.get(key), want.get(key)
        if g is None or w is None or not all(same(a, b) for a, b in zip(g, w, strict=True)):
            out.append(f"{key}: published {g}, worked by hand {w}")
    return out


@pytest.fixture(scope="module")
def nights(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("kpi_exact")
    warehouse = root / "kpi.duckdb"
    kpi_landing.write_night_one(root / "landing")
    assert kpi_run(root) == 0
    first = published(warehouse)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        quarantined_one = con.sql("SELECT * FROM quarantine_rows").fetchall()
    kpi_landing.add_night_two(root / "landing")
    assert kpi_run(root) == 0
    second = published(warehouse)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        quarantined_two = con.sql("SELECT * FROM quarantine_rows").fetchall()
        loaded = dict(
            con.sql(
                "SELECT kind, sum(rows_loaded) FROM ingest_files WHERE status = 'loaded' GROUP BY kind"
            ).fetchall()
        )
    return {
        "warehouse": warehouse,
        "first": first,
        "second": second,
        "quarantined": quarantined_one + quarantined_two,
        "loaded": loaded,
    }


def test_every_landed_row_is_loaded(nights) -> None:
    # the fixture follows the extract contract: nothing quarantined, so every hand-counted row
    # is in play
    assert nights["quarantined"] == []
    assert nights["loaded"] == kpi_landing.record_counts()


def test_night_one_publishes_exactly_the_hand_worked_table(nights) -> None:
    assert len(EXPECTED_NIGHT_ONE) == 2 * 2 * len(BETTER)
    want = {key: expected_row(key[2], worked) for key, worked in EXPECTED_NIGHT_ONE.items()}
    assert mismatches(nights["first"], want) == []


def test_night_two_changes_exactly_the_affected_cells(nights) -> None:
    first, second = nights["first"], nights["second"]
    assert set(second) == set(first)  # same grid: the night-2 records lie in Jan/Feb 2024
    changed = {key for key in first if first[key] != second[key]}
    assert changed == set(EXPECTED_NIGHT_TWO_CHANGES)
    want = {
        key: expected_row(key[2], EXPECTED_NIGHT_TWO_CHANGES.get(key, worked))
        for key, worked in EXPECTED_NIGHT_ONE.items()
    }
    assert mismatches(second, want) == []


@pytest.mark.slow
def test_incremental_facts_equal_a_full_rebuild(nights) -> None:
    """Night 2 reverses a settlement and cancels a referral of an earlier month, beside late
    deliveries and an institution that joined: the incremental facts and the KPI mart equal a
    --full-refresh build of the same file, and the in_sync_with tests pass."""
    from warehouse.transform import verify_incremental

    differences = verify_incremental(nights["warehouse"])
    assert set(differences) >= {"fct_visits", "fct_claims", "fct_referrals", "kpi_monthly"}
    assert {t: rows for t, rows in differences.items() if rows} == {}
