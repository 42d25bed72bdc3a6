"""The synthetic world behind a generated landing zone: regions, consortia, institutions.

Built from the seed policy documents: the Lianping county community (连平县紧密型县域医共体:
county hospital lead, second people's hospital, TCM and maternal-child hospitals, the chronic
disease station, 13 township health centres with their village clinics) and the Chuzhou urban
alliances (滁州市第一人民医院 with 龙蟠/南门/清流 community health centres; 滁州市中西医结合医院
with 琅琊区人民医院 and 同乐 centre). Larger scales add county communities and urban alliances
around them, a primary-care group (基层医疗集团) in Heyuan's 源城区, and two looser networks over
institutions of those consortia: a specialty alliance (专科联盟) and a remote-care network
(远程医疗协作网). Every primary-care institution has a service area (辖区) with its residents
and key populations (重点人群) and family-doctor teams. Everything here is deterministic for
(scale, start, days, seed).
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from ingest.contract import KEY_POPULATIONS, REFERENCE_FILES, SERVICE_ITEMS
from synthetic.people import BirthGrid, region_digits, s_count

SCALES = ("county", "city", "province")
VISITS_PER_CAPITA_YEAR = 6.0  # 诊疗人次 per resident and year at consortium members
INPATIENT_PER_CAPITA_YEAR = 0.13  # discharges at consortium members
PROVINCE_VISITS_PER_DAY = 2_500_000

PRIMARY_TIERS = frozenset(
    {"village_clinic", "community_station", "community_center", "township_center", "clinic"}
)
LEVEL = {
    "village_clinic": 1,
    "community_station": 1,
    "clinic": 1,
    "township_center": 2,
    "community_center": 2,
    "county_hospital": 3,
    "public_health_agency": 3,
    "city_hospital": 4,
    "provincial_hospital": 4,
}
# Prefectures whose insurance is pooled at city level (one bureau for the city, as in Chuzhou).
CITY_POOLED = frozenset({"3411"})
OUTSIDE_POPULATION = 400_000  # regions outside the generated consortia (visitors, births)

# Public-health items: (coverage of the served population per year, services per person and
# year, age band, women only). Cohort sizes and targets are derived from these.
PH_ITEMS: dict[str, tuple[float, float, tuple[int, int], bool]] = {
    "health_record": (0.036, 1, (0, 99), False),
    "health_education": (0.024, 1, (15, 90), False),
    "vaccination": (0.03, 3, (0, 6), False),
    "child_health": (0.024, 2, (0, 6), False),
    "maternal_health": (0.004, 5, (20, 40), True),
    "elderly_health_check": (0.06, 1, (65, 99), False),
    "hypertension_followup": (0.042, 4, (35, 95), False),
    "diabetes_followup": (0.015, 4, (35, 95), False),
    "severe_mental_disorder_followup": (0.0025, 4, (18, 80), False),
    "tuberculosis_management": (0.0003, 6, (15, 90), False),
    "tcm_health_management": (0.03, 1, (65, 99), False),
    "infectious_disease_report": (0.0012, 1, (0, 90), False),
    "health_supervision": (0.004, 1, (18, 70), False),
}
assert set(PH_ITEMS) == set(SERVICE_ITEMS)
ITEM_NAMES = tuple(SERVICE_ITEMS)
_VILLAGE_ITEMS = (
    "health_record",
    "health_education",
    "hypertension_followup",
    "diabetes_followup",
    "tcm_health_management",
)
_AGENCY_ITEMS = (
    "severe_mental_disorder_followup",
    "tuberculosis_management",
    "infectious_disease_report",
    "health_education",
    "health_supervision",
)
_MCH_ITEMS = ("maternal_health", "child_health", "vaccination")

# Key populations (重点人群) per resident of a primary-care service area (辖区), (rural, urban):
# the registered groups a family-doctor team signs first. Each institution's rates vary by
# +-15%. The groups overlap (an elderly hypertensive is in both): the people in at least one
# group are the largest group plus KEY_OVERLAP of the others.
KEY_POPULATION_RATES: dict[str, tuple[float, float]] = {
    "elderly": (0.165, 0.14),
    "hypertension": (0.09, 0.085),
    "diabetes": (0.028, 0.032),
    "maternal": (0.007, 0.006),
    "child": (0.06, 0.052),
    "disabled": (0.028, 0.02),
    "severe_mental": (0.0045, 0.004),
    "tuberculosis": (0.0004, 0.0003),
    "family_planning_special": (0.0012, 0.0015),
    "low_income": (0.035, 0.012),
    "ltc": (0.002, 0.004),
}
assert tuple(KEY_POPULATION_RATES) == tuple(KEY_POPULATIONS)
KEY_OVERLAP = 0.6
# Share of a service area's key population under a family-doctor contract at any time, and of
# its other residents (drawn per institution): the signing volume follows from these.
SIGNED_KEY = (0.4, 0.72)
SIGNED_OTHER = (0.04, 0.1)
RESIDENTS_PER_TEAM = 5000  # a township/community centre's family-doctor teams; clinics have one
# Public-health work points (工分, Shenzhen's 工分制) one service record earns.
WORK_POINTS: dict[str, float] = {
    "health_record": 2.0,
    "health_education": 0.5,
    "vaccination": 1.0,
    "child_health": 3.0,
    "maternal_health": 4.0,
    "elderly_health_check": 5.0,
    "hypertension_followup": 2.5,
    "diabetes_followup": 2.5,
    "severe_mental_disorder_followup": 4.0,
    "tuberculosis_management": 4.0,
    "tcm_health_management": 1.5,
    "infectious_disease_report": 2.0,
    "health_supervision": 1.0,
}
assert set(WORK_POINTS) == set(SERVICE_ITEMS)
# Names of TCM institutions (中医类机构: 中医院, 中西医结合医院): reference/institutions.csv tcm.
TCM_NAMES = ("中医院", "中西医结合医院")
# Consortium kinds that are networks over members of the tight consortia, not consortia of
# their own: members keep their home consortium and gain a second membership period.
NETWORK_KINDS = frozenset({"specialty_alliance", "remote_network"})

# Seed geography --------------------------------------------------------------------------------

LIANPING_TOWNS = (
    "元善",
    "溪山",
    "田源",
    "内莞",
    "忠信",
    "高莞",
    "油溪",
    "绣缎",
    "三角",
    "陂头",
    "隆街",
    "上坪",
    "大湖",
)
VILLAGE_NAMES = (
    "东坑",
    "新联",
    "大塘",
    "石陂",
    "黄沙",
    "岭背",
    "水口",
    "田心",
    "坪山",
    "长岭",
    "大坝",
    "中和",
    "白石",
    "龙潭",
    "青溪",
    "上围",
    "下屋",
    "新村",
    "河背",
    "高岭",
    "竹园",
    "松山",
    "金星",
    "山塘",
)
TOWN_SYLLABLES = (
    "东",
    "西",
    "南",
    "北",
    "新",
    "石",
    "龙",
    "凤",
    "白",
    "青",
    "黄",
    "金",
    "平",
    "安",
    "和",
    "兴",
    "塘",
    "坪",
    "岭",
    "田",
    "江",
    "河",
    "溪",
    "山",
    "湖",
    "桥",
    "口",
    "洲",
)
HEYUAN_COUNTIES = (
    ("441621", "紫金县"),
    ("441622", "龙川县"),
    ("441624", "和平县"),
    ("441625", "东源县"),
)
CHUZHOU_COUNTIES = (
    ("341122", "来安县"),
    ("341124", "全椒县"),
    ("341125", "定远县"),
    ("341126", "凤阳县"),
    ("341181", "天长市"),
    ("341182", "明光市"),
)
PROVINCE_COUNTIES = (
    ("440222", "始兴县"),
    ("440224", "仁化县"),
    ("440229", "翁源县"),
    ("440232", "乳源瑶族自治县"),
    ("440233", "新丰县"),
    ("440281", "乐昌市"),
    ("440282", "南雄市"),
    ("441422", "大埔县"),
    ("441423", "丰顺县"),
    ("441424", "五华县"),
    ("441426", "平远县"),
    ("441427", "蕉岭县"),
    ("441481", "兴宁市"),
    ("441821", "佛冈县"),
    ("441823", "阳山县"),
    ("441825", "连山壮族瑶族自治县"),
    ("441826", "连南瑶族自治县"),
    ("441881", "英德市"),
    ("441882", "连州市"),
    ("440823", "遂溪县"),
    ("440825", "徐闻县"),
    ("440881", "廉江市"),
    ("440882", "雷州市"),
    ("440883", "吴川市"),
    ("440981", "高州市"),
    ("440982", "化州市"),
    ("440983", "信宜市"),
    ("445222", "揭西县"),
    ("445224", "惠来县"),
    ("445281", "普宁市"),
    ("445321", "新兴县"),
    ("445322", "郁南县"),
    ("445381", "罗定市"),
    ("441223", "广宁县"),
    ("441224", "怀集县"),
    ("441225", "封开县"),
    ("441226", "德庆县"),
    ("441284", "四会市"),
    ("441521", "海丰县"),
    ("441523", "陆河县"),
    ("441581", "陆丰市"),
    ("441721", "阳西县"),
    ("441781", "阳春市"),
    ("441322", "博罗县"),
    ("441323", "惠东县"),
    ("441324", "龙门县"),
    ("440523", "南澳县"),
    ("440781", "台山市"),
    ("440783", "开平市"),
    ("440784", "鹤山市"),
    ("440785", "恩平市"),
)
PROVINCE_CITIES = (  # prefecture, city name, districts
    (
        "4401",
        "广州",
        (("440103", "荔湾区"), ("440104", "越秀区"), ("440106", "天河区"), ("440111", "白云区")),
    ),
    ("4402", "韶关", (("440203", "武江区"), ("440204", "浈江区"), ("440205", "曲江区"))),
    ("4405", "汕头", (("440507", "龙湖区"), ("440511", "金平区"), ("440512", "濠江区"))),
    ("4407", "江门", (("440703", "蓬江区"), ("440704", "江海区"), ("440705", "新会区"))),
    ("4408", "湛江", (("440802", "赤坎区"), ("440803", "霞山区"), ("440804", "坡头区"))),
    ("4409", "茂名", (("440902", "茂南区"), ("440904", "电白区"))),
    ("4412", "肇庆", (("441202", "端州区"), ("441203", "鼎湖区"), ("441204", "高要区"))),
    ("4413", "惠州", (("441302", "惠城区"), ("441303", "惠阳区"))),
    ("4414", "梅州", (("441402", "梅江区"), ("441403", "梅县区"))),
    ("4415", "汕尾", (("441502", "城区"),)),
    ("4417", "阳江", (("441702", "江城区"), ("441704", "阳东区"))),
    ("4418", "清远", (("441802", "清城区"), ("441803", "清新区"))),
    ("4452", "揭阳", (("445202", "榕城区"), ("445203", "揭东区"))),
    ("4453", "云浮", (("445302", "云城区"), ("445303", "云安区"))),
)
# Registered hospitals outside every consortium (registry role=external): where patients go
# for tertiary care. (code, name, tier, region)
EXTERNAL_HOSPITALS = (
    ("H44010400001", "广东省人民医院", "provincial_hospital", "440104"),
    ("H44010400002", "中山大学附属第一医院", "provincial_hospital", "440104"),
    ("H44011100001", "南方医科大学南方医院", "provincial_hospital", "440111"),
    ("H34010300001", "安徽省立医院", "provincial_hospital", "340103"),
    ("H32010600001", "南京鼓楼医院", "provincial_hospital", "320106"),
    # 河源市人民医院 leads the Heyuan alliance at city scale; at county scale it is external.
    ("H44160200001", "河源市人民医院", "city_hospital", "441602"),
)
# Hospitals that settle claims but are in no registry: only their national code is known.
UNREGISTERED_HOSPITALS = {
    "44": ("H44010600101", "H44030300101", "H44030400102", "H44010400103", "H44130200101"),
    "34": ("H32010600102", "H34010400101", "H34010200103", "H32010200101"),
}
# Provinces whose hospitals a province's patients use (Chuzhou lies next to Nanjing).
CARE_PROVINCES = {"44": ("44",), "34": ("34", "32")}
OUTSIDE_NEIGHBOURS = {
    "4416": ("441624", "441625", "360728"),
    "3411": ("341122", "341124", "320111"),
}
SECOND_HOSPITAL = "H44162300006"  # 连平县第二人民医院: joins the county community mid-window
MINGHU_CENTRE = "H34110300122"  # 明湖 community centre: moves between the Chuzhou alliances


@dataclass
class Inst:
    code: str
    name: str
    tier: str
    region: str
    consortium: int  # index into World.consortia, -1 for none
    periods: list[tuple[int, str, date, date | None]]  # (consortium, role, from, to)
    delivers: bool = True
    visits: float = 0.0  # mean outpatient/emergency/home visits per day
    inpatients: float = 0.0  # mean discharges per day
    ph_items: tuple[str, ...] = ()
    ph_share: float = 0.0  # weight among the consortium's providers of an item
    # Primary care: residents of the service area per population group (service_population.csv),
    # the shares of its key population and other residents under contract, its teams.
    service: dict[str, int] = field(default_factory=dict)
    signed_key: float = 0.0
    signed_other: float = 0.0
    teams: int = 0

    @property
    def level(self) -> int:
        return LEVEL[self.tier]


@dataclass
class Consortium:
    id: str
    name: str
    kind: str
    region: str  # 6 digits; ending 00 = a whole prefecture-level city
    population: int
    primary_share: float
    lead: int = -1
    home_regions: tuple[str, ...] = ()
    ht_control: float = 0.68
    dm_control: float = 0.62
    members: list[int] = field(default_factory=list)


@dataclass
class World:
    """Institutions, consortia and regions, plus the arrays the daily generators index into."""

    start: date
    grid: BirthGrid
    consortia: list[Consortium]
    insts: list[Inst]
    region_codes: list[str]
    region_s: np.ndarray
    region_digits: np.ndarray
    region_bureau: np.ndarray  # bureau index or -1
    region_match: list[str]  # the prefix that is "in region" for a home region's insured
    region_neighbours: list[np.ndarray]
    region_in_share: np.ndarray  # in-region share of inpatient settlements of its insured
    region_employee: np.ndarray  # share of employee insurance among its insured
    bureaus: list[str]
    codes: list[str]  # every institution code: registered first, then unregistered ones
    code_region: np.ndarray
    private_pool: list[np.ndarray]  # per region: unregistered in-region hospitals
    pharmacy_pool: list[np.ndarray]
    outside_pool: list[np.ndarray]  # per region: hospitals outside its insured's region
    referral_pool: dict[tuple[int, int], np.ndarray]  # (consortium, class) -> institutions
    team_codes: list[str] = field(default_factory=list)  # family-doctor teams, by institution
    team_first: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def region_index(self, code: str) -> int:
        return self.region_codes.index(code)


# Building ------------------------------------------------------------------------------------


def _town_names(rng: np.random.Generator, n: int) -> list[str]:
    names: list[str] = []
    while len(names) < n:
        a, b = rng.choice(TOWN_SYLLABLES, 2, replace=False)
        if a + b not in names:
            names.append(a + b)
    return names


def _spread(rng: np.random.Generator, n: int, lo: float = 0.6, hi: float = 1.4) -> np.ndarray:
    w = rng.uniform(lo, hi, n)
    return w / w.sum()


def _county(
    rng: np.random.Generator,
    cid: int,
    code: str,
    name: str,
    population: int,
    founded: date,
    towns: tuple[str, ...] | None,
    villages_per_town: int,
) -> tuple[Consortium, list[Inst]]:
    """A county community: county-level hospitals, the chronic-disease station, townships,
    village clinics. Serials: 0000x hospitals, 001xx townships, 01xxx village clinics."""
    cons = Consortium(
        id=f"YGT{code}",
        name=f"{name}紧密型县域医共体",
        kind="county_community",
        region=code,
        population=population,
        primary_share=float(rng.uniform(0.62, 0.71)),
        home_regions=(code,),
        ht_control=float(rng.uniform(0.62, 0.72)),
        dm_control=float(rng.uniform(0.56, 0.66)),
    )
    member = [(cid, "member", founded, None)]
    hospitals = [
        ("人民医院", "county_hospital", 0.58, 0.50),
        ("中医院", "county_hospital", 0.22, 0.16),
        ("妇幼保健院", "county_hospital", 0.15, 0.12),
        ("慢性病防治站", "public_health_agency", 0.05, 0.0),
    ]
    insts: list[Inst] = []
    for k, (suffix, tier, v_share, ip_share) in enumerate(hospitals, start=1):
        role = "lead" if k == 1 else "member"
        inst = Inst(
            f"H{code}{k:05d}",
            f"{name}{suffix}",
            tier,
            code,
            cid,
            [(cid, role, founded, None)],
            visits=v_share * (1 - cons.primary_share),
            inpatients=ip_share,
        )
        if suffix == "慢性病防治站":
            inst.ph_items = _AGENCY_ITEMS
        if suffix == "妇幼保健院":
            inst.ph_items, inst.ph_share = _MCH_ITEMS, 0.3
        insts.append(inst)
    towns = towns or tuple(_town_names(rng, int(np.clip(population // 60_000, 8, 30))))
    town_w = _spread(rng, len(towns))
    for t, (town, w) in enumerate(zip(towns, town_w, strict=True)):
        insts.append(
            Inst(
                f"H{code}{101 + t:05d}",
                f"{name}{town}镇卫生院",
                "township_center",
                code,
                cid,
                list(member),
                visits=0.7 * cons.primary_share * w,
                inpatients=0.22 * w,
                ph_items=ITEM_NAMES,
                ph_share=w,
            )
        )
        village_w = _spread(rng, villages_per_town, 0.5, 1.5)
        villages = rng.choice(VILLAGE_NAMES, villages_per_town, replace=False)
        for v, (village, vw) in enumerate(zip(villages, village_w, strict=True)):
            insts.append(
                Inst(
                    f"H{code}{1000 + 20 * t + v:05d}",
                    f"{name}{town}镇{village}村卫生站",
                    "village_clinic",
                    code,
                    cid,
                    list(member),
                    visits=0.3 * cons.primary_share * w * vw,
                    ph_items=_VILLAGE_ITEMS,
                    ph_share=0.5 * w * vw,
                )
            )
    return cons, insts


def _alliance(
    rng: np.random.Generator,
    cid: int,
    prefecture: str,
    city: str,
    number: int,
    lead_name: str,
    centres: list[tuple[str, str]],
    population: int,
    founded: date,
    stations_per_centre: int,
) -> tuple[Consortium, list[Inst]]:
    """An urban alliance: a city hospital lead with community health centres and stations."""
    districts = tuple(sorted({region for _, region in centres}))
    cons = Consortium(
        id=f"YLT{prefecture}00{number:02d}",
        name=f"{lead_name}紧密型城市医联体",
        kind="urban_alliance",
        region=f"{prefecture}00",
        population=population,
        primary_share=float(rng.uniform(0.56, 0.66)),
        home_regions=districts,
        ht_control=float(rng.uniform(0.63, 0.74)),
        dm_control=float(rng.uniform(0.57, 0.68)),
    )
    lead_region = districts[0]
    insts = [
        Inst(
            f"H{lead_region}{number:05d}",
            lead_name,
            "city_hospital",
            lead_region,
            cid,
            [(cid, "lead", founded, None)],
            visits=1 - cons.primary_share,
            inpatients=0.85,
        )
    ]
    weights = _spread(rng, len(centres))
    for c, ((centre, region), w) in enumerate(zip(centres, weights, strict=True)):
        serial = 100 + 10 * number + c
        insts.append(
            Inst(
                f"H{region}{serial:05d}",
                f"{city}市{centre}社区卫生服务中心",
                "community_center",
                region,
                cid,
                [(cid, "member", founded, None)],
                visits=0.75 * cons.primary_share * w,
                inpatients=0.15 * w,
                ph_items=ITEM_NAMES,
                ph_share=w,
            )
        )
        for s in range(stations_per_centre):
            insts.append(
                Inst(
                    f"H{region}{2000 + 20 * (serial - 100) + s:05d}",
                    f"{city}市{centre}社区卫生服务中心第{s + 1}服务站",
                    "community_station",
                    region,
                    cid,
                    [(cid, "member", founded, None)],
                    visits=0.25 * cons.primary_share * w / stations_per_centre,
                    ph_items=_VILLAGE_ITEMS,
                    ph_share=0.4 * w / stations_per_centre,
                )
            )
    return cons, insts


def _seed_consortia(
    rng: np.random.Generator, founded: date, villages: int, stations: int
) -> list[tuple[Consortium, list[Inst]]]:
    lianping = _county(rng, 0, "441623", "连平县", 170_000, founded, LIANPING_TOWNS, villages)
    # 连平县第二人民医院 delivers throughout but joins the community mid-window (see _periods).
    cons, insts = lianping
    insts.insert(
        4,
        Inst(
            SECOND_HOSPITAL,
            "连平县第二人民医院",
            "county_hospital",
            "441623",
            0,
            [(0, "member", founded, None)],
            visits=0.10 * (1 - cons.primary_share),
            inpatients=0.10,
        ),
    )
    chuzhou_1 = _alliance(
        rng,
        1,
        "3411",
        "滁州",
        1,
        "滁州市第一人民医院",
        [("龙蟠", "341103"), ("南门", "341102"), ("清流", "341102")],
        90_000,
        founded,
        stations,
    )
    chuzhou_2 = _alliance(
        rng,
        2,
        "3411",
        "滁州",
        2,
        "滁州市中西医结合医院",
        [("滁阳", "341102"), ("同乐", "341103"), ("明湖", "341103")],
        70_000,
        founded,
        stations,
    )
    chuzhou_2[1][1].name = "琅琊区人民医院（滁阳社区卫生服务中心）"
    return [lianping, chuzhou_1, chuzhou_2]


def _extra_consortia(
    rng: np.random.Generator, scale: str, founded: date, first_id: int
) -> list[tuple[Consortium, list[Inst]]]:
    built: list[tuple[Consortium, list[Inst]]] = []
    if scale == "county":
        return built
    counties = list(HEYUAN_COUNTIES + CHUZHOU_COUNTIES)
    cities = [("4416", "河源", (("441602", "源城区"),))]
    villages, stations = (2, 2) if scale == "city" else (1, 1)
    if scale == "province":
        counties += PROVINCE_COUNTIES
        cities += PROVINCE_CITIES
    for code, name in counties:
        pop = int(rng.uniform(250_000, 600_000))
        built.append(_county(rng, first_id + len(built), code, name, pop, founded, None, villages))
    for prefecture, city, districts in cities:
        n_alliances = 1 if scale == "city" else max(2, len(districts))
        for a in range(n_alliances):
            chosen = [districts[(a + k) % len(districts)] for k in range(len(districts))]
            centres = [
                (f"{d_name[:-1]}{'东西南北中'[k % 5]}{'' if k < 5 else k}", d_code)
                for k, (d_code, d_name) in enumerate(chosen * 3)
            ][: int(rng.integers(4, 9))]
            lead = (
                f"{city}市第{'一二三四五'[a]}人民医院" if prefecture != "4416" else "河源市人民医院"
            )
            pop = int(rng.uniform(300_000, 700_000))
            built.append(
                _alliance(
                    rng,
                    first_id + len(built),
                    prefecture,
                    city,
                    a + 1,
                    lead,
                    centres,
                    pop,
                    founded,
                    stations,
                )
            )
    built.append(_primary_care_group(rng, first_id + len(built), founded, stations))
    return built


def _primary_care_group(
    rng: np.random.Generator, cid: int, founded: date, stations: int
) -> tuple[Consortium, list[Inst]]:
    """源城区基层医疗集团: the district people's hospital (a district-level hospital, tier
    county_hospital) leading community health centres of 源城区, next to the Heyuan alliance."""
    centres = [(name, "441602") for name in ("上城", "新江", "东埔", "高埔岗")]
    population = int(rng.uniform(150_000, 250_000))
    cons, insts = _alliance(
        rng, cid, "4416", "河源", 9, "源城区人民医院", centres, population, founded, stations
    )
    cons.id, cons.name, cons.kind, cons.region = (
        "JCJT441602",
        "源城区基层医疗集团",
        "primary_care_group",
        "441602",
    )
    insts[0].tier = "county_hospital"
    return cons, insts


def _networks(scale: str, insts: list[Inst], first_id: int, founded: date) -> list[Consortium]:
    """At city and province scale: 安徽省立医院's chest-pain specialty alliance with the people's
    hospitals of the Chuzhou counties, and 河源市人民医院's remote-care network with the
    people's hospitals and township centres of the Heyuan counties. Their members stay in their
    county communities (a second membership period each); the lead of the specialty alliance
    is registered as external until the network is founded."""
    if scale == "county":
        return []
    since = founded + timedelta(days=181)
    by_code = {inst.code: k for k, inst in enumerate(insts)}
    chuzhou = {code for code, _ in CHUZHOU_COUNTIES}
    heyuan = {code for code, _ in HEYUAN_COUNTIES}
    specs = (
        (
            "ZKLM340103",
            "安徽省立医院胸痛专科联盟",
            "specialty_alliance",
            "341100",
            "H34010300001",
            [k for k, i in enumerate(insts) if i.region in chuzhou and i.code.endswith("00001")],
        ),
        (
            "YCXZ441600",
            "河源市人民医院远程医疗协作网",
            "remote_network",
            "441600",
            "H44160200001",
            [
                k
                for k, i in enumerate(insts)
                if i.region in heyuan and (i.code.endswith("00001") or i.tier == "township_center")
            ],
        ),
    )
    networks = []
    for cid, (cons_id, name, kind, region, lead_code, members) in enumerate(specs, first_id):
        lead = by_code[lead_code]
        cons = Consortium(cons_id, name, kind, region, population=0, primary_share=0.0)
        cons.lead = lead
        periods = insts[lead].periods
        if len(periods) == 1 and periods[0][1] == "external":
            periods[0] = (-1, "external", periods[0][2], since - timedelta(days=1))
        periods.append((cid, "lead", since, None))
        for k in members:
            insts[k].periods.append((cid, "member", since, None))
        networks.append(cons)
    return networks


def _periods(insts: list[Inst], join: date, founded: date) -> None:
    """Two membership periods each for two institutions, changing on ``join``:
    连平县第二人民医院 is registered (role external) and joins the county community;
    明湖 community centre moves from the 中西医结合 alliance to the 市一院 alliance.
    Both deliver throughout, so membership must be judged on each record's own date."""
    for inst in insts:
        if inst.code == SECOND_HOSPITAL:
            inst.periods = [
                (-1, "external", date(2015, 1, 1), join - timedelta(days=1)),
                (0, "member", join, None),
            ]
        if inst.code == MINGHU_CENTRE:
            inst.periods = [
                (2, "member", founded, join - timedelta(days=1)),
                (1, "member", join, None),
            ]


def _scale_population(built: list[tuple[Consortium, list[Inst]]], n_seed: int) -> None:
    """At province scale, size the non-seed consortia so that a day has ~2.5M visits."""
    seed_pop = sum(c.population for c, _ in built[:n_seed])
    extra_pop = sum(c.population for c, _ in built[n_seed:])
    wanted = PROVINCE_VISITS_PER_DAY * 365 / VISITS_PER_CAPITA_YEAR - seed_pop
    factor = wanted / extra_pop
    for cons, _ in built[n_seed:]:
        cons.population = int(cons.population * factor)


def build_world(scale: str, start: date, days: int, seed: int) -> World:
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(SCALES)}, not {scale!r}")
    rng = np.random.default_rng([seed, 1])
    founded = min(date(2020, 11, 1), date(start.year - 1, 1, 1))
    join = start + timedelta(days=days // 2)
    villages, stations = {"county": (3, 2), "city": (2, 2), "province": (1, 1)}[scale]
    built = _seed_consortia(rng, founded, villages, stations)
    built += _extra_consortia(rng, scale, founded, len(built))
    if scale == "province":
        _scale_population(built, 3)
    consortia = [c for c, _ in built]
    insts: list[Inst] = []
    for cons, members in built:
        _finish_consortium(cons, members, len(insts))
        insts.extend(members)
    _service_areas(np.random.default_rng([seed, 5]), built)
    _periods(insts, join, founded)
    insts.extend(_externals(insts))
    consortia += _networks(scale, insts, len(consortia), founded)
    return _assemble(start, seed, consortia, insts)


def _service_areas(rng: np.random.Generator, built: list[tuple[Consortium, list[Inst]]]) -> None:
    """Split each consortium's residents over its primary-care institutions (by their share of
    primary-care visits, so every resident lives in one service area), with each area's key
    populations, the shares under a family-doctor contract and the number of teams."""
    codes = tuple(KEY_POPULATION_RATES)
    for cons, members in built:
        primary = [m for m in members if m.tier in PRIMARY_TIERS]
        total = sum(m.visits for m in primary)
        urban = int(cons.kind != "county_community")
        for m in primary:
            residents = int(round(cons.population * m.visits / total))
            jitter = rng.uniform(0.85, 1.15, len(codes))
            groups = {
                code: int(round(residents * KEY_POPULATION_RATES[code][urban] * j))
                for code, j in zip(codes, jitter, strict=True)
            }
            largest = max(groups.values())
            key = int(round(largest + KEY_OVERLAP * (sum(groups.values()) - largest)))
            m.service = {"resident": residents, "key_population": key, **groups}
            m.signed_key = float(rng.uniform(*SIGNED_KEY))
            m.signed_other = float(rng.uniform(*SIGNED_OTHER))
            m.teams = 1 if m.level == 1 else int(np.clip(residents // RESIDENTS_PER_TEAM, 2, 12))


def _finish_consortium(cons: Consortium, members: list[Inst], offset: int) -> None:
    """Turn visit shares into daily means and record the lead."""
    visits = cons.population * VISITS_PER_CAPITA_YEAR / 365
    inpatients = cons.population * INPATIENT_PER_CAPITA_YEAR / 365
    total_primary = sum(m.visits for m in members if m.tier in PRIMARY_TIERS)
    total_other = sum(m.visits for m in members if m.tier not in PRIMARY_TIERS)
    for m in members:
        primary = m.tier in PRIMARY_TIERS
        share = cons.primary_share if primary else 1 - cons.primary_share
        m.visits = visits * share * m.visits / (total_primary if primary else total_other)
        m.inpatients *= inpatients
    cons.lead = offset + next(i for i, m in enumerate(members) if m.periods[0][1] == "lead")


def _externals(insts: list[Inst]) -> list[Inst]:
    known = {i.code for i in insts}
    out = []
    for code, name, tier, region in EXTERNAL_HOSPITALS:
        if code not in known:
            out.append(
                Inst(
                    code,
                    name,
                    tier,
                    region,
                    -1,
                    [(-1, "external", date(2015, 1, 1), None)],
                    delivers=False,
                )
            )
    return out


def _assemble(start: date, seed: int, consortia: list[Consortium], insts: list[Inst]) -> World:
    rng = np.random.default_rng([seed, 2])
    grid = BirthGrid.for_start(start)
    for i, inst in enumerate(insts):
        for c, _role, _from, _to in inst.periods:
            if c >= 0 and i not in consortia[c].members:
                consortia[c].members.append(i)
    home: dict[str, Consortium] = {}
    for cons in consortia:
        for region in cons.home_regions:
            home.setdefault(region, cons)
    unregistered = {
        c[1:7] for p in {r[:2] for r in home} for c in UNREGISTERED_HOSPITALS.get(p, ())
    }
    regions = sorted(set(home) | {i.region for i in insts} | _neighbour_codes(home) | unregistered)
    pop = {r: 0 for r in regions}
    for cons in consortia:
        for r in cons.home_regions:
            pop[r] += cons.population // len(cons.home_regions)
    for r in regions:
        pop[r] = pop[r] or OUTSIDE_POPULATION
    bureaus = sorted({_bureau(r, home[r]) for r in home})
    region_bureau = np.array(
        [bureaus.index(_bureau(r, home[r])) if r in home else -1 for r in regions]
    )
    match = [_match(r, home.get(r)) for r in regions]
    codes, code_region, private, pharmacy = _claim_codes(insts, regions, home, pop)
    outside = _outside_pools(insts, codes, regions, match)
    team_codes = [f"JT{inst.code[1:]}{t + 1:02d}" for inst in insts for t in range(inst.teams)]
    team_first = np.cumsum([0] + [inst.teams for inst in insts[:-1]]).astype(np.int64)
    return World(
        start=start,
        grid=grid,
        consortia=consortia,
        insts=insts,
        region_codes=regions,
        region_s=np.array([s_count(pop[r], grid) for r in regions]),
        region_digits=region_digits(regions),
        region_bureau=region_bureau,
        region_match=match,
        region_neighbours=[_neighbours(r, regions, home) for r in regions],
        region_in_share=rng.uniform(0.83, 0.90, len(regions)),
        region_employee=np.array([_employee_share(r, home.get(r)) for r in regions]),
        bureaus=bureaus,
        codes=codes,
        code_region=np.array([regions.index(r) for r in code_region]),
        private_pool=[np.array(private.get(r, []), dtype=np.int64) for r in regions],
        pharmacy_pool=[np.array(pharmacy.get(r, []), dtype=np.int64) for r in regions],
        outside_pool=outside,
        referral_pool=_referral_pools(consortia, insts),
        team_codes=team_codes,
        team_first=team_first,
    )


def _bureau(region: str, cons: Consortium) -> str:
    """Insurance bureau source code delivering the claims of a region's insured."""
    if cons.kind == "urban_alliance" or region[:4] in CITY_POOLED:
        return f"YB{region[:4]}00"
    return f"YB{region}"


def _employee_share(region: str, cons: Consortium | None) -> float:
    """Employee insurance is common in cities, rare in rural counties."""
    urban = region[:4] in CITY_POOLED or (cons is not None and cons.kind == "urban_alliance")
    return 0.5 if urban else 0.22


def _match(region: str, cons: Consortium | None) -> str:
    if cons is None:
        return region
    return cons.region[:4] if cons.region.endswith("00") else cons.region


def _neighbour_codes(home: dict[str, Consortium]) -> set[str]:
    return {n for r in home for n in OUTSIDE_NEIGHBOURS.get(r[:4], ())}


def _neighbours(region: str, regions: list[str], home: dict[str, Consortium]) -> np.ndarray:
    """Regions whose residents also visit this region's institutions."""
    same = [r for r in home if r[:4] == region[:4] and r != region]
    extra = [r for r in OUTSIDE_NEIGHBOURS.get(region[:4], ()) if r != region]
    chosen = sorted(set(same[:3] + extra)) or sorted(r for r in home if r != region)[:3]
    return np.array([regions.index(r) for r in chosen], dtype=np.int64)


def _claim_codes(
    insts: list[Inst], regions: list[str], home: dict[str, Consortium], pop: dict[str, int]
) -> tuple[list[str], list[str], dict[str, list[int]], dict[str, list[int]]]:
    """Registered codes, then unregistered hospitals and pharmacies (national codes only)."""
    codes = [i.code for i in insts]
    code_region = [i.region for i in insts]
    private: dict[str, list[int]] = {}
    pharmacy: dict[str, list[int]] = {}
    for r in sorted(home):
        urban = home[r].kind == "urban_alliance"
        for k in range(6 if urban else 3):
            private.setdefault(r, []).append(len(codes))
            codes.append(f"H{r}{90001 + k:05d}")
            code_region.append(r)
        for k in range(int(np.clip(pop[r] // 8_000, 5, 300))):
            pharmacy.setdefault(r, []).append(len(codes))
            codes.append(f"P{r}{k + 1:05d}")
            code_region.append(r)
    for province in sorted({r[:2] for r in home}):
        for code in UNREGISTERED_HOSPITALS.get(province, ()):
            if code[1:7] in regions and code not in codes:
                codes.append(code)
                code_region.append(code[1:7])
        return codes, code_region, private, pharmacy


def _tertiary(insts: list[Inst], consortia: list[Consortium]) -> list[int]:
    """Registered city/provincial hospitals that take referrals: externals and alliance leads."""
    return [
        i
        for i, inst in enumerate(insts)
        if inst.tier in ("city_hospital", "provincial_hospital")
        and (inst.consortium < 0 or i == consortia[inst.consortium].lead)
    ]


def _outside_pools(
    insts: list[Inst], codes: list[str], regions: list[str], match: list[str]
) -> list[np.ndarray]:
    """Per region: hospitals its insured use outside their region (registered city/provincial
    hospitals and unregistered hospitals of the provinces where they seek care)."""
    candidates = [
        k
        for k, code in enumerate(codes)
        if code[0] == "H"
        and (
            insts[k].tier in ("city_hospital", "provincial_hospital")
            if k < len(insts)
            else code[7] == "0"  # unregistered, not an in-region private hospital (9xxxx)
        )
    ]
    pools = []
    for region, prefix in zip(regions, match, strict=True):
        provinces = CARE_PROVINCES.get(region[:2], (region[:2],))
        pools.append(
            np.array(
                [
                    k
                    for k in candidates
                    if codes[k][1:3] in provinces and not codes[k][1:7].startswith(prefix)
                ],
                dtype=np.int64,
            )
        )
    return pools


def _referral_pools(
    consortia: list[Consortium], insts: list[Inst]
) -> dict[tuple[int, int], np.ndarray]:
    """Referral targets per consortium: class 1 county/city hospitals, 2 township/community
    centres, 3 village clinics/stations, 4 registered hospitals outside the region."""
    tertiary = _tertiary(insts, consortia)
    pools: dict[tuple[int, int], np.ndarray] = {}
    for c, cons in enumerate(consortia):
        if not cons.home_regions:  # a network over other consortia's members: no referrals
            continue
        members = [i for i in cons.members if insts[i].delivers]
        prefix = _match(cons.home_regions[0], cons)
        provinces = CARE_PROVINCES.get(cons.region[:2], (cons.region[:2],))
        by_class = {
            1: [i for i in members if insts[i].tier in ("county_hospital", "city_hospital")],
            2: [i for i in members if insts[i].level == 2],
            3: [i for i in members if insts[i].level == 1],
            4: [
                i
                for i in tertiary
                if insts[i].region[:2] in provinces and not insts[i].region.startswith(prefix)
            ],
        }
        for cls, chosen in by_class.items():
            pools[(c, cls)] = np.array(sorted(chosen), dtype=np.int64)
    return pools


# Reference files -------------------------------------------------------------------------------

KPI_TARGETS = {  # kpi_id -> (county community target, urban alliance target)
    "primary_care_visit_share": (0.65, 0.65),
    "referral_down_up_ratio": (0.5, 0.5),
    "out_of_region_referral_share": (0.15, 0.1),
    "in_region_fund_share": (0.75, 0.85),
    "primary_care_fund_share": (0.15, 0.12),
    "in_region_inpatient_share": (0.9, 0.9),
    "in_region_inpatient_cost": (7000, 10000),
    "public_health_task_completion": (1.0, 1.0),
    "hypertension_control_rate": (0.6, 0.6),
    "diabetes_control_rate": (0.55, 0.55),
}
# KPIs whose target is left to the documented default for the second Chuzhou alliance.
DEFAULTED = (
    "primary_care_visit_share",
    "in_region_inpatient_share",
    "public_health_task_completion",
)


def ph_cohorts(world: World) -> dict[tuple[int, str], int]:
    """Cohort size per (institution, item): the people an institution serves for that item in a
    year. Providers of an item split the consortium's eligible population by ph_share."""
    cohorts: dict[tuple[int, str], int] = {}
    for c, cons in enumerate(world.consortia):
        for item, (coverage, _freq, _age, _women) in PH_ITEMS.items():
            providers = [
                i
                for i in cons.members
                if item in world.insts[i].ph_items and world.insts[i].consortium == c
            ]
            total = sum(world.insts[i].ph_share or 1.0 for i in providers)
            for i in providers:
                share = (world.insts[i].ph_share or 1.0) / total
                size = int(round(cons.population * coverage * share))
                if size > 0:
                    cohorts[(i, item)] = size
    return cohorts


def write_reference(out: Path, world: World, start: date, days: int, seed: int) -> list[Path]:
    """reference/*.csv: UTF-8, canonical headers, LF (maintained by the consortium office)."""
    folder = out / "reference"
    folder.mkdir(parents=True, exist_ok=True)
    years = sorted({(start + timedelta(days=d)).year for d in range(max(days, 1))})
    rows = {
        "institutions": _institution_rows(world, np.random.default_rng([seed, 4])),
        "consortia": [
            (c.id, c.name, c.kind, c.region, world.insts[c.lead].code) for c in world.consortia
        ],
        "public_health_targets": _ph_target_rows(world, years, seed),
        "kpi_targets": _kpi_target_rows(world, years),
        "service_population": _service_population_rows(world, years),
        "work_point_weights": [(item, f"{points:.1f}") for item, points in WORK_POINTS.items()],
    }
    paths = []
    for name, header in REFERENCE_FILES.items():
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows[name])
        path = folder / f"{name}.csv"
        path.write_bytes(buffer.getvalue().encode("utf-8"))
        paths.append(path)
    return paths


def _institution_rows(world: World, rng: np.random.Generator) -> list[tuple[str, ...]]:
    """One row per membership period. ``tcm`` as offices keep it: TCM hospitals 1 or 是 (in
    turn), the others mostly 0 or empty, a few 否."""
    rows = []
    tcm_seen = 0
    for inst in world.insts:
        u = rng.random()
        if any(name in inst.name for name in TCM_NAMES):
            tcm = ("1", "是")[tcm_seen % 2]
            tcm_seen += 1
        else:
            tcm = "0" if u < 0.6 else "" if u < 0.9 else "否"
        for c, role, valid_from, valid_to in inst.periods:
            rows.append(
                (
                    inst.code,
                    inst.name,
                    inst.tier,
                    inst.region,
                    world.consortia[c].id if c >= 0 else "",
                    role,
                    valid_from.isoformat(),
                    valid_to.isoformat() if valid_to else "",
                    tcm,
                )
            )
    return rows


def _service_population_rows(world: World, years: list[int]) -> list[tuple[object, ...]]:
    """Residents of each primary-care service area per population group, every year."""
    return [
        (year, inst.code, group, inst.service[group])
        for year in years
        for inst in world.insts
        if inst.service
        for group in ("resident", "key_population", *KEY_POPULATIONS)
    ]


def _ph_target_rows(world: World, years: list[int], seed: int) -> list[tuple[object, ...]]:
    """Targets near the people an institution can be expected to serve in a year, so that a
    full year's completion lands around 90-105%."""
    rows = []
    for year in years:
        rng = np.random.default_rng([seed, 3, year])
        for (i, item), size in sorted(ph_cohorts(world).items()):
            freq = PH_ITEMS[item][1]
            expected = size * (1 - math.exp(-freq))
            target = max(1, int(round(expected * rng.uniform(0.92, 1.08))))
            rows.append((year, world.insts[i].code, item, target))
    return rows


def _kpi_target_rows(world: World, years: list[int]) -> list[tuple[object, ...]]:
    rows = []
    for year in years:
        for c, cons in enumerate(world.consortia):
            if cons.kind in NETWORK_KINDS:  # no targets of their own: the documented defaults
                continue
            for kpi, targets in KPI_TARGETS.items():
                if c == 2 and kpi in DEFAULTED:
                    continue
                rows.append((kpi, cons.id, year, targets[cons.kind != "county_community"]))
    return rows
