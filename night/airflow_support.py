"""What the Airflow DAG needs beyond the night's steps: settings and the failure alert."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import urllib.request
from typing import TYPE_CHECKING

from ingest.pseudonym import KEY_ENV, PseudonymKey

if TYPE_CHECKING:  # the DAG file imports this module: nothing heavy at parse time
    from night.steps import NightConfig

log = logging.getLogger(__name__)


def setting(name: str) -> str | None:
    """An Airflow Variable (AIRFLOW_VAR_<NAME> works too), else the plain environment variable."""
    from airflow.sdk import Variable

    try:
        value = Variable.get(name, default=None)
    except Exception:  # noqa: BLE001 - no metadata database reachable: fall back to the env
        value = None
    return value or os.environ.get(name) or None


def night_config() -> NightConfig:
    from night.steps import NightConfig

    landing, warehouse = setting("KPI_LANDING_DIR"), setting("KPI_WAREHOUSE")
    if not landing or not warehouse:
        raise RuntimeError(
            "set the Airflow Variables (or env vars) KPI_LANDING_DIR and KPI_WAREHOUSE"
        )
    return NightConfig.build(landing, warehouse, setting("KPI_LAKE_DIR"))


# How long a task waits for the warehouse's night lock (a `kpi run` of a province night takes
# minutes) before it fails and Airflow retries it.
LOCK_WAIT_SECONDS = 30 * 60


@contextlib.contextmanager
def locked_night(*, shared: bool = False):
    """The night's settings, with this task holding the warehouse's night lock for its step."""
    from night.steps import night_lock

    cfg = night_config()
    with night_lock(cfg, shared=shared, wait_seconds=LOCK_WAIT_SECONDS):
        yield cfg


def pseudonym_key() -> PseudonymKey:
    """The deployment's secret; there is no default (`kpi demo` sets the demo key itself)."""
    value = setting(KEY_ENV)
    if not value:
        return PseudonymKey.from_env()  # raises MissingKeyError with what to set
    # Airflow masks only names with "secret", "password", ... in them: mask this one in the
    # task's and the supervisor's logs (the UI masks it by sensitive_var_conn_names).
    from airflow.sdk.log import mask_secret

    mask_secret(value)  # no name: a name not deemed sensitive would switch the mask off
    return PseudonymKey(value.encode())


def notify_failure(context: dict) -> None:
    """on_failure_callback: log an alert and POST it to KPI_ALERT_WEBHOOK when one is set."""
    ti = context.get("task_instance")
    alert = {
        "dag_id": getattr(ti, "dag_id", None),
        "task_id": getattr(ti, "task_id", None),
        "run_id": context.get("run_id"),
        "logical_date": str(context.get("logical_date")),
        "error": str(context.get("exception"))[:1000],
        "consequence": "nothing was published; the last good warehouse stays readable",
    }
    log.error("KPI night failed: %s", json.dumps(alert, ensure_ascii=False))
    url = setting("KPI_ALERT_WEBHOOK")
    if not url:
        return
    request = urllib.request.Request(
        url, data=json.dumps(alert).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        urllib.request.urlopen(request, timeout=10).close()  # noqa: S310 - deployment-set URL
    except OSError as exc:
        log.error("could not deliver the alert to KPI_ALERT_WEBHOOK: %s", exc)
