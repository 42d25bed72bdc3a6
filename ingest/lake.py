"""The lake: validated raw zone, quarantine and ingest audit as Parquet.

Layout under the lake root (`--lake`, default `<warehouse>.lake/`):

    raw/<kind>/business_date=<D>/<stamp>.parquet                 loaded rows of one night
    quarantine/<kind>/business_date=<D>/<stamp>.parquet          rejected rows of one night
    audit/ingest_files/kind=<kind>/business_date=<D>/<stamp>.parquet   delivery events (commit)
    reference/<name>.parquet                                      office registry

A night writes one raw and at most one quarantine file per (kind, business date) it received
files for, holding all of that date's deliveries; every row carries its `_delivery_id`. (One
file per delivery would be two million small files a year at province scale, and writing them
cost more than validating their rows.) Files are immutable and written to a temporary name then
renamed. The audit file is written last and is the commit: a delivery whose audit row does not
exist is invisible (a crash leaves only unreferenced rows, redone by the next night). The
current state of a slot (business_date, source_code, kind) is its latest non-duplicate delivery,
so a correction swaps old for new in one rename: readers see one or the other, never both.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from ingest.sqltext import sql_list

AUDIT_SCHEMA = pa.schema(
    [
        ("business_date", pa.date32()),
        ("source_code", pa.string()),
        ("kind", pa.string()),
        ("file_name", pa.string()),
        ("landing_path", pa.string()),  # relative to the landing root
        ("sha256", pa.string()),
        ("file_size", pa.int64()),
        ("file_mtime_ns", pa.int64()),
        ("rows_read", pa.int64()),
        ("rows_loaded", pa.int64()),
        ("rows_quarantined", pa.int64()),
        ("dropped_columns", pa.string()),
        ("status", pa.string()),  # loaded | skipped_duplicate | quarantined (replaced is derived)
        ("detail", pa.string()),
        ("encoding", pa.string()),
        ("delivery_id", pa.string()),
        ("ingested_at", pa.timestamp("us")),
    ]
)
QUARANTINE_SCHEMA = pa.schema(
    [
        ("row_number", pa.int64()),
        ("reason", pa.string()),
        ("detail", pa.string()),
        ("record", pa.string()),
    ]
)


def write_parquet_atomic(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, path)


class Lake:
    def __init__(self, root: Path) -> None:
        self.root = Path(root).absolute()

    # -- paths -----------------------------------------------------------------------------
    def raw_file(self, kind: str, business_date: dt.date, stamp: str) -> Path:
        return self.root / "raw" / kind / f"business_date={business_date}" / f"{stamp}.parquet"

    def quarantine_file(self, kind: str, business_date: dt.date, stamp: str) -> Path:
        return (
            self.root / "quarantine" / kind / f"business_date={business_date}" / f"{stamp}.parquet"
        )

    def zone_files(self, zone: str, kind: str, up_to: dt.date | None = None) -> list[Path]:
        """Every committed-or-not file of a zone and kind (readers filter on current ids)."""
        files = sorted((self.root / zone / kind).glob("business_date=*/*.parquet"))
        if up_to is not None:
            files = [f for f in files if f.parent.name.split("=", 1)[1] <= up_to.isoformat()]
        return files

    def reference_path(self, name: str) -> Path:
        return self.root / "reference" / f"{name}.parquet"

    # -- audit -----------------------------------------------------------------------------
    def commit_audit(self, kind: str, business_date: dt.date, rows: list[dict], stamp: str) -> None:
        """Write one night's delivery events of a (kind, business date): the commit point."""
        if not rows:
            return
        table = pa.Table.from_pylist(rows, schema=AUDIT_SCHEMA)
        path = (
            self.root / "audit" / "ingest_files" / f"kind={kind}" / f"business_date={business_date}"
        )
        write_parquet_atomic(table, path / f"{stamp}.parquet")

    def audit_events(self, con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyRelation:
        """Every delivery event ever committed (empty, typed, before the first night)."""
        files = sorted(
            (self.root / "audit" / "ingest_files").glob("kind=*/business_date=*/*.parquet")
        )
        if not files:
            return con.from_arrow(AUDIT_SCHEMA.empty_table())
        return con.sql(
            f"SELECT {', '.join(AUDIT_SCHEMA.names)} FROM read_parquet({sql_list(files)}, hive_partitioning=false)"
        )

    def ingest_files_sql(self) -> str:
        """SQL over a relation named `audit_events`: one row per event, `replaced` derived."""
        return """
            WITH current_delivery AS (
                SELECT delivery_id FROM audit_events WHERE status <> 'skipped_duplicate'
                QUALIFY row_number() OVER (
                    PARTITION BY business_date, source_code, kind ORDER BY ingested_at DESC) = 1
            )
            SELECT a.*,
                CASE WHEN a.status = 'skipped_duplicate' OR c.delivery_id IS NOT NULL THEN a.status
                     ELSE 'replaced' END AS current_status,
                c.delivery_id IS NOT NULL AS is_current
            FROM audit_events a LEFT JOIN current_delivery c USING (delivery_id)
        """

    def current_deliveries(
        self, con: duckdb.DuckDBPyConnection, kind: str | None = None
    ) -> list[dict]:
        rel = self.audit_events(con)
        con.register("audit_events", rel)
        try:
            where = "is_current" + (" AND kind = $kind" if kind else "")
            rel = con.sql(
                f"SELECT * FROM ({self.ingest_files_sql()}) WHERE {where} ORDER BY ALL",
                params={"kind": kind} if kind else None,
            )
            return [dict(zip(rel.columns, row, strict=True)) for row in rel.fetchall()]
        finally:
            con.unregister("audit_events")


def read_parquet_sql(paths: list[Path]) -> str:
    return f"read_parquet({sql_list(paths)}, union_by_name=true, hive_partitioning=false)"
