"""What the published warehouse offers readers: the mart tables and the file's identity."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import duckdb

from ingest.sqltext import sql_literal

WAREHOUSE_ENV = "KPI_WAREHOUSE"

# The marts other tools may read (the published warehouse's tables in schema main).
MART_NAMES = (
    "kpi_monthly",
    "kpi_definitions",
    "kpi_institution_monthly",
    "signing_by_population_group",
    "outflow_monthly",
    "public_health_work_points",
    "delivery_status",
    "ingest_files",
    "quarantine_rows",
    "data_quality_findings",
)
MART_PREFIXES = ("dim_", "fct_", "bridge_")

# A text cell a spreadsheet would run as a formula (formula injection): = + - @, and tab or CR
# that some programs strip before looking.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> object:
    """A value for a CSV or Excel download: text that a spreadsheet would read as a formula
    gets a leading apostrophe (shown as text, the value kept); other values pass unchanged. The
    warehouse stores such cells verbatim; only what leaves for a spreadsheet is neutralised."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class WarehouseMissingError(FileNotFoundError):
    """No published warehouse at the configured path."""


def signature(path: Path) -> tuple[int, int, int]:
    """Identity of the published file: changes with every publish (a new inode via os.replace)."""
    try:
        st = path.stat()
    except FileNotFoundError as exc:
        raise WarehouseMissingError(
            f"{path}: no published warehouse yet - run `kpi run --landing DIR --warehouse {path}`"
        ) from exc
    return (st.st_ino, st.st_mtime_ns, st.st_size)


@contextlib.contextmanager
def open_published(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only view of the night published now, for readers that live across nights.

    `duckdb.connect(path)` in a process that still holds any connection to that path returns
    the instance it already has: the file of the night it first opened, however many nights
    were published since. An in-memory connection that ATTACHes the path reads the file the
    path names now. The published tables are found by their plain names (`USE`). Close it
    after each query or page: a held connection pins its night."""
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH {sql_literal(path)} AS published (READ_ONLY)")
        con.execute("USE published")
        yield con
    finally:
        con.close()


def mart_tables(con: duckdb.DuckDBPyConnection, catalog: str | None = None) -> list[str]:
    """The published marts present in the file (schema main of `catalog`, default the current one)."""
    names = [
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
            "AND table_catalog = coalesce($catalog, current_database()) ORDER BY table_name",
            {"catalog": catalog},
        ).fetchall()
    ]
    return [n for n in names if n in MART_NAMES or n.startswith(MART_PREFIXES)]
