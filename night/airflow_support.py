"""What the Airflow DAG needs beyond the night's steps: settings, the lock, the alerts."""

from __future__ import annotations

import contextlib
import logging
import os
from typing import TYPE_CHECKING

from airflow.sdk import BaseNotifier

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
    return NightConfig.build(landing, warehouse, setting("KPI_LAKE_DIR"), setting("KPI_ENGINE"))


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


class NightNotifier(BaseNotifier):
    """The night's alerts through Airflow's notifier interface: a failed task's bilingual alert
    (on_failure_callback), to the task log and to KPI_ALERT_WEBHOOK in KPI_ALERT_FORMAT
    (json, wecom or dingtalk; payloads in `night.alerts`)."""

    def notify(self, context) -> None:
        from night.alerts import failure_alert

        alert = failure_alert(dict(context))
        send([alert])
        try:  # the run log `kpi status` reads: the DAG's nights beside kpi run's
            from night.steps import record_run

            status = "published_step_failed" if alert.facts["published"] else "failed"
            record_run(night_config(), status, f"{alert.title}: {alert.facts['error']}", "airflow")
        except Exception as exc:  # noqa: BLE001 - the alert must not fail on a broken log
            log.error("could not record the failed night in the run log: %s", exc)


class OfficeNotifier(BaseNotifier):
    """After a publish (on_success_callback of the publish task): the KPI cells of the night's
    month past their watch or alert line, and the expected files that did not arrive, read
    from the published file (a reader: it never blocks the next publish)."""

    def notify(self, context) -> None:
        from night.alerts import business_date_of, night_alerts

        send(night_alerts(night_config().warehouse, business_date_of(dict(context))))


def send(alerts) -> int:
    """Deliver alerts to the log and the webhook; returns how many reached the webhook."""
    from night.alerts import deliver

    url, style = setting("KPI_ALERT_WEBHOOK"), setting("KPI_ALERT_FORMAT") or "json"
    return sum(deliver(alert, url, style) for alert in alerts)
