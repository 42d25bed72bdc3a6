"""The night's build on Apache Spark (`kpi run --engine spark`): the same dbt project, target
`spark`, reading the same lake.

    write_sources -> dbt build --target spark -> collect_build -> (the same audit and publish)

On DuckDB the night loads schema `raw` into the working file and dbt builds there. On Spark
nothing is loaded: `write_sources` writes the night's small tables (deliveries, quarantine,
registry) as Parquet beside the Spark catalog, and dbt's on-run-start hook defines schema `raw`
as views over them and over the lake's raw folders (dbt_project/macros/spark_sources.sql).
Spark keeps its catalog and tables in `<warehouse>.spark/`. `collect_build` then writes the
tables readers use (schemas `main` and `seeds`) from Spark's Parquet into a fresh working
DuckDB file, beside the ingest audit, and the night audits and publishes that file exactly as a
DuckDB night does: readers keep one file, whichever engine built it.

Only the build moves: ingest (landing -> lake) stays per kind and night in DuckDB, and the
`kpi` command, the DAG and the dashboard do not change.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path

import duckdb

from ingest.contract import KINDS, REFERENCE_FILES, lake_columns
from ingest.lake import Lake
from ingest.sqltext import sql_ident, sql_literal
from ingest.validation import DELIVERY_ID
from warehouse.publish import (
    INGEST_FILES_SQL,
    quarantine_rows_sql,
    row_keys,
    stage_deliveries,
    start_fresh_working_file,
)

TARGET = "spark"
# The schemas readers of the published file use: marts (`main`) and the seeds the dashboard
# labels with (`seeds`).
PUBLISHED_SCHEMAS = ("main", "seeds")


def spark_dir(warehouse: Path) -> Path:
    """Spark's catalog (metastore_db/), tables (warehouse/) and the night's sources (raw/)."""
    return warehouse.with_name(warehouse.name + ".spark")


def dbt_env(warehouse: Path, sources: dict[str, dict]) -> dict[str, str]:
    """What the `spark` target of profiles.yml and the raw-source hook read."""
    return {
        "KPI_SPARK_DIR": str(spark_dir(warehouse)),
        "KPI_SPARK_SOURCES": json.dumps(sources, sort_keys=True),
        # Spark binds its driver to the host's name unless told; a container's may not resolve
        "SPARK_LOCAL_IP": os.environ.get("SPARK_LOCAL_IP", "127.0.0.1"),
    }


def write_sources(lake: Lake, warehouse: Path, as_of: dt.date | None = None) -> dict[str, dict]:
    """The night's schema `raw` for Spark, as {table: {"path", "current_only"}}.

    An extract kind is its lake folder, kept to the current deliveries (as of `as_of`) by the
    view; the rest are small tables written here from the lake by the same SQL as the DuckDB
    night's `raw`. `_changed_<kind>` is empty: Spark rebuilds the facts whole."""
    folder = spark_dir(warehouse) / "raw"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    con = duckdb.connect()
    stage_deliveries(con, lake, as_of)
    small = {
        "ingest_files": INGEST_FILES_SQL,
        "current_delivery": "SELECT delivery_id FROM current_delivery",
        "quarantine_rows": quarantine_rows_sql(lake, as_of),
        **{
            name: f"SELECT * FROM read_parquet({sql_literal(lake.reference_path(name))})"
            for name in REFERENCE_FILES
        },
    }
    sources: dict[str, dict] = {}
    for kind in KINDS.values():
        small[f"_changed_{kind.name}"] = (
            "SELECT " + ", ".join(f"NULL::VARCHAR AS {k}" for k in row_keys(kind)) + " WHERE false"
        )
        if lake.zone_files("raw", kind.name, up_to=as_of):
            sources[kind.name] = {"path": str(lake.root / "raw" / kind.name), "current_only": True}
        else:  # no delivery yet: an empty table of the kind's lake columns
            columns = {**lake_columns(kind), DELIVERY_ID: "VARCHAR"}
            small[kind.name] = (
                "SELECT "
                + ", ".join(f"NULL::{t} AS {sql_ident(c)}" for c, t in columns.items())
                + " WHERE false"
            )
    for name, select in small.items():
        # Spark skips files and folders whose names start with `_` (its own markers)
        path = folder / name.lstrip("_") / "part-0.parquet"
        path.parent.mkdir()
        con.execute(f"COPY ({select}) TO {sql_literal(path)} (FORMAT parquet)")
        sources[name] = {"path": str(path.parent), "current_only": False}
    return sources


def table_locations(manifest: dict, warehouse: Path) -> dict[tuple[str, str], Path]:
    """(schema, table) -> the Parquet folder of every table the build made in the published
    schemas (Spark's managed tables live in `<warehouse dir>/<schema>.db/<table>`)."""
    root = spark_dir(warehouse) / "warehouse"
    locations = {}
    for node in manifest["nodes"].values():
        materialized = node["config"].get("materialized")
        if (
            node["resource_type"] in ("model", "seed")
            and node["schema"] in PUBLISHED_SCHEMAS
            and materialized in ("table", "incremental", "seed")
        ):
            name = node["alias"]
            locations[(node["schema"], name)] = root / f"{node['schema']}.db" / name
    return locations


def collect_build(lake: Lake, warehouse: Path, manifest: dict) -> Path:
    """A fresh working file: the published schemas' tables from Spark's Parquet, and schema
    `raw` as the audit reads it (the ingest audit and quarantine as tables, each kind as a
    view over the lake's current deliveries, which Spark read). Returns its path."""
    work = start_fresh_working_file(warehouse)
    raw = spark_dir(warehouse) / "raw"
    with duckdb.connect(str(work)) as con:
        for schema in ("raw", *PUBLISHED_SCHEMAS):
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        for name in ("ingest_files", "quarantine_rows", "current_delivery"):
            con.execute(
                f"CREATE TABLE raw.{name} AS SELECT * FROM read_parquet({sql_literal(raw / name / '*.parquet')})"
            )
        for kind in KINDS:
            files = lake.root / "raw" / kind / "business_date=*" / "*.parquet"
            if lake.zone_files("raw", kind):
                rows = (
                    f"SELECT * FROM read_parquet({sql_literal(files)}, union_by_name = true, "
                    f"hive_partitioning = false) WHERE {DELIVERY_ID} IN "
                    "(SELECT delivery_id FROM raw.current_delivery)"
                )
            else:
                rows = f"SELECT * FROM read_parquet({sql_literal(raw / kind / '*.parquet')})"
            con.execute(f"CREATE VIEW raw.{kind} AS {rows}")
        for (schema, name), folder in table_locations(manifest, warehouse).items():
            con.execute(
                f"CREATE TABLE {schema}.{sql_ident(name)} AS "
                f"SELECT * FROM read_parquet({sql_literal(folder / '*.parquet')})"
            )
        con.execute("CHECKPOINT")
    return work
