"""`kpi demo`: synthetic consortia, a few nights of the real DAG, and the KPI table.

Generates a landing zone for the seed consortia (a Lianping-like county community and
Chuzhou-like urban alliances) with realistic faults, replays it night by night (each night sees
only the files that had arrived by then, so late files come late), runs the nightly DAG with
`airflow dags test` for each night (in-process, SQLite metadata, no server), and prints the KPIs.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from ingest.pseudonym import DEMO_KEY, KEY_ENV

REPO = Path(__file__).resolve().parent.parent
DAG_ID = "consortium_kpi_nightly"


def _say(message: str) -> None:
    print(message, flush=True)


def _copy_arrived(generated: Path, landing: Path, files, night: dt.date) -> int:
    """Copy into the landing zone every file that had arrived by `night` (not yet copied)."""
    copied = 0
    for f in files:
        if f.arrival > night:
            continue
        target = landing / f.path
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(generated / f.path, target)
            copied += 1
    for manifest in generated.glob("*/*/_manifest.json"):  # control totals travel with files
        target = landing / manifest.relative_to(generated)
        if target.parent.exists():
            shutil.copy2(manifest, target)
    return copied


def kpi_table(warehouse: Path) -> str:
    """Every KPI per consortium (named) and month, narrow enough for a terminal: the English
    names and definitions are in kpi_definitions."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.sql(
            """
            SELECT c.consortium_id || ' ' || c.consortium_name || ' (' || c.consortium_kind || ')',
                strftime(k.month, '%Y-%m') AS month, d.name_zh,
                CASE WHEN k.value IS NULL THEN '—'
                     WHEN d.unit = 'yuan' THEN printf('¥%,.0f', k.value)
                     ELSE printf('%.1f%%', 100 * k.value) END AS value,
                CASE WHEN k.target IS NULL THEN ''
                     WHEN d.unit = 'yuan' THEN printf('¥%,.0f', k.target)
                     ELSE printf('%s%.0f%%', CASE WHEN k.better = 'higher' THEN '≥' ELSE '≤' END, 100 * k.target) END AS target,
                CASE WHEN k.meets_target THEN 'met 达标' WHEN NOT k.meets_target THEN 'MISSED 未达标' ELSE '' END AS met,
                coalesce(printf('%.0f%%', 100 * k.source_completeness), '—') AS delivered
            FROM kpi_monthly k JOIN kpi_definitions d USING (kpi_id)
            JOIN dim_consortium c USING (consortium_id)
            ORDER BY k.consortium_id, k.month, d.display_order
            """
        ).fetchall()
    header = ("month", "指标 KPI", "value", "target", "met?", "files in")
    widths = [
        max(_width(str(r[i + 1])) for r in [("", *header), *rows]) for i in range(len(header))
    ]

    def line(values) -> str:
        return "  ".join(_pad(str(v), w) for v, w in zip(values, widths, strict=True)).rstrip()

    lines = []
    for consortium in dict.fromkeys(r[0] for r in rows):
        lines += ["", consortium, line(header), "  ".join("-" * w for w in widths)]
        lines += [line(r[1:]) for r in rows if r[0] == consortium]
    return "\n".join(lines[1:])


def _width(text: str) -> int:  # CJK characters take two terminal columns
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def run_demo(
    workdir: Path, start: dt.date, days: int, nights: int, seed: int, fault_rate: float
) -> int:
    from synthetic.generate import generate_landing_zone

    started = time.perf_counter()
    workdir = workdir.absolute()
    if workdir.exists():
        shutil.rmtree(workdir)
    generated, landing = workdir / "generated", workdir / "landing"
    warehouse = workdir / "kpi.duckdb"
    bin_dir = Path(sys.executable).parent
    if not os.environ.get(KEY_ENV):
        _say(
            f"!! DEMO MODE: {KEY_ENV} is not set, so the demo uses a FIXED, PUBLIC demo pseudonym key.\n"
            "!! Pseudonyms made with it protect nothing. Never run real extracts this way."
        )
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(workdir / "airflow"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "KPI_LANDING_DIR": str(landing),
        "KPI_WAREHOUSE": str(warehouse),
        KEY_ENV: os.environ.get(KEY_ENV) or DEMO_KEY,
    }

    _say(
        f"[1/4] generating {days} days of synthetic extracts from {start} (seed {seed}, fault rate {fault_rate}) ..."
    )
    report = generate_landing_zone(generated, start, days, "county", seed, fault_rate)
    landing.mkdir(parents=True)
    shutil.copytree(generated / "reference", landing / "reference")
    _say(
        f"      {len(report.files)} files, rows: "
        + ", ".join(f"{k} {v:,}" for k, v in report.rows.items())
    )

    _say("[2/4] preparing Airflow (SQLite metadata, no server) ...")
    subprocess.run(
        [str(bin_dir / "airflow"), "db", "migrate"], env=env, check=True, capture_output=True
    )

    last = start + dt.timedelta(days=days - 1)
    step = max(1, days // nights)
    business_dates = sorted(
        {min(start + dt.timedelta(days=step * (i + 1) - 1), last) for i in range(nights)} | {last}
    )
    for i, business_date in enumerate(business_dates, 1):
        night = business_date + dt.timedelta(days=1)
        copied = _copy_arrived(generated, landing, report.files, night)
        t0 = time.perf_counter()
        _say(
            f"[3/4] night {i}/{len(business_dates)} (business date {business_date}): {copied} new files; airflow dags test ..."
        )
        logical = f"{night.isoformat()}T03:00:00+08:00"
        log_file = workdir / f"airflow-night-{business_date}.log"
        with log_file.open("w") as log:
            done = subprocess.run(
                [str(bin_dir / "airflow"), "dags", "test", DAG_ID, logical],
                env=env, stdout=log, stderr=subprocess.STDOUT, check=False,
            )  # fmt: skip
        if done.returncode != 0 or "state=success" not in log_file.read_text():
            _say(
                f"      night FAILED; see {log_file}. The last good warehouse stays at {warehouse}."
            )
            return 1
        _say(f"      published in {time.perf_counter() - t0:.0f} s")

    _say("[4/4] dbt docs and GX data docs ...")
    docs = subprocess.run(
        [str(bin_dir / "python"), "-c", "import sys; from warehouse.transform import docs; docs(sys.argv[1])", str(warehouse)],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    gx_docs = subprocess.run(
        [
            str(bin_dir / "python"), "-c",
            "import sys, datetime as dt; from pathlib import Path; from ingest.expectations import build_data_docs; "
            "print(build_data_docs(Path(sys.argv[1]), dt.date.fromisoformat(sys.argv[2]), Path(sys.argv[3])))",
            str(warehouse), str(business_dates[-1]), str(workdir / "gx"),
        ],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    print()
    print(kpi_table(warehouse))
    print()
    _say(
        f"warehouse (DuckDB):  {warehouse}    e.g. .venv/bin/kpi query --warehouse {warehouse} 'select * from kpi_monthly'"
    )
    _say(f"lake (Parquet):      {workdir / 'kpi.lake'}")
    _say(f"dbt docs:            {docs.stdout.strip() or 'not generated: ' + docs.stderr[-300:]}")
    _say(
        f"GX suites:           {REPO / 'expectations'} (each night: the batch suite over a per-delivery profile; the row suite for these Data Docs)"
    )
    gx_url = gx_docs.stdout.strip().splitlines()[-1] if gx_docs.returncode == 0 else ""
    _say(
        f"GX data docs:        {gx_url or 'not built: ' + gx_docs.stderr[-300:]} (last night's rows)"
    )
    _say(f"Airflow logs:        {workdir}/airflow-night-*.log")
    _say(f"demo took {time.perf_counter() - started:.0f} s")
    return 0
