"""The night's alerts: what a failed night says, which KPI cells cross their alert line, which
expected files are missing, and the webhook payloads, delivered to a real HTTP listener."""

from __future__ import annotations

import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from types import SimpleNamespace

import duckdb
import pytest

from night.alerts import (
    STEP_ADVICE,
    deliver,
    failure_alert,
    kpi_line_alerts,
    missing_file_alert,
    night_alerts,
    payload,
)

MARCH = dt.date(2026, 3, 1)


def test_a_failed_step_says_what_happened_in_both_languages_with_the_beijing_date():
    context = {
        "task_instance": SimpleNamespace(task_id="audit", dag_id="consortium_kpi_nightly"),
        # 18:00 UTC on 1 March is 02:00 on 2 March in Beijing: the night of 2 March
        "data_interval_start": dt.datetime(2026, 3, 1, 18, 0, tzinfo=dt.UTC),
        "run_id": "scheduled__2026-03-01T18:00:00+00:00",
        "exception": RuntimeError("clear resident IDs found in main.t.note"),
    }
    alert = failure_alert(context)
    assert alert.business_date == "2026-03-02"
    assert "audit" in alert.title and "2026-03-02" in alert.title
    assert STEP_ADVICE["audit"][0] in alert.text and STEP_ADVICE["audit"][1] in alert.text
    assert "当晚未发布任何数据" in alert.text and "Nothing was published" in alert.text
    assert "clear resident IDs found" in alert.text
    export = failure_alert({**context, "task_instance": SimpleNamespace(task_id="export_for_bi")})
    assert "The warehouse was published" in export.text and export.facts["published"]


def warehouse(path) -> str:
    """The tables the alerts read, as the dbt project publishes them (columns used only)."""
    with duckdb.connect(str(path)) as con:
        con.execute("""
            CREATE TABLE kpi_definitions AS SELECT * FROM (VALUES
                ('primary_care_visit_share', '基层诊疗量占比', 'Primary-care visit share', 'ratio', 30, 1),
                ('public_health_task_completion', '公卫任务完成率', 'Public-health completion', 'ratio', 1, 2)
            ) t(kpi_id, name_zh, name_en, unit, min_denominator, display_order);
            CREATE TABLE dim_consortium AS SELECT * FROM (VALUES
                ('C1', '连平县医共体'), ('C2', '滁州医联体'), ('C3', '小镇'), ('C4', '城区')
            ) t(consortium_id, consortium_name);
            CREATE TABLE kpi_monthly AS SELECT * FROM (VALUES
                -- past the alert line (0.65 - 5 pp): an alert
                ('C1', DATE '2026-03-01', 'primary_care_visit_share', 'higher', 0.50, 0.65, 400.0),
                -- missed but within 5 pp: watch, not an alert
                ('C2', DATE '2026-03-01', 'primary_care_visit_share', 'higher', 0.62, 0.65, 400.0),
                -- 2 of 4 stray visits: below the documented minimum denominator, left out
                ('C3', DATE '2026-03-01', 'primary_care_visit_share', 'higher', 0.50, 0.65, 4.0),
                -- year to date in March: 20 % against 100 % a year is the pro-rata 25 % less 5 pp
                ('C1', DATE '2026-03-01', 'public_health_task_completion', 'higher', 0.20, 1.0, 900.0),
                ('C4', DATE '2026-03-01', 'public_health_task_completion', 'higher', 0.10, 1.0, 900.0),
                -- another month
                ('C2', DATE '2026-02-01', 'primary_care_visit_share', 'higher', 0.10, 0.65, 400.0)
            ) t(consortium_id, month, kpi_id, better, value, target, denominator);
            CREATE TABLE delivery_status AS SELECT * FROM (VALUES
                (DATE '2026-03-02', 'H1', 'visits', 'member_visits_daily', true, false),
                (DATE '2026-03-02', 'H2', 'visits', 'member_visits_daily', true, true),
                (DATE '2026-03-02', 'YB1', 'claims', 'bureau_claims_daily', true, false),
                (DATE '2026-03-01', 'H3', 'visits', 'member_visits_daily', true, false)
            ) t(business_date, source_code, kind, expectation, is_expected, is_delivered);
        """)  # fmt: skip
    return path


def test_cells_past_the_watch_or_alert_line_with_enough_records_are_alerted(tmp_path):
    with duckdb.connect(str(warehouse(tmp_path / "kpi.duckdb"))) as con:
        alert = kpi_line_alerts(con, dt.date(2026, 3, 2))
    cells = {(c["consortium_id"], c["kpi_id"]): c["level"] for c in alert.facts["cells"]}
    assert cells == {
        ("C1", "primary_care_visit_share"): "alert",  # 50 % against 65 %: beyond 5 pp
        ("C2", "primary_care_visit_share"): "watch",  # 62 %: missed, within 5 pp
        ("C1", "public_health_task_completion"): "watch",  # 20 % against the 25 % pro-rata line
        ("C4", "public_health_task_completion"): "alert",  # 10 % in March
    }  # C3 (4 records, below the minimum of 30) and February are left out
    assert [c["level"] for c in alert.facts["cells"]] == ["alert", "alert", "watch", "watch"]
    assert "连平县医共体" in alert.text and "城区" in alert.text
    assert "2026-03" in alert.title and "预警 alert 2" in alert.title


def test_expected_files_that_did_not_arrive(tmp_path):
    with duckdb.connect(str(warehouse(tmp_path / "kpi.duckdb"))) as con:
        alert = missing_file_alert(con, dt.date(2026, 3, 2))
        assert missing_file_alert(con, dt.date(2026, 3, 3)) is None
    assert [(m["source_code"], m["kind"]) for m in alert.facts["missing"]] == [
        ("H1", "visits"),
        ("YB1", "claims"),
    ]
    assert "H1 · visits" in alert.text


@pytest.fixture
def listener():
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the http.server interface
            length = int(self.headers["Content-Length"])
            received.append(json.loads(self.rfile.read(length).decode("utf-8")))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook", received
    server.shutdown()


def test_webhook_payloads_for_wecom_dingtalk_and_json(tmp_path, listener):
    url, received = listener
    alerts = night_alerts(warehouse(tmp_path / "kpi.duckdb"), dt.date(2026, 3, 2))
    assert [a.kind for a in alerts] == ["kpi_lines", "missing_files"]
    for style in ("wecom", "dingtalk", "json"):
        assert deliver(alerts[0], url, style)
    wecom, dingtalk, plain = received
    assert wecom == {"msgtype": "markdown", "markdown": {"content": alerts[0].text}}
    assert dingtalk["markdown"] == {"title": alerts[0].title, "text": alerts[0].text}
    assert plain == json.loads(json.dumps(payload(alerts[0])))
    assert plain["kind"] == "kpi_lines" and plain["facts"]["cells"]


def test_a_webhook_that_is_down_is_logged_not_raised(caplog):
    alert = failure_alert({"task_instance": SimpleNamespace(task_id="publish")})
    assert deliver(alert, "http://127.0.0.1:9/unreachable") is False
    assert "could not deliver" in caplog.text


def test_the_office_notifier_sends_what_the_published_night_shows(tmp_path, listener, monkeypatch):
    from night.airflow_support import OfficeNotifier

    url, received = listener
    monkeypatch.setenv("KPI_LANDING_DIR", str(tmp_path / "landing"))
    monkeypatch.setenv("KPI_WAREHOUSE", str(warehouse(tmp_path / "kpi.duckdb")))
    monkeypatch.setenv("KPI_ALERT_WEBHOOK", url)
    monkeypatch.setenv("KPI_ALERT_FORMAT", "dingtalk")
    # the night of 2 March Beijing time: its data interval starts at 18:00 UTC on 1 March
    OfficeNotifier().notify({"data_interval_start": dt.datetime(2026, 3, 1, 18, tzinfo=dt.UTC)})
    titles = [r["markdown"]["title"] for r in received]
    assert len(titles) == 2 and "2026-03" in titles[0] and "2026-03-02" in titles[1]
