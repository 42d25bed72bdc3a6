"""Running the dbt project against the working warehouse file."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

from ingest.pseudonym import KEY_ENV

log = logging.getLogger(__name__)
# What a long night says while it works: each kind's files, rows and rows/s, then dbt's node
# lines as they finish. Airflow's task logs keep INFO; `kpi run` shows it on a terminal.
progress = logging.getLogger("kpi.progress")
# dbt's line for a finished node: "12:00:01  3 of 357 OK created sql table model main.x ..."
DBT_NODE_LINE = re.compile(r"^\S*\s+\d+ of \d+ (?!START)")

DBT_PROJECT_DIR = Path(__file__).resolve().parent.parent / "dbt_project"


class DbtFailedError(RuntimeError):
    pass


def _die_with_parent() -> None:
    """In the dbt child: ask Linux to SIGKILL it when the night's process dies (Airflow kills
    task processes on timeouts and worker restarts)."""
    import ctypes
    import signal

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


def dbt_paths(warehouse: Path) -> dict[str, Path]:
    """dbt's target and logs live beside the warehouse, not in the (possibly read-only) repo."""
    base = warehouse.with_name(warehouse.name + ".dbt")
    return {"target": base / "target", "logs": base / "logs"}


def _dbt_process(
    args: list[str], database: Path, warehouse: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """One dbt command on `database`, in a child process that dies with the night."""
    paths = dbt_paths(warehouse)
    command = [
        str(Path(sys.executable).with_name("dbt")),
        *args,
        "--project-dir", str(DBT_PROJECT_DIR),  # absolute: partial parse stores paths
        "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(paths["target"]),
        "--log-path", str(paths["logs"]),
    ]  # fmt: skip
    lines = []
    with subprocess.Popen(
        command,
        env=dbt_environment(database, env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=_die_with_parent,  # a killed night must not leave dbt holding the file
    ) as child:
        for line in child.stdout:  # as dbt writes it: the night's progress shows node by node
            lines.append(line)
            if DBT_NODE_LINE.match(line):
                progress.info("dbt %s", line.split(maxsplit=1)[-1].rstrip())
    return subprocess.CompletedProcess(command, child.returncode, "".join(lines), "")


def dbt_environment(database: Path, env: dict[str, str] | None = None) -> dict[str, str]:
    """The night's environment for dbt, on `database`, without the pseudonym key: dbt and
    Spark never need it."""
    return {
        **{k: v for k, v in os.environ.items() if k != KEY_ENV},
        "KPI_DBT_DATABASE": str(database.absolute()),
        "DBT_USE_COLORS": "false",  # its lines go to logs and to our error messages
        **(env or {}),
    }


def run_dbt(
    args: list[str], database: Path, warehouse: Path, env: dict[str, str] | None = None
) -> list[dict]:
    """Run one dbt command on `database`; return per-node results; raise on failure.

    dbt runs in a child process: dbt-duckdb keeps its DuckDB instance open between in-process
    invocations, and a later night would then write through the old handle into the file that
    was just published (seen in tests/test_night.py before this was a subprocess).
    """
    log.info("dbt %s", " ".join(args))
    results_file = dbt_paths(warehouse)["target"] / "run_results.json"
    results_file.unlink(missing_ok=True)  # never report a previous run's results
    done = _dbt_process(args, database, warehouse, env)
    nodes = []
    if results_file.exists():
        for r in json.loads(results_file.read_text())["results"]:
            nodes.append(
                {
                    "node": r["unique_id"],
                    "status": r["status"],
                    "seconds": round(r.get("execution_time") or 0.0, 3),
                    "message": r.get("message"),
                }
            )
    if done.returncode != 0:
        failed = [n for n in nodes if n["status"] in ("error", "fail", "runtime error")]
        detail = "; ".join(f"{n['node']}: {n['status']} {n['message'] or ''}" for n in failed[:10])
        tail = "\n".join(done.stdout.splitlines()[-15:])
        raise DbtFailedError(f"dbt {args[0]} failed: {detail or tail}")
    return nodes


def source_freshness(
    database: Path,
    warehouse: Path,
    business_date,
    args: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
) -> list[dict]:
    """`dbt source freshness` judged on `business_date` (see the lake source's config): one
    verdict per extract kind (pass, warn, error). A stale source is news for the office, not a
    reason to withhold the night, so this never raises on a verdict; a dbt that cannot run at
    all is reported as `runtime error`."""
    sources_file = dbt_paths(warehouse)["target"] / "sources.json"
    sources_file.unlink(missing_ok=True)
    done = _dbt_process(
        ["source", "freshness", *args],
        database,
        warehouse,
        {**(env or {}), "KPI_FRESHNESS_BUSINESS_DATE": str(business_date)},
    )
    if not sources_file.exists():
        tail = " ".join(done.stdout.splitlines()[-3:])
        return [{"source": "lake", "status": "runtime error", "age_hours": None, "message": tail}]
    verdicts = []
    for r in json.loads(sources_file.read_text())["results"]:
        age = r.get("max_loaded_at_time_ago_in_s")
        never = str(r.get("max_loaded_at", "")).startswith("0001-")  # dbt's stand-in for none
        verdicts.append(
            {
                "source": r["unique_id"].removeprefix("source.consortium_kpi."),
                "status": "never delivered" if never else r["status"],
                "age_hours": None if age is None or never else round(age / 3600, 1),
                "max_loaded_at": None if never else r.get("max_loaded_at"),
            }
        )
    return sorted(verdicts, key=lambda v: v["source"])


def freshness_summary(verdicts: list[dict]) -> str:
    """`freshness as of D: lake.visits pass (24 h), ...`, for the run log."""
    return ", ".join(
        f"{v['source']} {v['status']}"
        + (f" ({v['age_hours']:g} h)" if v.get("age_hours") is not None else "")
        for v in verdicts
    )


def verify_incremental(warehouse: str | Path) -> dict[str, list]:
    """On two copies of the published file: the in_sync_with tests, and a `--full-refresh`
    build whose marts must equal the incremental ones row for row. Returns the differing rows
    per mart (empty lists when the incremental warehouse equals a full rebuild)."""
    import shutil
    import tempfile

    import duckdb

    from ingest.sqltext import sql_literal

    warehouse = Path(warehouse).absolute()
    with tempfile.TemporaryDirectory(prefix="kpi-verify-") as tmp:
        incremental, rebuilt = Path(tmp) / "incremental.duckdb", Path(tmp) / "rebuilt.duckdb"
        shutil.copyfile(warehouse, incremental)
        shutil.copyfile(warehouse, rebuilt)
        run_dbt(["test", "--select", "test_name:in_sync_with"], incremental, warehouse)
        run_dbt(
            ["build", "--full-refresh", "--exclude", "test_name:in_sync_with"], rebuilt, warehouse
        )
        with duckdb.connect(str(incremental)) as con:
            con.execute(f"ATTACH {sql_literal(rebuilt)} AS rebuilt (READ_ONLY)")
            marts = [
                r[0]
                for r in con.sql(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
                    "AND table_catalog = current_database() AND table_type = 'BASE TABLE' "
                    "AND (table_name LIKE 'fct%' OR table_name = 'kpi_monthly')"
                ).fetchall()
            ]
            return {
                t: con.sql(
                    f'(SELECT * FROM main."{t}" EXCEPT ALL SELECT * FROM rebuilt.main."{t}") UNION ALL '
                    f'(SELECT * FROM rebuilt.main."{t}" EXCEPT ALL SELECT * FROM main."{t}")'
                ).fetchall()
                for t in marts
            }


def docs(warehouse: str | Path) -> Path:
    """`dbt docs generate --static` against a copy of the published file (never the file
    itself: dbt opens its database read-write). Returns the single-file HTML site."""
    import shutil
    import tempfile

    warehouse = Path(warehouse).absolute()
    with tempfile.TemporaryDirectory(prefix="kpi-docs-") as tmp:
        copy = Path(tmp) / "docs.duckdb"
        shutil.copyfile(warehouse, copy)
        run_dbt(["docs", "generate", "--static"], copy, warehouse)
    site = dbt_paths(warehouse)["target"] / "static_index.html"
    print(site)
    return site
