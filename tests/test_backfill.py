"""A backfill replays history as it was: the night of business date D (as Airflow runs it, the
same `night.steps` the DAG's tasks call) publishes the warehouse of the deliveries of dates up
to D, whatever later nights ran - and the next night after it publishes its own date again."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from landing_kit import TEST_KEY, VISIT_HEADER, visit, write_csv, write_reference

from ingest.contract import KINDS
from ingest.pseudonym import PseudonymKey
from night import steps

D1, D2 = dt.date(2024, 2, 20), dt.date(2024, 3, 5)


def dag_night(cfg: steps.NightConfig, day: dt.date) -> None:
    key = PseudonymKey(TEST_KEY)
    codes = steps.land_reference(cfg)
    for kind in KINDS:
        steps.ingest(cfg, kind, key, codes, up_to=day)
    steps.build(cfg, as_of=day)
    steps.audit_build(cfg)
    steps.publish_build(cfg)


def snapshot(cfg: steps.NightConfig) -> dict:
    with duckdb.connect(str(cfg.warehouse), read_only=True) as con:
        return {
            table: con.sql(f"SELECT * EXCLUDE ({drop}) FROM {table} ORDER BY ALL").fetchall()
            for table, drop in (
                ("kpi_monthly", "source_completeness"),
                ("fct_visits", "file_sha256"),
                ("ingest_files", "ingested_at, sha256"),
                ("quarantine_rows", "sha256"),
            )
        }


@pytest.mark.slow
def test_a_backfilled_night_publishes_its_own_date_and_the_next_night_its_own(tmp_path):
    landing = tmp_path / "landing"
    write_reference(landing)
    site = "H44162300011"
    write_csv(landing / str(D1) / site / "visits.csv", VISIT_HEADER, [visit("a1", date=str(D1))])
    write_csv(
        landing / str(D2) / site / "visits.csv",
        VISIT_HEADER,
        [visit("b1", date=str(D2)), visit("b2", vtype="x", date=str(D2))],
    )
    cfg = steps.NightConfig.build(landing, tmp_path / "kpi.duckdb")

    dag_night(cfg, D1)
    first = snapshot(cfg)
    # freshness is judged on the night's business date: a 2024 night is fresh, not years old
    log = cfg.lake_dir / "audit" / "runs" / "*.parquet"
    messages = duckdb.sql(f"SELECT message FROM read_parquet('{log}', union_by_name = true)")
    assert any(
        f"as of {D1}: " in m and "lake.visits pass (24 h)" in m for (m,) in messages.fetchall()
    )
    with duckdb.connect(str(cfg.warehouse), read_only=True) as con:
        assert con.sql("SELECT visit_id FROM fct_visits").fetchall() == [("a1",)]
    dag_night(cfg, D2)
    second = snapshot(cfg)
    assert second != first and second["quarantine_rows"]  # b2 quarantined on D2

    dag_night(cfg, D1)  # the backfill: the warehouse of D1, not D1 with March in it
    assert snapshot(cfg) == first
    dag_night(cfg, D2)  # and the next night brings March back, from the lake
    assert snapshot(cfg) == second
