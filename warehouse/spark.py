"""The night's build on Apache Spark (`kpi run --engine spark`): the same dbt project, target
`spark`, reading the same lake.

    working file + raw (as on DuckDB) -> write_sources -> dbt build --target spark
        -> collect_build -> (the same audit and publish)

Nothing is loaded into Spark: `write_sources` copies the working file's small raw tables
(deliveries, quarantine, registry) as Parquet beside a new Spark catalog, and dbt's on-run-start hook
defines Spark's schema `raw` as views over them and over the lake's raw folders
(dbt_project/macros/spark_sources.sql). Spark keeps its catalog, tables and scratch space in
`<warehouse>.spark/`. `collect_build` then writes the tables readers use (schemas `main` and
`seeds`) from Spark's Parquet into the working DuckDB file, whose schema `raw` the night loaded
as a DuckDB night does, and the night audits and publishes that file exactly as a DuckDB night
does: readers keep one file, whichever engine built it, and the engines can take turns.

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
from warehouse.publish import row_keys

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


def write_sources(
    con: duckdb.DuckDBPyConnection, lake: Lake, warehouse: Path, as_of: dt.date | None = None
) -> dict[str, dict]:
    """The night's schema `raw` for Spark, as {table: {"path", "current_only"}}, from `con`: the
    working file just after `load_raw_schema` (its temp table `current_delivery` included).

    An extract kind is its lake folder, kept to the current deliveries (as of `as_of`) by the
    view; the small tables are copies of the working file's (the ingest audit, the quarantine,
    the registry). `_changed_<kind>` is empty: Spark rebuilds the facts whole."""
    # Nothing on Spark is incremental: each night starts a new catalog, so a table folder a
    # killed night left half-written cannot stop the next one.
    shutil.rmtree(spark_dir(warehouse), ignore_errors=True)
    folder = spark_dir(warehouse) / "raw"
    folder.mkdir(parents=True)
    small = {
        name: f"SELECT * FROM raw.{name}"
        for name in ("ingest_files", "quarantine_rows", *REFERENCE_FILES)
    }
    small["current_delivery"] = "SELECT delivery_id FROM current_delivery"
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
    schemas (Spark's managed tables live in `<warehouse dir>/<schema>.db/<table>`). A node of
    another kind there (a view) would leave a mart out of the published file: refused."""
    root = spark_dir(warehouse) / "warehouse"
    locations = {}
    for node in manifest["nodes"].values():
        if (
            node["resource_type"] not in ("model", "seed")
            or node["schema"] not in PUBLISHED_SCHEMAS
        ):
            continue
        materialized = node["config"].get("materialized")
        if materialized not in ("table", "incremental", "seed"):
            raise ValueError(
                f"{node['unique_id']} is materialized as {materialized} in schema "
                f"{node['schema']}: only tables can be brought back from Spark"
            )
        locations[(node["schema"], node["alias"])] = root / f"{node['schema']}.db" / node["alias"]
    return locations


def collect_build(work: Path, warehouse: Path, manifest: dict) -> None:
    """The working file (the last published one, with the night's schema `raw` loaded as on
    DuckDB) receives the tables Spark built in the published schemas. The DuckDB layers an
    earlier DuckDB night left (staging, intermediate) leave: the file then holds this night's
    build only, and the next DuckDB night makes them again."""
    with duckdb.connect(str(work)) as con:
        for schema in ("staging", "intermediate"):
            con.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        for schema in PUBLISHED_SCHEMAS:
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        for (schema, name), folder in table_locations(manifest, warehouse).items():
            con.execute(
                f"CREATE OR REPLACE TABLE {schema}.{sql_ident(name)} AS "
                f"SELECT * FROM read_parquet({sql_literal(folder / '*.parquet')})"
            )
        con.execute("CHECKPOINT")
