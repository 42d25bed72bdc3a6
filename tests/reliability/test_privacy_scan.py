"""No clear resident ID in anything a night writes: lake, quarantine, run log, warehouse,
working files, BI export, dbt target and logs, and what the night printed - over a generated
county with every fault of the contract, plus IDs typed into free text."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from landing_kit import TEST_KEY, resident_id  # noqa: E402

from ingest.identity import CLEAR_ID_PATTERN, is_valid_id  # noqa: E402

KPI = Path(sys.executable).with_name("kpi")
PATTERN = re.compile(CLEAR_ID_PATTERN)


def ids_in_text(text: str) -> set[str]:
    return {m.group(2) for m in PATTERN.finditer(text) if is_valid_id(m.group(2).upper())}


def ids_in_file(path: Path) -> set[str]:
    """Parquet and DuckDB files decoded (compressed pages hide text from a byte scan); any
    other file read as text."""
    if path.suffix == ".parquet":
        text = duckdb.sql(
            f"SELECT string_agg(to_json(t)::VARCHAR, chr(10)) FROM read_parquet('{path}') t"
        ).fetchall()[0][0]
        return ids_in_text(text or "")
    if path.suffix == ".duckdb" or path.name.endswith((".duckdb.building",)):
        found: set[str] = set()
        with duckdb.connect(str(path), read_only=True) as con:
            tables = con.sql(
                "SELECT table_schema, table_name FROM information_schema.tables "
                "WHERE table_type = 'BASE TABLE' AND table_catalog = current_database()"
            ).fetchall()
            for schema, table in tables:
                text = con.sql(
                    f'SELECT string_agg(to_json(t)::VARCHAR, chr(10)) FROM "{schema}"."{table}" t'
                ).fetchall()[0][0]
                found |= ids_in_text(text or "")
        return found
    return ids_in_text(path.read_bytes().decode("utf-8", errors="replace"))


@pytest.mark.slow
def test_nothing_a_night_writes_holds_a_clear_id(tmp_path):
    landing = tmp_path / "landing"
    subprocess.run(
        [str(KPI), "generate", "--out", str(landing), "--start", "2026-03-10", "--days", "2",
         "--scale", "county", "--fault-rate", "0.02", "--seed", "7"],
        check=True, capture_output=True,
    )  # fmt: skip
    # an ID typed into free text, as a clerk would, in the first plain UTF-8 visits file
    injected = resident_id(seq="099")
    for visits in sorted(landing.glob("2026-03-11/*/visits.csv")):
        try:
            lines = visits.read_bytes().decode("utf-8").splitlines()
        except UnicodeDecodeError:
            continue
        header = lines[0].split(",")
        if "department" in header and len(lines) > 1 and '"' not in lines[1]:
            cells = lines[1].split(",")
            cells[header.index("department")] = f"复诊 {injected}"
            lines[1] = ",".join(cells)
            visits.write_text("\n".join(lines) + "\n", encoding="utf-8")
            break
    else:
        pytest.fail("no plain visits file to type an ID into")
    env = {**os.environ, "KPI_PSEUDONYM_KEY": TEST_KEY.decode()}
    night = subprocess.run(
        [str(KPI), "run", "--landing", str(landing), "--warehouse", str(tmp_path / "out" / "kpi.duckdb")],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert night.returncode == 0, night.stderr
    assert ids_in_text(night.stdout + night.stderr) == set()
    written = [
        p for p in (tmp_path / "out").rglob("*") if p.is_file() and not p.name.endswith(".lock")
    ]
    leaks = {str(p.relative_to(tmp_path)): ids for p in written if (ids := ids_in_file(p))}
    assert leaks == {}
    scanned = sum(p.stat().st_size for p in written)
    print(f"figures: scanned {len(written)} files, {scanned:,} bytes a night wrote, for clear IDs")
    assert len(written) > 20  # lake, audit, warehouse, export, dbt target and logs
    # the landing zone itself does hold IDs: the scan can find them
    assert any(ids_in_file(p) for p in landing.rglob("visits.csv"))
