"""The same dbt project on Spark: two nights of a generated county, each built by `kpi run`
on DuckDB and by `kpi run --engine spark` from the same lake, publish the same tables, column
types and cells (doubles to 1e-9). Night two brings a correction (a visits file delivered again without
its last row) and reversals of settlements delivered on night one, so the DuckDB side takes
its incremental path while Spark rebuilds.

Needs the `spark` dependency group and Java 17: `make test-spark` (marker `spark`).
"""

from __future__ import annotations

import datetime as dt
import math
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from synthetic.generate import generate_landing_zone, redeliver

pytestmark = pytest.mark.spark

START = dt.date(2026, 3, 1)
DAYS = 4
KEY = "spark-parity-test-key-0123456789"
# What readers use; the published file's other schemas are the engine's own working layers.
COMPARED_SCHEMAS = ("main", "seeds")


def kpi_run(landing: Path, warehouse: Path, lake: Path, engine: str) -> float:
    """One night through the command line; prints its phases, returns its wall seconds."""
    kpi = Path(sys.executable).with_name("kpi")
    started = time.perf_counter()
    done = subprocess.run(
        [str(kpi), "run", "--engine", engine, "--landing", str(landing),
         "--warehouse", str(warehouse), "--lake", str(lake)],
        env={**os.environ, "KPI_PSEUDONYM_KEY": KEY, "SPARK_LOCAL_IP": "127.0.0.1"},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, (
        f"{engine} night failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    )
    seconds = time.perf_counter() - started
    phases = [line for line in done.stdout.splitlines() if line.startswith("night phases:")]
    print(f"\n{engine}: {seconds:.1f} s; {phases[-1] if phases else done.stdout[-300:]}")
    return seconds


def tables(con: duckdb.DuckDBPyConnection, catalog: str) -> list[tuple[str, str]]:
    return con.execute(
        "SELECT table_schema, table_name FROM information_schema.tables "
        "WHERE table_catalog = $catalog AND table_type = 'BASE TABLE' "
        f"AND table_schema IN {COMPARED_SCHEMAS} ORDER BY ALL",
        {"catalog": catalog},
    ).fetchall()


def same(a: object, b: object) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None:
            return a is b
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)
    return a == b


def differences(duck: Path, spark: Path) -> list[str]:
    """Every table readers use, by the DuckDB file's columns: what differs, or nothing."""
    con = duckdb.connect()
    con.execute(f"ATTACH '{duck}' AS duck (READ_ONLY)")
    con.execute(f"ATTACH '{spark}' AS spark (READ_ONLY)")
    found = []
    expected = tables(con, "duck")
    if tables(con, "spark") != expected:
        found.append(f"tables differ: {sorted(set(expected) ^ set(tables(con, 'spark')))}")
    for schema, name in expected:
        typed = {
            side: con.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_catalog = $c AND table_schema = $s AND table_name = $t "
                "ORDER BY ordinal_position",
                {"c": side, "s": schema, "t": name},
            ).fetchall()
            for side in ("duck", "spark")
        }
        if typed["duck"] != typed["spark"]:
            found.append(f"{schema}.{name}: columns {typed['duck']} vs {typed['spark']}")
            continue
        columns = [column for column, _ in typed["duck"]]
        select = ", ".join(f'"{c}"' for c in columns)
        rows = {
            side: con.execute(
                f'SELECT {select} FROM {side}.{schema}."{name}" ORDER BY ALL'
            ).fetchall()
            for side in ("duck", "spark")
        }
        if len(rows["duck"]) != len(rows["spark"]):
            found.append(f"{schema}.{name}: {len(rows['duck'])} rows vs {len(rows['spark'])}")
            continue
        for d_row, s_row in zip(rows["duck"], rows["spark"], strict=True):
            if not all(same(a, b) for a, b in zip(d_row, s_row, strict=True)):
                found.append(f"{schema}.{name}: first differing row {d_row} vs {s_row}")
                break
    return found


@pytest.fixture(scope="module")
def zone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    generated = tmp_path_factory.mktemp("generated")
    generate_landing_zone(generated, START, DAYS, scale="county", seed=11, fault_rate=0.01)
    return generated


def test_spark_builds_what_duckdb_builds_over_two_nights(zone: Path, tmp_path: Path) -> None:
    assert shutil.which("java"), "Spark needs Java (17) on PATH"
    landing, lake = tmp_path / "landing", tmp_path / "lake"
    duck, spark = tmp_path / "duck" / "kpi.duckdb", tmp_path / "spark" / "kpi.duckdb"
    last = START + dt.timedelta(days=DAYS - 1)
    for folder in zone.iterdir():  # night one: the registry and every day but the last
        if folder.name != last.isoformat():
            shutil.copytree(folder, landing / folder.name)
    seconds = {}
    for engine, warehouse in (("duckdb", duck), ("spark", spark)):
        seconds[engine, 1] = kpi_run(landing, warehouse, lake, engine)
    assert differences(duck, spark) == []

    # Night two: the last day (with reversals of earlier settlements) and a correction.
    shutil.copytree(zone / last.isoformat(), landing / last.isoformat())
    source = sorted(p.parent.name for p in (landing / START.isoformat()).glob("*/visits.csv"))[0]
    redeliver(landing, START, source, "visits", correction=True)
    for engine, warehouse in (("duckdb", duck), ("spark", spark)):
        seconds[engine, 2] = kpi_run(landing, warehouse, lake, engine)

    with duckdb.connect(str(duck), read_only=True) as con:
        replaced, late_reversals = con.execute(
            "SELECT (SELECT count(*) FROM ingest_files WHERE status = 'replaced'), "
            "(SELECT count(*) FROM raw.claims r JOIN raw.claims s ON s.claim_id = r.original_claim_id "
            " WHERE r.record_type = 'reverse' AND r.business_date = $last "
            " AND s.record_type = 'settle' AND s.business_date < $last "
            " AND s.claim_id NOT IN (SELECT claim_id FROM fct_claims))",
            {"last": last},
        ).fetchone()
    assert replaced == 1, "the correction must replace the first delivery"
    assert late_reversals > 0, "night two must reverse settlements delivered on night one"
    assert differences(duck, spark) == []

    # The engines take turns: a DuckDB night on the file Spark published (incremental facts
    # over Spark's tables) publishes the same warehouse again.
    kpi_run(landing, spark, lake, "duckdb")
    assert differences(duck, spark) == []
    print(
        "\nbuild seconds (kpi run, whole night): "
        + ", ".join(f"{e} night {n} {s:.1f}" for (e, n), s in sorted(seconds.items()))
    )
