"""The night against its peers, measured side by side in one run.

    .venv/bin/python bench/night.py [--scale province] [--history-scale county] [--repeat 3]
                                    [--history-days 30] [--write BENCHMARKS.md]

On one generated landing zone (all rows valid, canonical UTF-8 CSV, cached under bench/.cache):

- limit:  plain DuckDB reading the same CSVs and computing four KPIs in SQL (no validation);
- pandas: the script an analyst would write for the same four KPIs;
- night:  `kpi run` end to end (read, validate, pseudonymise, GX, lake, dbt build, audit,
          publish, BI export) in a child process, with its per-phase breakdown and peak RSS;
- history: on a smaller zone, night 1 (one business date) against night N (N-1 dates already
          published, one new date).

Prints the ratios night/limit, night/pandas and night N/night 1, and with --write appends them,
with the machine, to BENCHMARKS.md. Timings never go into test assertions.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CACHE = REPO / "bench" / ".cache"
KPI = Path(sys.executable).with_name("kpi")
START = dt.date(2026, 3, 10)
BENCH_KEY = "benchmark-key-not-a-secret-0123456789abcdef"

# The four KPIs both peers compute: primary-care visit share, in-region fund share, downward
# referral ratio and public-health records per institution - enough work to read every file.
LIMIT_SQL = """
WITH inst AS (SELECT * FROM read_csv({institutions}, all_varchar=true)
              QUALIFY row_number() OVER (PARTITION BY institution_code ORDER BY valid_from DESC) = 1),
     cons AS (SELECT * FROM read_csv({consortia}, all_varchar=true)),
     visits AS (SELECT * FROM read_csv({visits}, all_varchar=true)),
     claims AS (SELECT * FROM read_csv({claims}, all_varchar=true)),
     referrals AS (SELECT * FROM read_csv({referrals}, all_varchar=true)),
     ph AS (SELECT * FROM read_csv({public_health}, all_varchar=true)),
     v AS (SELECT i.consortium_id, count(*) AS visits,
                  count(*) FILTER (i.tier IN ('village_clinic', 'community_station',
                      'community_center', 'township_center', 'clinic')) AS primary_visits
           FROM visits JOIN inst i USING (institution_code)
           WHERE visit_type IN ('outpatient', 'emergency', 'home') GROUP BY ALL),
     settled AS (SELECT substr(insured_region_code, 1, 4) AS insured, institution_code,
                        sum(fund_paid::DOUBLE) AS fund
                 FROM claims WHERE record_type = 'settle' GROUP BY ALL),
     c AS (SELECT k.consortium_id, sum(s.fund) AS fund,
                  sum(s.fund) FILTER (substr(i.region_code, 1, 4) = s.insured) AS fund_in_region
           FROM settled s JOIN cons k ON s.insured = substr(k.region_code, 1, 4)
           LEFT JOIN inst i USING (institution_code) GROUP BY ALL),
     r AS (SELECT f.consortium_id, count(*) FILTER (f.tier LIKE '%hospital') AS downward,
                  count(*) AS referrals
           FROM referrals JOIN inst f ON f.institution_code = referrals.from_institution_code
           GROUP BY ALL),
     p AS (SELECT i.consortium_id, count(*) AS services FROM ph JOIN inst i USING (institution_code)
           GROUP BY ALL)
SELECT consortium_id, primary_visits / visits AS primary_share, fund_in_region / fund AS fund_share,
       downward / referrals AS downward_ratio, services
FROM v FULL JOIN c USING (consortium_id) FULL JOIN r USING (consortium_id)
     FULL JOIN p USING (consortium_id)
"""


def generator_version() -> str:
    """A digest of the generator and the contract: a cached zone of another version is stale."""
    import hashlib

    digest = hashlib.sha256()
    for source in sorted([*(REPO / "synthetic").glob("*.py"), REPO / "ingest" / "contract.py"]):
        digest.update(source.read_bytes())
    return digest.hexdigest()[:12]


def zone(scale: str, days: int, start: dt.date = START) -> Path:
    """A cached, clean, plain landing zone of `days` business dates."""
    path = CACHE / f"{scale}-{start}-{days}d-{generator_version()}" / "landing"
    if not (path.parent / "complete").exists():
        shutil.rmtree(path.parent, ignore_errors=True)
        from synthetic.generate import generate_landing_zone

        generate_landing_zone(path, start, days, scale, seed=0, fault_rate=0.0, plain=True)
        (path.parent / "complete").touch()
    return path


def files_of(landing: Path, kind: str) -> list[str]:
    return sorted(str(p) for p in landing.glob(f"????-??-??/*/{kind}.csv"))


def sql_list(paths: list[str]) -> str:
    return "[" + ", ".join("'" + p.replace("'", "''") + "'" for p in paths) + "]"


def run_limit(landing: Path) -> float:
    import duckdb

    t = time.perf_counter()
    with duckdb.connect() as con:
        con.execute("SET enable_progress_bar = false")
        lists = {k: sql_list(files_of(landing, k)) for k in KIND_NAMES}
        for name in ("institutions", "consortia"):
            lists[name] = sql_list([str(landing / "reference" / f"{name}.csv")])
        con.sql(LIMIT_SQL.format(**lists)).fetchall()
    return time.perf_counter() - t


KIND_NAMES = ("visits", "claims", "referrals", "public_health")


def run_pandas(landing: Path) -> float:
    import pandas as pd

    t = time.perf_counter()

    def read(kind: str) -> pd.DataFrame:
        frames = [pd.read_csv(f, dtype=str) for f in files_of(landing, kind)]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    inst = pd.read_csv(landing / "reference" / "institutions.csv", dtype=str)
    inst = inst.sort_values("valid_from").drop_duplicates("institution_code", keep="last")
    cons = pd.read_csv(landing / "reference" / "consortia.csv", dtype=str)
    primary = {
        "village_clinic",
        "community_station",
        "community_center",
        "township_center",
        "clinic",
    }
    visits = read("visits")
    visits = visits[visits["visit_type"].isin(["outpatient", "emergency", "home"])]
    visits = visits.merge(
        inst[["institution_code", "tier", "consortium_id"]], on="institution_code"
    )
    visits["primary"] = visits["tier"].isin(primary)
    v = visits.groupby("consortium_id")["primary"].mean()
    claims = read("claims")
    claims = claims[claims["record_type"] == "settle"]
    claims["insured"] = claims["insured_region_code"].str[:4]
    claims["fund"] = claims["fund_paid"].astype(float)
    settled = claims.groupby(["insured", "institution_code"], as_index=False)["fund"].sum()
    cons["insured"] = cons["region_code"].str[:4]
    c = settled.merge(cons[["consortium_id", "insured"]], on="insured").merge(
        inst[["institution_code", "region_code"]], on="institution_code", how="left"
    )
    c["in_region"] = c["fund"].where(c["region_code"].str[:4] == c["insured"], 0.0)
    c_agg = c.groupby("consortium_id")[["in_region", "fund"]].sum()
    referrals = read("referrals").merge(
        inst[["institution_code", "tier", "consortium_id"]],
        left_on="from_institution_code",
        right_on="institution_code",
    )
    r = referrals.groupby("consortium_id")["tier"].apply(
        lambda s: s.str.endswith("hospital").mean()
    )
    ph = read("public_health").merge(inst, on="institution_code").groupby("consortium_id").size()
    pd.concat([v, c_agg["in_region"] / c_agg["fund"], r, ph], axis=1)
    return time.perf_counter() - t


PHASE = re.compile(r"^night phases: (.*)$", re.M)


def run_night(landing: Path, warehouse: Path) -> tuple[float, float, str]:
    """`kpi run` in a child process: (seconds, peak RSS GiB of the night's processes, phases).

    RUSAGE_CHILDREN's max RSS covers the night and its dbt child (waited for by the night), as
    the largest of them."""
    env = {**os.environ, "KPI_PSEUDONYM_KEY": BENCH_KEY}
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t = time.perf_counter()
    done = subprocess.run(
        [str(KPI), "run", "--landing", str(landing), "--warehouse", str(warehouse)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - t
    if done.returncode != 0:
        raise SystemExit(f"kpi run failed:\n{done.stdout}\n{done.stderr}")
    peak = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 2**20
    phases = PHASE.search(done.stdout)
    return seconds, peak, phases.group(1) if phases else "?"


def history(scale: str, days: int, work: Path) -> tuple[float, float]:
    """(night 1 seconds, night `days` seconds) on one warehouse: night 1 publishes one business
    date; an untimed catch-up night adds the dates up to `days` - 1; night `days` adds one."""
    full = zone(scale, days)
    dates = sorted(p.name for p in full.iterdir() if p.name != "reference")
    landing, warehouse = work / "history", work / "history.duckdb"
    shutil.copytree(full / "reference", landing / "reference")

    def add(chosen: list[str]) -> None:
        for d in chosen:
            shutil.copytree(full / d, landing / d)

    add(dates[:1])
    first = run_night(landing, warehouse)[0]
    if days > 2:
        add(dates[1 : days - 1])
        run_night(landing, warehouse)
    add(dates[days - 1 :])
    last = run_night(landing, warehouse)[0]
    return first, last


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--scale", default="province", choices=("county", "city", "province"))
    p.add_argument("--history-scale", default="county", choices=("county", "city", "province"))
    p.add_argument("--history-days", type=int, default=30, help="0: skip the history")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--write", type=Path, help="append the results to this Markdown file")
    args = p.parse_args(argv)

    landing = zone(args.scale, 1)
    files = sum(1 for _ in landing.glob("????-??-??/*/*.csv"))
    size = sum(f.stat().st_size for f in landing.rglob("*.csv")) / 2**20
    print(f"zone: {args.scale}, 1 business date, {files} files, {size:.0f} MiB", flush=True)
    limit, pandas, night, peak, phases = [], [], [], 0.0, ""
    with tempfile.TemporaryDirectory(prefix="kpi-bench-") as tmp:
        for i in range(args.repeat):
            limit.append(run_limit(landing))
            pandas.append(run_pandas(landing))
            seconds, rss, phases = run_night(landing, Path(tmp) / f"night{i}.duckdb")
            night.append(seconds)
            peak = max(peak, rss)
            print(
                f"  run {i + 1}: limit {limit[-1]:.1f} s, pandas {pandas[-1]:.1f} s, "
                f"night {seconds:.1f} s (peak {rss:.2f} GiB)\n    {phases}",
                flush=True,
            )
        first, last = (
            history(args.history_scale, args.history_days, Path(tmp))
            if args.history_days >= 2
            else (None, None)
        )
    m = {
        k: statistics.median(v) for k, v in (("limit", limit), ("pandas", pandas), ("night", night))
    }
    lines = [
        f"- limit (plain DuckDB) {m['limit']:.1f} s, pandas peer {m['pandas']:.1f} s, "
        f"`kpi run` {m['night']:.1f} s (medians of {args.repeat}), peak RSS {peak:.2f} GiB",
        f"- night / limit = **{m['night'] / m['limit']:.1f}x**, "
        f"night / pandas = **{m['night'] / m['pandas']:.2f}x**",
        (
            f"- history ({args.history_scale}): night 1 {first:.1f} s, night {args.history_days} "
            f"{last:.1f} s: night {args.history_days} / night 1 = **{last / first:.2f}x**"
            if first
            else "- history: not measured (--history-days < 2)"
        ),
        f"- last night's phases: {phases}",
    ]
    print("\n".join(lines))
    if args.write:
        machine = (
            f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
        )
        header = (
            f"\n## {dt.datetime.now():%Y-%m-%d %H:%M} - {args.scale}, {files} files, "
            f"{size:.0f} MiB ({machine})\n\n"
        )
        with args.write.open("a", encoding="utf-8") as out:
            out.write(header + "\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
