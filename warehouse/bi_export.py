"""Export the published marts for BI tools whose DuckDB driver is 1.x (Superset, Metabase, ...).

DuckDB 2.0 writes a storage format that DuckDB 1.x cannot open. After each publish this writes,
beside the warehouse (`kpi.duckdb` -> `kpi.marts/`):

- `<mart>.parquet` for every mart (kpi_monthly, kpi_definitions, dim_*, fct_*, delivery_status,
  ingest_files, quarantine_rows), readable by any DuckDB, Spark, pandas or Trino;
- `kpi_marts.duckdb`, the same tables in DuckDB storage version v1.0.0, which DuckDB 1.0 and
  later open (`read_only`);
- `_manifest.json`: the source file, its identity, the tables and their row counts.

All marts are read from one read-only connection (one consistent snapshot of the published
file). The export is written to a new hidden folder `.kpi.marts.<stamp>/`; then the symlink
`kpi.marts` is swapped to it with one os.replace, so a reader sees the whole previous export or
the whole new one, never a mix. The previous export is kept (readers in flight), older ones are
removed.

    python -m warehouse.bi_export --warehouse /data/warehouse/kpi.duckdb [--out DIR] [--force]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import shutil
import sys
from pathlib import Path

import duckdb

from ingest.sqltext import sql_ident, sql_literal
from warehouse.marts import WAREHOUSE_ENV, mart_tables, signature

log = logging.getLogger(__name__)

COMPAT_FILE = "kpi_marts.duckdb"
COMPAT_STORAGE_VERSION = "v1.0.0"
MANIFEST = "_manifest.json"


def default_out(warehouse: Path) -> Path:
    """`kpi.duckdb` -> `kpi.marts` beside it."""
    return warehouse.with_name(warehouse.stem + ".marts")


def _versions(out: Path) -> list[Path]:
    return sorted(out.parent.glob(f".{out.name}.*"), key=lambda p: p.name)


def current_manifest(out: Path) -> dict | None:
    try:
        return json.loads((out / MANIFEST).read_text())
    except (FileNotFoundError, NotADirectoryError, json.JSONDecodeError):
        return None


def export_marts(
    warehouse: Path, out: Path | None = None, *, force: bool = False, keep: int = 2
) -> Path:
    """Export the marts of the published `warehouse` to `out` (default `<stem>.marts` beside it).

    Returns `out`. Does nothing when `out` already holds the export of this very file (same
    inode, mtime and size) unless `force`. Keeps the `keep` newest exports."""
    warehouse = Path(warehouse).absolute()
    out = Path(out).absolute() if out else default_out(warehouse)
    source = list(signature(warehouse))
    previous = current_manifest(out)
    if previous and previous.get("source_signature") == source and not force:
        log.info("%s already holds the export of %s", out, warehouse)
        return out

    stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S%f")
    version = out.with_name(f".{out.name}.{stamp}")
    building = version.with_name(version.name + ".building")
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir(parents=True)
    try:
        tables = _write(warehouse, building)
        manifest = {
            "source": str(warehouse),
            "source_signature": source,
            "source_modified": dt.datetime.fromtimestamp(warehouse.stat().st_mtime).isoformat(),
            "exported_at": dt.datetime.now().isoformat(timespec="seconds"),
            "duckdb_version": duckdb.__version__,
            "compat_file": COMPAT_FILE,
            "compat_storage_version": COMPAT_STORAGE_VERSION,
            "tables": tables,
        }
        (building / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
        building.rename(version)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    _swap(out, version)
    for stale in _versions(out)[:-keep] if keep > 0 else []:
        if stale != version and not stale.name.endswith(".building"):
            shutil.rmtree(stale, ignore_errors=True)
    log.info("exported %d marts of %s to %s", len(tables), warehouse, out)
    return out


def _write(warehouse: Path, folder: Path) -> dict[str, int]:
    """Parquet per mart and the v1.0.0 DuckDB file, from one read-only snapshot."""
    tables: dict[str, int] = {}
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH {sql_literal(warehouse)} AS src (READ_ONLY)")
        con.execute(
            f"ATTACH {sql_literal(folder / COMPAT_FILE)} AS compat (STORAGE_VERSION '{COMPAT_STORAGE_VERSION}')"
        )
        for name in mart_tables(con, "src"):
            table = f"src.main.{sql_ident(name)}"
            con.execute(
                f"COPY (SELECT * FROM {table}) TO {sql_literal(folder / (name + '.parquet'))} "
                "(FORMAT parquet, COMPRESSION zstd)"
            )
            con.execute(f"CREATE TABLE compat.main.{sql_ident(name)} AS SELECT * FROM {table}")
            tables[name] = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        con.execute("DETACH compat")
        con.execute("DETACH src")
    finally:
        con.close()
    return tables


def _swap(out: Path, version: Path) -> None:
    """Point the symlink `out` at `version` atomically (one os.replace of a new symlink)."""
    if out.exists() and not out.is_symlink():
        # a plain folder from an earlier layout: move it aside once (it is then a stale version)
        out.rename(out.with_name(f".{out.name}.00000000-legacy"))
    link = out.with_name(f".{out.name}.link-{os.getpid()}")
    link.unlink(missing_ok=True)
    link.symlink_to(version.name)  # relative: the pair moves together (bind mounts, backups)
    os.replace(link, out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Export the published marts as Parquet and a DuckDB 1.x file."
    )
    parser.add_argument(
        "--warehouse", default=os.environ.get(WAREHOUSE_ENV), help=f"default: ${WAREHOUSE_ENV}"
    )
    parser.add_argument(
        "--out", type=Path, help="default: <warehouse stem>.marts beside the warehouse"
    )
    parser.add_argument(
        "--force", action="store_true", help="export even if this file was exported already"
    )
    args = parser.parse_args(argv)
    if not args.warehouse:
        parser.error(f"give --warehouse FILE or set {WAREHOUSE_ENV}")
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        out = export_marts(Path(args.warehouse), args.out, force=args.force)
    except FileNotFoundError as exc:
        print(f"export: {exc}", file=sys.stderr)
        return 1
    manifest = current_manifest(out) or {}
    for name, rows in manifest.get("tables", {}).items():
        print(f"{name:<28} {rows:>10,} rows")
    print(f"exported to {out} -> {os.readlink(out)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
