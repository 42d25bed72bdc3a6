"""`kpi`: the command line of the warehouse."""

from __future__ import annotations

import argparse
import csv
import json
import logging
import os
import sys
from pathlib import Path

import duckdb


def _run(args: argparse.Namespace) -> int:
    from ingest.pseudonym import MissingKeyError, PseudonymKey
    from night.steps import (
        KeyMismatchError,
        NightConfig,
        NightLockedError,
        night_lock,
        sweep_tmp,
    )

    try:
        key = PseudonymKey.from_env(allow_demo=args.demo_key).check_strength()
    except MissingKeyError as exc:
        print(f"kpi run: {exc}", file=sys.stderr)
        return 2
    try:
        cfg = NightConfig.build(args.landing, args.warehouse, args.lake, args.engine)
    except ValueError as exc:
        print(f"kpi run: {exc}", file=sys.stderr)
        return 2
    try:
        with night_lock(cfg):
            sweep_tmp(cfg)
            return _night(cfg, key, args)
    except (NightLockedError, KeyMismatchError) as exc:
        print(f"kpi run: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # read-only or full disk, missing folder: one clear line
        print(f"kpi run: FAILED, nothing published: {exc}", file=sys.stderr)
        return 1


def _night(cfg, key, args: argparse.Namespace) -> int:
    from night.steps import ExportFailedError, record_run, registry_warnings, run_night

    if sys.stderr.isatty():  # on a terminal: each kind's files and rows/s, then dbt's nodes
        shown = logging.getLogger("kpi.progress")
        shown.addHandler(logging.StreamHandler(sys.stderr))
        shown.setLevel(logging.INFO)
        shown.propagate = False  # once, with --verbose too

    try:
        phases: dict[str, float] = {}
        summaries = run_night(cfg, key, phases)
    except ExportFailedError as exc:
        record_run(cfg, "published_export_failed", str(exc))
        print(
            f"kpi run: published {cfg.warehouse}, but the BI export failed (the previous "
            f"export stays in place).\n  {exc}",
            file=sys.stderr,
        )
        return 0  # published: exit 0 by the interface; the run log and stderr say the rest
    except Exception as exc:  # noqa: BLE001 - every failure means: nothing published
        record_run(cfg, "failed", str(exc))
        print(
            f"kpi run: FAILED, nothing published; {cfg.warehouse} is unchanged.\n  {exc}",
            file=sys.stderr,
        )
        return 1
    warnings = registry_warnings(cfg)
    record_run(cfg, "published", "; ".join(warnings))
    for line in warnings:
        print(f"registry warning: {line}")
    for s in summaries.values():
        print(
            f"{s.kind:<14} deliveries {s.deliveries:>5}  redelivered {s.duplicates:>4}  read {s.rows_read:>9}"
            f"  loaded {s.rows_loaded:>9}  quarantined {s.rows_quarantined:>7}"
        )
    print("night phases: " + ", ".join(f"{k} {v:.1f} s" for k, v in phases.items()))
    print(f"published {cfg.warehouse} (lake: {cfg.lake_dir})")
    return 0


def _status(args: argparse.Namespace) -> int:
    from night.steps import default_lake_dir, recent_runs

    warehouse = Path(args.warehouse)
    runs = recent_runs(Path(args.lake) if args.lake else default_lake_dir(warehouse.absolute()))
    print("Recent nights:")
    print(runs if runs else "  (no runs recorded)")
    if not warehouse.exists():
        print(f"{warehouse}: no published warehouse yet")
        return 1
    with duckdb.connect(str(warehouse), read_only=True) as con:
        print("What each file contributed (latest 40):")
        con.sql(
            "SELECT ingested_at, business_date, source_code, kind, file_name, status, rows_read, rows_loaded, "
            "rows_quarantined, dropped_columns FROM ingest_files ORDER BY ingested_at DESC LIMIT 40"
        ).show(max_width=250, max_rows=40)
    return 0


def _query(args: argparse.Namespace) -> int:
    warehouse = Path(args.warehouse)
    if not warehouse.is_file():
        print(f"kpi query: no published warehouse at {warehouse}", file=sys.stderr)
        return 1
    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            result = con.sql(args.sql)
            if result is None:  # a statement without rows
                return 0
            if args.format == "table":
                result.show(max_width=250, max_rows=args.max_rows)
            else:
                columns, rows = result.columns, result.limit(args.max_rows).fetchall()
                if args.format == "csv":  # opened in Excel: no cell may run as a formula
                    from warehouse.marts import spreadsheet_safe

                    writer = csv.writer(sys.stdout, lineterminator="\n")
                    writer.writerow(columns)
                    writer.writerows([spreadsheet_safe(v) for v in r] for r in rows)
                else:  # dates and decimals as text (ISO dates), NULL as null
                    records = [dict(zip(columns, r, strict=True)) for r in rows]
                    print(json.dumps(records, ensure_ascii=False, default=str))
    except duckdb.Error as exc:
        print(f"kpi query: {exc}", file=sys.stderr)
        return 1
    return 0


def _generate(args: argparse.Namespace) -> int:
    from synthetic import generate

    return generate.run(args)


def _demo(args: argparse.Namespace) -> int:
    import datetime as dt

    from cli.demo import run_demo

    return run_demo(
        Path(args.dir),
        dt.date.fromisoformat(args.start),
        args.days,
        args.nights,
        args.seed,
        args.fault_rate,
    )


def parser() -> argparse.ArgumentParser:
    from importlib.metadata import PackageNotFoundError, version

    try:
        installed = version("consortium-kpi-warehouse")
    except PackageNotFoundError:  # run from a source tree that was not installed
        installed = "(not installed)"
    p = argparse.ArgumentParser(prog="kpi", description="Consortium KPI warehouse")
    p.add_argument("-v", "--verbose", action="store_true", help="log every step")
    p.add_argument("--version", action="version", version=f"%(prog)s {installed}")
    sub = p.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="one night: ingest, validate, build, test, publish")
    # Flags win; the environment fills what they leave out.
    env = os.environ.get
    run.add_argument(
        "--landing",
        default=env("KPI_LANDING_DIR"),
        required=not env("KPI_LANDING_DIR"),
        help="landing zone root [KPI_LANDING_DIR]",
    )
    run.add_argument(
        "--warehouse",
        default=env("KPI_WAREHOUSE"),
        required=not env("KPI_WAREHOUSE"),
        help="published DuckDB file [KPI_WAREHOUSE]",
    )
    run.add_argument(
        "--lake",
        default=env("KPI_LAKE_DIR"),
        help="lake directory [KPI_LAKE_DIR] (default: beside the warehouse, kpi.duckdb -> kpi.lake/)",
    )
    run.add_argument(
        "--engine",
        help="what builds the warehouse [KPI_ENGINE]: duckdb (default), or spark (needs the `spark` "
        "dependency group: make test-spark installs it)",
    )
    run.add_argument(
        "--demo-key",
        action="store_true",
        help="allow the fixed demo pseudonym key when KPI_PSEUDONYM_KEY is unset",
    )
    run.set_defaults(func=_run)

    status = sub.add_parser("status", help="recent nights and what each file contributed")
    status.add_argument(
        "--warehouse",
        default=env("KPI_WAREHOUSE"),
        required=not env("KPI_WAREHOUSE"),
        help="published DuckDB file [KPI_WAREHOUSE]",
    )
    status.add_argument("--lake")
    status.set_defaults(func=_status)

    from synthetic.generate import add_arguments

    generate = sub.add_parser(
        "generate", help="write a synthetic landing zone that follows the contract"
    )
    add_arguments(generate)
    generate.set_defaults(func=_generate)

    demo = sub.add_parser(
        "demo", help="synthetic consortia, a few nights of the real DAG, the KPI table"
    )
    demo.add_argument("--dir", default="demo", help="working folder (replaced)")
    demo.add_argument("--start", default="2026-03-01", help="first business date")
    demo.add_argument("--days", type=int, default=21, help="days of synthetic extracts")
    demo.add_argument("--nights", type=int, default=3, help="DAG runs over those days")
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--fault-rate", type=float, default=0.01)
    demo.set_defaults(func=_demo)

    query = sub.add_parser("query", help="a read-only SQL query, printed as a table")
    query.add_argument(
        "--warehouse",
        default=env("KPI_WAREHOUSE"),
        required=not env("KPI_WAREHOUSE"),
        help="published DuckDB file [KPI_WAREHOUSE]",
    )
    query.add_argument("--max-rows", type=int, default=200)
    query.add_argument("--format", choices=("table", "csv", "json"), default="table")
    query.add_argument("sql")
    query.set_defaults(func=_query)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
