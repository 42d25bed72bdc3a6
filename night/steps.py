"""One night of the warehouse, as steps that `kpi run` and the Airflow DAG both call.

    land_reference -> ingest(kind) for each kind -> build -> audit_build -> publish

Every step is idempotent: re-running a night with the same landing zone gives the same
warehouse, and a failure before `publish` leaves the published file untouched.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ingest import reference as reference_mod
from ingest.contract import KINDS
from ingest.deliveries import KindSummary, ingest_kind
from ingest.expectations import build_offline_index
from ingest.lake import Lake
from ingest.pseudonym import PseudonymKey
from ingest.sqltext import sql_list
from warehouse.publish import (
    AuditFailedError,
    audit,
    audit_stamp_path,
    load_raw_schema,
    publish,
    start_working_copy,
    working_path,
)
from warehouse.transform import (
    DBT_PROJECT_DIR,
    dbt_paths,
    freshness_summary,
    progress,
    run_dbt,
    source_freshness,
)

log = logging.getLogger(__name__)


# The engines that can build the warehouse: DuckDB in the working file (the default), or the
# same dbt project on Spark (warehouse/spark.py).
ENGINES = ("duckdb", "spark")


@dataclass(frozen=True)
class NightConfig:
    landing: Path
    warehouse: Path
    lake_dir: Path
    engine: str = "duckdb"

    @classmethod
    def build(
        cls,
        landing: str | Path,
        warehouse: str | Path,
        lake_dir: str | Path | None = None,
        engine: str | None = None,
    ) -> NightConfig:
        """`engine` defaults to KPI_ENGINE, else duckdb."""
        warehouse = Path(warehouse).absolute()
        lake = Path(lake_dir).absolute() if lake_dir else default_lake_dir(warehouse)
        engine = engine or os.environ.get("KPI_ENGINE") or "duckdb"
        if engine not in ENGINES:
            raise ValueError(f"unknown engine {engine!r}: one of {', '.join(ENGINES)}")
        return cls(Path(landing).absolute(), warehouse, lake, engine)

    @property
    def lake(self) -> Lake:
        return Lake(self.lake_dir)


# The nightly build leaves out the in_sync_with tests: each compares an incremental fact with a
# full rebuild of it, which costs as much as the rebuild the incremental model exists to avoid.
# They run in the test suite after corrections, reversals, late files and membership changes,
# and on demand (`warehouse.transform.verify_incremental`). It leaves out the unit tests too:
# they test the SQL on fixed rows, not the night's data, and the code does not change between
# nights (tests/dbt/test_dbt_build.py runs them with every change; 5 s a night saved).
NIGHTLY_BUILD = [
    "build",
    "--exclude",
    "test_name:in_sync_with",
    "resource_type:unit_test",
]


def default_lake_dir(warehouse: Path) -> Path:
    """`kpi.duckdb` -> `kpi.lake/` beside it."""
    return warehouse.with_name(warehouse.stem + ".lake")


class NightLockedError(RuntimeError):
    """Another night holds this warehouse."""


class KeyMismatchError(RuntimeError):
    """The key differs from the one the lake was pseudonymised with."""


@contextlib.contextmanager
def night_lock(cfg: NightConfig, *, shared: bool = False, wait_seconds: float = 0):
    """One night at a time per warehouse. An flock dies with its holder (a killed night
    leaves no stale lock); the file names the holder's pid for whoever is refused.

    `kpi run` holds it exclusively for the whole night. The DAG runs each step in its own
    process, so each task holds it for its step: exclusively, except the ingest tasks of the
    kinds, which share it with each other (each writes its own kind's lake folder) but not
    with a `kpi run` or a build. A task waits up to `wait_seconds` for it."""
    path = cfg.warehouse.with_name(cfg.warehouse.name + ".lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
    deadline = time.monotonic() + wait_seconds
    with open(path, "a+") as handle:
        while True:
            try:
                fcntl.flock(handle, mode | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() < deadline:
                    time.sleep(min(5.0, max(0.1, deadline - time.monotonic())))
                    continue
                handle.seek(0)
                holder = handle.read().strip() or "unknown"
                raise NightLockedError(
                    f"another night (pid {holder}) is running on {cfg.warehouse}; nothing done"
                ) from None
        if not shared:
            handle.seek(0)
            handle.truncate()
            handle.write(str(os.getpid()))
            handle.flush()
        try:
            yield
        finally:
            if not shared:
                handle.seek(0)
                handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)


def check_key(cfg: NightConfig, key: PseudonymKey) -> None:
    """The first night stores the key's fingerprint with the lake; later nights must match it
    (a changed key would split every patient in two). Re-keying means a new lake."""
    path = cfg.lake_dir / "key_fingerprint"
    if path.exists():
        if path.read_text().strip() != key.fingerprint():
            raise KeyMismatchError(
                f"KPI_PSEUDONYM_KEY is not the key the lake {cfg.lake_dir} was pseudonymised "
                "with; refusing the night. To re-key, rebuild from the landing zone into a new "
                "lake (--lake) with the new key."
            )
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(key.fingerprint() + "\n")


def sweep_tmp(cfg: NightConfig) -> int:
    """Remove what a killed night left half-written in the lake (under the night lock)."""
    stale = list(cfg.lake_dir.glob("**/.*.tmp"))
    for path in stale:
        path.unlink(missing_ok=True)
    if stale:
        log.warning("removed %d half-written file(s) a killed night left in the lake", len(stale))
    return len(stale)


def land_reference(cfg: NightConfig) -> list[str]:
    """Validate and copy the registry; returns the registered institution codes."""
    tables = reference_mod.land_reference(cfg.landing, cfg.lake)
    return sorted(set(tables["institutions"]["institution_code"].to_pylist()))


def ingest(
    cfg: NightConfig,
    kind: str,
    key: PseudonymKey,
    registry_codes: list[str] | None = None,
    up_to: dt.date | None = None,
) -> KindSummary:
    """Ingest every new file of `kind` (of business dates up to `up_to`, when given)."""
    check_key(cfg, key)  # here, so that the DAG's ingest tasks check it as kpi run does
    if registry_codes is None:
        con = duckdb.connect()
        path = cfg.lake.reference_path("institutions")
        registry_codes = [
            r[0]
            for r in con.execute(
                "SELECT DISTINCT institution_code FROM read_parquet($path)", {"path": str(path)}
            ).fetchall()
        ]
    started = time.perf_counter()
    summary = ingest_kind(cfg.landing, cfg.lake, kind, key, registry_codes, up_to)
    seconds = time.perf_counter() - started
    progress.info(
        "%s: %d files, %s rows in %.1f s (%s rows/s)",
        kind,
        summary.deliveries + summary.duplicates,
        f"{summary.rows_read:,}",
        seconds,
        f"{summary.rows_read / seconds:,.0f}" if seconds > 0 else "-",
    )
    log.info(
        "%s: %d deliveries, %d identical redeliveries, rows read %d = loaded %d + quarantined %d",
        kind,
        summary.deliveries,
        summary.duplicates,
        summary.rows_read,
        summary.rows_loaded,
        summary.rows_quarantined,
    )
    return summary


def build(cfg: NightConfig, as_of: dt.date | None = None, runner: str = "kpi run") -> list[dict]:
    """Working file := last published + the lake's current raw state (of business dates up to
    `as_of` when given: the night of that date), then `dbt build`, then `dbt source freshness`
    judged on the night's business date (`as_of`, else the latest delivered), whose verdict
    goes to the run log. On Spark, dbt builds from the lake in Spark and the working file
    (raw loaded all the same) receives the tables it built (warehouse/spark.py)."""
    if not (DBT_PROJECT_DIR / "dbt_project.yml").exists():  # fail closed: never publish raw only
        raise FileNotFoundError(f"no dbt project at {DBT_PROJECT_DIR}: nothing to build")
    work = start_working_copy(cfg.warehouse)
    with duckdb.connect(str(work)) as con:
        load_raw_schema(con, cfg.lake, as_of)  # what the audit reconciles, on either engine
        latest = con.execute("SELECT max(business_date) FROM raw.ingest_files").fetchone()[0]
        if cfg.engine == "spark":
            from warehouse import spark

            sources = spark.write_sources(con, cfg.lake, cfg.warehouse, as_of)
    if cfg.engine == "spark":
        target, env = ["--target", spark.TARGET], spark.dbt_env(cfg.warehouse, sources)
        nodes = run_dbt([*NIGHTLY_BUILD, *target], work, cfg.warehouse, env)
        manifest = json.loads((dbt_paths(cfg.warehouse)["target"] / "manifest.json").read_text())
        spark.collect_build(work, cfg.warehouse, manifest)
    else:
        target, env = [], None
        nodes = run_dbt(NIGHTLY_BUILD, work, cfg.warehouse)
    build_offline_index(cfg.lake_dir / "gx")  # once a night, over every kind's GX results
    business_date = as_of or latest
    if business_date is not None:
        verdicts = source_freshness(work, cfg.warehouse, business_date, tuple(target), env)
        summary = freshness_summary(verdicts)
        log.info("source freshness as of %s: %s", business_date, summary)
        record_run(cfg, "freshness", f"as of {business_date}: {summary}", runner)
        nodes += [
            {"node": f"freshness.{v['source']}", "status": v["status"], "seconds": 0.0,
             "message": None if v["age_hours"] is None else f"{v['age_hours']:g} h old"}
            for v in verdicts
        ]  # fmt: skip
    return nodes


def _file_identity(path: Path) -> str:
    """What changes when the file is rebuilt or written to (a stamp of the file audited)."""
    st = path.stat()
    return f"{st.st_ino}:{st.st_size}:{st.st_mtime_ns}"


def audit_build(cfg: NightConfig) -> None:
    """Audit the working file; a pass stamps exactly that file as publishable."""
    work = working_path(cfg.warehouse)
    stamp = audit_stamp_path(work)
    stamp.unlink(missing_ok=True)
    if not work.exists():
        raise AuditFailedError(f"{work} does not exist: run the build step first")
    with duckdb.connect(str(work)) as con:
        failures = audit(con)
        con.execute("CHECKPOINT")
    if failures:
        raise AuditFailedError(
            "the built warehouse failed its audit, nothing published: " + "; ".join(failures)
        )
    stamp.write_text(_file_identity(work))


def publish_build(cfg: NightConfig) -> Path:
    """Publish the working file only if it is the very file the audit passed: the DAG runs its
    steps as separate processes, so a night that built in between must not be published
    unaudited (nor a file that changed after its audit)."""
    work = working_path(cfg.warehouse)
    stamp = audit_stamp_path(work)
    audited = stamp.read_text() if stamp.exists() else None
    if not work.exists() or audited != _file_identity(work):
        raise AuditFailedError(
            f"{work} is not the file the audit passed (another night rebuilt it, or the audit "
            "did not run): nothing published; run the night again"
        )
    publish(work, cfg.warehouse)
    stamp.unlink()
    return cfg.warehouse


def export_for_bi(cfg: NightConfig) -> Path:
    """The published marts as Parquet and as a DuckDB-1.x-readable file, for BI tools whose
    DuckDB drivers cannot open DuckDB 2.0 storage (`kpi.marts/` beside the warehouse)."""
    from warehouse.bi_export import export_marts

    return export_marts(cfg.warehouse)


class ExportFailedError(RuntimeError):
    """The night published; only the BI export after it failed (the last export stays)."""


def run_night(
    cfg: NightConfig, key: PseudonymKey, phases: dict[str, float] | None = None
) -> dict[str, KindSummary]:
    """The whole night in one process (what `kpi run` does); `phases` receives the seconds of
    each step as it ends."""
    phases = {} if phases is None else phases

    def timed(name, step, *args):
        start = time.perf_counter()
        try:
            return step(*args)
        finally:
            phases[name] = time.perf_counter() - start

    codes = timed("reference", land_reference, cfg)
    summaries = {kind: timed(kind, ingest, cfg, kind, key, codes) for kind in KINDS}
    timed("dbt_build", build, cfg)
    timed("audit", audit_build, cfg)
    timed("publish", publish_build, cfg)
    try:
        timed("bi_export", export_for_bi, cfg)
    except Exception as exc:
        raise ExportFailedError(str(exc)) from exc
    return summaries


def registry_warnings(cfg: NightConfig) -> list[str]:
    """The registry rows the office must see (an institution in two consortia at once counts for
    both; overlapping periods of one institution), from the night just published."""
    from warehouse.marts import open_published

    with open_published(cfg.warehouse) as con:
        rows = con.sql(
            "SELECT finding, source_code, example_detail FROM data_quality_findings "
            "WHERE kind = 'reference' ORDER BY ALL"
        ).fetchall()
    return [f"{finding} {code} ({detail})" for finding, code, detail in rows]


def record_run(cfg: NightConfig, status: str, message: str, runner: str = "kpi run") -> None:
    """Append the night's outcome to the lake's run log (kept even when nothing is published):
    `kpi run`'s nights and the DAG's (`runner` names which), for `kpi status`."""
    import pyarrow as pa

    from ingest.deliveries import utc_now
    from ingest.lake import write_parquet_atomic

    now = utc_now()
    row = {
        "finished_at": now,
        "status": status,
        "runner": runner,
        "message": message[:2000],
        "warehouse": str(cfg.warehouse),
    }
    table = pa.Table.from_pylist([row])
    write_parquet_atomic(table, cfg.lake_dir / "audit" / "runs" / f"{now:%Y%m%dT%H%M%S%f}.parquet")


def recent_runs(lake_dir: Path, limit: int = 10) -> str:
    files = sorted((lake_dir / "audit" / "runs").glob("*.parquet"))[-limit:]
    if not files:
        return ""
    con = duckdb.connect()
    rel = con.sql(
        # union_by_name: logs written before `runner` existed read as NULL there
        f"SELECT finished_at, status, runner, message FROM read_parquet({sql_list(files)}, "
        "union_by_name = true) ORDER BY finished_at DESC"
    )
    return str(rel)
