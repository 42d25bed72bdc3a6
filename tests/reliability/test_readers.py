"""Readers of the published file across nights: never blocked, never a half state, and a
long-lived reader process sees each new night through `open_published`."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb

from warehouse.publish import publish

READER = textwrap.dedent(
    """
    import json, sys, time
    import duckdb
    from warehouse.marts import open_published

    path = sys.argv[1]
    held = duckdb.connect(path, read_only=True)  # a notebook or BI server keeps one open
    seen, reads, failed = set(), 0, 0
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(seen) < 4:
        try:
            with open_published(path) as con:
                night, rows = con.sql("SELECT max(night), count(*) FROM marts").fetchall()[0]
            assert rows == 1000 * night  # a whole night, never half of one
            if night not in seen:
                print(night, flush=True)  # the test publishes the next night only after this
            seen.add(night)
        except duckdb.Error:
            failed += 1
        reads += 1
    held_night = held.sql("SELECT max(night) FROM marts").fetchall()[0][0]
    print(json.dumps({"reads": reads, "failed": failed, "seen": sorted(seen), "held": held_night}))
    """
)


def build(work: Path, night: int) -> None:
    with duckdb.connect(str(work)) as con:
        con.execute(
            f"CREATE TABLE marts AS SELECT {night} AS night, range AS i FROM range({1000 * night})"
        )


def test_a_long_lived_reader_sees_every_new_night(tmp_path):
    warehouse, work = tmp_path / "kpi.duckdb", tmp_path / "kpi.duckdb.building"
    build(work, 1)
    publish(work, warehouse)
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(warehouse)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    for night in (2, 3, 4):
        # wait for the reader to see the night before (a loaded CI box starts it slowly)
        assert reader.stdout.readline().strip() == str(night - 1)
        time.sleep(0.2)
        build(work, night)
        publish(work, warehouse)
    out, _ = reader.communicate(timeout=90)
    result = json.loads(out.splitlines()[-1])
    print(f"figures: a long-lived reader made {result['reads']} reads, {result['failed']} failed")
    assert result["failed"] == 0 and result["reads"] > 4
    assert result["seen"] == [1, 2, 3, 4]  # every night, in a process still holding night 1
    assert result["held"] == 1  # the held connection keeps its snapshot
