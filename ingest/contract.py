"""The extract contract (data-submission standard) as data.

This module is the one definition of the five extract kinds, their columns, Chinese aliases,
enums and reason codes. The validator, the Great Expectations suites in ``expectations/``, the
synthetic generator and the docs all read it, so they cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ColumnType = Literal[
    "text", "date", "money", "enum", "region", "icd10", "integer", "decimal", "patient_id"
]
Requirement = Literal["yes", "no", "conditional"]

# Row-level and file-level reason codes, in precedence order: when several apply to a row,
# the first one in this tuple wins.
REASON_CODES: tuple[str, ...] = (
    "unreadable_file",
    "missing_required_column",
    "manifest_mismatch",
    "wrong_source_folder",
    "missing_required_value",
    "invalid_patient_id",
    "unknown_institution",
    "invalid_enum",
    "invalid_date",
    "invalid_amount",
    "out_of_range",
    "duplicate_key",
    "orphan_reversal",
)
FILE_REASONS = frozenset({"unreadable_file", "missing_required_column", "manifest_mismatch"})

# Columns whose values look like a person's name: dropped at ingest, values never stored.
NAME_LIKE_COLUMNS = frozenset({"name", "patient_name", "姓名", "患者姓名"})

SEX = {"1": "1", "2": "2", "9": "9", "男": "1", "女": "2", "未知": "9"}

SERVICE_ITEMS: dict[str, str] = {
    "health_record": "居民健康档案",
    "health_education": "健康教育",
    "vaccination": "预防接种",
    "child_health": "0-6岁儿童健康管理",
    "maternal_health": "孕产妇健康管理",
    "elderly_health_check": "老年人健康管理",
    "hypertension_followup": "高血压患者健康管理",
    "diabetes_followup": "2型糖尿病患者健康管理",
    "severe_mental_disorder_followup": "严重精神障碍患者管理",
    "tuberculosis_management": "肺结核患者健康管理",
    "tcm_health_management": "中医药健康管理",
    "infectious_disease_report": "传染病及突发公共卫生事件报告和处理",
    "health_supervision": "卫生监督协管",
}

TIERS = (
    "village_clinic",
    "community_station",
    "community_center",
    "township_center",
    "clinic",
    "county_hospital",
    "city_hospital",
    "provincial_hospital",
    "public_health_agency",
)
ROLES = ("lead", "member", "external")
CONSORTIUM_KINDS: dict[str, str] = {
    "county_community": "县域医共体",
    "urban_alliance": "城市医联体",
    "primary_care_group": "基层医疗集团",
    "specialty_alliance": "专科联盟",
    "remote_network": "远程医疗协作网",
}
# reference/institutions.csv `tcm` (中医类机构): absent or empty means 0.
TCM_FLAG = {"1": True, "0": False, "是": True, "否": False}

# Key populations (重点人群) of family-doctor signing, code -> Chinese label.
KEY_POPULATIONS: dict[str, str] = {
    "elderly": "老年人",
    "hypertension": "高血压患者",
    "diabetes": "2型糖尿病患者",
    "maternal": "孕产妇",
    "child": "0-6岁儿童",
    "disabled": "残疾人",
    "severe_mental": "严重精神障碍患者",
    "tuberculosis": "肺结核患者",
    "family_planning_special": "计划生育特殊家庭",
    "low_income": "脱贫人口/低收入人口",
    "ltc": "长护险对象",
}
# service_population.csv groups: everyone, the key populations counted once, or one of them.
POPULATION_GROUPS: tuple[str, ...] = ("resident", "key_population", *KEY_POPULATIONS)

# National insurance coding of institutions: H (medical) / P (retail pharmacy) + 6-digit region
# + 5-digit serial. A claim may name an unregistered institution if its code is well formed.
NATIONAL_INSTITUTION_CODE = r"^[HP][0-9]{11}$"
REGION_CODE = r"^[0-9]{6}$"
ICD10_CODE = r"^[A-Z][0-9]{2}(\.[0-9A-Z]{1,4})?$"
# Yuan with at most two decimals, and at most 16 integer digits: what DECIMAL(18,2) holds (a
# longer number would become NULL in the lake, so it is rejected as invalid_amount instead).
MONEY = r"^[0-9]{1,16}(\.[0-9]{1,2})?$"
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d")
# A record date may be at most this many days before the business date.
MAX_RECORD_AGE_DAYS = 366


def _enum(pairs: dict[str, str]) -> dict[str, str]:
    """code -> label pairs to a lookup accepting either the code or the label."""
    lookup = {code: code for code in pairs}
    lookup.update({label: code for code, label in pairs.items()})
    return lookup


@dataclass(frozen=True)
class Column:
    name: str
    aliases: tuple[str, ...] = ()
    type: ColumnType = "text"
    required: Requirement = "no"
    labels: dict[str, str] = field(default_factory=dict)  # enum code -> Chinese label
    min_value: float | None = None
    max_value: float | None = None
    institution: bool = False  # must be a known institution
    record_date: bool = False  # judged against the business date (invalid_date)
    # For required="conditional": (column, value) of the rows that need this column.
    required_when: tuple[str, str] | None = None
    # A date that may lie after the business date (a contract's service span): only an
    # unparseable value is invalid_date.
    any_date: bool = False
    # A list in one cell: the separators (a regex character class) and the most items allowed
    # (more: invalid_enum). An enum list is stored as its sorted codes joined by ';'.
    separators: str | None = None
    max_items: int | None = None
    # A well-formed national insurance code counts as a known institution (unknown_institution)
    national_codes_known: bool = False

    @property
    def enum_lookup(self) -> dict[str, str]:
        return _enum(self.labels)

    @property
    def headers(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@dataclass(frozen=True)
class Reversal:
    """Rows of `type_column` = `reverse` cancel the row whose `id_column` their
    `original_column` names; one with no such `settle` row is an orphan_reversal."""

    type_column: str
    settle: str
    reverse: str
    id_column: str
    original_column: str


@dataclass(frozen=True)
class Kind:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # unique inside one file (duplicate_key)
    # Column that must equal the folder's source code (wrong_source_folder); None for claims,
    # which come from an insurance bureau's folder.
    source_column: str | None
    # Declared rules of a kind (instead of special cases by name in the code that reads it):
    reversal: Reversal | None = None
    # (total, fund, personal): fund + personal = total and fund <= total (invalid_amount)
    amount_split: tuple[str, str, str] | None = None
    # (start, end): end before start is invalid_date
    date_order: tuple[str, str] | None = None

    @property
    def file_stem(self) -> str:
        return self.name

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required == "yes")

    def header_lookup(self) -> dict[str, str]:
        """Every accepted header (canonical or alias) -> canonical column name."""
        return {h: c.name for c in self.columns for h in c.headers}


PATIENT_ID = Column("patient_id", ("身份证号", "证件号码", "居民身份证号"), "patient_id", "yes")

VISITS = Kind(
    "visits",
    (
        Column("visit_id", ("就诊流水号", "就诊ID"), required="yes"),
        Column("institution_code", ("机构编码", "医疗机构编码"), required="yes", institution=True),
        PATIENT_ID,
        Column("sex", ("性别",), "enum", labels={"1": "男", "2": "女", "9": "未知"}),
        Column("birth_date", ("出生日期",), "date"),
        Column("residence_region_code", ("常住地区划代码", "现住址区划代码"), "region", "yes"),
        Column(
            "visit_type",
            ("就诊类型",),
            "enum",
            "yes",
            labels={
                "outpatient": "门诊",
                "emergency": "急诊",
                "inpatient": "住院",
                "home": "家庭出诊",
            },
        ),
        Column("visit_date", ("就诊日期", "入院日期"), "date", "yes", record_date=True),
        Column(
            "discharge_date",
            ("出院日期",),
            "date",
            "conditional",
            record_date=True,
            required_when=("visit_type", "inpatient"),
        ),
        Column("department", ("科室名称",)),
        Column("diagnosis_code", ("主要诊断编码",), "icd10"),
        Column("total_cost", ("总费用", "医疗总费用"), "money", "yes"),
    ),
    key=("institution_code", "visit_type", "visit_id"),
    source_column="institution_code",
)

REFERRALS = Kind(
    "referrals",
    (
        Column("referral_id", ("转诊单号",), required="yes"),
        Column("from_institution_code", ("转出机构编码",), required="yes", institution=True),
        Column("to_institution_code", ("转入机构编码",), required="yes", institution=True),
        Column("patient_id", ("身份证号",), "patient_id", "yes"),
        Column("referral_date", ("转诊日期",), "date", "yes", record_date=True),
        Column(
            "status",
            ("转诊状态",),
            "enum",
            "yes",
            labels={
                "issued": "已发起",
                "accepted": "已接收",
                "completed": "已完成",
                "rejected": "已拒绝",
                "cancelled": "已取消",
            },
        ),
        Column("diagnosis_code", ("转诊诊断编码",), "icd10"),
    ),
    key=("referral_id",),
    source_column="from_institution_code",
)

CLAIMS = Kind(
    "claims",
    (
        Column("claim_id", ("结算流水号", "结算ID"), required="yes"),
        Column(
            "record_type",
            ("记录类型",),
            "enum",
            "yes",
            labels={"settle": "结算", "reverse": "冲销"},
        ),
        Column(
            "original_claim_id",
            ("原结算流水号",),
            required="conditional",
            required_when=("record_type", "reverse"),
        ),
        Column("settlement_date", ("结算日期",), "date", "yes", record_date=True),
        Column(
            "institution_code",
            ("定点机构编码",),
            required="yes",
            institution=True,
            national_codes_known=True,
        ),
        Column("visit_id", ("就诊流水号",)),
        Column("patient_id", ("身份证号",), "patient_id", "yes"),
        Column("insured_region_code", ("参保地区划代码",), "region", "yes"),
        Column(
            "insurance_scheme",
            ("险种",),
            "enum",
            "yes",
            labels={"employee": "职工医保", "resident": "城乡居民医保"},
        ),
        Column(
            "visit_type",
            ("就诊类型",),
            "enum",
            "yes",
            labels={"outpatient": "门诊", "inpatient": "住院"},
        ),
        Column("total_amount", ("医疗总费用",), "money", "yes"),
        Column("fund_paid", ("统筹基金支付", "基金支付"), "money", "yes"),
        Column("personal_paid", ("个人支付",), "money", "yes"),
    ),
    key=("claim_id",),
    source_column=None,
    reversal=Reversal("record_type", "settle", "reverse", "claim_id", "original_claim_id"),
    amount_split=("total_amount", "fund_paid", "personal_paid"),
)

PUBLIC_HEALTH = Kind(
    "public_health",
    (
        Column("service_id", ("服务记录号",), required="yes"),
        Column("institution_code", ("机构编码",), required="yes", institution=True),
        Column("patient_id", ("身份证号",), "patient_id", "yes"),
        Column("service_date", ("服务日期",), "date", "yes", record_date=True),
        Column("service_item", ("服务项目",), "enum", "yes", labels=SERVICE_ITEMS),
        Column("systolic_bp", ("收缩压",), "integer", min_value=50, max_value=300),
        Column("diastolic_bp", ("舒张压",), "integer", min_value=30, max_value=200),
        Column("fasting_glucose", ("空腹血糖",), "decimal", min_value=1.0, max_value=40.0),
    ),
    key=("institution_code", "service_id"),
    source_column="institution_code",
)

# A resident's one-year service contract with a family-doctor team of a primary-care institution
# (家庭医生签约服务), naming up to two hospitals (Shanghai's "1+1+1"). Delivered when signed and
# again on every change; the latest business date wins, as for referrals.
CONTRACTS = Kind(
    "contracts",
    (
        Column("contract_id", ("签约编号", "签约协议号"), required="yes"),
        Column("institution_code", ("签约机构编码",), required="yes", institution=True),
        Column("team_code", ("团队编码", "家庭医生团队编码")),
        Column("patient_id", ("身份证号",), "patient_id", "yes"),
        Column("sign_date", ("签约日期",), "date", "yes", record_date=True),
        Column("start_date", ("生效日期", "服务开始日期"), "date", "yes", any_date=True),
        Column("end_date", ("到期日期", "服务结束日期"), "date", "yes", any_date=True),
        Column(
            "status",
            ("签约状态",),
            "enum",
            "yes",
            labels={"active": "有效", "terminated": "已解约"},
        ),
        Column(
            "terminated_date",
            ("解约日期",),
            "date",
            "conditional",
            required_when=("status", "terminated"),
        ),
        Column(
            "key_populations",
            ("重点人群类别", "人群分类"),
            "enum",
            labels=KEY_POPULATIONS,
            separators=";,、",
        ),
        Column(
            "hospital_codes",
            ("签约医院编码", "组合医院编码"),
            institution=True,
            national_codes_known=True,
            separators=";",
            max_items=2,
        ),
    ),
    key=("contract_id",),
    source_column="institution_code",
    date_order=("start_date", "end_date"),
)

KINDS: dict[str, Kind] = {k.name: k for k in (VISITS, REFERRALS, CLAIMS, PUBLIC_HEALTH, CONTRACTS)}

# Reference files maintained by the consortium office (canonical headers only).
REFERENCE_FILES: dict[str, tuple[str, ...]] = {
    "institutions": (
        "institution_code",
        "name",
        "tier",
        "region_code",
        "consortium_id",
        "role",
        "valid_from",
        "valid_to",
        "tcm",
    ),
    "consortia": ("consortium_id", "name", "kind", "region_code", "lead_institution_code"),
    "public_health_targets": ("year", "institution_code", "service_item", "target_count"),
    "kpi_targets": ("kpi_id", "consortium_id", "year", "target"),
    "service_population": ("year", "institution_code", "population_group", "population"),
    "work_point_weights": ("service_item", "points"),
}
# Columns a reference file may leave out (read as empty).
OPTIONAL_REFERENCE_COLUMNS = frozenset({("institutions", "tcm")})


# How validated values are typed in the lake's raw zone (Parquet) and the warehouse's raw schema.
LAKE_TYPES: dict[str, str] = {
    "text": "VARCHAR",
    "date": "DATE",
    "money": "DECIMAL(18,2)",
    "enum": "VARCHAR",
    "region": "VARCHAR",
    "icd10": "VARCHAR",
    "integer": "INTEGER",
    "decimal": "DOUBLE",
}
# Delivery columns stamped on every landed row, before the record's own columns.
DELIVERY_COLUMNS: dict[str, str] = {
    "business_date": "DATE",
    "source_code": "VARCHAR",
    "file_sha256": "VARCHAR",
    "file_name": "VARCHAR",
    "row_number": "INTEGER",
    "_loaded_at": "TIMESTAMP",
}


def lake_columns(kind: Kind) -> dict[str, str]:
    """Column -> DuckDB type of a kind's raw table. The clear patient_id becomes patient_key
    (HMAC-SHA256 pseudonym, 64 hex chars) with sex and birth_date derived from it."""
    columns = dict(DELIVERY_COLUMNS)
    for column in kind.columns:
        if column.type == "patient_id":
            columns["patient_key"] = "VARCHAR"
            columns.setdefault("sex", "VARCHAR")
            columns.setdefault("birth_date", "DATE")
        elif column.name not in columns:
            columns[column.name] = LAKE_TYPES[column.type]
        # sex / birth_date delivered in visits keep their place set above
    return columns
