"""Ingest throughput of one large visits CSV, against DuckDB's plain read_csv of the same file.

    .venv/bin/python bench/ingest_throughput.py [ROWS]

Both are measured in this one process on the same file; the ratio is what matters.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from landing_kit import BUSINESS_DATE, TEST_KEY, write_reference  # noqa: E402

from ingest.identity import check_char  # noqa: E402
from ingest.pseudonym import PseudonymKey  # noqa: E402
from night.steps import NightConfig, ingest, land_reference  # noqa: E402

SOURCE = "H44162300011"


def visits_csv(path: Path, rows: int) -> None:
    rng = np.random.default_rng(0)
    people = [
        (p := f"441623{1940 + i % 80}{1 + i % 12:02d}{1 + i % 28:02d}{i % 1000:03d}")
        + check_char(p)
        for i in range(50_000)
    ]
    kinds = np.array(["outpatient", "emergency", "home", "inpatient"])
    vtype = kinds[rng.choice(4, rows, p=[0.8, 0.05, 0.05, 0.1])]
    inpatient = vtype == "inpatient"
    table = pa.table(
        {
            "visit_id": [f"V{i:09d}" for i in range(rows)],
            "institution_code": [SOURCE] * rows,
            "patient_id": np.array(people)[rng.integers(0, len(people), rows)],
            "residence_region_code": ["441623"] * rows,
            "visit_type": vtype,
            "visit_date": np.where(inpatient, "2026-03-04", BUSINESS_DATE),
            "discharge_date": np.where(inpatient, BUSINESS_DATE, ""),
            "diagnosis_code": rng.choice(["I10", "E11.9", "J06.9", "K29.7"], rows),
            "total_cost": np.round(rng.gamma(2.0, 80.0, rows), 2).astype(str),
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    pacsv.write_csv(table, path)


def main(rows: int) -> None:
    root = Path(tempfile.mkdtemp(prefix="kpi-bench-"))
    try:
        landing = root / "landing"
        write_reference(landing)
        path = landing / BUSINESS_DATE / SOURCE / "visits.csv"
        visits_csv(path, rows)
        size_mb = path.stat().st_size / 1e6

        t0 = time.perf_counter()
        n = (
            duckdb.connect()
            .read_csv(str(path), header=True, all_varchar=True)
            .aggregate("count(*)")
            .fetchall()[0][0]
        )
        baseline = time.perf_counter() - t0
        assert n == rows

        cfg = NightConfig.build(landing, root / "kpi.duckdb")
        key = PseudonymKey(TEST_KEY)
        codes = land_reference(cfg)
        from ingest.expectations import _context_and_suites

        _context_and_suites()  # GX start-up (~10 s, once per process) is not per-row work
        t0 = time.perf_counter()
        summary = ingest(cfg, "visits", key, codes)
        elapsed = time.perf_counter() - t0
        assert summary.rows_read == rows and summary.rows_loaded + summary.rows_quarantined == rows

        print(f"file: {rows:,} rows, {size_mb:.0f} MB")
        print(
            f"duckdb.read_csv (all_varchar, count): {baseline:6.2f} s  {rows / baseline:>12,.0f} rows/s"
        )
        print(
            f"kpi ingest (read+validate+HMAC+GX+Parquet): {elapsed:6.2f} s  {rows / elapsed:>12,.0f} rows/s"
        )
        print(f"ratio ingest / read_csv: {elapsed / baseline:.1f}x")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
