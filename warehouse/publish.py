"""Write-audit-publish of the DuckDB warehouse file.

The night builds in `<warehouse>.building` (a copy of the last published file, so incremental
models keep their history), loads the lake's current state into schema `raw`, runs dbt, audits
the result, and only then renames the working file over the published one. A rename is atomic:
a reader sees the old file or the new one. Readers that hold the old file open keep reading it
(the old inode lives until they close it), and the night never opens the published file for
writing, so readers never block it and it never blocks them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import shutil
from pathlib import Path

import duckdb

from ingest.contract import KINDS, REFERENCE_FILES, Kind, lake_columns
from ingest.identity import CLEAR_ID_PATTERN, check_char_matches_sql
from ingest.lake import Lake, read_parquet_sql
from ingest.sqltext import sql_ident, sql_literal
from ingest.validation import DELIVERY_ID

log = logging.getLogger(__name__)


class AuditFailedError(RuntimeError):
    """The built warehouse failed a check: nothing is published."""


def working_path(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.name + ".building")


def audit_stamp_path(work: Path) -> Path:
    """Where the audit stamps the working file it passed (see night.steps.audit_build)."""
    return work.with_name(work.name + ".audited")


def start_working_copy(warehouse: Path) -> Path:
    """A fresh working file: a copy of the published warehouse, or nothing if there is none."""
    work = working_path(warehouse)
    for stale in (work, work.with_name(work.name + ".wal"), audit_stamp_path(work)):
        stale.unlink(missing_ok=True)
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    if warehouse.exists():
        shutil.copyfile(warehouse, work)
    return work


def load_raw_schema(
    con: duckdb.DuckDBPyConnection, lake: Lake, as_of: dt.date | None = None
) -> None:
    """Schema `raw` := the lake's current state; dbt's sources read it.

    `as_of` (the night of business date D, as Airflow runs it): only deliveries of business
    dates up to D, so a backfill of D publishes D's warehouse even after later nights. Rows of
    later dates leave raw (and their lake files leave `raw._lake_files`, to arrive again on the
    next night after D); the facts recompute exactly their keys."""
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    con.register("audit_events", lake.audit_events(con))
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE lake_deliveries AS
        SELECT business_date, source_code, kind, file_name, sha256, rows_read, rows_loaded,
            rows_quarantined, dropped_columns, current_status AS status, ingested_at, detail,
            delivery_id, is_current
        FROM ({lake.ingest_files_sql()})
        WHERE $as_of::DATE IS NULL OR business_date <= $as_of::DATE""",
        {"as_of": as_of},
    )
    con.unregister("audit_events")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE current_delivery AS "
        "SELECT delivery_id FROM lake_deliveries WHERE is_current"
    )
    con.execute("CREATE TABLE IF NOT EXISTS raw._lake_files (path VARCHAR, kind VARCHAR)")
    if as_of is not None:  # files of later dates leave: their deliveries are not current as of D
        con.execute(
            "DELETE FROM raw._lake_files "
            "WHERE regexp_extract(path, 'business_date=([0-9-]+)', 1) > $as_of",
            {"as_of": as_of.isoformat()},
        )
    # A registry change (a membership, a tier) can move every record's institution period:
    # the facts are then recomputed for every key, as on the first night.
    digest = reference_digest(lake)
    con.execute("CREATE TABLE IF NOT EXISTS raw._reference_digest (digest VARCHAR)")
    reference_changed = con.sql("SELECT digest FROM raw._reference_digest").fetchall() != [
        (digest,)
    ]
    for kind in KINDS.values():
        _update_raw_table(
            con, lake, kind, lake_columns(kind), every_key=reference_changed, as_of=as_of
        )
    con.execute("DELETE FROM raw._reference_digest")
    con.execute("INSERT INTO raw._reference_digest VALUES (?)", [digest])
    for name in REFERENCE_FILES:
        con.execute(
            f"CREATE OR REPLACE TABLE raw.{name} AS SELECT * FROM read_parquet({sql_literal(lake.reference_path(name))})"
        )
    con.execute(
        """CREATE OR REPLACE TABLE raw.ingest_files AS
        SELECT * EXCLUDE (is_current) FROM lake_deliveries ORDER BY ingested_at"""
    )
    # Quarantine of the current deliveries only: a replaced delivery's rejects leave with it.
    files = [f for kind in KINDS for f in lake.zone_files("quarantine", kind, up_to=as_of)]
    rows = (
        f"SELECT * FROM {read_parquet_sql(files)}"
        if files
        else f"SELECT NULL AS {DELIVERY_ID}, NULL::BIGINT AS row_number, NULL AS reason, "
        "NULL AS detail, NULL AS record WHERE false"
    )
    con.execute(
        f"""CREATE OR REPLACE TABLE raw.quarantine_rows AS
        SELECT f.business_date, f.source_code, f.kind, f.file_name,
            q.row_number::INTEGER AS row_number, q.reason, q.detail, f.sha256, q.record
        FROM ({rows}) q JOIN lake_deliveries f ON f.delivery_id = q.{DELIVERY_ID} AND f.is_current
        ORDER BY f.business_date, f.source_code, f.kind, q.row_number"""
    )


def reference_digest(lake: Lake) -> str:
    digest = hashlib.sha256()
    for name in sorted(REFERENCE_FILES):
        digest.update(lake.reference_path(name).read_bytes())
    return digest.hexdigest()


def _update_raw_table(
    con, lake: Lake, kind: Kind, columns: dict[str, str], every_key: bool, as_of: dt.date | None
) -> None:
    """raw.<name> := the current rows of the lake, by what changed: rows of deliveries that are
    no longer current leave, rows of the lake files not loaded before arrive. The night's cost
    is that of the new files, not of the history (raw.<name> persists in the copied file, with
    `raw._lake_files` naming what it holds). A table of another shape is loaded whole.

    raw._changed_<name> receives the keys of the rows that left or arrived (every key when the
    table was loaded whole or `every_key`): the incremental facts recompute exactly those."""
    name = kind.name
    changed_cols = ", ".join(row_keys(kind))
    typed_keys = ", ".join(f"{k} VARCHAR" for k in row_keys(kind))
    con.execute(f"CREATE OR REPLACE TEMP TABLE changed_rows ({typed_keys})")
    wanted = {**columns, DELIVERY_ID: "VARCHAR"}
    existing = dict(
        con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'raw' AND table_name = $name AND table_catalog = current_database()",
            {"name": name},
        ).fetchall()
    )
    typed = ", ".join(f'"{c}" {t}' for c, t in wanted.items())
    if list(existing) != list(wanted):
        if set(row_keys(kind)) <= set(existing):  # a reload: the old rows' facts change too
            con.execute(f"INSERT INTO changed_rows SELECT {changed_cols} FROM raw.{name}")
        con.execute(f"CREATE OR REPLACE TABLE raw.{name} ({typed})")
        con.execute("DELETE FROM raw._lake_files WHERE kind = $kind", {"kind": name})
        every_key = True
    loaded = {
        r[0]
        for r in con.execute(
            "SELECT path FROM raw._lake_files WHERE kind = $kind", {"kind": name}
        ).fetchall()
    }
    stale = f"{DELIVERY_ID} NOT IN (SELECT delivery_id FROM current_delivery)"
    con.execute(f"INSERT INTO changed_rows SELECT {changed_cols} FROM raw.{name} WHERE {stale}")
    con.execute(f"DELETE FROM raw.{name} WHERE {stale}")
    new = [f for f in lake.zone_files("raw", name, up_to=as_of) if str(f) not in loaded]
    if new:
        select = ", ".join(f'"{c}"::{t} AS "{c}"' for c, t in wanted.items())
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE arrived AS SELECT {select} FROM {read_parquet_sql(new)} "
            f"WHERE {DELIVERY_ID} IN (SELECT delivery_id FROM current_delivery)"
        )
        con.execute(f"INSERT INTO raw.{name} SELECT * FROM arrived")
        con.execute(f"INSERT INTO changed_rows SELECT {changed_cols} FROM arrived")
        con.execute("DROP TABLE arrived")
        con.executemany("INSERT INTO raw._lake_files VALUES (?, ?)", [(str(f), name) for f in new])
    if every_key:
        con.execute(f"INSERT INTO changed_rows SELECT {changed_cols} FROM raw.{name}")
    write_changed_keys(con, kind, "changed_rows")


def row_keys(kind: Kind) -> list[str]:
    """The columns of a row that name the facts it can change: its key, and for a reversal
    the settlement it cancels."""
    return [*kind.key, *([kind.reversal.original_column] if kind.reversal else [])]


def write_changed_keys(con, kind: Kind, rows: str) -> None:
    """raw._changed_<kind> := the fact keys named by `rows` (a relation with the kind's row
    keys): what the incremental facts recompute tonight."""
    keys = ", ".join(kind.key)
    select = f"SELECT {keys} FROM {rows}"
    if kind.reversal:  # a reversal changes the fact of the settlement it names
        original = kind.reversal.original_column
        select += f" UNION SELECT {original} FROM {rows} WHERE {original} IS NOT NULL"
    con.execute(
        f"CREATE OR REPLACE TABLE raw._changed_{kind.name} AS SELECT DISTINCT * FROM ({select})"
    )


def audit(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Checks the built file must pass before it is published; returns the failures."""
    failures = []
    bad = con.execute(
        "SELECT count(*) FROM raw.ingest_files WHERE rows_read <> rows_loaded + rows_quarantined"
    ).fetchall()[0][0]
    if bad:
        failures.append(
            f"{bad} ingest_files row(s) where rows_read <> rows_loaded + rows_quarantined"
        )
    for name in KINDS:
        mismatch = con.execute(
            f"""SELECT count(*) FROM raw.ingest_files f
            LEFT JOIN (SELECT file_sha256, business_date, source_code, count(*) AS n FROM raw.{name}
                       GROUP BY ALL) r ON r.file_sha256 = f.sha256 AND r.business_date = f.business_date
                                       AND r.source_code = f.source_code
            LEFT JOIN (SELECT sha256, business_date, source_code, count(*) AS n FROM raw.quarantine_rows
                       WHERE kind = '{name}' AND row_number > 0 GROUP BY ALL) q
                   ON q.sha256 = f.sha256 AND q.business_date = f.business_date AND q.source_code = f.source_code
            WHERE f.kind = '{name}' AND f.status IN ('loaded', 'quarantined')
              AND (coalesce(r.n, 0) <> f.rows_loaded OR coalesce(q.n, 0) <> f.rows_quarantined)"""
        ).fetchall()[0][0]
        if mismatch:
            failures.append(
                f"{mismatch} current {name} deliveries whose lake rows differ from their audit counts"
            )
    leaks = find_clear_ids(con)
    if leaks:
        failures.append("clear resident IDs found in " + ", ".join(sorted(leaks)))
    return failures


def find_clear_ids(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Every text column of every table: any value holding a well-formed resident ID (the
    ID's shape standing alone, with a correct check character), judged on every row in SQL.
    One query per table, its columns' tests OR-ed in a WHERE (DuckDB runs each test only on
    the rows the cheaper ones before it let through; the same tests as aggregate FILTERs were
    24x slower on a province fct_visits); only a table with a hit is asked column by column."""
    columns: dict[tuple[str, str], list[str]] = {}
    for schema, table, column in con.sql(
        # Tables only: a view holds no data of its own, and scanning one re-runs its query.
        "SELECT c.table_schema, c.table_name, c.column_name FROM information_schema.columns c "
        "JOIN information_schema.tables t USING (table_catalog, table_schema, table_name) "
        "WHERE c.data_type = 'VARCHAR' AND c.table_catalog = current_database() "
        "AND t.table_type = 'BASE TABLE' ORDER BY ALL"
    ).fetchall():
        columns.setdefault((schema, table), []).append(column)

    def hit(relation: str, names: list[str]) -> bool:
        where = " OR ".join(f"({_holds_clear_id(n)})" for n in names)
        return bool(con.execute(f"SELECT 1 FROM {relation} WHERE {where} LIMIT 1").fetchall())

    found = set()
    for (schema, table), names in columns.items():
        relation = f"{sql_ident(schema)}.{sql_ident(table)}"
        if hit(relation, names):
            found |= {f"{schema}.{table}.{n}" for n in names if hit(relation, [n])}
    return found


def _holds_clear_id(column: str) -> str:
    """SQL, true when a value of `column` holds a valid resident ID. The cheap tests come
    first: a value shorter than an ID, or without 17 digits in a row, goes no further."""
    value, pattern = sql_ident(column), sql_literal(CLEAR_ID_PATTERN)  # a literal: compiled once
    found = f"upper(regexp_extract({value}, {pattern}, 2))"
    return (
        f"length({value}) >= 18 AND regexp_matches({value}, '[0-9]{{17}}') "
        f"AND regexp_matches({value}, {pattern}) AND {check_char_matches_sql(found)}"
    )


def publish(work: Path, warehouse: Path) -> None:
    """Atomically replace the published file with the audited working file."""
    wal = work.with_name(work.name + ".wal")
    if wal.exists():  # a checkpoint must have folded the WAL in; never publish half a database
        raise AuditFailedError(f"{wal} still exists: the working file was not closed cleanly")
    os.replace(work, warehouse)
    log.info("published %s", warehouse)
