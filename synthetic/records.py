"""Daily synthetic records, typed and vectorised (numpy/pyarrow; no per-row Python).

Each function returns a ``Records``: typed columns (enum indices, epoch days, cents, indices into
the world's code lists, ready-made ID strings) plus the source that delivers each row, sorted by
source. ``generate_format`` turns them into the strings a file carries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ingest.contract import CLAIMS, CONTRACTS, KEY_POPULATIONS, REFERRALS, TIERS, VISITS
from synthetic.people import (
    ascii_digits,
    cohort_people,
    days_for_ages,
    fixed_width_strings,
    patient_ids,
)
from synthetic.world import (
    ITEM_NAMES,
    KEY_POPULATION_RATES,
    PH_ITEMS,
    PRIMARY_TIERS,
    World,
    ph_cohorts,
)

EPOCH = date(1970, 1, 1)
VISIT_TYPES = tuple(VISITS.column("visit_type").labels)  # outpatient, emergency, inpatient, home
STATUSES = tuple(REFERRALS.column("status").labels)  # issued, accepted, completed, rejected, ...
SCHEMES = tuple(CLAIMS.column("insurance_scheme").labels)  # employee, resident
CLAIM_TYPES = tuple(CLAIMS.column("visit_type").labels)  # outpatient, inpatient
RECORD_TYPES = tuple(CLAIMS.column("record_type").labels)  # settle, reverse
OUTPATIENT, EMERGENCY, INPATIENT, HOME = (
    VISIT_TYPES.index(t) for t in ("outpatient", "emergency", "inpatient", "home")
)
VISIT_PREFIX = {OUTPATIENT: "MZ", EMERGENCY: "JZ", INPATIENT: "ZY", HOME: "JT"}

# Monday..Sunday activity, normalised to a mean of 1.
DOW_VISITS = np.array([1.15, 1.05, 1.02, 1.0, 0.98, 0.75, 0.6])
DOW_DISCHARGES = np.array([1.1, 1.1, 1.1, 1.1, 1.1, 0.8, 0.7])
DOW_PUBLIC_HEALTH = np.array([1.15, 1.15, 1.15, 1.15, 1.1, 0.25, 0.1])
DOW_CONTRACTS = np.array([1.2, 1.15, 1.1, 1.1, 1.05, 0.3, 0.1])
for _dow in (DOW_VISITS, DOW_DISCHARGES, DOW_PUBLIC_HEALTH, DOW_CONTRACTS):
    _dow /= _dow.mean()

TIER = {t: k for k, t in enumerate(TIERS)}
# Per tier: P(outpatient, emergency, home) of a non-inpatient visit, median outpatient cost
# (yuan), inpatient cost per day (yuan), mean length of stay (days).
_TIER_PARAMS = {
    "village_clinic": ((0.9, 0.0, 0.1), 35, 0, 0),
    "community_station": ((0.9, 0.0, 0.1), 55, 0, 0),
    "clinic": ((0.95, 0.0, 0.05), 60, 0, 0),
    "township_center": ((0.92, 0.04, 0.04), 90, 450, 5),
    "community_center": ((0.93, 0.02, 0.05), 110, 500, 6),
    "county_hospital": ((0.9, 0.1, 0.0), 260, 950, 8),
    "city_hospital": ((0.9, 0.1, 0.0), 380, 1400, 9),
    "provincial_hospital": ((0.9, 0.1, 0.0), 500, 2000, 10),
    "public_health_agency": ((1.0, 0.0, 0.0), 80, 0, 0),
}
TYPE_P = np.array([_TIER_PARAMS[t][0] for t in TIERS])
OP_COST = np.array([_TIER_PARAMS[t][1] for t in TIERS], dtype=float)
IP_DAY_COST = np.array([_TIER_PARAMS[t][2] for t in TIERS], dtype=float)
IP_LOS = np.array([_TIER_PARAMS[t][3] for t in TIERS], dtype=float)

DEPARTMENTS = (
    "内科",
    "外科",
    "儿科",
    "妇产科",
    "骨科",
    "眼科",
    "中医科",
    "急诊科",
    "全科",
    "预防保健科",
    "口腔科",
    "神经内科",
)
_HOSPITAL_DEPTS = np.array([0.34, 0.16, 0.12, 0.1, 0.1, 0.05, 0.08, 0, 0, 0, 0.05, 0])
_PRIMARY_DEPTS = np.array([0.15, 0, 0, 0, 0, 0, 0.15, 0, 0.55, 0.1, 0.05, 0])
_WARD_DEPTS = np.array([0.3, 0.2, 0.1, 0.12, 0.13, 0, 0.05, 0, 0, 0, 0, 0.1])
OUTPATIENT_DX = {
    "J06.9": 16,
    "I10": 14,
    "E11.9": 7,
    "K29.7": 6,
    "J20.9": 7,
    "M54.5": 5,
    "N39.0": 3,
    "L30.9": 3,
    "H10.9": 2,
    "Z00.0": 5,
    "R50.9": 3,
    "A09": 4,
    "J02.9": 6,
    "K52.9": 3,
    "M17.9": 4,
    "I25.1": 4,
    "J45.9": 3,
    "E78.5": 4,
}
INPATIENT_DX = {
    "I63.9": 12,
    "J18.9": 14,
    "I25.1": 9,
    "K35.8": 6,
    "O80": 7,
    "S72.0": 4,
    "N18.9": 4,
    "E11.9": 8,
    "C34.9": 4,
    "K80.2": 5,
    "J44.1": 9,
    "I50.9": 6,
    "I10": 7,
    "S82.2": 5,
}
DIAGNOSES = tuple(dict.fromkeys([*OUTPATIENT_DX, *INPATIENT_DX]))
_OP_DX_P = np.array([OUTPATIENT_DX.get(d, 0) for d in DIAGNOSES], dtype=float)
_IP_DX_P = np.array([INPATIENT_DX.get(d, 0) for d in DIAGNOSES], dtype=float)
_OP_DX_P /= _OP_DX_P.sum()
_IP_DX_P /= _IP_DX_P.sum()


def _age_pmf(weights: dict[tuple[int, int], float]) -> np.ndarray:
    """Ages 0..99: a population pyramid that thins after 60, times a use rate per age band."""
    ages = np.arange(100)
    population = np.where(ages < 60, 1.0, np.maximum(0.02, 1 - (ages - 60) / 42))
    rate = np.ones(100)
    for (lo, hi), w in weights.items():
        rate[lo : hi + 1] = w
    pmf = population * rate
    return pmf / pmf.sum()


VISIT_AGES = _age_pmf({(0, 6): 1.6, (7, 17): 0.6, (18, 44): 0.8, (45, 64): 1.2, (65, 99): 2.0})
INPATIENT_AGES = _age_pmf({(0, 6): 0.8, (7, 17): 0.3, (18, 44): 0.7, (45, 64): 1.4, (65, 99): 3.0})

# Referral targets by the sender's level: (target class, probability); see World.referral_pool.
REFERRAL_RATE = {1: 0.005, 2: 0.01, 3: 0.01, 4: 0.004}
REFERRAL_TARGETS = {
    1: ((2, 0.8), (1, 0.2)),
    2: ((1, 0.72), (4, 0.04), (3, 0.16), (2, 0.08)),
    3: ((4, 0.25), (2, 0.55), (3, 0.08), (1, 0.12)),
    4: ((2, 0.75), (3, 0.15), (4, 0.10)),
}


@dataclass
class Records:
    """One day's rows of one kind, sorted by the source that delivers them."""

    kind: str
    source: np.ndarray
    cols: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.source)

    def take(self, index: np.ndarray) -> Records:
        return Records(
            self.kind, self.source[index], {k: _take(v, index) for k, v in self.cols.items()}
        )


def _take(values: Any, index: np.ndarray) -> Any:
    if isinstance(values, pa.Array | pa.ChunkedArray):
        return values.take(pa.array(index, type=pa.int64()))
    return values[index]


def concat(parts: list[Records]) -> Records:
    parts = [p for p in parts if len(p)] or parts[:1]
    cols = {}
    for name in parts[0].cols:
        values = [p.cols[name] for p in parts]
        if isinstance(values[0], pa.Array | pa.ChunkedArray):
            cols[name] = pa.concat_arrays([_chunk(v) for v in values])
        else:
            cols[name] = np.concatenate(values)
    return Records(parts[0].kind, np.concatenate([p.source for p in parts]), cols)


def _chunk(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def sort_by_source(records: Records) -> Records:
    return records.take(np.argsort(records.source, kind="stable"))


def epoch_day(day: date) -> int:
    return (day - EPOCH).days


def serial_ids(prefix: str, day: date, n: int, first: int = 0) -> pa.Array:
    """prefix + YYYYMMDD + 7-digit serial: unique per day and prefix."""
    head = np.frombuffer(f"{prefix}{day:%Y%m%d}".encode("ascii"), dtype=np.uint8)
    chars = np.empty((n, len(head) + 7), dtype=np.uint8)
    chars[:, : len(head)] = head
    chars[:, len(head) :] = ascii_digits(np.arange(first, first + n), 7)
    return fixed_width_strings(chars)


class WorldArrays:
    """Per-institution numpy views of the world, built once per generation."""

    def __init__(self, world: World) -> None:
        insts = world.insts
        self.world = world
        self.tier = np.array([TIER[i.tier] for i in insts])
        self.level = np.array([i.level for i in insts])
        self.region = np.array([world.region_index(i.region) for i in insts])
        self.consortium = np.array([i.consortium for i in insts])
        self.primary = np.array([i.tier in PRIMARY_TIERS for i in insts])
        self.delivers = np.flatnonzero([i.delivers for i in insts])
        self.visits = np.array([i.visits for i in insts])
        self.inpatients = np.array([i.inpatients for i in insts])
        cohorts = sorted(ph_cohorts(world).items())
        self.ph_inst = np.array([i for (i, _), _ in cohorts], dtype=np.int64)
        self.ph_item = np.array([ITEM_NAMES.index(item) for (_, item), _ in cohorts])
        self.ph_size = np.array([size for _, size in cohorts], dtype=np.int64)
        self.ph_freq = np.array([PH_ITEMS[ITEM_NAMES[k]][1] for k in self.ph_item], dtype=float)
        self.ph_providers = np.unique(self.ph_inst)
        self.ht_control = np.array([c.ht_control for c in world.consortia])
        self.dm_control = np.array([c.dm_control for c in world.consortia])
        self._contract_arrays(world, cohorts)

    def _contract_arrays(self, world: World, cohorts: list) -> None:
        """Who signs family-doctor contracts where, how often, and with which hospitals."""
        insts = world.insts
        n = len(insts)
        self.signers = np.flatnonzero([i.delivers and bool(i.service) for i in insts])
        self.sign_rate = np.zeros(n)  # contract-years starting per day (signed people / 365)
        group_weight = np.zeros((n, len(SIGN_GROUPS)))
        self.group_pop = np.ones((n, len(SIGN_GROUPS)))
        for i in self.signers:
            inst = insts[i]
            service, key = inst.service, inst.service["key_population"]
            others = inst.signed_other * (service["resident"] - key)
            self.sign_rate[i] = (inst.signed_key * key + others) / 365
            weights = {code: service[code] * w for code, *_, w in SIGN_GROUPS if code}
            for g, (code, *_rest) in enumerate(SIGN_GROUPS):
                if code is None:
                    group_weight[i, g] = others
                else:  # the signed key population over its groups, by size and priority
                    share = weights[code] / sum(weights.values())
                    group_weight[i, g] = inst.signed_key * key * share
                    self.group_pop[i, g] = max(1, service[code])
        total = np.maximum(group_weight.sum(axis=1, keepdims=True), 1e-9)
        self.group_cum = np.cumsum(group_weight / total, axis=1)
        self.group_cum[:, -1] = 1.0
        self.cohort_of = np.full((n, len(ITEM_NAMES)), -1, dtype=np.int64)
        for k, ((i, item), _size) in enumerate(cohorts):
            self.cohort_of[i, ITEM_NAMES.index(item)] = k
        self.teams = np.array([max(1, i.teams) for i in insts], dtype=np.int64)
        # A second contract elsewhere: the next signing institution of the same consortium.
        self.alt_signer = np.full(n, -1, dtype=np.int64)
        for c in np.unique(self.consortium[self.signers]):
            mine = self.signers[self.consortium[self.signers] == c]
            if len(mine) > 1:
                self.alt_signer[mine] = np.roll(mine, -1)
        self.hospital_pools = _hospital_pools(world)
        # The running contracts of the zone's opening day, by institution (opening_contracts).
        self.roster: Records | None = None
        self.roster_start = np.zeros(n, dtype=np.int64)
        self.roster_size = np.zeros(n, dtype=np.int64)
        self.urban = np.array(
            [
                i.consortium >= 0 and world.consortia[i.consortium].kind != "county_community"
                for i in insts
            ],
            dtype=bool,
        )


def _hospital_pools(world: World) -> dict[int, tuple[np.ndarray, np.ndarray, int]]:
    """Per urban consortium (1+1+1: a district/county-level and a city-level hospital):
    registered district-level hospitals of its districts (tier county_hospital, or a
    district people's hospital 区人民医院 doubling as a centre), the registered city hospitals
    of its city, and its own lead if that is one of them."""
    pools = {}
    insts = world.insts
    for c, cons in enumerate(world.consortia):
        if cons.kind == "county_community" or not cons.home_regions:
            continue
        district = [
            k
            for k, i in enumerate(insts)
            if i.region in cons.home_regions
            and (i.tier == "county_hospital" or "区人民医院" in i.name)
        ]
        city = [
            k
            for k, i in enumerate(insts)
            if i.tier == "city_hospital" and i.region[:4] == cons.region[:4]
        ]
        lead = cons.lead if cons.lead in city else -1
        pools[c] = (np.array(district, dtype=np.int64), np.array(city, dtype=np.int64), lead)
    return pools


# People ------------------------------------------------------------------------------------


def _ages(rng: np.random.Generator, n: int, pmf: np.ndarray) -> np.ndarray:
    return rng.choice(len(pmf), size=n, p=pmf)


def _people(
    rng: np.random.Generator, wa: WorldArrays, region: np.ndarray, ages: np.ndarray
) -> dict[str, Any]:
    """Random residents of the given regions and ages: ID, sex code, birth day, scheme."""
    world = wa.world
    day = days_for_ages(rng, world.grid, ages)
    s = (rng.random(len(region)) * world.region_s[region]).astype(np.int64)
    male = (rng.random(len(region)) < 0.47).astype(np.int64)
    return _person_columns(wa, region, day, s, male)


def _person_columns(
    wa: WorldArrays, region: np.ndarray, day: np.ndarray, s: np.ndarray, male: np.ndarray
) -> dict[str, Any]:
    world = wa.world
    # Employee or resident insurance is a stable property of the person.
    mix = (day * 2_654_435_761 + s * 97 + male) % 1000 / 1000
    return {
        "patient_id": patient_ids(world.region_digits, region, world.grid, day, 2 * s + male),
        "sex": np.where(male == 1, 0, 1).astype(np.int8),  # index into ("1", "2")
        "birth_date": (world.grid.first_epoch_day + day).astype(np.int32),
        "scheme": np.where(mix < world.region_employee[region], 0, 1).astype(np.int8),
        "region": region,
    }


def _patient_regions(rng: np.random.Generator, wa: WorldArrays, inst: np.ndarray) -> np.ndarray:
    """Mostly the institution's own region; a few visitors from neighbouring regions."""
    home = wa.region[inst]
    away = rng.random(len(inst)) < np.where(wa.level[inst] >= 3, 0.07, 0.03)
    region = home.copy()
    for r in np.unique(home[away]):
        neighbours = wa.world.region_neighbours[r]
        rows = np.flatnonzero(away & (home == r))
        if len(neighbours):
            region[rows] = neighbours[rng.integers(0, len(neighbours), len(rows))]
    return region


def _lognormal_cents(rng: np.random.Generator, median: np.ndarray, sigma: float) -> np.ndarray:
    yuan = median * np.exp(rng.normal(0, sigma, len(median)))
    return np.maximum(100, np.round(yuan * 100)).astype(np.int64)


# Visits ------------------------------------------------------------------------------------


def visits(rng: np.random.Generator, wa: WorldArrays, day: date) -> Records:
    """Outpatient, emergency and home visits of the day, and the inpatient stays discharged
    on it (admitted earlier). Rows come out grouped by institution, no sort needed."""
    n_op = rng.poisson(wa.visits[wa.delivers] * DOW_VISITS[day.weekday()])
    n_ip = rng.poisson(wa.inpatients[wa.delivers] * DOW_DISCHARGES[day.weekday()])
    inst = np.repeat(wa.delivers, n_op + n_ip)
    # Within an institution's block the first n_op rows are visits, the rest inpatient stays.
    block_start = np.repeat(np.cumsum(n_op + n_ip) - (n_op + n_ip), n_op + n_ip)
    inpatient = np.arange(len(inst)) - block_start >= np.repeat(n_op, n_op + n_ip)
    tier = wa.tier[inst]
    u = rng.random(len(inst))
    p = TYPE_P[tier]
    vtype = np.where(u < p[:, 0], OUTPATIENT, np.where(u < p[:, 0] + p[:, 1], EMERGENCY, HOME))
    vtype[inpatient] = INPATIENT
    stay = np.zeros(len(inst), dtype=np.int64)
    mean_stay = IP_LOS[tier[inpatient]]
    stay[inpatient] = np.minimum(60, 1 + rng.gamma(2.0, (mean_stay - 1) / 2.0)).astype(np.int64)
    cost = _lognormal_cents(rng, OP_COST[tier] * np.where(vtype == EMERGENCY, 1.8, 1.0), 0.7)
    ip_cost = IP_DAY_COST[tier[inpatient]] * (stay[inpatient] + 1.5) * 100
    noise = np.exp(rng.normal(0, 0.35, inpatient.sum()))
    cost[inpatient] = np.round(ip_cost * noise).astype(np.int64)
    region = _patient_regions(rng, wa, inst)
    ages = np.where(
        inpatient, _ages(rng, len(inst), INPATIENT_AGES), _ages(rng, len(inst), VISIT_AGES)
    )
    people = _people(rng, wa, region, ages)
    today = epoch_day(day)
    dx_op = rng.choice(len(DIAGNOSES), len(inst), p=_OP_DX_P)
    dx_ip = rng.choice(len(DIAGNOSES), len(inst), p=_IP_DX_P)
    dx = np.where(inpatient, dx_ip, dx_op)
    dx[rng.random(len(inst)) < 0.03] = -1
    vtype = vtype.astype(np.int8)
    # Births happen to women of 18-45; a delivery coded for anyone else becomes pneumonia.
    man = people["sex"] == 0
    dx[(dx == DIAGNOSES.index("O80")) & (man | (ages < 18) | (ages > 45))] = DIAGNOSES.index(
        "J18.9"
    )
    if wa.roster is not None:
        _signed_residents(rng, wa, inst, vtype, people)
    return Records(
        "visits",
        inst,
        {
            "institution": inst,
            "visit_type": vtype,
            "visit_date": (today - stay).astype(np.int32),
            "discharge_date": np.where(inpatient, today, -1).astype(np.int32),
            "department": _departments(rng, wa, inst, vtype, ages, man),
            "diagnosis": dx,
            "total_cents": cost,
            "visit_id": _visit_ids(vtype, day),
            **people,
        },
    )


def _signed_residents(
    rng: np.random.Generator,
    wa: WorldArrays,
    inst: np.ndarray,
    vtype: np.ndarray,
    people: dict[str, Any],
) -> None:
    """Half of a primary-care institution's outpatient and home visits are by the residents
    signed with it (its family doctors' patients): their person columns replace the drawn ones.
    Drawn last, so the rest of the day is as without contracts."""
    size = wa.roster_size[inst]
    mine = np.flatnonzero(
        (vtype != INPATIENT) & (size > 0) & (rng.random(len(inst)) < SIGNED_VISITS)
    )
    pick = wa.roster_start[inst[mine]] + (rng.random(len(mine)) * size[mine]).astype(np.int64)
    roster = wa.roster.cols
    for column in ("sex", "birth_date", "scheme", "region"):
        people[column][mine] = roster[column][pick]
    mask = np.zeros(len(inst), dtype=bool)
    mask[mine] = True
    if len(mine):
        people["patient_id"] = pc.replace_with_mask(
            _chunk(people["patient_id"]),
            pa.array(mask),
            _chunk(roster["patient_id"]).take(pa.array(pick)),
        )


def _departments(
    rng: np.random.Generator,
    wa: WorldArrays,
    inst: np.ndarray,
    vtype: np.ndarray,
    ages: np.ndarray,
    man: np.ndarray,
) -> np.ndarray:
    n = len(inst)
    primary = wa.primary[inst]
    dept = np.where(
        primary,
        rng.choice(len(DEPARTMENTS), n, p=_PRIMARY_DEPTS / _PRIMARY_DEPTS.sum()),
        rng.choice(len(DEPARTMENTS), n, p=_HOSPITAL_DEPTS / _HOSPITAL_DEPTS.sum()),
    )
    ward = rng.choice(len(DEPARTMENTS), n, p=_WARD_DEPTS / _WARD_DEPTS.sum())
    dept = np.where(vtype == INPATIENT, ward, dept)
    # Hospitals send children to paediatrics and men never to obstetrics.
    paediatric, obstetric = DEPARTMENTS.index("儿科"), DEPARTMENTS.index("妇产科")
    dept = np.where(~primary & (ages < 14), paediatric, dept)
    dept = np.where((dept == paediatric) & (ages >= 14), DEPARTMENTS.index("内科"), dept)
    dept = np.where((dept == obstetric) & (man | (ages < 14)), DEPARTMENTS.index("外科"), dept)
    dept = np.where(vtype == EMERGENCY, DEPARTMENTS.index("急诊科"), dept)
    dept[rng.random(n) < 0.05] = -1  # department is optional and often left blank
    return dept


def _visit_ids(vtype: np.ndarray, day: date) -> pa.Array:
    """MZ/JZ/ZY/JT + date + serial: unique within (institution, visit_type) and beyond."""
    prefixes = np.array(
        [list(VISIT_PREFIX[k].encode()) for k in range(len(VISIT_TYPES))], dtype=np.uint8
    )
    chars = np.empty((len(vtype), 17), dtype=np.uint8)
    chars[:, :2] = prefixes[vtype]
    chars[:, 2:10] = np.frombuffer(f"{day:%Y%m%d}".encode(), dtype=np.uint8)
    chars[:, 10:] = ascii_digits(np.arange(len(vtype)), 7)
    return fixed_width_strings(chars)


# Claims ------------------------------------------------------------------------------------

_CLAIM_P = {OUTPATIENT: 0.5, EMERGENCY: 0.6, HOME: 0.3, INPATIENT: 0.96}
# Fund share of the total: [category][claim type][scheme employee/resident]; categories:
# 0 primary member, 1 other in-region, 2 outside the insured's region, 3 pharmacy.
_FUND = np.array(
    [
        [[0.65, 0.50], [0.88, 0.80]],
        [[0.55, 0.35], [0.80, 0.62]],
        [[0.40, 0.20], [0.65, 0.45]],
        [[0.35, 0.15], [0.35, 0.15]],
    ]
)


def claims(rng: np.random.Generator, wa: WorldArrays, day: date, visits_: Records) -> Records:
    """Settlements of the day: member visits, then care elsewhere and pharmacy purchases."""
    world = wa.world
    vt = visits_.cols["visit_type"]
    p = np.select([vt == k for k in _CLAIM_P], list(_CLAIM_P.values()))
    settled = visits_.take(np.flatnonzero(rng.random(len(vt)) < p))
    inst = settled.cols["institution"]
    region = settled.cols["region"]
    bureau = world.region_bureau[region]
    bureau = np.where(bureau >= 0, bureau, world.region_bureau[wa.region[inst]])
    ctype = (settled.cols["visit_type"] == INPATIENT).astype(np.int8)
    in_region = _in_region(world, region, world.code_region[inst])
    category = np.where(wa.primary[inst] & in_region, 0, np.where(in_region, 1, 2))
    parts = [
        Records(
            "claims",
            bureau,
            {
                "institution": inst,
                "visit_id": settled.cols["visit_id"],
                "patient_id": settled.cols["patient_id"],
                "region": region,
                "scheme": settled.cols["scheme"],
                "claim_type": ctype,
                "total_cents": settled.cols["total_cents"],
                "category": category,
            },
        )
    ]
    for r in np.flatnonzero(world.region_bureau >= 0):
        mine = region == r
        parts.append(_elsewhere(rng, wa, r, ctype[mine], in_region[mine]))
    merged = concat(parts)
    merged.cols["fund_cents"] = _fund(rng, merged)
    merged.cols["settlement_date"] = np.full(len(merged), epoch_day(day), dtype=np.int32)
    merged.cols["record_type"] = np.zeros(len(merged), dtype=np.int8)
    merged.cols["original_claim_id"] = pa.nulls(len(merged), pa.string())
    return merged


def _in_region(world: World, insured: np.ndarray, inst_region: np.ndarray) -> np.ndarray:
    """Is the institution inside the insured's region (county, or the whole city)?"""
    out = np.zeros(len(insured), dtype=bool)
    codes = np.array(world.region_codes)
    for r in np.unique(insured):
        rows = insured == r
        out[rows] = np.char.startswith(codes[inst_region[rows]], world.region_match[r])
    return out


def _elsewhere(
    rng: np.random.Generator, wa: WorldArrays, r: int, ctype: np.ndarray, in_region: np.ndarray
) -> Records:
    """Claims of region r's insured at non-member hospitals in the region, at hospitals outside
    it (sized so the in-region inpatient share is ~83-90%), and at pharmacies."""
    world = wa.world
    urban = world.region_match[r] != world.region_codes[r]
    n_op = int((ctype == 0).sum())
    n_ip_in = int(((ctype == 1) & in_region).sum())
    private_op = rng.poisson(n_op * (0.35 if urban else 0.08))
    private_ip = rng.poisson(n_ip_in * (0.25 if urban else 0.06))
    share = world.region_in_share[r]
    outside_ip = rng.poisson((n_ip_in + private_ip) * (1 - share) / share)
    outside_op = rng.poisson(n_op * 0.03)
    pharmacy = rng.poisson(n_op * 0.22)
    pools = (
        world.private_pool[r],
        world.private_pool[r],
        world.outside_pool[r],
        world.outside_pool[r],
        world.pharmacy_pool[r],
    )
    counts = (private_op, private_ip, outside_op, outside_ip, pharmacy)
    ctypes = (0, 1, 0, 1, 0)
    categories = (1, 1, 2, 2, 3)
    medians = (200.0, 6000.0, 600.0, 18000.0, 90.0)
    inst, ct, cat, cost = [], [], [], []
    for pool, n, c, category, median in zip(
        pools, counts, ctypes, categories, medians, strict=True
    ):
        if not len(pool) or not n:
            continue
        inst.append(pool[rng.integers(0, len(pool), n)])
        ct.append(np.full(n, c, dtype=np.int8))
        cat.append(np.full(n, category))
        cost.append(_lognormal_cents(rng, np.full(n, median), 0.6 if c else 0.7))
    n = sum(len(x) for x in inst)
    region = np.full(n, r)
    ctype_all = np.concatenate(ct) if ct else np.zeros(0, dtype=np.int8)
    ages = np.where(ctype_all == 1, _ages(rng, n, INPATIENT_AGES), _ages(rng, n, VISIT_AGES))
    people = _people(rng, wa, region, ages)
    return Records(
        "claims",
        np.full(n, world.region_bureau[r]),
        {
            "institution": np.concatenate(inst) if inst else np.zeros(0, dtype=np.int64),
            "visit_id": pa.nulls(n, pa.string()),
            "patient_id": people["patient_id"],
            "region": region,
            "scheme": people["scheme"],
            "claim_type": ctype_all,
            "total_cents": np.concatenate(cost) if cost else np.zeros(0, dtype=np.int64),
            "category": np.concatenate(cat) if cat else np.zeros(0, dtype=np.int64),
        },
    )


def _fund(rng: np.random.Generator, rec: Records) -> np.ndarray:
    ratio = _FUND[rec.cols["category"], rec.cols["claim_type"], rec.cols["scheme"]]
    ratio = np.clip(ratio + rng.uniform(-0.07, 0.07, len(rec)), 0, 0.95)
    return np.floor(rec.cols["total_cents"] * ratio).astype(np.int64)


def finish_claims(records: Records, world: World, day: date) -> Records:
    """Sort by bureau and number the settlements: JS + bureau region + date + serial."""
    records = sort_by_source(records)
    ids = []
    starts = np.searchsorted(records.source, np.arange(len(world.bureaus) + 1))
    for b, bureau in enumerate(world.bureaus):
        n = int(starts[b + 1] - starts[b])
        ids.append(serial_ids(f"JS{bureau[2:]}", day, n))
    records.cols["claim_id"] = pa.concat_arrays(ids) if ids else pa.array([], pa.string())
    return records


def reversals(originals: Records, world: World, day: date) -> Records:
    """Reversal rows (冲销) cancelling earlier settlements, delivered by the same bureau."""
    rec = originals.take(np.arange(len(originals)))
    rec.cols["original_claim_id"] = rec.cols["claim_id"]
    rec.cols["record_type"] = np.ones(len(rec), dtype=np.int8)
    rec.cols["settlement_date"] = np.full(len(rec), epoch_day(day), dtype=np.int32)
    order = np.argsort(rec.source, kind="stable")
    rec = rec.take(order)
    ids = []
    for b in np.unique(rec.source):
        n = int((rec.source == b).sum())
        ids.append(serial_ids(f"CX{world.bureaus[b][2:]}", day, n))
    rec.cols["claim_id"] = pa.concat_arrays(ids) if ids else pa.array([], pa.string())
    return rec


# Referrals ---------------------------------------------------------------------------------


@dataclass
class Schedule:
    """Rows waiting for a later business date (referral status events, reversals)."""

    pending: dict[int, list[Records]] = field(default_factory=dict)

    def schedule(self, day_ordinal: np.ndarray, events: Records) -> None:
        for d in np.unique(day_ordinal):
            self.pending.setdefault(int(d), []).append(
                events.take(np.flatnonzero(day_ordinal == d))
            )

    def due(self, day: date) -> list[Records]:
        return self.pending.pop(day.toordinal(), [])


def referrals(rng: np.random.Generator, wa: WorldArrays, day: date, book: Schedule) -> Records:
    """New referrals (status issued) and the later status events of earlier ones."""
    issued = _issue_referrals(rng, wa, day)
    n = len(issued)
    u = rng.random(n)
    second = np.select(
        [u < 0.80, u < 0.88, u < 0.95],
        [STATUSES.index("accepted"), STATUSES.index("rejected"), STATUSES.index("cancelled")],
        -1,
    )
    delay1 = rng.integers(1, 4, n)
    has_second = second >= 0
    follow = issued.take(np.flatnonzero(has_second))
    follow.cols["status"] = second[has_second].astype(np.int8)
    book.schedule(day.toordinal() + delay1[has_second], follow)
    completes = has_second & (second == STATUSES.index("accepted")) & (rng.random(n) < 0.7)
    done = issued.take(np.flatnonzero(completes))
    done.cols["status"] = np.full(len(done), STATUSES.index("completed"), dtype=np.int8)
    book.schedule(day.toordinal() + delay1[completes] + rng.integers(1, 8, completes.sum()), done)
    return sort_by_source(concat([issued, *book.due(day)]))


def _issue_referrals(rng: np.random.Generator, wa: WorldArrays, day: date) -> Records:
    senders = wa.delivers
    rate = np.array([REFERRAL_RATE[lv] for lv in wa.level[senders]])
    counts = rng.poisson(wa.visits[senders] * DOW_VISITS[day.weekday()] * rate)
    inst = np.repeat(senders, counts)
    target = _referral_targets(rng, wa, inst)
    people = _people(rng, wa, wa.region[inst], _ages(rng, len(inst), INPATIENT_AGES))
    dx = rng.choice(len(DIAGNOSES), len(inst), p=_IP_DX_P)
    rec = Records(
        "referrals",
        inst,
        {
            "referral_id": serial_ids("ZZ", day, len(inst)),
            "from": inst,
            "to": target,
            "patient_id": people["patient_id"],
            "referral_date": np.full(len(inst), epoch_day(day), dtype=np.int32),
            "status": np.zeros(len(inst), dtype=np.int8),
            "diagnosis": np.where(rng.random(len(inst)) < 0.05, -1, dx),
        },
    )
    return rec


def _referral_targets(rng: np.random.Generator, wa: WorldArrays, inst: np.ndarray) -> np.ndarray:
    """Pick the receiving institution from the sender's consortium pools by direction."""
    world = wa.world
    target = np.full(len(inst), -1, dtype=np.int64)
    cons = wa.consortium[inst]
    level = wa.level[inst]
    u = rng.random(len(inst))
    pick = rng.random(len(inst))
    for lv, options in REFERRAL_TARGETS.items():
        lower = 0.0
        for cls, prob in options:
            rows = (level == lv) & (u >= lower) & (u < lower + prob)
            lower += prob
            for c in np.unique(cons[rows]):
                pool = world.referral_pool.get((int(c), cls), np.zeros(0, dtype=np.int64))
                if not len(pool):
                    pool = world.referral_pool[(int(c), 1)]
                sel = np.flatnonzero(rows & (cons == c))
                chosen = pool[(pick[sel] * len(pool)).astype(np.int64)]
                # A sender never refers to itself: take the pool's next institution, or the lead.
                same = chosen == inst[sel]
                if same.any():
                    k = (np.searchsorted(pool, chosen[same]) + 1) % len(pool)
                    alt = pool[k]
                    chosen[same] = np.where(alt == inst[sel][same], world.consortia[c].lead, alt)
                target[sel] = chosen
    return target


# Public health -----------------------------------------------------------------------------


def public_health(rng: np.random.Generator, wa: WorldArrays, day: date) -> Records:
    """Service records per (institution, item) cohort; follow-ups carry BP or glucose."""
    world = wa.world
    mean = wa.ph_size * wa.ph_freq / 365 * DOW_PUBLIC_HEALTH[day.weekday()]
    cohort = np.repeat(np.arange(len(mean)), rng.poisson(mean))
    inst = wa.ph_inst[cohort]
    item = wa.ph_item[cohort]
    n = len(cohort)
    j = (rng.random(n) * wa.ph_size[cohort]).astype(np.int64)
    region = wa.region[inst]
    day_, s, male = np.zeros(n, np.int64), np.zeros(n, np.int64), np.zeros(n, np.int64)
    for k, name in enumerate(ITEM_NAMES):
        rows = np.flatnonzero(item == k)
        if not len(rows):
            continue
        _cov, _freq, age, women = PH_ITEMS[name]
        salt = cohort[rows] * 7 + k
        d, ss, m = cohort_people(
            world.grid, world.region_s, region[rows], salt, j[rows], age, women
        )
        day_[rows], s[rows], male[rows] = d, ss, m
    people = _person_columns(wa, region, day_, s, male)
    backdated = np.where(rng.random(n) < 0.05, rng.integers(1, 4, n), 0)
    sbp, dbp = _blood_pressure(rng, wa, inst, item == ITEM_NAMES.index("hypertension_followup"))
    glucose = _glucose(rng, wa, inst, item == ITEM_NAMES.index("diabetes_followup"))
    rec = Records(
        "public_health",
        inst,
        {
            "institution": inst,
            "patient_id": people["patient_id"],
            "service_date": (epoch_day(day) - backdated).astype(np.int32),
            "item": item.astype(np.int8),
            "sbp": sbp,
            "dbp": dbp,
            "glucose": glucose,
        },
    )
    rec = sort_by_source(rec)
    rec.cols["service_id"] = serial_ids("GW", day, len(rec))
    return rec


def _blood_pressure(
    rng: np.random.Generator, wa: WorldArrays, inst: np.ndarray, followup: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Controlled (<140/<90) with the consortium's control probability; a few missing."""
    n = len(inst)
    controlled = rng.random(n) < wa.ht_control[wa.consortium[inst]]
    sbp_ok = np.clip(rng.normal(126, 8, n), 95, 139)
    dbp_ok = np.clip(rng.normal(79, 5.5, n), 60, 89)
    sbp_high = np.clip(rng.normal(151, 11, n), 100, 210)
    dbp_high = np.clip(rng.normal(90, 8, n), 60, 125)
    # An uncontrolled reading has at least one pressure at or above its threshold.
    fix = (sbp_high < 140) & (dbp_high < 90)
    sbp_high[fix] = 140 + rng.integers(0, 20, fix.sum())
    sbp = np.where(controlled, sbp_ok, sbp_high).round().astype(np.int16)
    dbp = np.where(controlled, dbp_ok, dbp_high).round().astype(np.int16)
    missing = rng.random(n) < 0.04
    sbp[~followup] = -1
    dbp[~followup | missing] = -1
    return sbp, dbp


def _glucose(
    rng: np.random.Generator, wa: WorldArrays, inst: np.ndarray, followup: np.ndarray
) -> np.ndarray:
    """Fasting glucose in tenths of mmol/L: controlled below 7.0 with the consortium's rate."""
    n = len(inst)
    controlled = rng.random(n) < wa.dm_control[wa.consortium[inst]]
    ok = rng.integers(44, 70, n)
    high = np.minimum(300, 70 + np.round(rng.lognormal(2.8, 0.6, n))).astype(np.int64)
    tenths = np.where(controlled, ok, high).astype(np.int16)
    tenths[~followup | (rng.random(n) < 0.03)] = -1
    return tenths


def business_days(start: date, days: int) -> list[date]:
    return [start + timedelta(days=k) for k in range(days)]


# Family-doctor contracts ---------------------------------------------------------------------

KEY_CODES = tuple(KEY_POPULATIONS)
KEY_BIT = {code: 1 << k for k, code in enumerate(KEY_CODES)}
CONTRACT_STATUSES = tuple(CONTRACTS.column("status").labels)  # active, terminated
ACTIVE, TERMINATED = (CONTRACT_STATUSES.index(s) for s in ("active", "terminated"))
# What a contract row of a day is (GenerationReport.contract_events).
CONTRACT_EVENTS = (
    "signed",
    "second_contract",
    "renewed_new_id",
    "renewed_same_id",
    "terminated",
    "opening",
)
SIGNED, SECOND, RENEWED_NEW, RENEWED_SAME, ENDED, OPENING = range(len(CONTRACT_EVENTS))
# Planned changes of a contract (ContractBook): terminate, renew keeping the id, renew as new.
PLAN_TERMINATE, PLAN_RENEW_SAME, PLAN_RENEW_NEW = range(3)
# A day's contract rows per contract-year the institution runs (signed people / 365): first
# contracts (replacing those that lapse), renewals of contracts coming to their end (half keep
# their id with a new end_date, half start a new contract) and terminations within the year.
FIRST_TIME = 0.3
RENEWAL = 0.75
SAME_ID = 0.5
TERMINATION = 0.04
SECOND_CONTRACT = 0.02  # first contracts whose person also signs at a second institution
EARLIER_SERIAL = 10_000_000  # serials of contracts signed before the zone's first business date
UNREGISTERED_SERIAL = 9_000_000  # serials of a not-yet-registered clinic's contracts
# Share of a primary-care institution's outpatient and home visits made by its own signed
# residents (when the zone opens with the running contracts, see opening_contracts).
SIGNED_VISITS = 0.5
# Who a contract is for: (first key population or None, public-health cohorts its person comes
# from where the institution has one, age band, women only, signing priority). People the world
# knows (an institution's hypertensive patients, its elderly) are the same people its
# public-health records serve; the rest are residents of its region. Teams sign the chronically
# ill and the elderly first: a group's share of the signed key population is its size times
# its priority.
SIGN_GROUPS: tuple[tuple[str | None, tuple[str, ...], tuple[int, int], bool, float], ...] = (
    ("elderly", ("elderly_health_check", "tcm_health_management"), (65, 99), False, 1.1),
    ("hypertension", ("hypertension_followup",), (35, 95), False, 1.3),
    ("diabetes", ("diabetes_followup",), (35, 95), False, 1.3),
    ("maternal", ("maternal_health",), (20, 40), True, 0.6),
    ("child", ("child_health", "vaccination"), (0, 6), False, 0.6),
    ("disabled", (), (18, 90), False, 0.9),
    ("severe_mental", ("severe_mental_disorder_followup",), (18, 80), False, 1.0),
    ("tuberculosis", ("tuberculosis_management",), (15, 90), False, 0.8),
    ("family_planning_special", (), (50, 85), False, 1.0),
    ("low_income", (), (18, 90), False, 0.9),
    ("ltc", (), (70, 99), False, 1.0),
    (None, (), (18, 64), False, 1.0),
)
assert [g for g, *_ in SIGN_GROUPS[:-1]] == list(KEY_POPULATION_RATES)


@dataclass
class ContractBook:
    """Contract changes waiting for a later business date, and the contracts signed before the
    zone's first business date.

    With an opening (opening_contracts) the zone opens with the contracts of the year before
    its first business date, delivered that day by each institution (its first full extract,
    存量), and the renewals and terminations of those running are planned like those of later
    ones. Without it (province scale, where that would be tens of millions of rows) an earlier
    contract is recreated on the day it changes, never having been delivered in the zone."""

    first_day: int  # epoch day of the zone's first business date
    last_day: int  # epoch day of its last: changes planned after it are not kept
    schedule: Schedule = field(default_factory=Schedule)
    earlier: int = 0  # serials given to contracts signed before the first business date
    opening: Records | None = None  # the opening extract, until the first day delivers it
    opened: bool = False

    def plan(
        self,
        rng: np.random.Generator,
        fresh: Records,
        today: int,
        renew_day: np.ndarray | None = None,
        may_renew: np.ndarray | None = None,
    ) -> None:
        """Plan the termination (within the contract's remaining term) or the renewal (in its
        last 30 days, unless ``may_renew`` says no) of contracts running today: signed today,
        or running when the zone opens (with their ``renew_day`` drawn already)."""
        n = len(fresh)
        c = fresh.cols
        remaining = c["end_date"].astype(np.int64) - today
        new = c["sign_date"] == today
        terminate = rng.random(n) < TERMINATION * np.minimum(1.0, (remaining + 1) / 365)
        soon = new & (rng.random(n) < 0.35)  # signed in error, moved away: within weeks
        # Before the end, and while the sign_date is within the record-date window.
        last = np.minimum(c["end_date"].astype(np.int64), c["sign_date"].astype(np.int64) + 366)
        later = today + 1 + (rng.random(n) * np.maximum(last - today, 1)).astype(np.int64)
        term_day = np.where(soon, today + rng.integers(1, 21, n), later)
        terminate &= term_day <= last
        renew = ~terminate & (rng.random(n) < RENEWAL / (1 - TERMINATION))
        if may_renew is not None:
            renew &= may_renew
        if renew_day is None:
            renew_day = renewal_day(rng, fresh)
        renew_day = np.maximum(renew_day, today + 1)
        same = rng.random(n) < SAME_ID
        plan = np.where(terminate, PLAN_TERMINATE, np.where(same, PLAN_RENEW_SAME, PLAN_RENEW_NEW))
        day = np.where(terminate, term_day, renew_day)
        keep = np.flatnonzero((terminate | renew) & (day <= self.last_day))
        if len(keep):
            planned = fresh.take(keep)
            planned.cols["plan"] = plan[keep].astype(np.int8)
            self.schedule.schedule(day[keep] + EPOCH.toordinal(), planned)


def contracts(rng: np.random.Generator, wa: WorldArrays, day: date, book: ContractBook) -> Records:
    """The day's contract rows of every primary-care institution: contracts signed today (first
    contracts, a few second contracts of the same people elsewhere, renewals as a new contract)
    and earlier contracts delivered again because they change today (renewed with a new
    end_date, or terminated). New contracts are numbered in delivery order."""
    today = epoch_day(day)
    rate = wa.sign_rate[wa.signers] * DOW_CONTRACTS[day.weekday()]
    counts = rng.poisson(rate[:, None] * np.array([FIRST_TIME, RENEWAL, TERMINATION]))
    first = _signed(
        rng, wa, np.repeat(wa.signers, counts[:, 0]), np.full(counts[:, 0].sum(), today)
    )
    second = _second_contracts(rng, wa, first)
    changing = book.schedule.due(day)
    if not book.opened:
        # Earlier contracts changing today, signed before the zone began: recreated now.
        renewing = _earlier(rng, wa, book, np.repeat(wa.signers, counts[:, 1]), today, (335, 365))
        renewing.cols["plan"] = np.where(
            rng.random(len(renewing)) < SAME_ID, PLAN_RENEW_SAME, PLAN_RENEW_NEW
        ).astype(np.int8)
        ending = _earlier(rng, wa, book, np.repeat(wa.signers, counts[:, 2]), today, (1, 365))
        ending.cols["plan"] = np.full(len(ending), PLAN_TERMINATE, dtype=np.int8)
        changing = [renewing, ending, *changing]
    changing = concat(changing or [first.take(np.zeros(0, dtype=np.int64))])
    plan = changing.cols["plan"]
    renewed_new = _renewed_new(wa, changing.take(np.flatnonzero(plan == PLAN_RENEW_NEW)), today)
    renewed_same = _renewed_same(changing.take(np.flatnonzero(plan == PLAN_RENEW_SAME)))
    terminated = _terminated(rng, changing.take(np.flatnonzero(plan == PLAN_TERMINATE)), today)
    # Today's new contracts are numbered in delivery order before their future is planned.
    fresh = sort_by_source(concat([first, second, renewed_new]))
    fresh.cols["contract_id"] = dated_ids("QY", np.full(len(fresh), today), np.arange(len(fresh)))
    book.plan(rng, fresh, today)
    opening = [book.opening] if book.opening is not None else []
    book.opening = None
    rec = sort_by_source(concat([fresh, renewed_same, terminated, *opening]))
    rec.cols["plan"] = np.full(len(rec), -1, dtype=np.int8)
    return rec


def renewal_day(rng: np.random.Generator, rec: Records) -> np.ndarray:
    """A day in the contract's last 30 days, within the record-date window of its signing."""
    end = rec.cols["end_date"].astype(np.int64)
    day = end - rng.integers(0, 31, len(rec))
    return np.minimum(day, rec.cols["sign_date"].astype(np.int64) + 366)


def opening_contracts(
    rng: np.random.Generator, wa: WorldArrays, day: date, book: ContractBook
) -> Records:
    """The opening extract of the zone's first business date ``day``: per institution about a
    year of contract-years (its signed people), signed on the 365 days before (so within the
    record-date window) and not yet ended, a few of them terminated already. Delivered on
    ``day`` with the day's own rows; the renewals and terminations of those running are
    planned, and half of each institution's outpatient visits are made by these people
    (WorldArrays.roster)."""
    today = epoch_day(day)
    counts = rng.poisson(wa.sign_rate[wa.signers] * 365)
    inst = np.repeat(wa.signers, counts)
    sign_day = today - rng.integers(1, 366, len(inst))
    rec = _signed(rng, wa, inst, sign_day)
    rec = rec.take(np.flatnonzero(rec.cols["end_date"] >= today))
    n = len(rec)
    elapsed = today - rec.cols["sign_date"].astype(np.int64)
    ended = rng.random(n) < TERMINATION * elapsed / 365
    terminated_day = rec.cols["sign_date"] + (rng.random(n) * elapsed).astype(np.int64)
    rec.cols["status"][ended] = TERMINATED
    rec.cols["terminated_date"][ended] = terminated_day[ended]
    # A contract whose renewal day has passed was renewed before the zone opened (or lapses):
    # keeping its id it runs a year longer; as a new contract, that one runs too.
    natural = renewal_day(rng, rec)
    before = natural < today
    renewed = before & ~ended & (rng.random(n) < RENEWAL / (1 - TERMINATION))
    same = renewed & (rng.random(n) < SAME_ID)
    end = rec.cols["end_date"].astype(np.int64)
    end[same] = plus_year(end[same] + 1) - 1
    rec.cols["end_date"] = end.astype(np.int32)
    succeeded = np.flatnonzero(renewed & ~same)
    successors = _renewed_new(wa, rec.take(succeeded), natural[succeeded])
    stock = concat([rec, successors])
    n = len(stock)
    stock.cols["contract_id"] = dated_ids(
        "QY", stock.cols["sign_date"], EARLIER_SERIAL + book.earlier + np.arange(n)
    )
    book.earlier += n
    stock.cols["event"] = np.full(n, OPENING, dtype=np.int8)
    own = np.flatnonzero(~renewed & ~ended)  # running: still to be renewed, or lapsing
    book.plan(rng, stock.take(own), today, natural[own], ~before[own])
    book.plan(rng, stock.take(np.arange(len(rec), n)), today)
    rec = sort_by_source(stock)
    book.opening, book.opened = rec, True
    roster = rec.take(np.flatnonzero(rec.cols["status"] == ACTIVE))
    institutions = np.arange(len(wa.tier))
    wa.roster = roster
    wa.roster_start = np.searchsorted(roster.source, institutions, "left")
    wa.roster_size = np.searchsorted(roster.source, institutions, "right") - wa.roster_start
    return rec


def unregistered_contracts(
    rng: np.random.Generator, wa: WorldArrays, day: date, inst: int, n: int
) -> Records:
    """First contracts of a clinic that delivers before the registry knows it: made as if
    signed at ``inst`` (its neighbour), with their own serials and no team."""
    today = epoch_day(day)
    rec = _signed(rng, wa, np.full(n, inst), np.full(n, today))
    rec.cols["team"][:] = -1
    rec.cols["contract_id"] = dated_ids("QY", np.full(n, today), UNREGISTERED_SERIAL + np.arange(n))
    return rec


def _signed(
    rng: np.random.Generator, wa: WorldArrays, inst: np.ndarray, sign_day: np.ndarray
) -> Records:
    """Contracts signed at ``inst`` on ``sign_day``: the person and their key populations, the
    team, the one-year span (start the same day, the first of next month or a few days later),
    and in urban consortia the hospitals chosen with them (1+1+1)."""
    n = len(inst)
    people, key_pop = _contract_people(rng, wa, inst, sign_day)
    u = rng.random(n)
    next_month = (
        (sign_day.astype("datetime64[D]").astype("datetime64[M]") + 1)
        .astype("datetime64[D]")
        .astype(np.int64)
    )
    start = np.where(
        u < 0.65, sign_day, np.where(u < 0.85, next_month, sign_day + rng.integers(1, 15, n))
    )
    team = wa.world.team_first[inst] + (rng.random(n) * wa.teams[inst]).astype(np.int64)
    team[rng.random(n) < 0.04] = -1  # team_code is optional and sometimes left blank
    hosp1, hosp2 = _hospitals(rng, wa, inst)
    return Records(
        "contracts",
        inst,
        {
            "contract_id": pa.nulls(n, pa.string()),
            "institution": inst,
            "team": team,
            "patient_id": people["patient_id"],
            "birth_date": people["birth_date"],
            "sex": people["sex"],
            "scheme": people["scheme"],
            "region": people["region"],
            "sign_date": sign_day.astype(np.int32),
            "start_date": start.astype(np.int32),
            "end_date": (plus_year(start) - 1).astype(np.int32),
            "status": np.full(n, ACTIVE, dtype=np.int8),
            "terminated_date": np.full(n, -1, dtype=np.int32),
            "key_pop": key_pop,
            "hosp1": hosp1,
            "hosp2": hosp2,
            "event": np.full(n, SIGNED, dtype=np.int8),
            "plan": np.full(n, -1, dtype=np.int8),
        },
    )


def _contract_people(
    rng: np.random.Generator, wa: WorldArrays, inst: np.ndarray, sign_day: np.ndarray
) -> tuple[dict[str, Any], np.ndarray]:
    """The people signing, by the institution's mix of groups, and their key populations."""
    world = wa.world
    n = len(inst)
    group = (rng.random(n)[:, None] > wa.group_cum[inst]).sum(axis=1)
    region = wa.region[inst]
    born, s, male = np.zeros(n, np.int64), np.zeros(n, np.int64), np.zeros(n, np.int64)
    for g, (_code, items, age, women, _priority) in enumerate(SIGN_GROUPS):
        rows = np.flatnonzero(group == g)
        if not len(rows):
            continue
        # A known person (a member of the institution's cohort for the group) as often as the
        # cohort is large against the group: the rest are residents the world knows less of.
        cohort = np.full(len(rows), -1, dtype=np.int64)
        for item in items:
            found = wa.cohort_of[inst[rows], ITEM_NAMES.index(item)]
            cohort = np.where(cohort < 0, found, cohort)
        size = np.where(cohort >= 0, wa.ph_size[np.maximum(cohort, 0)], 0)
        known = rng.random(len(rows)) < size / wa.group_pop[inst[rows], g]
        j = (rng.random(len(rows)) * size).astype(np.int64)
        for item in items:
            mine = known & (wa.ph_item[np.maximum(cohort, 0)] == ITEM_NAMES.index(item))
            if mine.any():
                k = rows[mine]
                salt = cohort[mine] * 7 + ITEM_NAMES.index(item)
                _cov, _freq, band, female = PH_ITEMS[item]
                born[k], s[k], male[k] = cohort_people(
                    world.grid, world.region_s, region[k], salt, j[mine], band, female
                )
        k = rows[~known]
        ages = rng.integers(age[0], age[1] + 1, len(k))
        born[k] = days_for_ages(rng, world.grid, ages)
        s[k] = (rng.random(len(k)) * world.region_s[region[k]]).astype(np.int64)
        male[k] = 0 if women else (rng.random(len(k)) < 0.47).astype(np.int64)
    people = _person_columns(wa, region, born, s, male)
    code = np.array([c for c, *_ in SIGN_GROUPS], dtype=object)[group]
    key_pop = np.zeros(n, dtype=np.int16)
    for name, bit in KEY_BIT.items():
        if name not in ("elderly", "child"):  # these two follow from the age
            key_pop[code == name] |= bit
    age = age_years(people["birth_date"], sign_day)
    keyed = group < len(SIGN_GROUPS) - 1
    # Registered groups the world keeps no records of, stable per person.
    u = (born * 2_654_435_761 + s * 40_503 + male * 97) % 10_007 / 10_007
    low_income = np.where(wa.urban[inst], 0.015, 0.035)
    key_pop[keyed & (age >= 18) & (u < 0.03)] |= KEY_BIT["disabled"]
    key_pop[keyed & (u >= 0.03) & (u < 0.03 + low_income)] |= KEY_BIT["low_income"]
    key_pop[keyed & (age >= 75) & (u >= 0.1) & (u < 0.11)] |= KEY_BIT["ltc"]
    return people, _age_tags(key_pop, age)


def _age_tags(key_pop: np.ndarray, age: np.ndarray) -> np.ndarray:
    """Elderly (65+) and 0-6岁儿童 follow from the age on the signing day."""
    tags = key_pop & ~np.int16(KEY_BIT["elderly"] | KEY_BIT["child"])
    tags[age >= 65] |= KEY_BIT["elderly"]
    tags[age < 7] |= KEY_BIT["child"]
    return tags.astype(np.int16)


def _second_contracts(rng: np.random.Generator, wa: WorldArrays, first: Records) -> Records:
    """A few people sign a second contract the same day at another institution of their
    consortium (a village clinic and its township centre): two active contracts."""
    alt = wa.alt_signer[first.source]
    pick = np.flatnonzero((rng.random(len(first)) < SECOND_CONTRACT) & (alt >= 0))
    rec = first.take(pick)
    inst = alt[pick]
    rec.source = inst
    rec.cols["institution"] = inst
    rec.cols["team"] = wa.world.team_first[inst] + (rng.random(len(inst)) * wa.teams[inst]).astype(
        np.int64
    )
    rec.cols["hosp1"], rec.cols["hosp2"] = _hospitals(rng, wa, inst)
    rec.cols["event"] = np.full(len(rec), SECOND, dtype=np.int8)
    return rec


def _earlier(
    rng: np.random.Generator,
    wa: WorldArrays,
    book: ContractBook,
    inst: np.ndarray,
    today: int,
    age_days: tuple[int, int],
) -> Records:
    """Contracts signed ``age_days`` before today, before the zone's first business date (later
    ones are in the book), with ids of their signing date."""
    sign_day = today - rng.integers(age_days[0], age_days[1], len(inst))
    keep = sign_day < book.first_day
    rec = _signed(rng, wa, inst[keep], sign_day[keep])
    n = len(rec)
    serials = EARLIER_SERIAL + (book.earlier + np.arange(n)) % (100_000_000 - EARLIER_SERIAL)
    rec.cols["contract_id"] = dated_ids("QY", sign_day[keep], serials)
    book.earlier += n
    return rec


def _renewed_new(wa: WorldArrays, rec: Records, today: int | np.ndarray) -> Records:
    """Renewal as a new contract, signed ``today``, starting the day after the old one ends."""
    rec = rec.take(np.arange(len(rec)))
    start = rec.cols["end_date"].astype(np.int64) + 1
    rec.cols["contract_id"] = pa.nulls(len(rec), pa.string())
    rec.cols["sign_date"] = np.broadcast_to(np.asarray(today, dtype=np.int32), len(rec)).copy()
    rec.cols["start_date"] = start.astype(np.int32)
    rec.cols["end_date"] = (plus_year(start) - 1).astype(np.int32)
    age = age_years(rec.cols["birth_date"], rec.cols["sign_date"])
    rec.cols["key_pop"] = _age_tags(rec.cols["key_pop"], age)
    rec.cols["event"] = np.full(len(rec), RENEWED_NEW, dtype=np.int8)
    return rec


def _renewed_same(rec: Records) -> Records:
    """Renewal keeping the contract id: delivered again with an end_date one year later."""
    rec = rec.take(np.arange(len(rec)))
    rec.cols["end_date"] = (plus_year(rec.cols["end_date"].astype(np.int64) + 1) - 1).astype(
        np.int32
    )
    rec.cols["event"] = np.full(len(rec), RENEWED_SAME, dtype=np.int8)
    return rec


def _terminated(rng: np.random.Generator, rec: Records, today: int) -> Records:
    """Terminated (解约) today or a few days ago: delivered again with status terminated."""
    rec = rec.take(np.arange(len(rec)))
    n = len(rec)
    ended = np.maximum(rec.cols["sign_date"], today - rng.integers(0, 4, n))
    rec.cols["status"] = np.full(n, TERMINATED, dtype=np.int8)
    rec.cols["terminated_date"] = ended.astype(np.int32)
    rec.cols["event"] = np.full(n, ENDED, dtype=np.int8)
    return rec


def _hospitals(
    rng: np.random.Generator, wa: WorldArrays, inst: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """1+1+1 in urban consortia: most contracts name a district-level hospital (now and then an
    unregistered one, by its national code) and a city hospital, some only the city hospital.
    Indices into world.codes, -1 for none; none at all in county communities."""
    world = wa.world
    n = len(inst)
    first, second = np.full(n, -1, dtype=np.int64), np.full(n, -1, dtype=np.int64)
    u, v, w, x = rng.random(n), rng.random(n), rng.random(n), rng.random(n)
    cons = wa.consortium[inst]
    for c, (district, city, lead) in wa.hospital_pools.items():
        rows = np.flatnonzero(cons == c)
        if not len(rows) or not len(city):
            continue
        chosen = city[(w[rows] * len(city)).astype(np.int64)]
        if lead >= 0:
            chosen = np.where(x[rows] < 0.75, lead, chosen)
        named = u[rows] < 0.88
        second[rows[named]] = chosen[named]
        both = rows[u[rows] < 0.72]
        pick = v[both]
        unregistered = np.full(len(both), -1, dtype=np.int64)
        for r in np.unique(wa.region[inst[both]]):
            pool = world.private_pool[r]
            mine = wa.region[inst[both]] == r
            if len(pool):
                unregistered[mine] = pool[(pick[mine] * 1000).astype(np.int64) % len(pool)]
        registered = (
            district[(pick * len(district)).astype(np.int64) % len(district)]
            if len(district)
            else unregistered
        )
        national = (pick < 0.1) | (registered < 0)
        first[both] = np.where(national & (unregistered >= 0), unregistered, registered)
    return first, second


def plus_year(days: np.ndarray) -> np.ndarray:
    """The same day one year later (29 February: 1 March), as epoch days."""
    d = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    month = d.astype("datetime64[M]")
    later = (month + 12).astype("datetime64[D]") + (d - month.astype("datetime64[D]"))
    return later.astype(np.int64)


def age_years(born: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Completed years of age on ``day`` (epoch days)."""
    b = np.asarray(born, dtype=np.int64).astype("datetime64[D]")
    d = np.broadcast_to(np.asarray(day, dtype=np.int64), b.shape).astype("datetime64[D]")

    def parts(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        year = x.astype("datetime64[Y]").astype(np.int64)
        month = x.astype("datetime64[M]")
        day_of_year = (month.astype(np.int64) % 12) * 32 + (
            x - month.astype("datetime64[D]")
        ).astype(np.int64)
        return year, day_of_year

    (by, bd), (dy, dd) = parts(b), parts(d)
    return dy - by - (dd < bd)


def _ymd_digits(days: np.ndarray) -> np.ndarray:
    """(n, 8) ASCII YYYYMMDD of epoch days, each distinct day formatted once."""
    unique, inverse = np.unique(np.asarray(days, dtype=np.int64), return_inverse=True)
    text = np.datetime_as_string(unique.astype("datetime64[D]"), unit="D").astype("S10")
    chars = np.frombuffer(text.tobytes(), dtype=np.uint8).reshape(len(unique), 10)
    return chars[:, [0, 1, 2, 3, 5, 6, 8, 9]][inverse.reshape(-1)]


def dated_ids(prefix: str, days: np.ndarray, serials: np.ndarray) -> pa.Array:
    """prefix + YYYYMMDD of each row's day + 8-digit serial."""
    head = np.frombuffer(prefix.encode("ascii"), dtype=np.uint8)
    n = len(serials)
    chars = np.empty((n, len(head) + 16), dtype=np.uint8)
    chars[:, : len(head)] = head
    if n:
        chars[:, len(head) : len(head) + 8] = _ymd_digits(days)
    chars[:, len(head) + 8 :] = ascii_digits(np.asarray(serials), 8)
    return fixed_width_strings(chars)
