"""Bilingual labels (Chinese first, English beside) and the display format of every figure.

Values are stored unrounded in the marts; they are rounded here, for display only.
"""

from __future__ import annotations

# The watch and alert lines: one rule, shared with the night's KPI alerts.
from warehouse.kpi_lines import Lines, band, lines_for  # noqa: F401 - the dashboard's names
from warehouse.kpi_lines import is_missing as _missing

# How a share is shown: 62.3%. How yuan are shown: ¥12,345.68, and from ¥100,000 up in 万元.
PERCENT_DECIMALS = 1
YUAN_DECIMALS = 2
YUAN_IN_WAN_FROM = 100_000

SEP = " · "

# The pages (tabs) of the dashboard, in order; the title is also the `?page=` of its URL.
PAGES = {
    "overview": "指标总览 KPI overview",
    "rankings": "排名 Rankings",
    "referrals": "双向转诊 Referral flows",
    "claims": "医保基金 Insurance spend",
    "outflow": "患者外流 Patient outflow",
    "signing": "家庭医生签约 Family-doctor signing",
    "public_health": "公共卫生 Public health",
    "completeness": "数据完整性 Data completeness",
}

# Units of a KPI's numerator and denominator where they are yuan (else counts).
PART_UNITS = {
    "in_region_fund_share": ("yuan", "yuan"),
    "primary_care_fund_share": ("yuan", "yuan"),
    "in_region_inpatient_cost": ("yuan", "count"),
    "in_region_inpatient_cost_growth": ("yuan", "yuan"),
}


def part_units(kpi_id: str) -> tuple[str, str]:
    return PART_UNITS.get(kpi_id, ("count", "count"))


def bi(zh: str, en: str) -> str:
    """A bilingual label: Chinese first, English beside."""
    return f"{zh}{SEP}{en}"


def format_value(value: float | None, unit: str) -> str:
    """A KPI value for display: a percentage for ratios, yuan for `unit = 'yuan'`; — when NULL."""
    if _missing(value):
        return "—"
    if unit == "yuan":
        return format_yuan(value)
    return format_percent(value)


def format_percent(value: float | None, decimals: int = PERCENT_DECIMALS) -> str:
    if _missing(value):
        return "—"
    return f"{100 * float(value):,.{decimals}f}%"


def format_yuan(value: float | None, decimals: int = YUAN_DECIMALS) -> str:
    """¥8,045.14; from ¥100,000 up in 万元 (ten thousand yuan), as the office reads budgets:
    1,234.57 万元."""
    if _missing(value):
        return "—"
    value = float(value)
    if abs(value) >= YUAN_IN_WAN_FROM:
        return f"{value / 10_000:,.{decimals}f} 万元"
    return f"¥{value:,.{decimals}f}"


def format_change(change: float, unit: str) -> str:
    """A month-on-month change: +1.2 个百分点 (percentage points) for shares, ±yuan for yuan."""
    if unit == "yuan":
        return ("+" if change >= 0 else "-") + format_yuan(abs(change))
    return f"{100 * change:+.1f} 个百分点 pp"


def format_count(value: float | None) -> str:
    if _missing(value):
        return "—"
    return f"{int(value):,}"


def format_part(value: float | None, unit: str) -> str:
    """A numerator or denominator: yuan, or a count."""
    return format_yuan(value) if unit == "yuan" else format_count(value)


def format_points(value: float | None) -> str:
    """Work points (工分): one decimal (items weigh 0.5 point and up)."""
    if _missing(value):
        return "—"
    return f"{float(value):,.1f}"


def format_target(target: float | None, unit: str, better: str) -> str:
    """`≥ 65.0%` (higher is better) or `≤ ¥9,000.00` (lower is better); empty when no target."""
    if _missing(target):
        return ""
    sign = "≥" if better == "higher" else "≤"
    return f"{sign} {format_value(target, unit)}"


def met_label(meets_target: bool | None, value: float | None, target: float | None) -> str:
    if _missing(value):
        return "无数据 no data"
    if _missing(target):
        return "无目标 no target"
    return "达标 met" if bool(meets_target) else "未达标 missed"


BAND_LABELS = {
    "ok": "达标 on target",
    "watch": "关注 watch",
    "alert": "预警 alert",
    "too_few": "样本不足 too few records",
    None: "无目标或无数据 no target or no data",
}
BAND_COLOURS = {
    "ok": "#2e7d32",
    "watch": "#f9a825",
    "alert": "#c62828",
    "too_few": "#9e9e9e",
    None: "#9e9e9e",
}
BAND_BADGES = {"ok": "green", "watch": "orange", "alert": "red", "too_few": "gray", None: "gray"}

# Institution tiers (dbt seed institution_tiers; dim_institution carries tier_name_zh).
TIERS: dict[str, tuple[str, str]] = {
    "village_clinic": ("村卫生室", "Village clinic"),
    "community_station": ("社区卫生服务站", "Community health station"),
    "clinic": ("诊所", "Clinic"),
    "township_center": ("乡镇卫生院", "Township health centre"),
    "community_center": ("社区卫生服务中心", "Community health centre"),
    "county_hospital": ("县级医院", "County hospital"),
    "public_health_agency": ("专业公共卫生机构", "Public-health agency"),
    "city_hospital": ("市级医院", "City hospital"),
    "provincial_hospital": ("省级医院", "Provincial hospital"),
}
TIER_ORDER = list(TIERS) + ["external_hospital", "pharmacy"]
TIERS_EXTRA = {
    "external_hospital": ("未登记外部医院", "Unregistered external hospital"),
    "pharmacy": ("零售药店", "Retail pharmacy"),
}


def tier_label(tier: str | None) -> str:
    zh, en = TIERS.get(tier or "", TIERS_EXTRA.get(tier or "", (tier or "未知", "unknown")))
    return bi(zh, en)


def institution_label(name: str | None, code: str | None) -> str:
    """An institution by its registry name, else (unregistered) by its code."""
    return (code or "—") if _missing_text(name) else str(name)


def region_label(name: str | None, code: str | None) -> str:
    """A region by its Chinese name and code (the code alone where dim_region has no name)."""
    if _missing_text(code):
        return bi("未知地区", "unknown region")
    return str(code) if _missing_text(name) else f"{name}（{code}）"


def _missing_text(value: object) -> bool:
    return value is None or (not isinstance(value, str) and _missing(value)) or value == ""


VISIT_TYPES = {"outpatient": ("门诊", "outpatient"), "inpatient": ("住院", "inpatient")}


def visit_type_label(visit_type: str | None) -> str:
    zh, en = VISIT_TYPES.get(visit_type or "", (visit_type or "未知", visit_type or "unknown"))
    return bi(zh, en)


# Family-doctor contracts (fct_contracts.status) and teams (team_code, a staff code).
CONTRACT_STATUSES = {"active": ("有效", "active"), "terminated": ("已解约", "terminated")}
NO_TEAM = ("未填团队", "no team code")


def team_label(team_code: str | None) -> str:
    return bi(*NO_TEAM) if _missing_text(team_code) else str(team_code)


# Referral levels: upward when the receiver's level is higher than the sender's.
LEVELS: dict[int, tuple[str, str]] = {
    1: ("村卫生室/站/诊所", "Village / station / clinic"),
    2: ("乡镇卫生院/社区中心", "Township / community centre"),
    3: ("县级医院", "County"),
    4: ("市级/省级医院", "City / province"),
}


def level_label(level: int | None) -> str:
    if _missing(level):
        return bi("未知级别", "unknown level")
    zh, en = LEVELS[int(level)]
    return bi(f"L{int(level)} {zh}", en)


DIRECTIONS = {
    "upward": ("上转", "upward"),
    "downward": ("下转", "downward"),
    "lateral": ("平转", "lateral"),
}

KINDS = {
    "visits": ("诊疗", "visits"),
    "referrals": ("转诊", "referrals"),
    "claims": ("医保结算", "claims"),
    "public_health": ("公共卫生", "public health"),
    "contracts": ("家庭医生签约", "family-doctor contracts"),
}


def kind_label(kind: str | None) -> str:
    zh, en = KINDS.get(kind or "", (kind or "", kind or ""))
    return bi(zh, en)


# Quarantine reason codes of the extract contract (ingest/contract.py REASON_CODES).
REASONS = {
    "unreadable_file": ("文件无法解析", "unreadable file"),
    "missing_required_column": ("缺少必填列", "missing required column"),
    "manifest_mismatch": ("与清单不符", "manifest mismatch"),
    "wrong_source_folder": ("报送目录不符", "wrong source folder"),
    "missing_required_value": ("必填值为空", "missing required value"),
    "invalid_patient_id": ("身份证号无效", "invalid patient ID"),
    "unknown_institution": ("机构未登记", "unknown institution"),
    "invalid_enum": ("代码值无效", "invalid code value"),
    "invalid_date": ("日期无效", "invalid date"),
    "invalid_amount": ("金额无效", "invalid amount"),
    "out_of_range": ("数值超出范围", "out of range"),
    "duplicate_key": ("主键重复", "duplicate key"),
    "orphan_reversal": ("冲正无原结算", "orphan reversal"),
}


def reason_label(reason: str | None) -> str:
    zh, en = REASONS.get(reason or "", (reason or "", reason or ""))
    return bi(zh, en)


SLOT_STATES = {
    "loaded": ("已入库", "loaded"),
    "quarantined": ("整文件隔离", "file quarantined"),
    "missing": ("缺报", "missing"),
    "unexpected": ("非预期报送", "unexpected delivery"),
}
SLOT_COLOURS = {
    "loaded": "#2e7d32",
    "quarantined": "#ef6c00",
    "missing": "#c62828",
    "unexpected": "#1565c0",
}
