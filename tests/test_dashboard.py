"""The KPI dashboard: every page rendered with Streamlit's AppTest against a generated
warehouse, the figures shown compared with the marts; the breakdowns add up to the KPIs; the file
is read per request and never held; the marts export for DuckDB 1.x readers."""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import labels, queries
from warehouse import bi_export as export

REPO = Path(__file__).resolve().parent.parent
APP = REPO / "dashboard" / "app.py"
PAGES = (
    "指标总览 KPI overview",
    "排名 Rankings",
    "双向转诊 Referral flows",
    "医保基金 Insurance spend",
    "数据完整性 Data completeness",
)


def build_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small generated warehouse (3 days across a month end, so two months load), built once
    per test session and shared by the dashboard test modules, also across xdist workers (the
    first one builds under a lock, the others wait for it)."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # the session's folder, shared by the workers
    root = base / "dashboard-warehouse"
    warehouse = root / "kpi.duckdb"
    with (base / "dashboard-warehouse.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if warehouse.exists():  # published by os.replace: complete when it exists
            return warehouse
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        subprocess.run(
            [sys.executable, "-m", "synthetic.generate", "--out", str(root / "landing"),
             "--start", "2026-02-27", "--days", "3", "--seed", "3", "--fault-rate", "0.01"],
            cwd=REPO, check=True, capture_output=True,
        )  # fmt: skip
        env = {**os.environ, "KPI_PSEUDONYM_KEY": "dashboard-test-key"}
        run = subprocess.run(
            [str(Path(sys.executable).parent / "kpi"), "run", "--landing", str(root / "landing"),
             "--warehouse", str(warehouse)],
            cwd=REPO, env=env, capture_output=True, text=True,
        )  # fmt: skip
        assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-4000:]
        return warehouse


# For a quick local loop: KPI_DASHBOARD_TEST_WAREHOUSE=/path/kpi.duckdb reuses a built warehouse
# (read only; the tests that publish or export work on copies).
REUSE_ENV = "KPI_DASHBOARD_TEST_WAREHOUSE"


@pytest.fixture(scope="session")
def warehouse(tmp_path_factory) -> Path:
    if os.environ.get(REUSE_ENV):
        return Path(os.environ[REUSE_ENV]).absolute()
    return build_warehouse(tmp_path_factory)


def mart(path: Path, sql: str, params: dict | None = None) -> pd.DataFrame:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql, params or {}).df()


@pytest.fixture(scope="session")
def kpis(warehouse) -> pd.DataFrame:
    return mart(
        warehouse,
        "SELECT k.*, d.name_zh, d.name_en, d.unit, d.formula, d.numerator AS numerator_text, "
        "d.denominator AS denominator_text, d.source FROM kpi_monthly k "
        "JOIN kpi_definitions d USING (kpi_id)",
    )


@pytest.fixture
def app(warehouse, monkeypatch):
    """An AppTest of the dashboard over the session's warehouse."""
    monkeypatch.setenv(queries.WAREHOUSE_ENV, str(warehouse))

    def make(page: str = PAGES[0], consortium: str | None = None, month: dt.date | None = None):
        at = AppTest.from_file(str(APP), default_timeout=120)
        at.session_state["page"] = page
        if consortium:
            at.session_state["consortium"] = consortium
        if month:
            at.session_state["month"] = month.isoformat()
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    return make


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def dataframe(at: AppTest, column: str) -> pd.DataFrame:
    """The table shown with this column (or index) name."""
    for element in at.dataframe:
        df = element.value
        if column in df.columns or df.index.name == column:
            return df
    raise AssertionError(f"no table with a column {column!r} on the page")


def parse(shown: str) -> float | None:
    """A displayed figure back to a number: '65.8%' -> 0.658, '¥8,045.14' -> 8045.14."""
    if shown == "—":
        return None
    number = float(re.sub(r"[¥,%]", "", shown))
    return number / 100 if shown.endswith("%") else number


def close(shown: str, value: float | None, unit: str) -> bool:
    """The displayed text is the mart value rounded for display (0.05 pp, or half a fen)."""
    got = parse(shown)
    if value is None or pd.isna(value):
        return got is None
    return got is not None and abs(got - value) <= (0.00051 if unit != "yuan" else 0.0051)


# --- formatting ---------------------------------------------------------------------------------


def test_figures_are_formatted_as_percent_or_yuan_by_unit():
    assert labels.format_value(0.657847496478776, "ratio") == "65.8%"
    assert labels.format_value(1.25, "ratio") == "125.0%"
    assert labels.format_value(8045.144126984127, "yuan") == "¥8,045.14"
    assert labels.format_value(None, "ratio") == labels.format_value(float("nan"), "yuan") == "—"
    assert labels.format_target(0.65, "ratio", "higher") == "≥ 65.0%"
    assert labels.format_target(7000.0, "yuan", "lower") == "≤ ¥7,000.00"
    assert labels.format_target(None, "ratio", "higher") == ""
    assert labels.bi("基层诊疗量占比", "primary care") == "基层诊疗量占比 · primary care"


def test_watch_and_alert_lines():
    # higher is better: target 0.65 -> watch below 0.65, alert below 0.60
    lines = labels.lines_for(0.65, "ratio", "higher")
    assert lines.watch == 0.65 and lines.alert == pytest.approx(0.60)
    assert [labels.band(v, 0.65, "ratio", "higher") for v in (0.7, 0.65, 0.62, 0.55)] == [
        "ok", "ok", "watch", "alert"
    ]  # fmt: skip
    # lower is better, yuan: target 7000 -> alert above 7350
    assert [labels.band(v, 7000, "yuan", "lower") for v in (6900, 7200, 7400)] == [
        "ok",
        "watch",
        "alert",
    ]
    assert labels.band(0.5, None, "ratio", "higher") is None
    assert labels.band(None, 0.5, "ratio", "higher") is None


# --- breakdowns add up to the mart --------------------------------------------------------------


def test_breakdowns_add_up_to_the_kpi_numerators_and_denominators(warehouse, kpis):
    K = {(r.consortium_id, pd.Timestamp(r.month).date(), r.kpi_id): r for r in kpis.itertuples()}
    months = queries.months(warehouse)
    assert len(months) >= 2  # a trend needs two months
    for consortium in queries.consortia(warehouse)["consortium_id"]:
        for month in months:

            def k(kpi_id):
                return K[(consortium, month, kpi_id)]  # noqa: B023

            visits = queries.institution_visits(warehouse, consortium, month)
            assert visits["visits"].sum() == k("primary_care_visit_share").denominator
            assert (
                visits[visits["is_primary_care"]]["visits"].sum()
                == k("primary_care_visit_share").numerator
            )

            done = queries.institution_public_health(warehouse, consortium, month)
            assert not done.empty
            assert done["completed"].sum() == k("public_health_task_completion").numerator
            assert done["targeted"].sum() == k("public_health_task_completion").denominator

            flows = queries.referral_flows(warehouse, consortium, month, month)
            eff = flows[flows["is_effective"]]
            up = eff[eff["direction"] == "upward"]
            assert up["referrals"].sum() == k("referral_down_up_ratio").denominator
            assert (
                eff[eff["direction"] == "downward"]["referrals"].sum()
                == k("referral_down_up_ratio").numerator
            )
            assert (
                up[~up["to_in_region"]]["referrals"].sum()
                == k("out_of_region_referral_share").numerator
            )

            claims = queries.claims_by_tier(warehouse, consortium, month)
            medical = claims[~claims["is_pharmacy"]]
            inside = medical[medical["in_region"]]
            assert medical["fund_paid"].sum() == pytest.approx(
                k("in_region_fund_share").denominator, abs=0.01
            )
            assert inside["fund_paid"].sum() == pytest.approx(
                k("in_region_fund_share").numerator, abs=0.01
            )
            assert inside[inside["is_primary_care"]]["fund_paid"].sum() == pytest.approx(
                k("primary_care_fund_share").numerator, abs=0.01
            )
            assert inside["inpatient_stays"].sum() == k("in_region_inpatient_share").numerator
            assert medical["inpatient_stays"].sum() == k("in_region_inpatient_share").denominator


# --- the pages ----------------------------------------------------------------------------------


def test_overview_shows_every_kpi_with_definition_as_in_the_mart(app, warehouse, kpis):
    definitions = queries.definitions(warehouse)
    for consortium in queries.consortia(warehouse)["consortium_id"]:
        for month in queries.months(warehouse):
            at = app(PAGES[0], consortium, month)
            shown = metrics(at)
            rows = kpis[
                (kpis["consortium_id"] == consortium) & (kpis["month"] == pd.Timestamp(month))
            ]
            assert len(rows) == len(definitions) == 10
            text = "\n".join(m.value for m in at.markdown)
            for r in rows.itertuples():
                label = f"{r.name_zh} · {r.name_en}"  # Chinese first, English beside
                assert shown[label] == labels.format_value(r.value, r.unit), (
                    consortium,
                    month,
                    r.kpi_id,
                )
                assert close(shown[label], r.value, r.unit)
                # the definition from the registry is shown with every figure
                for part in (r.formula, r.numerator_text, r.denominator_text, r.source, r.kpi_id):
                    assert part in text
                if pd.notna(r.target):
                    assert labels.format_target(r.target, r.unit, r.better) in text
            overview = dataframe(at, "公式 Formula").set_index("kpi_id")
            for r in rows.itertuples():
                line = overview.loc[r.kpi_id]
                assert line["数值 Value"] == labels.format_value(r.value, r.unit)
                assert line["目标 Target"] == labels.format_target(r.target, r.unit, r.better)
                assert line["达标 Met"] == labels.met_label(r.meets_target, r.value, r.target)
                assert (
                    line["分子 Numerator"] == r.numerator
                    and line["分母 Denominator"] == r.denominator
                )
            met = rows[rows["value"].notna() & rows["target"].notna()]
            assert (
                shown["达标指标 · KPIs on target"]
                == f"{int(met['meets_target'].sum())} / {len(met)}"
            )


def test_rankings_of_consortia_and_member_institutions(app, warehouse, kpis):
    month = queries.months(warehouse)[-1]
    consortium = queries.consortia(warehouse)["consortium_id"].iloc[0]
    definitions = queries.definitions(warehouse).set_index("kpi_id")
    at = app(PAGES[1], consortium, month)
    for kpi_id, d in definitions.iterrows():
        at.selectbox(key="rank-kpi").set_value(kpi_id)
        at.run()
        assert not at.exception
        shown = dataframe(at, "名次 Rank")
        rows = kpis[(kpis["kpi_id"] == kpi_id) & (kpis["month"] == pd.Timestamp(month))].set_index(
            "consortium_id"
        )
        assert list(shown["名次 Rank"]) == list(range(1, len(rows) + 1))
        values = [rows.loc[c, "value"] for c in shown["consortium_id"]]
        ordered = [v for v in values if pd.notna(v)]
        assert ordered == sorted(ordered, reverse=d["better"] == "higher")  # best first
        for line in shown.itertuples(index=False):
            r = rows.loc[line.consortium_id]
            assert line[3] == labels.format_value(r["value"], d["unit"])
            assert line[4] == labels.format_target(r["target"], d["unit"], d["better"])
            lines = labels.lines_for(r["target"], d["unit"], d["better"])
            assert line[5] == labels.format_value(lines.watch if lines else None, d["unit"])
            assert line[6] == labels.format_value(lines.alert if lines else None, d["unit"])
            assert (
                line[7]
                == labels.BAND_LABELS[labels.band(r["value"], r["target"], d["unit"], d["better"])]
            )
        mine = rows.loc[consortium]
        if kpi_id == "primary_care_visit_share":
            inst = dataframe(at, "诊疗人次 Visits")
            assert inst["诊疗人次 Visits"].sum() == mine["denominator"]
            assert inst[inst["基层 Primary care"]]["诊疗人次 Visits"].sum() == mine["numerator"]
        elif kpi_id == "public_health_task_completion":
            inst = dataframe(at, "完成 Completed")
            assert inst["完成 Completed"].sum() == mine["numerator"]
            assert inst["任务 Targeted"].sum() == mine["denominator"]
            assert all(s in labels.BAND_LABELS.values() for s in inst["状态 Status"])


def test_referral_flows_match_the_referral_kpis(app, warehouse, kpis):
    drawn = 0
    for consortium in queries.consortia(warehouse)["consortium_id"]:
        for month in queries.months(warehouse):
            at = app(PAGES[2], consortium, month)
            shown = metrics(at)
            k = kpis[
                (kpis["consortium_id"] == consortium) & (kpis["month"] == pd.Timestamp(month))
            ].set_index("kpi_id")
            ratio, out = k.loc["referral_down_up_ratio"], k.loc["out_of_region_referral_share"]
            assert shown["上转 · upward"] == f"{int(ratio['denominator']):,}"
            assert shown["下转 · downward"] == f"{int(ratio['numerator']):,}"
            assert shown["域外上转 · upward out of region"] == f"{int(out['numerator']):,}"
            assert shown["下转/上转比 · down / up"] == labels.format_percent(ratio["value"])
            assert shown["域外转诊占比 · out-of-region share"] == labels.format_percent(
                out["value"]
            )
            counted = sum(
                int(shown[m].replace(",", ""))
                for m in ("上转 · upward", "下转 · downward", "平转 · lateral")
            )
            if counted:
                assert at.get("plotly_chart"), "the Sankey is drawn"
                matrix = dataframe(at, "发出 from \\ 接收 to")
                assert matrix.to_numpy().sum() == counted
                drawn += 1
            # all referrals, not only effective ones
            at.checkbox(key="ref-effective").uncheck()
            at.run()
            assert not at.exception
    assert drawn, "no consortium and month with referrals to draw"


def test_insurance_spend_matches_the_claims_kpis(app, warehouse, kpis):
    for consortium in queries.consortia(warehouse)["consortium_id"]:
        for month in queries.months(warehouse):
            at = app(PAGES[3], consortium, month)
            shown = metrics(at)
            k = kpis[
                (kpis["consortium_id"] == consortium) & (kpis["month"] == pd.Timestamp(month))
            ].set_index("kpi_id")
            fund, primary = k.loc["in_region_fund_share"], k.loc["primary_care_fund_share"]
            assert close(
                shown["区域内基金支出 · fund paid inside the region"], fund["numerator"], "yuan"
            )
            assert close(
                shown["医保基金合计（不含药店） · fund paid, pharmacies excluded"],
                fund["denominator"],
                "yuan",
            )
            assert shown["区域内支出占比 · share inside"] == labels.format_percent(fund["value"])
            assert shown["区域内基层机构占比 · primary-care share inside"] == labels.format_percent(
                primary["value"]
            )
            tiers = dataframe(at, "机构层级 Tier")
            assert set(tiers["tier"]) <= set(labels.TIER_ORDER)


def test_data_completeness_shows_deliveries_quarantine_and_source_completeness(
    app, warehouse, kpis
):
    consortium = queries.consortia(warehouse)["consortium_id"].iloc[0]
    at = app(PAGES[4], consortium)
    shown = dataframe(at, "完整性 Completeness")
    expected = mart(
        warehouse,
        "SELECT strftime(k.month, '%Y-%m') AS month, d.extract_kind, min(k.source_completeness) AS c "
        "FROM kpi_monthly k JOIN kpi_definitions d USING (kpi_id) WHERE consortium_id = $c "
        "GROUP BY ALL ORDER BY 1, 2",
        {"c": consortium},
    )
    assert list(shown["月份 Month"]) == list(expected["month"])
    assert [x if pd.notna(x) else None for x in shown["完整性 Completeness"]] == [
        x if pd.notna(x) else None for x in expected["c"]
    ]

    at.radio(key="dq-scope").set_value("all")
    at.run()
    assert not at.exception
    summary = dataframe(at, "预期 Expected")
    audit = mart(
        warehouse,
        "SELECT kind, sum(is_expected::INT) AS expected, "
        "sum((is_expected AND NOT is_delivered)::INT) AS missing, "
        "sum((is_delivered AND NOT is_loaded)::INT) AS quarantined, sum(rows_quarantined) AS rq "
        "FROM delivery_status GROUP BY kind ORDER BY kind",
    )
    assert list(summary["预期 Expected"]) == list(audit["expected"])
    assert list(summary["缺报 Missing"]) == list(audit["missing"])
    assert list(summary["整文件隔离 Quarantined files"]) == list(audit["quarantined"])
    assert list(summary["隔离行 Rows quarantined"]) == list(audit["rq"])

    reasons = dataframe(at, "原因 Reason")
    counted = mart(
        warehouse, "SELECT kind, reason, count(*) AS n FROM quarantine_rows GROUP BY ALL"
    )
    assert reasons["行数 Rows"].sum() == counted["n"].sum() > 0
    assert set(reasons["reason"]) == set(counted["reason"])
    assert all(r in labels.REASONS for r in reasons["reason"])
    for kind in ("referrals", "claims", "public_health"):
        at.segmented_control(key="dq-kind").set_value(kind)
        at.run()
        assert not at.exception


def test_every_page_renders_for_every_consortium(app, warehouse):
    for consortium in queries.consortia(warehouse)["consortium_id"]:
        for page in PAGES:
            at = app(page, consortium)
            assert at.title[0].value  # the consortium's name heads the page
            assert not at.error


def test_a_missing_warehouse_is_a_message_not_a_traceback(tmp_path, monkeypatch):
    monkeypatch.setenv(queries.WAREHOUSE_ENV, str(tmp_path / "nowhere.duckdb"))
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    assert not at.exception
    assert "kpi run" in at.error[0].value


def test_the_file_is_not_held_and_a_publish_shows_on_the_next_rerun(
    warehouse, tmp_path, monkeypatch
):
    published = tmp_path / "kpi.duckdb"
    shutil.copyfile(warehouse, published)
    monkeypatch.setenv(queries.WAREHOUSE_ENV, str(published))
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.run()
    assert not at.exception
    consortium, month = at.session_state["consortium"], at.session_state["month"]
    label = "基层诊疗量占比 · Share of visits at primary-care institutions"
    before = metrics(at)[label]

    # nothing of the app holds the file: no descriptor open, a writer gets the exclusive lock
    assert not [
        fd for fd in Path("/proc/self/fd").iterdir() if str(published) in os.path.realpath(fd)
    ]
    duckdb.connect(str(published)).close()

    # the night publishes: a new file (os.replace of a complete copy) with another value
    night = tmp_path / "kpi.duckdb.building"
    shutil.copyfile(published, night)
    with duckdb.connect(str(night)) as con:
        con.execute(
            "UPDATE kpi_monthly SET value = 0.4321 WHERE consortium_id = $c AND month = $m "
            "AND kpi_id = 'primary_care_visit_share'",
            {"c": consortium, "m": dt.date.fromisoformat(month)},
        )
    os.replace(night, published)
    at.run()
    assert not at.exception
    assert metrics(at)[label] == "43.2%" != before


def test_marts_export_as_parquet_and_a_duckdb_1x_file_atomically(warehouse, tmp_path):
    published = tmp_path / "kpi.duckdb"
    shutil.copyfile(warehouse, published)
    out = export.export_marts(published)
    assert out == tmp_path / "kpi.marts" and out.is_symlink()
    first = os.readlink(out)
    manifest = json.loads((out / "_manifest.json").read_text())
    with duckdb.connect(str(published), read_only=True) as con:
        names = queries.mart_tables(con)
        counts = {n: con.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}
    assert {"kpi_monthly", "kpi_definitions", "delivery_status", "ingest_files", "quarantine_rows",
            "dim_institution", "dim_consortium", "fct_visits", "fct_claims", "fct_referrals"} <= set(names)  # fmt: skip
    assert all(not n.startswith(("stg_", "int_")) for n in names)
    assert manifest["tables"] == counts
    with duckdb.connect() as con:
        for name, rows in counts.items():
            assert (
                con.execute(
                    f"SELECT count(*) FROM read_parquet('{out / name}.parquet')"
                ).fetchone()[0]
                == rows
            )
        con.execute(f"ATTACH '{out / export.COMPAT_FILE}' AS compat (READ_ONLY)")
        tags = con.execute(
            "SELECT tags FROM duckdb_databases() WHERE database_name = 'compat'"
        ).fetchone()[0]
        assert tags["storage_version"].startswith("v1.0.0")  # what DuckDB 1.x opens
        assert (
            con.execute("SELECT count(*) FROM compat.kpi_monthly").fetchone()[0]
            == counts["kpi_monthly"]
        )

    # the same file again: nothing to do; a new publish: a new folder, the link swapped
    assert os.readlink(export.export_marts(published)) == first
    os.utime(published)
    export.export_marts(published)
    second = os.readlink(out)
    assert second != first and (tmp_path / first).exists()  # the previous export stays for readers
    os.utime(published)
    export.export_marts(published)
    assert not (tmp_path / first).exists() and (tmp_path / second).exists()
    assert not list(tmp_path.glob(".kpi.marts.*.building")) and not list(
        tmp_path.glob(".kpi.marts.link-*")
    )
