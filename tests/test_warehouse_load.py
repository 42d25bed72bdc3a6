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


def raw_state(con) -> dict[str, list]:
    return {
        kind: con.sql(f"SELECT * EXCLUDE (_loaded_at) FROM raw.{kind} ORDER BY ALL").fetchall()
        for kind in KINDS
    }


def test_raw_updated_in_place_equals_a_full_load(tmp_path: Path):
    landing = tmp_path / "landing"
    write_reference(landing)
    cfg = NightConfig.build(landing, tmp_path / "kpi.duckdb")
    folder = landing / BUSINESS_DATE / TOWNSHIP
    write_csv(folder / "visits.csv", VISIT_HEADER, [visit("v1"), visit("v2")])
    ingest_all(cfg)
    kept = duckdb.connect(str(tmp_path / "kept.duckdb"))
    load_raw_schema(kept, cfg.lake)
    assert kept.sql("SELECT count(*) FROM raw._lake_files").fetchall() == [(1,)]

    # night 2: a correction of the slot (v2 gone, v3 new) and a new business date
    write_csv(folder / "visits.csv", VISIT_HEADER, [visit("v1"), visit("v3")])
    later = landing / "2026-03-11" / TOWNSHIP
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
