"""Reference data maintained by the consortium office (`<landing>/reference/`).

The registry is not quarantined row by row: a night cannot judge institutions against a broken
registry, so a bad reference file stops the night with a message that says what to fix.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa

from ingest.contract import (
    CONSORTIUM_KINDS,
    OPTIONAL_REFERENCE_COLUMNS,
    POPULATION_GROUPS,
    REFERENCE_FILES,
    ROLES,
    SERVICE_ITEMS,
    TCM_FLAG,
    TIERS,
)
from ingest.lake import Lake, write_parquet_atomic
from ingest.reading import UnreadableFileError, read_csv_text
from ingest.sqltext import sql_case, sql_in, sql_literal, sql_try_date

REQUIRED = ("institutions", "consortia")


class ReferenceError(RuntimeError):
    pass


def _service_item(column: str) -> str:
    """A service item given as its code or its Chinese label, as the code."""
    return sql_case(column, {label: code for code, label in SERVICE_ITEMS.items()}, column)


_ITEM_RULE = (
    f"service_item NOT IN {sql_in([*SERVICE_ITEMS, *SERVICE_ITEMS.values()])} OR service_item IS NULL",
    "service_item must be a service item of the catalogue",
)
_TCM = (
    "CASE tcm " + " ".join(f"WHEN {sql_literal(k)} THEN {v}" for k, v in TCM_FLAG.items()) + " END"
)

# name -> (typed select, list of (condition of a bad row, what is wrong))
_TYPING: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "institutions": (
        f"institution_code, name, tier, region_code, consortium_id, role, "
        f"{sql_try_date('valid_from')} AS valid_from, "
        f"{sql_try_date('valid_to')} AS valid_to, "
        f"coalesce({_TCM}, false) AS tcm",
        [
            ("institution_code IS NULL", "empty institution_code"),
            (
                f"tier NOT IN {sql_in(TIERS)} OR tier IS NULL",
                f"tier must be one of {', '.join(TIERS)}",
            ),
            (
                f"role NOT IN {sql_in(ROLES)} OR role IS NULL",
                f"role must be one of {', '.join(ROLES)}",
            ),
            (
                "NOT regexp_full_match(coalesce(region_code, ''), '[0-9]{6}')",
                "region_code must be 6 digits",
            ),
            (f"{sql_try_date('valid_from')} IS NULL", "valid_from must be a date"),
            (
                f"valid_to IS NOT NULL AND {sql_try_date('valid_to')} IS NULL",
                "valid_to must be a date or empty",
            ),
            (
                f"tcm IS NOT NULL AND tcm NOT IN {sql_in(TCM_FLAG)}",
                "tcm must be 1/0 or 是/否 (or empty)",
            ),
        ],
    ),
    "consortia": (
        "consortium_id, name, kind, region_code, lead_institution_code",
        [
            ("consortium_id IS NULL", "empty consortium_id"),
            (
                f"kind NOT IN {sql_in(CONSORTIUM_KINDS)} OR kind IS NULL",
                f"kind must be one of {', '.join(CONSORTIUM_KINDS)}",
            ),
            (
                "NOT regexp_full_match(coalesce(region_code, ''), '[0-9]{6}')",
                "region_code must be 6 digits",
            ),
        ],
    ),
    "public_health_targets": (
        "try_cast(year AS INTEGER) AS year, institution_code, "
        f"{_service_item('service_item')} AS service_item, "
        "try_cast(target_count AS INTEGER) AS target_count",
        [
            ("try_cast(year AS INTEGER) IS NULL", "year must be an integer"),
            _ITEM_RULE,
            (
                "try_cast(target_count AS INTEGER) IS NULL OR try_cast(target_count AS INTEGER) < 0",
                "target_count must be a whole number >= 0",
            ),
        ],
    ),
    "kpi_targets": (
        "kpi_id, consortium_id, try_cast(year AS INTEGER) AS year, try_cast(target AS DOUBLE) AS target",
        [
            ("try_cast(year AS INTEGER) IS NULL", "year must be an integer"),
            ("try_cast(target AS DOUBLE) IS NULL", "target must be a number"),
        ],
    ),
    "service_population": (
        "try_cast(year AS INTEGER) AS year, institution_code, population_group, "
        "try_cast(population AS BIGINT) AS population",
        [
            ("try_cast(year AS INTEGER) IS NULL", "year must be an integer"),
            ("institution_code IS NULL", "empty institution_code"),
            (
                f"population_group NOT IN {sql_in(POPULATION_GROUPS)} OR population_group IS NULL",
                f"population_group must be one of {', '.join(POPULATION_GROUPS)}",
            ),
            (
                "try_cast(population AS BIGINT) IS NULL OR try_cast(population AS BIGINT) < 0",
                "population must be a whole number >= 0",
            ),
        ],
    ),
    "work_point_weights": (
        f"{_service_item('service_item')} AS service_item, try_cast(points AS DOUBLE) AS points",
        [
            _ITEM_RULE,
            (
                "try_cast(points AS DOUBLE) IS NULL OR try_cast(points AS DOUBLE) < 0",
                "points must be a number >= 0",
            ),
        ],
    ),
}


def _read(con: duckdb.DuckDBPyConnection, path: Path, name: str) -> pa.Table:
    columns = REFERENCE_FILES[name]
    try:
        raw, _ = read_csv_text(path, path.read_bytes())
    except UnreadableFileError as exc:
        raise ReferenceError(f"{path}: {exc}") from None
    headers = [h.strip().lstrip("\ufeff") for h in raw.column_names]
    missing = [
        c for c in columns if c not in headers and (name, c) not in OPTIONAL_REFERENCE_COLUMNS
    ]
    if missing:
        raise ReferenceError(
            f"{path}: missing column(s) {', '.join(missing)}; expected {', '.join(columns)}"
        )
    raw = raw.rename_columns(headers)
    for c in columns:
        if c not in headers:  # an optional column left out reads as empty
            raw = raw.append_column(c, pa.nulls(raw.num_rows, pa.string()))
    raw = raw.select(list(columns))
    con.register("reference_src", raw)
    trimmed = ", ".join(f"nullif(trim({c}), '') AS {c}" for c in columns)
    select, rules = _TYPING[name]
    for condition, problem in rules:
        bad = con.execute(
            f"SELECT count(*) FROM (SELECT {trimmed} FROM reference_src) WHERE {condition}"
        ).fetchall()[0][0]
        if bad:
            raise ReferenceError(f"{path}: {bad} row(s) wrong: {problem}")
    typed = con.sql(f"SELECT {select} FROM (SELECT {trimmed} FROM reference_src)").to_arrow_table()
    con.unregister("reference_src")
    return typed


def _empty(con: duckdb.DuckDBPyConnection, name: str) -> pa.Table:
    select = _TYPING[name][0]
    nulls = ", ".join(f"NULL::VARCHAR AS {c}" for c in REFERENCE_FILES[name])
    return con.sql(f"SELECT {select} FROM (SELECT {nulls}) WHERE false").to_arrow_table()


def land_reference(landing: Path, lake: Lake) -> dict[str, pa.Table]:
    """Validate `<landing>/reference/*.csv` and copy them into the lake; returns the tables."""
    con = duckdb.connect()
    tables = {}
    for name in REFERENCE_FILES:
        path = Path(landing) / "reference" / f"{name}.csv"
        if path.exists():
            tables[name] = _read(con, path, name)
        elif name in REQUIRED:
            raise ReferenceError(
                f"{path} is missing: the registry is required to validate extracts"
            )
        else:
            tables[name] = _empty(con, name)
        write_parquet_atomic(tables[name], lake.reference_path(name))
    return tables
