"""Every read of the dashboard: small functions over the published marts.

Each function opens the published DuckDB file read-only, runs its query and closes the file
before returning (`read_only`): the dashboard never holds the warehouse, so the night's publish
(an atomic os.replace of the file) is never blocked and the next query reads the new file.

No KPI rule is restated here: membership of a consortium, regions, attribution of claims and
"active on the month's last day" are the warehouse's (dbt models). The breakdowns read the marts
that carry them - kpi_institution_monthly (every KPI's parts by institution), outflow_monthly,
signing_by_population_group, public_health_work_points, fct_referrals.from_consortium_id - and
only join names, tiers and regions to them and sum them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd

from warehouse.marts import (  # noqa: F401  (re-exported for the pages)
    MART_NAMES,
    WAREHOUSE_ENV,
    WarehouseMissingError,
    mart_tables,
    open_published,
    signature,
    spreadsheet_safe,
)

# The seed of the population groups (labels, default targets) lands in schema `seeds`.
POPULATION_GROUPS = "seeds.population_groups"

# The population groups of signing_by_population_group that are the parts of a signing KPI
# (the mart's doc: its resident, key_population and ltc rows are those KPIs' parts): their
# target is the KPI's target of kpi_monthly (a consortium's own, else the registry's default).
SIGNING_KPIS = {
    "resident": "family_doctor_signing_rate",
    "key_population": "key_population_signing_rate",
    "ltc": "ltc_signing_rate",
}


def warehouse_path(argv: list[str] | None = None) -> Path:
    """The published warehouse: `--warehouse FILE` (after `--` with `streamlit run`), else $KPI_WAREHOUSE."""
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    parser.add_argument("--warehouse")
    args, _ = parser.parse_known_args(argv if argv is not None else [])
    value = args.warehouse or os.environ.get(WAREHOUSE_ENV)
    if not value:
        raise WarehouseMissingError(
            f"no warehouse configured: set {WAREHOUSE_ENV}=/path/to/kpi.duckdb "
            "or run `streamlit run dashboard/app.py -- --warehouse /path/to/kpi.duckdb`"
        )
    return Path(value).expanduser().absolute()


@contextmanager
def read_only(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the published file, closed on exit (never held)."""
    signature(path)  # a clear error when the file is not there
    with open_published(path) as con:  # the night published now, even in a long-lived server
        yield con


def fetch(path: Path, sql: str, params: dict | None = None) -> pd.DataFrame:
    """A query's rows; text that a spreadsheet would run as a formula is neutralised, since every
    table the pages show can be downloaded as CSV from its toolbar."""
    with read_only(path) as con:
        frame = con.execute(sql, params or {}).df()
    for column in frame.select_dtypes(include=["object", "string"]).columns:
        frame[column] = frame[column].map(spreadsheet_safe)
    return frame


# Name, tier and region of every institution as of its latest period (one row per code).
# `tier` is the registry's; an unregistered code is an external hospital or a pharmacy.
_INSTITUTIONS = """
institutions AS (
    SELECT institution_code, institution_name, region_code, is_registered, is_primary_care,
           CASE WHEN is_registered THEN tier
                WHEN is_pharmacy THEN 'pharmacy' ELSE 'external_hospital' END AS tier
    FROM dim_institution WHERE is_latest_period
)"""


# --- catalogue ------------------------------------------------------------------------------------


def definitions(path: Path) -> pd.DataFrame:
    """The KPI registry as published: one row per KPI in report order."""
    return fetch(
        path,
        "SELECT kpi_id, name_zh, name_en, numerator, denominator, formula, better, unit, "
        "default_target, source, extract_kind, parts_add_up, min_denominator, display_order "
        "FROM kpi_definitions "
        "ORDER BY display_order, kpi_id",
    )


def consortia(path: Path) -> pd.DataFrame:
    return fetch(
        path,
        """
        SELECT c.consortium_id, c.consortium_name, c.consortium_kind, c.region_code,
               r.region_name, c.region_level, c.lead_institution_code
        FROM dim_consortium c LEFT JOIN dim_region r USING (region_code)
        ORDER BY c.consortium_id
        """,
    )


def months(path: Path) -> list[dt.date]:
    df = fetch(path, "SELECT DISTINCT month FROM kpi_monthly ORDER BY month")
    return [pd.Timestamp(m).date() for m in df["month"]]


def published_at(path: Path) -> dt.datetime:
    return dt.datetime.fromtimestamp(path.stat().st_mtime)


def latest_deliveries(path: Path) -> dict:
    """The latest business date's deliveries: expected slots, how many arrived, rows loaded and
    quarantined (what the sidebar tells the office about the data, rather than the file)."""
    df = fetch(
        path,
        """
        SELECT business_date, count(*) FILTER (is_expected) AS expected,
               count(*) FILTER (is_expected AND is_delivered) AS delivered,
               coalesce(sum(rows_loaded), 0) AS rows_loaded,
               coalesce(sum(rows_quarantined), 0) AS rows_quarantined
        FROM delivery_status
        WHERE business_date = (SELECT max(business_date) FROM delivery_status)
        GROUP BY business_date
        """,
    )
    return {} if df.empty else df.iloc[0].to_dict()


# --- KPI overview ---------------------------------------------------------------------------------


def kpi_month(path: Path, consortium_id: str, month: dt.date) -> pd.DataFrame:
    """Every KPI of the registry for one consortium and month, with its definition and the
    previous month's value."""
    return fetch(
        path,
        """
        WITH k AS (
            SELECT *, lag(value) OVER (PARTITION BY kpi_id ORDER BY month) AS previous_value
            FROM kpi_monthly WHERE consortium_id = $consortium_id
        )
        SELECT d.kpi_id, d.display_order, d.name_zh, d.name_en, d.unit, d.better,
               d.numerator AS numerator_text, d.denominator AS denominator_text, d.formula,
               d.source, d.extract_kind, d.default_target, d.parts_add_up, d.min_denominator,
               k.month, k.numerator, k.denominator, k.value, k.target, k.meets_target,
               k.source_completeness, k.previous_value
        FROM kpi_definitions d
        LEFT JOIN k ON k.kpi_id = d.kpi_id AND k.month = $month
        ORDER BY d.display_order, d.kpi_id
        """,
        {"consortium_id": consortium_id, "month": month},
    )


def kpi_trend(path: Path, consortium_id: str) -> pd.DataFrame:
    """The consortium's KPIs over every loaded month."""
    return fetch(
        path,
        """
        SELECT kpi_id, month, numerator, denominator, value, target, meets_target,
               source_completeness
        FROM kpi_monthly WHERE consortium_id = $consortium_id ORDER BY kpi_id, month
        """,
        {"consortium_id": consortium_id},
    )


# --- rankings and the drill-down of the KPI cards -------------------------------------------------


def consortium_ranking(path: Path, kpi_id: str, month: dt.date) -> pd.DataFrame:
    """Consortia by one KPI in one month, best first (by the KPI's direction), NULLs last."""
    return fetch(
        path,
        """
        SELECT k.consortium_id, c.consortium_name, k.value, k.target, k.meets_target,
               k.numerator, k.denominator, k.better, k.source_completeness
        FROM kpi_monthly k JOIN dim_consortium c USING (consortium_id)
        WHERE k.kpi_id = $kpi_id AND k.month = $month
        ORDER BY k.value IS NULL,
                 CASE WHEN k.better = 'higher' THEN -k.value ELSE k.value END,
                 k.consortium_id
        """,
        {"kpi_id": kpi_id, "month": month},
    )


def institution_parts(path: Path, consortium_id: str, month: dt.date) -> pd.DataFrame:
    """Every KPI's parts by institution for one consortium and month, as kpi_institution_monthly
    publishes them, with the institution's name, tier and region (latest period) and whether
    the KPI's parts add up to kpi_monthly (kpi_definitions.parts_add_up). One query serves the
    drill-down of every KPI card, the institution rankings and the tiers of the claims page."""
    return fetch(
        path,
        f"""
        WITH {_INSTITUTIONS}
        SELECT p.kpi_id, p.institution_code, i.institution_name, i.tier, i.region_code,
               i.is_primary_care, p.numerator, p.denominator, p.value, d.parts_add_up
        FROM kpi_institution_monthly p
        JOIN kpi_definitions d USING (kpi_id)
        LEFT JOIN institutions i USING (institution_code)
        WHERE p.consortium_id = $consortium_id AND p.month = $month
        ORDER BY d.display_order, p.kpi_id, p.denominator DESC, p.numerator DESC,
                 p.institution_code
        """,
        {"consortium_id": consortium_id, "month": month},
    )


# --- referral flows -------------------------------------------------------------------------------


def referral_flows(
    path: Path, consortium_id: str, month_from: dt.date, month_to: dt.date
) -> pd.DataFrame:
    """Referrals of the consortium (fct_referrals.from_consortium_id: the sender's consortium on
    the referral date) by sender level, receiver level, direction, receiver in the consortium's
    region (is_to_in_consortium_region) and latest status; months of the referral date from
    month_from to month_to."""
    return fetch(
        path,
        """
        SELECT from_level, to_level, direction, is_effective, latest_status,
               coalesce(is_to_in_consortium_region, FALSE) AS to_in_region,
               count(*) AS referrals
        FROM fct_referrals
        WHERE from_consortium_id = $consortium_id
          AND referral_month BETWEEN $month_from AND $month_to
        GROUP BY ALL
        ORDER BY ALL
        """,
        {"consortium_id": consortium_id, "month_from": month_from, "month_to": month_to},
    )


# --- patient outflow ------------------------------------------------------------------------------


def outflow(path: Path, consortium_id: str) -> pd.DataFrame:
    """outflow_monthly of the consortium over every month: settlements of the region's insured
    outside the region by destination and visit type, with the destination's name (registry),
    the names of its region and city (dim_region; NULL where the seed has none)."""
    return fetch(
        path,
        """
        WITH institutions AS (
            SELECT institution_code, institution_name FROM dim_institution WHERE is_latest_period
        )
        SELECT o.month, o.destination_institution_code, i.institution_name,
               o.destination_region_code, r.region_name,
               coalesce(r.city_code, o.destination_region_code) AS city_code,
               city.region_name AS city_name, o.destination_tier, o.visit_type,
               o.settlements, o.total_amount, o.fund_paid
        FROM outflow_monthly o
        LEFT JOIN institutions i ON i.institution_code = o.destination_institution_code
        LEFT JOIN dim_region r ON r.region_code = o.destination_region_code
        LEFT JOIN dim_region city ON city.region_code = coalesce(r.city_code, o.destination_region_code)
        WHERE o.consortium_id = $consortium_id
        ORDER BY o.month, o.fund_paid DESC, o.destination_institution_code, o.visit_type
        """,
        {"consortium_id": consortium_id},
    )


# --- family-doctor signing ------------------------------------------------------------------------


def signing_groups(path: Path, consortium_id: str) -> pd.DataFrame:
    """signing_by_population_group of the consortium over every month, with the group's labels
    (seed population_groups) and its target: kpi_monthly.target for the groups that are a
    signing KPI's parts (SIGNING_KPIS), else the seed's default_target."""
    kpis = ", ".join(f"('{g}', '{k}')" for g, k in SIGNING_KPIS.items())
    return fetch(
        path,
        f"""
        WITH signing_kpis (population_group, kpi_id) AS (VALUES {kpis})
        SELECT s.month, s.population_group, g.display_order, g.name_zh, g.name_en,
               g.is_key_population, s.signed, s.population, s.rate, sk.kpi_id,
               CASE WHEN sk.kpi_id IS NOT NULL THEN k.target ELSE g.default_target END AS target
        FROM signing_by_population_group s
        JOIN {POPULATION_GROUPS} g USING (population_group)
        LEFT JOIN signing_kpis sk USING (population_group)
        LEFT JOIN kpi_monthly k ON k.consortium_id = s.consortium_id AND k.month = s.month
            AND k.kpi_id = sk.kpi_id
        WHERE s.consortium_id = $consortium_id
        ORDER BY s.month, g.display_order
        """,
        {"consortium_id": consortium_id},
    )


def contracts_by_team(path: Path, consortium_id: str, month: dt.date) -> pd.DataFrame:
    """Family-doctor contracts in their latest state (fct_contracts) by signing institution,
    team and status, for the institutions with a part of a signing KPI of the consortium in the
    month (kpi_institution_monthly: the warehouse decides which institutions count). Counts of
    contracts, not people signed on the month's last day: no mart has that per team."""
    kpis = ", ".join(f"'{k}'" for k in SIGNING_KPIS.values())
    return fetch(
        path,
        f"""
        WITH signing_institutions AS (
            SELECT DISTINCT institution_code FROM kpi_institution_monthly
            WHERE consortium_id = $consortium_id AND month = $month AND kpi_id IN ({kpis})
        ),
        institutions AS (
            SELECT institution_code, institution_name FROM dim_institution WHERE is_latest_period
        )
        SELECT c.institution_code, i.institution_name, c.team_code, c.status,
               count(*) AS contracts,
               count(*) FILTER (WHERE c.sign_month = $month) AS signed_in_month,
               count(*) FILTER (WHERE c.has_key_population) AS key_population_contracts,
               count(*) FILTER (WHERE c.hospital_codes IS NOT NULL) AS with_hospitals
        FROM fct_contracts c
        JOIN signing_institutions USING (institution_code)
        LEFT JOIN institutions i USING (institution_code)
        GROUP BY ALL
        ORDER BY c.institution_code, c.team_code NULLS LAST, c.status
        """,
        {"consortium_id": consortium_id, "month": month},
    )


# --- public-health work points --------------------------------------------------------------------


def work_points(path: Path, consortium_id: str, month: dt.date) -> pd.DataFrame:
    """public_health_work_points of the consortium by institution and service item: services and
    points of the month, and points_ytd as the mart publishes it at the item's latest row of the
    year up to the month (the mart has rows only in months with a service, and its points_ytd
    runs on through the months without one). With the names of institution and item."""
    return fetch(
        path,
        f"""
        WITH {_INSTITUTIONS},
        rows AS (
            SELECT * FROM public_health_work_points
            WHERE consortium_id = $consortium_id
              AND month BETWEEN date_trunc('year', CAST($month AS DATE)) AND $month
        )
        SELECT r.institution_code, i.institution_name, i.tier, r.service_item,
               s.name_zh AS item_name_zh, s.name_en AS item_name_en, s.display_order,
               coalesce(sum(r.services) FILTER (WHERE r.month = $month), 0) AS services,
               coalesce(sum(r.points) FILTER (WHERE r.month = $month), 0) AS points,
               arg_max(r.points_ytd, r.month) AS points_ytd
        FROM rows r
        LEFT JOIN institutions i USING (institution_code)
        LEFT JOIN dim_service_item s USING (service_item)
        GROUP BY ALL
        ORDER BY r.institution_code, s.display_order NULLS LAST, r.service_item
        """,
        {"consortium_id": consortium_id, "month": month},
    )


# --- data completeness ----------------------------------------------------------------------------


def delivery_slots(path: Path, consortium_id: str | None = None) -> pd.DataFrame:
    """delivery_status with a state per slot (loaded; quarantined whole; missing - expected, not
    delivered; unexpected - visits or claims from a source not expected that day) and the
    source's name; for a consortium, the slots of its institutions (any period) and of the
    insurance bureaus."""
    return fetch(
        path,
        f"""
        WITH {_INSTITUTIONS},
        scope AS (
            SELECT DISTINCT institution_code AS source_code FROM dim_institution
            WHERE consortium_id = $consortium_id AND role IN ('lead', 'member')
        )
        SELECT d.business_date, d.source_code,
               coalesce(i.institution_name,
                        CASE WHEN d.source_code LIKE 'YB%' THEN '医保局 ' || coalesce(r.region_name, substr(d.source_code, 3)) END,
                        d.source_code) AS source_name,
               d.kind, d.is_expected, d.expectation, d.is_delivered, d.is_loaded,
               CASE WHEN d.is_expected AND NOT d.is_delivered THEN 'missing'
                    WHEN d.is_delivered AND NOT d.is_loaded THEN 'quarantined'
                    -- visits and claims are expected daily from known sources; referrals and
                    -- public-health files come when there is something to report
                    WHEN NOT d.is_expected AND d.kind IN ('visits', 'claims') THEN 'unexpected'
                    ELSE 'loaded' END AS state,
               d.file_status, d.file_name, d.files_received, d.rows_read, d.rows_loaded,
               d.rows_quarantined
        FROM delivery_status d
        LEFT JOIN institutions i ON i.institution_code = d.source_code
        LEFT JOIN dim_region r ON d.source_code LIKE 'YB%' AND r.region_code = substr(d.source_code, 3)
        WHERE $consortium_id IS NULL
           OR d.source_code IN (SELECT source_code FROM scope)
           OR d.expectation = 'bureau_claims_daily'
        ORDER BY d.kind, d.source_code, d.business_date
        """,
        {"consortium_id": consortium_id},
    )


def delivery_summary(path: Path, consortium_id: str | None = None) -> pd.DataFrame:
    """Per kind: expected slots, delivered, loaded, missing, quarantined whole, rows."""
    slots = delivery_slots(path, consortium_id)
    if slots.empty:
        return pd.DataFrame(
            columns=[
                "kind",
                "expected",
                "expected_loaded",
                "missing",
                "quarantined",
                "unexpected",
                "rows_read",
                "rows_loaded",
                "rows_quarantined",
                "loaded_share",
            ]
        )
    grouped = slots.groupby("kind", sort=True)
    summary = pd.DataFrame(
        {
            "expected": grouped["is_expected"].sum(),
            "expected_loaded": grouped.apply(
                lambda g: int((g["is_expected"] & g["is_loaded"]).sum()), include_groups=False
            ),
            "missing": grouped["state"].apply(lambda s: int((s == "missing").sum())),
            "quarantined": grouped["state"].apply(lambda s: int((s == "quarantined").sum())),
            "unexpected": grouped["state"].apply(lambda s: int((s == "unexpected").sum())),
            "rows_read": grouped["rows_read"].sum(),
            "rows_loaded": grouped["rows_loaded"].sum(),
            "rows_quarantined": grouped["rows_quarantined"].sum(),
        }
    ).reset_index()
    summary["loaded_share"] = summary["expected_loaded"] / summary["expected"].where(
        summary["expected"] > 0
    )
    return summary


def quarantine_by_reason(path: Path) -> pd.DataFrame:
    """Quarantined rows of the current deliveries by kind and reason."""
    return fetch(
        path,
        """
        SELECT kind, reason, count(*) AS rows, count(DISTINCT source_code) AS sources,
               count(DISTINCT file_name || source_code || business_date) AS files
        FROM quarantine_rows GROUP BY ALL ORDER BY rows DESC, kind, reason
        """,
    )


def quarantine_sample(path: Path, limit: int = 200) -> pd.DataFrame:
    """The latest quarantined rows (identifiers pseudonymised), for asking a source to resend."""
    return fetch(
        path,
        "SELECT business_date, source_code, kind, file_name, row_number, reason, detail "
        "FROM quarantine_rows ORDER BY business_date DESC, source_code, kind, row_number "
        "LIMIT $limit",
        {"limit": limit},
    )


def source_completeness(path: Path, consortium_id: str) -> pd.DataFrame:
    """source_completeness of kpi_monthly for the consortium: month x extract kind of the KPI."""
    return fetch(
        path,
        """
        SELECT k.month, d.extract_kind, min(k.source_completeness) AS source_completeness,
               string_agg(d.name_zh, '、' ORDER BY d.display_order) AS kpis
        FROM kpi_monthly k JOIN kpi_definitions d USING (kpi_id)
        WHERE k.consortium_id = $consortium_id
        GROUP BY ALL ORDER BY k.month, d.extract_kind
        """,
        {"consortium_id": consortium_id},
    )
