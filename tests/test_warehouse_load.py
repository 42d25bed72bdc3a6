"""Schema raw is updated by what changed, and always equals a load of the whole lake."""

from __future__ import annotations

from pathlib import Path

import duckdb
from landing_kit import BUSINESS_DATE, TEST_KEY, VISIT_HEADER, visit, write_csv, write_reference

from ingest.contract import KINDS
from ingest.pseudonym import PseudonymKey
from night.steps import NightConfig, ingest, land_reference
from warehouse.publish import load_raw_schema

KEY = PseudonymKey(TEST_KEY)
TOWNSHIP = "H44162300011"


def ingest_all(cfg: NightConfig) -> None:
    codes = land_reference(cfg)
    for kind in KINDS:
        ingest(cfg, kind, KEY, codes)


def first_night(tmp_path: Path) -> tuple[NightConfig, Path]:
    """The registry and one township's visits (v1, v2) ingested; returns the config and the
    township's folder of that business date."""
    landing = tmp_path / "landing"
    write_reference(landing)
    cfg = NightConfig.build(landing, tmp_path / "kpi.duckdb")
    folder = landing / BUSINESS_DATE / TOWNSHIP
    write_csv(folder / "visits.csv", VISIT_HEADER, [visit("v1"), visit("v2")])
    ingest_all(cfg)
    return cfg, folder


def raw_state(con) -> dict[str, list]:
    return {
        kind: con.sql(f"SELECT * EXCLUDE (_loaded_at) FROM raw.{kind} ORDER BY ALL").fetchall()
        for kind in KINDS
    }


def test_raw_updated_in_place_equals_a_full_load(tmp_path: Path):
    cfg, folder = first_night(tmp_path)
    kept = duckdb.connect(str(tmp_path / "kept.duckdb"))
    load_raw_schema(kept, cfg.lake)
    assert kept.sql("SELECT count(*) FROM raw._lake_files").fetchall() == [(1,)]

    # night 2: a correction of the slot (v2 gone, v3 new) and a new business date
    write_csv(folder / "visits.csv", VISIT_HEADER, [visit("v1"), visit("v3")])
    later = cfg.landing / "2026-03-11" / TOWNSHIP
    write_csv(later / "visits.csv", VISIT_HEADER, [visit("v4", date="2026-03-11")])
    ingest_all(cfg)
    load_raw_schema(kept, cfg.lake)  # in place: deletes the replaced rows, adds the new files
    fresh = duckdb.connect(str(tmp_path / "fresh.duckdb"))
    load_raw_schema(fresh, cfg.lake)  # the whole lake into an empty file
    assert raw_state(kept) == raw_state(fresh)
    assert [r[0] for r in kept.sql("SELECT visit_id FROM raw.visits ORDER BY 1").fetchall()] == [
        "v1",
        "v3",
        "v4",
    ]
    assert kept.sql("SELECT count(*) FROM raw._lake_files").fetchall() == [(3,)]
    # what the incremental facts recompute: the keys of rows that left (v1, v2 of the replaced
    # delivery) or arrived (v1, v3, v4)
    changed = kept.sql("SELECT visit_id FROM raw._changed_visits ORDER BY 1").fetchall()
    assert [r[0] for r in changed] == ["v1", "v2", "v3", "v4"]
    load_raw_schema(kept, cfg.lake)  # a night with nothing new changes nothing
    assert kept.sql("SELECT count(*) FROM raw._changed_visits").fetchall() == [(0,)]
    assert raw_state(kept) == raw_state(fresh)


def test_spark_sources_hold_what_duckdb_raw_holds(tmp_path: Path):
    """Spark's schema `raw` (warehouse.spark.write_sources: small tables copied beside its
    catalog, each kind its lake folder kept to the current deliveries) names every `raw` source
    the dbt project reads, and holds what load_raw_schema puts in DuckDB's, after a correction."""
    import json

    import yaml

    from ingest.contract import REFERENCE_FILES
    from warehouse.spark import write_sources
    from warehouse.transform import DBT_PROJECT_DIR

    cfg, folder = first_night(tmp_path)
    write_csv(folder / "visits.csv", VISIT_HEADER, [visit("v1"), visit("v3")])  # a correction
    ingest_all(cfg)
    duck = duckdb.connect(str(tmp_path / "duck.duckdb"))
    load_raw_schema(duck, cfg.lake)
    sources = write_sources(duck, cfg.lake, cfg.warehouse)
    json.dumps(sources)  # what the night passes to dbt

    declared = {
        table["name"]
        for path in (DBT_PROJECT_DIR / "models" / "staging").glob("*/_*__sources.yml")
        for source in yaml.safe_load(path.read_text())["sources"]
        if source["schema"] == "raw"
        for table in source["tables"]
    }
    assert declared <= set(sources)

    spark_side = duckdb.connect()
    current = sources["current_delivery"]["path"]

    def spark_rows(name: str, exclude: str = "") -> list:
        table = sources[name]
        where = (
            f" WHERE _delivery_id IN (SELECT delivery_id FROM read_parquet('{current}/*.parquet'))"
            if table["current_only"]
            else ""
        )
        glob = "/*/*.parquet" if table["current_only"] else "/*.parquet"
        return spark_side.sql(
            f"SELECT * {exclude} FROM read_parquet('{table['path']}{glob}', "
            f"hive_partitioning = false){where} ORDER BY ALL"
        ).fetchall()

    for name in ("ingest_files", "quarantine_rows", *REFERENCE_FILES):
        assert spark_rows(name) == duck.sql(f"SELECT * FROM raw.{name} ORDER BY ALL").fetchall()
    for kind in KINDS:
        assert spark_rows(kind, "EXCLUDE (_loaded_at)") == raw_state(duck)[kind], kind
    assert [r[6] for r in spark_rows("visits")] == ["v1", "v3"]


def test_the_night_reports_its_progress(tmp_path: Path, caplog):
    """Each kind's files, rows and rows/s as it is ingested, then dbt's finished nodes, on the
    `kpi.progress` logger (Airflow's task log; `kpi run` shows it on a terminal)."""
    from warehouse.transform import DBT_NODE_LINE

    with caplog.at_level("INFO", logger="kpi.progress"):
        first_night(tmp_path)
    lines = [r.getMessage() for r in caplog.records if r.name == "kpi.progress"]
    assert any(line.startswith("visits: 1 files, 2 rows in ") for line in lines), lines
    assert all("rows/s" in line for line in lines)
    done = "12:00:05  3 of 357 OK created sql table model main.fct_visits ... [OK in 1.20s]"
    assert DBT_NODE_LINE.match(done)
    assert DBT_NODE_LINE.match(
        "12:00:06  4 of 357 PASS not_null_fct_visits_visit_key ... [PASS in 0.1s]"
    )
    assert not DBT_NODE_LINE.match("12:00:04  3 of 357 START sql table model main.fct_visits")
    assert not DBT_NODE_LINE.match("12:00:00  Found 66 models, 286 data tests, 5 seeds")
