"""Nightly consortium KPI warehouse: the night's runbook, one task a step.

Every task calls a tested function of `night.steps` (the same ones `kpi run` calls), imported
inside the task so that parsing this file does no work.
"""

from __future__ import annotations

import datetime as dt

import pendulum
from airflow.sdk import Asset, dag, task
from airflow.sdk.definitions.timetables.interval import CronDataIntervalTimetable

from ingest.contract import KINDS  # the contract as data: plain Python, nothing heavy
from night.airflow_support import NightNotifier, OfficeNotifier

# What downstream DAGs and dashboards can be scheduled on (`schedule=[PUBLISHED_WAREHOUSE]`).
PUBLISHED_WAREHOUSE = Asset(name="consortium_kpi_warehouse", uri="kpi://warehouse/published")
BI_EXPORT = Asset(name="consortium_kpi_bi_export", uri="kpi://warehouse/bi-export")

DOC_MD = """
### 医联体/医共体 KPI warehouse — the night

The night of business date **D** (the run's data interval starts on D, Asia/Shanghai):

1. **land_reference** — validate `reference/` (institutions, consortia, targets) and copy it into
   the lake. A broken registry stops the night here.
2. **ingest** (one mapped task per extract kind) — every file under `<landing>/<date>/<source>/`
   of a business date up to D that was not ingested in that exact content: read (UTF-8/GB18030,
   CSV/XLSX, Chinese headers), validate against the contract in one query per business date,
   pseudonymise patient IDs, mask IDs typed into free text, check a per-delivery profile of the
   batch with the Great Expectations batch suite, land one Parquet file per kind and date in the
   lake. Bad rows are quarantined with a reason code; identical redeliveries are skipped;
   corrections replace. The key must match the lake's fingerprint.
3. **dbt_build** — copy the published warehouse to a working file, update schema `raw` to the
   lake's deliveries of business dates up to D (by what it gained, replaced or, in a backfill,
   holds of later dates), and run `dbt build` (models, data tests, unit tests; the facts
   recompute the changed keys only), then `dbt source freshness` judged on D (the run log
   keeps its verdict per kind). The task log lists every model and test with its status and
   time.
4. **audit** — reconcile every file (read = loaded + quarantined), compare lake rows with the
   audit, scan every text column for clear resident IDs.
5. **publish** — atomically replace the published DuckDB file.
6. **export_for_bi** — the marts as Parquet and as a DuckDB-1.x-readable file in `kpi.marts/`
   (switched atomically), for BI drivers that cannot open DuckDB 2.0 storage.

Each task holds the warehouse's night lock for its step (the ingests of the kinds share it), so
a `kpi run` on the same warehouse waits for the step or is refused, and never interleaves with
one; *publish* publishes only the very file *audit* passed, so a night built in between by
someone else fails this run's publish instead of being published unaudited.

A failure anywhere before *publish* publishes nothing: the last good warehouse stays readable,
and `NightNotifier` raises a bilingual alert with the business date (Beijing time), the failed
step and what to do (task log, and `KPI_ALERT_WEBHOOK` if set, as `KPI_ALERT_FORMAT` json, wecom
or dingtalk). After a publish, the notifier `OfficeNotifier` sends the KPI cells of the month
past their watch or alert line (关注/预警, the dashboard's rule; year-to-date KPIs against the
pro-rata line, small denominators left out) and the expected files that did not arrive. Configuration:
Variables (or env) `KPI_LANDING_DIR`, `KPI_WAREHOUSE`, `KPI_LAKE_DIR`, `KPI_PSEUDONYM_KEY`.
Backfills: `airflow backfill create --dag-id consortium_kpi_nightly --from-date ... --to-date ...`
or `airflow dags test consortium_kpi_nightly 2024-02-20`, for any date since 2000. The night of D
is a transaction on D: it ingests files of dates up to D and publishes the warehouse of the
deliveries of dates up to D (corrections of those dates that the lake already holds included),
whatever later nights ran. So a backfill leaves the published file at its date until the next
night after it; run backfills oldest first and let the latest night run last.
"""


@dag(
    dag_id="consortium_kpi_nightly",
    description="The night of one business date: ingest, validate, build, test, publish the KPI warehouse",
    # One data interval per business date D: [D 02:00, D+1 02:00) Beijing time, run after it.
    schedule=CronDataIntervalTimetable("0 2 * * *", timezone="Asia/Shanghai"),
    # Consortia backfill years of history: any business date since 2000 can be run (a night
    # before start_date would be created with no task and marked a success). catchup=False:
    # the scheduler itself runs only the latest night; backfills are asked for.
    start_date=pendulum.datetime(2000, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    default_args={
        "retries": 2,
        "retry_delay": dt.timedelta(minutes=10),
        # a hung step fails the night (nothing published) instead of holding the next one
        "execution_timeout": dt.timedelta(hours=2),
        "on_failure_callback": NightNotifier(),
    },
    doc_md=DOC_MD,
    tags=["kpi", "consortium"],
)
def consortium_kpi_nightly():
    @task(execution_timeout=dt.timedelta(minutes=15))
    def land_reference() -> list[str]:
        from night import steps as night
        from night.airflow_support import locked_night

        with locked_night() as cfg:
            night.sweep_tmp(cfg)  # what a killed night left half-written
            return night.land_reference(cfg)

    @task(map_index_template="{{ kind }}")
    def ingest(kind: str, registry_codes: list[str], data_interval_start=None) -> dict:
        from dataclasses import asdict

        from night import steps as night
        from night.airflow_support import locked_night, pseudonym_key

        business_date = data_interval_start.in_timezone("Asia/Shanghai").date()
        with locked_night(shared=True) as cfg:  # the kinds' ingests run side by side
            summary = night.ingest(cfg, kind, pseudonym_key(), registry_codes, up_to=business_date)
        return asdict(summary)

    @task
    def dbt_build(data_interval_start=None, ti=None) -> dict[str, int]:
        from collections import Counter

        from night import steps as night
        from night.airflow_support import locked_night

        business_date = data_interval_start.in_timezone("Asia/Shanghai").date()
        with locked_night() as cfg:
            nodes = night.build(cfg, as_of=business_date, runner="airflow")
        for n in nodes:  # the per-model and per-test result, in the task log
            print(f"{n['status']:>8}  {n['seconds']:>7.2f}s  {n['node']}")
        # ... and in the UI (the task's XCom tab): every node's status and seconds, the ones
        # that did not pass first (Cosmos' task-per-model would cost far more: see the README)
        ti.xcom_push(
            key="dbt_nodes", value=sorted(nodes, key=lambda n: n["status"] in ("pass", "success"))
        )
        return dict(Counter(n["status"] for n in nodes))

    @task(execution_timeout=dt.timedelta(hours=1))
    def audit() -> None:
        from night import steps as night
        from night.airflow_support import locked_night

        with locked_night() as cfg:
            night.audit_build(cfg)

    # once published, OfficeNotifier tells the office what the night shows (KPI lines, files)
    @task(
        execution_timeout=dt.timedelta(minutes=15),
        outlets=[PUBLISHED_WAREHOUSE],
        on_success_callback=OfficeNotifier(),
    )
    def publish(data_interval_start=None, run_id=None) -> str:
        from night import steps as night
        from night.airflow_support import locked_night

        business_date = data_interval_start.in_timezone("Asia/Shanghai").date()
        with locked_night() as cfg:  # publishes only the file the audit passed
            night.publish_build(cfg)
            night.record_run(cfg, "published", f"night of {business_date} ({run_id})", "airflow")
        return str(cfg.warehouse)

    @task(execution_timeout=dt.timedelta(hours=1), outlets=[BI_EXPORT])
    def export_for_bi() -> str:
        from night import steps as night
        from night.airflow_support import locked_night

        with locked_night() as cfg:
            return str(night.export_for_bi(cfg))

    codes = land_reference()
    ingested = ingest.partial(registry_codes=codes).expand(kind=list(KINDS))
    ingested >> dbt_build() >> audit() >> publish() >> export_for_bi()


consortium_kpi_nightly()
