"""Every read of the dashboard: small functions over the published marts.

Each function opens the published DuckDB file read-only, runs its query and closes the file
before returning (`read_only`): the dashboard never holds the warehouse, so the night's publish
(an atomic os.replace of the file) is never blocked and the next query reads the new file. The
SQL restates the KPI rules of the marts only where a page breaks a KPI down (by institution, level
or tier); the tests check that every breakdown adds up to the mart's numerator and denominator.
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
)

# Targets of the public-health items per institution are not a mart yet; the institution
# ranking of public_health_task_completion reads the warehouse's staging view of
# reference/public_health_targets.csv (and says so on the page when it is absent).
PUBLIC_HEALTH_TARGETS = "staging.stg_reference__public_health_targets"


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
    with read_only(path) as con:
        return con.execute(sql, params or {}).df()


def _region_matches(region: str, code: str) -> str:
    """Region of a consortium: a code ending 00 is a city and matches on 4 digits."""
    return (
        f"(CASE WHEN {region} IS NULL OR {code} IS NULL THEN FALSE "
        f"WHEN right({region}, 2) = '00' THEN left({code}, 4) = left({region}, 4) "
        f"ELSE {code} = {region} END)"
    )


# Lead and member periods of the consortium $consortium_id: the records that count for it.
_MEMBERS = """
members AS (
    SELECT institution_code, is_primary_care, valid_from AS period_start,
           coalesce(valid_to, DATE '9999-12-31') AS period_end
    FROM dim_institution
    WHERE consortium_id = $consortium_id AND role IN ('lead', 'member')
      AND is_registered AND valid_from IS NOT NULL
)"""

# Name, tier and level of every institution as of its latest period.
_INSTITUTIONS = """
institutions AS (
    SELECT institution_code, institution_name, tier, tier_name_zh, level
    FROM dim_institution
    QUALIFY row_number() OVER (PARTITION BY institution_code
                               ORDER BY is_latest_period DESC, valid_from DESC NULLS LAST) = 1
)"""


# --- catalogue --------------------------------------------------------------------------------


def definitions(path: Path) -> pd.DataFrame:
    """The KPI registry as published: one row per KPI in report order."""
    return fetch(
        path,
        "SELECT kpi_id, name_zh, name_en, numerator, denominator, formula, better, unit, "
        "default_target, source, extract_kind, display_order FROM kpi_definitions "
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


def last_business_date(path: Path) -> dt.date | None:
    df = fetch(path, "SELECT max(business_date) AS d FROM ingest_files")
    value = df["d"].iloc[0]
    return None if pd.isna(value) else pd.Timestamp(value).date()


# --- page 1: KPI overview -----------------------------------------------------------------------


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
               d.source, d.extract_kind, d.default_target,
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


# --- page 2: rankings ---------------------------------------------------------------------------


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


def institution_visits(path: Path, consortium_id: str, month: dt.date) -> pd.DataFrame:
    """Institution grain of primary_care_visit_share: the visit count (outpatient, emergency,
    home) of each lead/member institution in the month, judged a member on the record date.
    Σ visits = the KPI's denominator; Σ visits of primary-care institutions = its numerator."""
    return fetch(
        path,
        f"""
        WITH {_MEMBERS}, {_INSTITUTIONS},
        attributed AS (
            SELECT v.institution_code, v.visit_key, bool_or(m.is_primary_care) AS is_primary_care
            FROM fct_visits v
            JOIN members m ON m.institution_code = v.institution_code
                AND v.record_date BETWEEN m.period_start AND m.period_end
            WHERE v.is_counted_visit AND v.record_month = $month
            GROUP BY v.institution_code, v.visit_key
        )
        SELECT a.institution_code, i.institution_name, i.tier, i.tier_name_zh,
               bool_or(a.is_primary_care) AS is_primary_care, count(*) AS visits,
               count(*) / sum(count(*)) OVER () AS share_of_consortium
        FROM attributed a LEFT JOIN institutions i USING (institution_code)
        GROUP BY ALL
        ORDER BY visits DESC, a.institution_code
        """,
        {"consortium_id": consortium_id, "month": month},
    )


def institution_public_health(path: Path, consortium_id: str, month: dt.date) -> pd.DataFrame:
    """Institution grain of public_health_task_completion, year to date: per institution that
    was lead or member on a day from 1 January to the month's end, Σ over its items with a
    target of min(people served on member days, target) over Σ targets. The sums over
    institutions are the KPI's numerator and denominator. Empty when the targets are absent."""
    with read_only(path) as con:
        has_targets = con.execute(
            "SELECT count(*) FROM information_schema.tables "
            "WHERE table_schema || '.' || table_name = $name",
            {"name": PUBLIC_HEALTH_TARGETS},
        ).fetchone()[0]
        if not has_targets:
            return pd.DataFrame(
                columns=[
                    "institution_code",
                    "institution_name",
                    "tier",
                    "tier_name_zh",
                    "completed",
                    "targeted",
                    "value",
                ]
            )
        return con.execute(
            f"""
            WITH {_MEMBERS}, {_INSTITUTIONS},
            bounds AS (
                SELECT date_trunc('year', CAST($month AS DATE))::DATE AS year_start,
                       (CAST($month AS DATE) + INTERVAL 1 MONTH - INTERVAL 1 DAY)::DATE AS month_end,
                       year(CAST($month AS DATE)) AS year
            ),
            in_scope AS (
                SELECT DISTINCT m.institution_code FROM members m, bounds b
                WHERE m.period_start <= b.month_end AND m.period_end >= b.year_start
            ),
            targets AS (
                SELECT t.institution_code, t.service_item, t.target_count
                FROM {PUBLIC_HEALTH_TARGETS} t JOIN in_scope USING (institution_code), bounds b
                WHERE t.target_year = b.year
            ),
            served AS (
                SELECT s.institution_code, s.service_item, count(DISTINCT s.patient_key) AS people
                FROM fct_public_health_services s, bounds b
                WHERE s.service_date BETWEEN b.year_start AND b.month_end
                  AND EXISTS (SELECT 1 FROM members m
                              WHERE m.institution_code = s.institution_code
                                AND s.service_date BETWEEN m.period_start AND m.period_end)
                GROUP BY ALL
            )
            SELECT t.institution_code, i.institution_name, i.tier, i.tier_name_zh,
                   CAST(sum(least(coalesce(s.people, 0), t.target_count)) AS DOUBLE) AS completed,
                   CAST(sum(t.target_count) AS DOUBLE) AS targeted,
                   sum(least(coalesce(s.people, 0), t.target_count)) / nullif(sum(t.target_count), 0) AS value
            FROM targets t
            LEFT JOIN served s USING (institution_code, service_item)
            LEFT JOIN institutions i USING (institution_code)
            GROUP BY ALL
            ORDER BY value DESC NULLS LAST, t.institution_code
            """,
            {"consortium_id": consortium_id, "month": month},
        ).df()


# --- page 3: referral flows ---------------------------------------------------------------------


def referral_flows(
    path: Path, consortium_id: str, month_from: dt.date, month_to: dt.date
) -> pd.DataFrame:
    """Referrals sent by the consortium's lead/member institutions (member on the referral
    date), by sender level, receiver level, direction, receiver in or outside the consortium's
    region, and latest status; months of the referral date from month_from to month_to."""
    return fetch(
        path,
        f"""
        WITH {_MEMBERS},
        c AS (SELECT region_code FROM dim_consortium WHERE consortium_id = $consortium_id)
        SELECT r.from_level, r.to_level, r.direction, r.is_effective, r.latest_status,
               {_region_matches("c.region_code", "r.to_region_code")} AS to_in_region,
               count(*) AS referrals
        FROM fct_referrals r, c
        WHERE r.referral_month BETWEEN $month_from AND $month_to
          AND EXISTS (SELECT 1 FROM members m
                      WHERE m.institution_code = r.from_institution_code
                        AND r.referral_date BETWEEN m.period_start AND m.period_end)
        GROUP BY ALL
        ORDER BY ALL
        """,
        {"consortium_id": consortium_id, "month_from": month_from, "month_to": month_to},
    )


# --- page 4: insurance spend --------------------------------------------------------------------


def claims_by_tier(path: Path, consortium_id: str, month: dt.date) -> pd.DataFrame:
    """Live settlements of people insured in the consortium's region in the month, by
    institution tier and whether the institution is in the region. Pharmacies are a tier of
    their own (`pharmacy`, excluded from every claims KPI); unregistered H codes are
    `external_hospital`."""
    return fetch(
        path,
        f"""
        WITH c AS (SELECT region_code FROM dim_consortium WHERE consortium_id = $consortium_id)
        SELECT CASE WHEN f.is_pharmacy THEN 'pharmacy'
                    WHEN f.institution_tier IS NULL THEN 'external_hospital'
                    ELSE f.institution_tier END AS tier,
               f.is_pharmacy,
               f.is_primary_care,
               {_region_matches("c.region_code", "f.institution_region_code")} AS in_region,
               count(*) AS settlements,
               sum(CASE WHEN f.visit_type = 'inpatient' THEN 1 ELSE 0 END) AS inpatient_stays,
               CAST(sum(f.fund_paid) AS DOUBLE) AS fund_paid,
               CAST(sum(f.total_amount) AS DOUBLE) AS total_amount
        FROM fct_claims f, c
        WHERE f.settlement_month = $month
          AND {_region_matches("c.region_code", "f.insured_region_code")}
        GROUP BY ALL
        ORDER BY ALL
        """,
        {"consortium_id": consortium_id, "month": month},
    )


# --- page 5: data completeness ------------------------------------------------------------------


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
