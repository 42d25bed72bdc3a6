"""The KPI dashboard: every page rendered with Streamlit's AppTest against a generated
warehouse, the figures shown compared with the marts; every KPI card drills down to the rows of
kpi_institution_monthly, which add up to the card where the registry says so; the new pages
(signing, outflow, work points) also on the hand-worked landing zone of the second release; the
file is read per request and never held; the marts export for DuckDB 1.x readers."""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import second_release_landing
import test_second_release_exact as exact
from landing_kit import TEST_KEY
from streamlit.testing.v1 import AppTest

from dashboard import labels, queries
from dashboard.views import claims
from warehouse import bi_export as export
from warehouse.kpi_lines import judged_line, verdict

REPO = Path(__file__).resolve().parent.parent
APP = REPO / "dashboard" / "app.py"
P = labels.PAGES
PAGES = tuple(P.values())
SIGNING = tuple(queries.SIGNING_KPIS.values())


def _build_once(
    tmp_path_factory: pytest.TempPathFactory,
    name: str,
    write_landing: Callable[[Path], object],
    key: str,
) -> Path:
    """A warehouse built once per test session and shared by the dashboard test modules, also
    across xdist workers (the first one builds under a lock, the others wait for it)."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # the session's folder, shared by the workers
    root = base / name
    warehouse = root / "kpi.duckdb"
    with (base / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if warehouse.exists():  # published by os.replace: complete when it exists
            return warehouse
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        write_landing(root / "landing")
        env = {**os.environ, "KPI_PSEUDONYM_KEY": key}
        run = subprocess.run(
            [str(Path(sys.executable).parent / "kpi"), "run", "--landing", str(root / "landing"),
             "--warehouse", str(warehouse)],
            cwd=REPO, env=env, capture_output=True, text=True,
        )  # fmt: skip
        assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-4000:]
        return warehouse


def _generate(landing: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "synthetic.generate", "--out", str(landing),
         "--start", "2026-02-27", "--days", "3", "--seed", "3", "--fault-rate", "0.01"],
        cwd=REPO, check=True, capture_output=True,
    )  # fmt: skip


def build_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small generated warehouse: 3 days across a month end (two months of visits and claims;
    contracts signed earlier open more months)."""
    return _build_once(tmp_path_factory, "dashboard-warehouse", _generate, "dashboard-test-key")


def build_release_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hand-worked landing zone of the second release (tests/second_release_landing.py),
    whose figures test_second_release_exact.py lists."""
    return _build_once(
        tmp_path_factory,
        "dashboard-release-warehouse",
        second_release_landing.write_landing,
        TEST_KEY.decode(),
    )


# For a quick local loop: KPI_DASHBOARD_TEST_WAREHOUSE=/path/kpi.duckdb reuses a built warehouse
# (read only; the tests that publish or export work on copies), and
# KPI_DASHBOARD_TEST_RELEASE_WAREHOUSE one built from tests/second_release_landing.py.
REUSE_ENV = "KPI_DASHBOARD_TEST_WAREHOUSE"
REUSE_RELEASE_ENV = "KPI_DASHBOARD_TEST_RELEASE_WAREHOUSE"


@pytest.fixture(scope="session")
def warehouse(tmp_path_factory) -> Path:
    if os.environ.get(REUSE_ENV):
        return Path(os.environ[REUSE_ENV]).absolute()
    return build_warehouse(tmp_path_factory)


@pytest.fixture(scope="session")
def release_warehouse(tmp_path_factory) -> Path:
    if os.environ.get(REUSE_RELEASE_ENV):
        return Path(os.environ[REUSE_RELEASE_ENV]).absolute()
    return build_release_warehouse(tmp_path_factory)


def mart(path: Path, sql: str, params: dict | None = None) -> pd.DataFrame:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql, params or {}).df()


def recent_months(path: Path) -> list[dt.date]:
    """The last two months: those with visits and claims (contracts open earlier months)."""
    months = queries.months(path)
    assert len(months) >= 2  # a trend needs two months
    return months[-2:]


@pytest.fixture(scope="session")
def kpis(warehouse) -> pd.DataFrame:
    return mart(
        warehouse,
        "SELECT k.*, d.name_zh, d.name_en, d.unit, d.formula, d.numerator AS numerator_text, "
        "d.denominator AS denominator_text, d.source, d.parts_add_up, d.min_denominator "
        "FROM kpi_monthly k JOIN kpi_definitions d USING (kpi_id)",
    )


def kpi_cells(kpis: pd.DataFrame, consortium: str, month: dt.date) -> pd.DataFrame:
    return kpis[
        (kpis["consortium_id"] == consortium) & (kpis["month"] == pd.Timestamp(month))
    ].set_index("kpi_id")


def mart_parts(path: Path, consortium: str, month: dt.date) -> pd.DataFrame:
    return mart(
        path,
        "SELECT kpi_id, institution_code, numerator, denominator, value "
        "FROM kpi_institution_monthly WHERE consortium_id = $c AND month = $m",
        {"c": consortium, "m": month},
    )


@pytest.fixture
def app(warehouse, monkeypatch):
    """An AppTest of the dashboard over the session's warehouse (or another one)."""

    def make(
        page: str = PAGES[0],
        consortium: str | None = None,
        month: dt.date | str | None = None,
        path: Path | None = None,
    ):
        monkeypatch.setenv(queries.WAREHOUSE_ENV, str(path or warehouse))
        at = AppTest.from_file(str(APP), default_timeout=120)
        at.session_state["page"] = page
        if consortium:
            at.session_state["consortium"] = consortium
        if month:
            at.session_state["month"] = str(month)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    return make


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def tables(at: AppTest, column: str) -> list[pd.DataFrame]:
    """Every table shown with this column (or index) name."""
    return [
        e.value for e in at.dataframe if column in e.value.columns or e.value.index.name == column
    ]


def dataframe(at: AppTest, column: str, without: str | None = None) -> pd.DataFrame:
    """The table shown with this column (or index) name (and without the column `without`)."""
    for df in tables(at, column):
        if without is None or without not in df.columns:
            return df
    raise AssertionError(f"no table with a column {column!r} on the page")


def parse(shown: str) -> float | None:
    """A displayed figure back to a number: '65.8%' -> 0.658, '¥8,045.14' -> 8045.14,
    '1,234.57 万元' -> 12345700."""
    if shown == "—":
        return None
    number = float(re.sub(r"[¥,%]|万元", "", shown).strip())
    if shown.endswith("万元"):
        return number * 10_000
    return number / 100 if shown.endswith("%") else number


def close(shown: str, value: float | None, unit: str) -> bool:
    """The displayed text is the mart value rounded for display (0.05 pp, half a fen, or half
    of 0.01 万元)."""
    got = parse(shown)
    if value is None or pd.isna(value):
        return got is None
    tolerance = 0.00051 if unit != "yuan" else 50.01 if shown.endswith("万元") else 0.0051
    return got is not None and abs(got - value) <= tolerance


def same(a, b) -> bool:
    """Equal numbers (to a thousandth of a fen), or both NULL."""
    if pd.isna(a) or pd.isna(b):
        return bool(pd.isna(a) and pd.isna(b))
    return abs(float(a) - float(b)) <= 1e-5


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
    assert labels.format_part(1234.5, "yuan") == "¥1,234.50"
    assert labels.format_yuan(12_345_678.9) == "1,234.57 万元"  # large amounts in 万元
    assert labels.format_yuan(99_999.99) == "¥99,999.99"
    assert labels.format_change(0.0123, "ratio") == "+1.2 个百分点 pp"
    assert labels.format_change(-150_000, "yuan") == "-15.00 万元"
    assert labels.format_part(1234.0, "count") == "1,234"
    assert labels.format_points(7.25) == "7.2" and labels.format_points(None) == "—"
    assert labels.region_label("河源市", "441600") == "河源市（441600）"
    assert labels.region_label(float("nan"), "440300") == "440300"
    assert labels.region_label(None, None) == "未知地区 · unknown region"
    assert labels.institution_label(None, "H44030400001") == "H44030400001"
    assert labels.institution_label("河源市人民医院", "HYH") == "河源市人民医院"
    assert labels.team_label("") == labels.team_label(None) == "未填团队 · no team code"
    assert labels.team_label("JT01") == "JT01"


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


def test_downloadable_tables_neutralise_formula_cells(tmp_path):
    path = tmp_path / "kpi.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE t AS SELECT '=cmd|' AS a, '@SUM(A1)' AS b, 'ok' AS c, -1 AS d")
    frame = queries.fetch(path, "SELECT * FROM t")
    assert frame.iloc[0].tolist() == ["'=cmd|", "'@SUM(A1)", "ok", -1]


def test_the_dashboard_restates_no_warehouse_rule():
    """Membership and region rules live in the dbt models: the dashboard reads their marts."""
    source = "\n".join(
        f.read_text()
        for f in [REPO / "dashboard" / "queries.py", *(REPO / "dashboard").rglob("views/*.py")]
    )
    for copy in ("_region_matches", "_MEMBERS", "valid_from", "insured_region_code",
                 "fct_visits", "fct_claims", "fct_public_health_services", "left(", "right("):  # fmt: skip
        assert copy not in source, copy
    for gone in ("institution_visits", "institution_public_health", "claims_by_tier"):
        assert not hasattr(queries, gone)


# --- breakdowns are the marts and add up to the KPIs ------------------------------------------


@pytest.mark.slow  # a built warehouse: the slow half of .ci/run
def test_institution_parts_are_the_mart_rows_and_add_up_where_the_registry_says(warehouse, kpis):
    definitions = queries.definitions(warehouse).set_index("kpi_id")
    assert len(definitions) == 18
    added_up = set()
    for consortium in queries.consortia(warehouse)["consortium_id"]:
        for month in recent_months(warehouse):
            k = kpi_cells(kpis, consortium, month)
            parts = queries.institution_parts(warehouse, consortium, month)
            rows = mart_parts(warehouse, consortium, month)
            # one row per mart row: the name, tier and region join does not duplicate
            assert len(parts) == len(rows)
            assert not parts.duplicated(["kpi_id", "institution_code"]).any()
            by_key = parts.set_index(["kpi_id", "institution_code"])
            for r in rows.itertuples():
                got = by_key.loc[(r.kpi_id, r.institution_code)]
                assert (got["numerator"], got["denominator"]) == (r.numerator, r.denominator)
                assert same(got["value"], r.value)
            for kpi_id, d in definitions.iterrows():
                p = parts[parts["kpi_id"] == kpi_id]
                if d["parts_add_up"]:
                    assert p["numerator"].sum() == pytest.approx(
                        k.loc[kpi_id, "numerator"], abs=0.01
                    )
                    assert p["denominator"].sum() == pytest.approx(
                        k.loc[kpi_id, "denominator"], abs=0.01
                    )
                    if k.loc[kpi_id, "denominator"] > 0:
                        added_up.add(kpi_id)
                elif kpi_id in SIGNING:
                    # people counted at each institution where they are signed; populations add up
                    assert p["denominator"].sum() == k.loc[kpi_id, "denominator"]
                    assert p["numerator"].sum() >= k.loc[kpi_id, "numerator"]
    assert {"primary_care_visit_share", "in_region_fund_share", "tcm_visit_share",
            "public_health_task_completion", "referral_down_up_ratio"} <= added_up  # fmt: skip


@pytest.mark.slow  # a built warehouse: the slow half of .ci/run
def test_flows_outflow_and_tiers_add_up_to_the_kpis(warehouse, kpis):
    for consortium in queries.consortia(warehouse)["consortium_id"]:
        outflow = queries.outflow(warehouse, consortium)
        for month in recent_months(warehouse):
            k = kpi_cells(kpis, consortium, month)

            flows = queries.referral_flows(warehouse, consortium, month, month)
            eff = flows[flows["is_effective"]]
            up = eff[eff["direction"] == "upward"]
            assert up["referrals"].sum() == k.loc["referral_down_up_ratio", "denominator"]
            assert (
                eff[eff["direction"] == "downward"]["referrals"].sum()
                == k.loc["referral_down_up_ratio", "numerator"]
            )
            assert (
                up[~up["to_in_region"]]["referrals"].sum()
                == k.loc["out_of_region_referral_share", "numerator"]
            )

            # outflow_monthly is the outside part of the region-based claims KPIs
            out = outflow[outflow["month"] == pd.Timestamp(month)]
            fund, visits = k.loc["in_region_fund_share"], k.loc["in_region_visit_share"]
            stays = k.loc["in_region_inpatient_share"]
            assert out["fund_paid"].sum() == pytest.approx(
                fund["denominator"] - fund["numerator"], abs=0.01
            )
            assert out["settlements"].sum() == visits["denominator"] - visits["numerator"]
            assert (
                out[out["visit_type"] == "inpatient"]["settlements"].sum()
                == stays["denominator"] - stays["numerator"]
            )

            tiers = claims.tier_table(queries.institution_parts(warehouse, consortium, month))
            assert set(tiers.index) <= set(labels.TIER_ORDER)
            for column, kpi_id, part in claims.TIER_FIGURES:
                assert tiers[column].sum() == pytest.approx(k.loc[kpi_id, part], abs=0.01)
            assert tiers["fund_outside"].sum() == pytest.approx(out["fund_paid"].sum(), abs=0.01)


# --- the pages ----------------------------------------------------------------------------------


def drill_downs(at: AppTest) -> dict[str, pd.DataFrame]:
    """The drill-down tables of the KPI cards, by kpi_id."""
    found = {}
    for df in tables(at, "institution_code"):
        if "kpi_id" in df.columns and len(df):
            assert df["kpi_id"].nunique() == 1
            found[df["kpi_id"].iloc[0]] = df.set_index("institution_code")
    return found


@pytest.mark.slow  # a built warehouse: the slow half of .ci/run
def test_overview_shows_every_kpi_with_definition_as_in_the_mart(app, warehouse, kpis):
    definitions = queries.definitions(warehouse)
    for consortium in queries.consortia(warehouse)["consortium_id"]:
        for month in recent_months(warehouse):
            at = app(P["overview"], consortium, month)
            shown = metrics(at)
            rows = kpis[
                (kpis["consortium_id"] == consortium) & (kpis["month"] == pd.Timestamp(month))
            ]
            assert len(rows) == len(definitions) == 18
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
            # judged as the night's alerts judge: too few records left out, year-to-date KPIs
            # against their pro-rata line
            reads = [
                verdict(
                    r.value, r.target, r.unit, r.better, kpi_id=r.kpi_id, month=month.month,
                    denominator=r.denominator, min_denominator=r.min_denominator,
                )
                for r in rows.itertuples()
            ]  # fmt: skip
            for r, read in zip(rows.itertuples(), reads, strict=True):
                assert overview.loc[r.kpi_id, "判断 Verdict"] == labels.BAND_LABELS[read]
            judged = [v for v in reads if v in ("ok", "watch", "alert")]
            assert shown["达标指标 · KPIs on target"] == f"{judged.count('ok')} / {len(judged)}"
            check_drill_downs(at, rows, mart_parts(warehouse, consortium, month))


def check_drill_downs(at: AppTest, cards: pd.DataFrame, parts: pd.DataFrame) -> None:
    """Every card's drill-down shows exactly its kpi_institution_monthly rows; where the
    registry says the parts add up, they add up to the card's numerator and denominator."""
    drill = drill_downs(at)
    assert set(drill) == set(parts["kpi_id"])
    for r in cards.itertuples():
        expected = parts[parts["kpi_id"] == r.kpi_id].set_index("institution_code")
        if expected.empty:
            continue
        shown = drill[r.kpi_id]
        assert sorted(shown.index) == sorted(expected.index)
        for code, e in expected.iterrows():
            assert shown.loc[code, "分子 Numerator"] == e["numerator"], (r.kpi_id, code)
            assert shown.loc[code, "分母 Denominator"] == e["denominator"], (r.kpi_id, code)
            assert shown.loc[code, "数值 Value"] == labels.format_value(e["value"], r.unit)
        if r.parts_add_up:
            assert shown["分子 Numerator"].sum() == pytest.approx(r.numerator, abs=0.01)
            assert shown["分母 Denominator"].sum() == pytest.approx(r.denominator, abs=0.01)


@pytest.mark.slow  # a built warehouse: the slow half of .ci/run
def test_rankings_of_consortia_and_institutions(app, warehouse, kpis):
    month = queries.months(warehouse)[-1]
    consortium = queries.consortia(warehouse)["consortium_id"].iloc[0]
    definitions = queries.definitions(warehouse).set_index("kpi_id")
    parts = mart_parts(warehouse, consortium, month)
    at = app(P["rankings"], consortium, month)
    for kpi_id, d in definitions.iterrows():
        at.selectbox(key="rank-kpi").set_value(kpi_id)
        at.run()
        assert not at.exception
        shown = dataframe(at, "名次 Rank", without="institution_code")
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
            # judged as the alerts judge: pro rata for year-to-date KPIs, too few records apart
            judged = judged_line(r["target"], kpi_id, month.month)
            lines = labels.lines_for(judged, d["unit"], d["better"])
            assert line[5] == labels.format_value(lines.watch if lines else None, d["unit"])
            assert line[6] == labels.format_value(lines.alert if lines else None, d["unit"])
            reads = verdict(
                r["value"], r["target"], d["unit"], d["better"], kpi_id=kpi_id, month=month.month,
                denominator=r["denominator"], min_denominator=d["min_denominator"],
            )  # fmt: skip
            assert line[7] == labels.BAND_LABELS[reads]
        # the consortium's institutions: its kpi_institution_monthly rows, best first
        expected = parts[parts["kpi_id"] == kpi_id].set_index("institution_code")
        if expected.empty:
            assert not tables(at, "institution_code")
            continue
        inst = dataframe(at, "institution_code")
        assert sorted(inst["institution_code"]) == sorted(expected.index)
        for line in inst.itertuples(index=False):
            e = expected.loc[line.institution_code]
            assert (line[6], line[7]) == (e["numerator"], e["denominator"])
            assert line[4] == labels.format_value(e["value"], d["unit"])
        values = [expected.loc[c, "value"] for c in inst["institution_code"]]
        ordered = [v for v in values if pd.notna(v)]
        assert ordered == sorted(ordered, reverse=d["better"] == "higher")
        assert values[: len(ordered)] == ordered  # NULLs last


@pytest.mark.slow  # a built warehouse: the slow half of .ci/run
def test_referral_flows_match_the_referral_kpis(app, warehouse, kpis):
    drawn = 0
    for consortium in queries.consortia(warehouse)["consortium_id"]:
        for month in recent_months(warehouse):
            at = app(P["referrals"], consortium, month)
            shown = metrics(at)
            k = kpi_cells(kpis, consortium, month)
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


@pytest.mark.slow  # a built warehouse: the slow half of .ci/run
def test_insurance_spend_matches_the_claims_kpis(app, warehouse, kpis):
    for consortium in queries.consortia(warehouse)["consortium_id"]:
        for month in recent_months(warehouse):
            at = app(P["claims"], consortium, month)
            shown = metrics(at)
            k = kpi_cells(kpis, consortium, month)
            fund, primary = k.loc["in_region_fund_share"], k.loc["primary_care_fund_share"]
            assert close(
                shown["区域内基金支出 · fund paid inside the region"], fund["numerator"], "yuan"
            )
            assert close(
                shown["区域外基金支出 · fund paid outside the region"],
                fund["denominator"] - fund["numerator"],
                "yuan",
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
            for column, kpi_id, part in (
                ("区域内基金 Fund inside", "in_region_fund_share", "numerator"),
                (
                    "区域内基层基金 Fund at primary care inside",
                    "primary_care_fund_share",
                    "numerator",
                ),
                ("区域内结算 Settlements inside", "in_region_visit_share", "numerator"),
                ("区域内住院 Inpatient stays inside", "in_region_inpatient_share", "numerator"),
                (
                    "区域内住院总费用 In-region inpatient cost",
                    "in_region_inpatient_cost",
                    "numerator",
                ),
            ):
                assert tiers[column].sum() == pytest.approx(k.loc[kpi_id, part], abs=0.01), column
            assert tiers["区域内基金 Fund inside"].sum() + tiers[
                "区域外基金 Fund outside"
            ].sum() == pytest.approx(fund["denominator"], abs=0.01)
            assert (
                tiers["区域内住院 Inpatient stays inside"].sum()
                + tiers["区域外住院 Inpatient stays outside"].sum()
                == k.loc["in_region_inpatient_share", "denominator"]
            )


def outflow_expected(path: Path, consortium: str, month: dt.date, by: str) -> pd.DataFrame:
    """outflow_monthly summed by destination hospital or by the destination's city (dim_region)."""
    key = {
        "hospital": "o.destination_institution_code",
        "city": "coalesce(r.city_code, o.destination_region_code)",
    }[by]
    return mart(
        path,
        f"SELECT {key} AS key, sum(o.settlements) AS settlements, "
        "coalesce(sum(o.settlements) FILTER (WHERE o.visit_type = 'inpatient'), 0) AS inpatient, "
        "sum(o.total_amount) AS total_amount, sum(o.fund_paid) AS fund_paid "
        "FROM outflow_monthly o LEFT JOIN dim_region r ON r.region_code = o.destination_region_code "
        "WHERE o.consortium_id = $c AND o.month = $m GROUP BY 1",
        {"c": consortium, "m": month},
    ).set_index("key")


def check_outflow_page(at: AppTest, path: Path, consortium: str, month: dt.date) -> None:
    rows = mart(
        path,
        "SELECT * FROM outflow_monthly WHERE consortium_id = $c AND month = $m",
        {"c": consortium, "m": month},
    )
    shown = metrics(at)
    inpatient = rows[rows["visit_type"] == "inpatient"]["settlements"].sum()
    assert shown["外流结算 · settlements outside"] == labels.format_count(rows["settlements"].sum())
    assert shown["其中住院 · of which inpatient"] == labels.format_count(inpatient)
    assert close(shown["外流总费用 · total cost outside"], rows["total_amount"].sum(), "yuan")
    assert close(shown["外流基金支付 · fund paid outside"], rows["fund_paid"].sum(), "yuan")
    if rows.empty:
        assert at.info
        return
    for by, column in (("hospital", "destination_institution_code"), ("city", "city_code")):
        expected = outflow_expected(path, consortium, month, by)
        table = dataframe(at, column)
        assert sorted(table[column]) == sorted(expected.index)
        fund = list(table["基金支付 Fund paid"])
        assert fund == sorted(fund, reverse=True)  # most fund paid first
        for line in table.itertuples(index=False):
            e = expected.loc[getattr(line, column)]
            got = table[table[column] == getattr(line, column)].iloc[0]
            assert got["结算 Settlements"] == e["settlements"]
            assert got["住院 Inpatient"] == e["inpatient"]
            assert got["总费用 Total cost"] == pytest.approx(e["total_amount"], abs=0.005)
            assert got["基金支付 Fund paid"] == pytest.approx(e["fund_paid"], abs=0.005)


@pytest.mark.slow  # a built warehouse: the slow half of .ci/run
def test_patient_outflow_shows_outflow_monthly(app, warehouse):
    shown_any = 0
    for consortium in queries.consortia(warehouse)["consortium_id"]:
        for month in recent_months(warehouse):
            at = app(P["outflow"], consortium, month)
            check_outflow_page(at, warehouse, consortium, month)
            trend = dataframe(at, "月份 Month")
            by_month = mart(
                warehouse,
                "SELECT strftime(month, '%Y-%m') AS m, sum(settlements) AS s, sum(fund_paid) AS f "
                "FROM outflow_monthly WHERE consortium_id = $c GROUP BY 1 ORDER BY 1",
                {"c": consortium},
            )
            assert list(trend["月份 Month"]) == list(by_month["m"])
            assert list(trend["结算 Settlements"]) == list(by_month["s"])
            assert trend["基金支付 Fund paid"].tolist() == pytest.approx(by_month["f"].tolist())
            shown_any += bool(len(tables(at, "destination_institution_code")))
    assert shown_any


def check_signing_page(at: AppTest, path: Path, consortium: str, month: dt.date) -> None:
    k = mart(
        path,
        "SELECT k.*, d.name_zh, d.name_en FROM kpi_monthly k JOIN kpi_definitions d USING (kpi_id) "
        "WHERE consortium_id = $c AND month = $m",
        {"c": consortium, "m": month},
    ).set_index("kpi_id")
    shown = metrics(at)
    for kpi_id in SIGNING:
        r = k.loc[kpi_id]
        assert shown[f"{r['name_zh']} · {r['name_en']}"] == labels.format_value(r["value"], "ratio")

    # by population group, against 65 % (key populations) and 95 % (ltc)
    groups = mart(
        path,
        "SELECT s.*, g.default_target FROM signing_by_population_group s "
        "JOIN seeds.population_groups g USING (population_group) "
        "WHERE consortium_id = $c AND month = $m ORDER BY g.display_order",
        {"c": consortium, "m": month},
    )
    table = dataframe(at, "population_group")
    assert list(table["population_group"]) == list(groups["population_group"])
    assert len(table) == 13
    for line, g in zip(table.to_dict("records"), groups.itertuples(), strict=True):
        assert (line["已签约 Signed"], line["服务人口 Population"]) == (g.signed, g.population)
        assert line["签约率 Rate"] == labels.format_value(g.rate, "ratio")
        kpi_id = queries.SIGNING_KPIS.get(g.population_group)
        target = k.loc[kpi_id, "target"] if kpi_id else g.default_target
        assert line["目标 Target"] == labels.format_target(target, "ratio", "higher")
        assert (
            line["状态 Status"]
            == labels.BAND_LABELS[labels.band(g.rate, target, "ratio", "higher")]
        )
    targets = dict(zip(table["population_group"], table["目标 Target"], strict=True))
    assert targets["key_population"] == "≥ 65.0%" and targets["ltc"] == "≥ 95.0%"

    # by institution: the three signing KPIs' rows of kpi_institution_monthly
    parts = mart_parts(path, consortium, month)
    parts = parts[parts["kpi_id"].isin(SIGNING)].set_index(["kpi_id", "institution_code"])
    inst = tables(at, "kpi_id")
    if parts.empty:
        assert not inst
    else:
        inst = inst[0].set_index(["kpi_id", "institution_code"])
        assert sorted(inst.index) == sorted(parts.index)
        for key, e in parts.iterrows():
            assert inst.loc[key, "已签约 Signed"] == e["numerator"]
            assert inst.loc[key, "服务人口 Population"] == e["denominator"]
            assert inst.loc[key, "签约率 Rate"] == labels.format_value(e["value"], "ratio")

    # by team: contracts of those institutions in their latest state
    teams = mart(
        path,
        "SELECT institution_code, coalesce(team_code, '') AS team_code, "
        "count(*) FILTER (WHERE status = 'active') AS active, "
        "count(*) FILTER (WHERE status = 'terminated') AS terminated, count(*) AS contracts "
        "FROM fct_contracts WHERE institution_code IN (SELECT institution_code FROM "
        "kpi_institution_monthly WHERE consortium_id = $c AND month = $m AND kpi_id IN "
        f"{SIGNING}) GROUP BY ALL",
        {"c": consortium, "m": month},
    ).set_index(["institution_code", "team_code"])
    shown_teams = tables(at, "team_code")
    if teams.empty:
        assert not shown_teams
        return
    shown_teams = shown_teams[0].set_index(["institution_code", "team_code"])
    assert sorted(shown_teams.index) == sorted(teams.index)
    for key, e in teams.iterrows():
        assert shown_teams.loc[key, "有效 · active"] == e["active"]
        assert shown_teams.loc[key, "已解约 · terminated"] == e["terminated"]
        assert shown_teams.loc[key, "协议合计 Contracts"] == e["contracts"]


@pytest.mark.slow  # a built warehouse: the slow half of .ci/run
def test_family_doctor_signing_by_group_institution_and_team(app, warehouse):
    for consortium in queries.consortia(warehouse)["consortium_id"]:
        for month in recent_months(warehouse):
            at = app(P["signing"], consortium, month)
            check_signing_page(at, warehouse, consortium, month)
    at.segmented_control(key="sign-institution-kpi").set_value("ltc_signing_rate")
    at.run()
    assert not at.exception


def check_work_points_page(at: AppTest, path: Path, consortium: str, month: dt.date) -> None:
    rows = mart(
        path,
        "SELECT * FROM public_health_work_points WHERE consortium_id = $c AND month = $m",
        {"c": consortium, "m": month},
    )
    items = tables(at, "service_item")
    if rows.empty and not items:
        assert at.info
        return
    items = items[0].set_index(["institution_code", "service_item"])
    for r in rows.itertuples():  # the month's rows, exactly
        line = items.loc[(r.institution_code, r.service_item)]
        assert (line["服务 Services"], line["工分 Points"]) == (r.services, r.points)
        assert line["本年累计 Points YTD"] == r.points_ytd
    # items without a service this month: nothing this month, their latest points_ytd of the year
    others = items[
        ~items.index.isin(list(zip(rows["institution_code"], rows["service_item"], strict=True)))
    ]
    assert (others["服务 Services"] == 0).all() and (others["工分 Points"] == 0).all()
    by_institution = dataframe(at, "工分 Points", without="service_item").set_index(
        "institution_code"
    )
    sums = rows.groupby("institution_code")[["services", "points"]].sum()
    for code, e in sums.iterrows():
        assert by_institution.loc[code, "服务 Services"] == e["services"]
        assert by_institution.loc[code, "工分 Points"] == pytest.approx(e["points"])
    assert by_institution["本年累计 Points YTD"].sum() == pytest.approx(
        items["本年累计 Points YTD"].sum()
    )
    shown = metrics(at)
    assert shown["本月工分 · points this month"] == labels.format_points(rows["points"].sum())


@pytest.mark.slow  # a built warehouse: the slow half of .ci/run
def test_public_health_work_points_and_task_completion(app, warehouse, kpis):
    for consortium in queries.consortia(warehouse)["consortium_id"]:
        for month in recent_months(warehouse):
            at = app(P["public_health"], consortium, month)
            check_work_points_page(at, warehouse, consortium, month)
            parts = mart_parts(warehouse, consortium, month)
            parts = parts[parts["kpi_id"] == "public_health_task_completion"]
            done = dataframe(at, "kpi_id").set_index("institution_code")
            assert sorted(done.index) == sorted(parts["institution_code"])
            assert (
                done["分子 Numerator"].sum()
                == kpi_cells(kpis, consortium, month).loc[
                    "public_health_task_completion", "numerator"
                ]
            )


@pytest.mark.slow
def test_the_new_pages_show_the_hand_worked_figures(app, release_warehouse):
    """The hand-worked landing zone of the second release: the pages show its figures."""
    jan, feb = (dt.date.fromisoformat(m) for m in (exact.JAN, exact.FEB))
    for consortium in exact.CONSORTIA:
        for month in (jan, feb):
            m = month.isoformat()
            # signing: the groups and institutions of test_second_release_exact
            at = app(P["signing"], consortium, month, path=release_warehouse)
            check_signing_page(at, release_warehouse, consortium, month)
            groups = dataframe(at, "population_group").set_index("population_group")
            for group in exact.GROUPS:
                signed, population = exact.POPULATION_GROUPS.get((consortium, m, group), (0, 0))
                assert groups.loc[group, "已签约 Signed"] == signed
                assert groups.loc[group, "服务人口 Population"] == population
            inst = tables(at, "kpi_id")
            shown = inst[0].set_index(["kpi_id", "institution_code"]) if inst else pd.DataFrame()
            expected = {
                (k, i): v
                for (c, mm, k, i), v in exact.INSTITUTION_PARTS.items()
                if c == consortium and mm == m and k in SIGNING
            }
            assert sorted(shown.index) == sorted(expected)
            for key, (signed, population) in expected.items():
                assert shown.loc[key, "已签约 Signed"] == signed
                assert shown.loc[key, "服务人口 Population"] == population

            # outflow: destinations as hand-worked, names from the registry
            at = app(P["outflow"], consortium, month, path=release_warehouse)
            check_outflow_page(at, release_warehouse, consortium, month)
            expected = {
                dest: (tier, figures)
                for (c, mm, dest, _region, tier, _visit), figures in exact.OUTFLOW.items()
                if c == consortium and mm == m
            }
            hospitals = tables(at, "destination_institution_code")
            if not expected:
                assert not hospitals
            else:
                hospitals = hospitals[0].set_index("destination_institution_code")
                assert sorted(hospitals.index) == sorted(expected)
                for dest, (tier, (settlements, total, fund)) in expected.items():
                    line = hospitals.loc[dest]
                    assert (line["结算 Settlements"], line["总费用 Total cost"]) == (
                        settlements,
                        total,
                    )
                    assert line["基金支付 Fund paid"] == fund
                    assert line["层级 Tier"] == labels.tier_label(tier or "external_hospital")

            # work points: the month's and the year-to-date points of each institution
            at = app(P["public_health"], consortium, month, path=release_warehouse)
            check_work_points_page(at, release_warehouse, consortium, month)

            # every card drills down to the hand-worked parts
            at = app(P["overview"], consortium, month, path=release_warehouse)
            drill = drill_downs(at)
            for (c, mm, kpi_id, code), (num, den) in exact.INSTITUTION_PARTS.items():
                if c == consortium and mm == m:
                    assert drill[kpi_id].loc[code, "分子 Numerator"] == num, (kpi_id, code)
                    assert drill[kpi_id].loc[code, "分母 Denominator"] == den, (kpi_id, code)

    # names and cities of LP's January destinations, the carried year-to-date points of LPT
    at = app(P["outflow"], "LP", jan, path=release_warehouse)
    hospitals = dataframe(at, "destination_institution_code").set_index(
        "destination_institution_code"
    )
    assert hospitals.loc["HYH", "医院 Hospital"] == "河源市人民医院"
    assert hospitals.loc["HYH", "地区 Region"] == "源城区（441602）"
    cities = dataframe(at, "city_code").set_index("city_code")
    assert cities.loc["441600", "城市 City"] == "河源市（441600）"
    assert cities.loc["441600", "基金支付 Fund paid"] == 9000
    assert cities.loc["440100", "基金支付 Fund paid"] == 400
    at = app(P["outflow"], "LP", feb, path=release_warehouse)
    hospitals = dataframe(at, "destination_institution_code").set_index(
        "destination_institution_code"
    )
    assert hospitals.loc["H44030400001", "医院 Hospital"] == "H44030400001"  # unregistered
    at = app(P["public_health"], "LP", feb, path=release_warehouse)
    points = dataframe(at, "工分 Points", without="service_item").set_index("institution_code")
    # LPT: February 1.0 (health_record); year to date 5.0 (January's hypertension) + 2.0
    assert (points.loc["LPT", "工分 Points"], points.loc["LPT", "本年累计 Points YTD"]) == (
        1.0,
        7.0,
    )
    assert (points.loc["LPV", "工分 Points"], points.loc["LPV", "本年累计 Points YTD"]) == (
        2.5,
        2.5,
    )


@pytest.mark.slow  # a built warehouse: the slow half of .ci/run
def test_data_completeness_shows_deliveries_quarantine_and_source_completeness(
    app, warehouse, kpis
):
    consortium = queries.consortia(warehouse)["consortium_id"].iloc[0]
    at = app(P["completeness"], consortium)
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


@pytest.mark.slow  # a built warehouse: the slow half of .ci/run
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


@pytest.mark.slow  # a built warehouse: the slow half of .ci/run
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


@pytest.mark.slow  # a built warehouse: the slow half of .ci/run
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


def test_the_delivery_grid_shows_every_delivered_day_as_a_day():
    """Day labels such as 03-01 read as dates put the grid in 2003 and dropped days 13-21."""
    import pandas as pd

    from dashboard.views.completeness import delivery_grid

    days = pd.date_range("2026-03-01", "2026-03-31")
    grid = pd.DataFrame(
        {
            "business_date": list(days) * 2,
            "source_name": ["甲"] * len(days) + ["乙"] * len(days),
            "state": ["loaded"] * (2 * len(days) - 1) + ["missing"],
        }
    )
    fig = delivery_grid(grid)
    assert fig.layout.xaxis.type == "category"
    assert list(fig.data[0].x) == [f"03-{d:02d}" for d in range(1, 32)]
    assert list(fig.data[0].y) == ["乙", "甲"]


def test_tables_show_no_raw_none_or_midnight_timestamps():
    from dashboard.views.common import readable

    frame = pd.DataFrame(
        {
            "day": pd.to_datetime(["2026-03-20", None]),
            "at": pd.to_datetime(["2026-03-20 08:15:00", "2026-03-21 00:00:00"]),
            "status": ["loaded", None],
            "when": [pd.Timestamp("2026-03-20"), None],
            "rows": [3, 4],
        }
    )
    shown = readable(frame)
    assert list(shown["day"]) == ["2026-03-20", "—"]
    assert list(shown["at"]) == ["2026-03-20 08:15", "2026-03-21 00:00"]
    assert list(shown["status"]) == ["loaded", "—"]
    assert list(shown["when"]) == ["2026-03-20", "—"]
    assert list(shown["rows"]) == [3, 4]  # numbers stay numbers for the table's formats


@pytest.mark.slow  # a built warehouse: the slow half of .ci/run
def test_the_sidebar_tells_the_office_about_the_data(app, warehouse):
    at = app()
    text = "\n".join(m.value for m in at.sidebar.markdown)
    day, expected, delivered = mart(
        warehouse,
        "SELECT max(business_date) AS day, count(*) FILTER (is_expected) AS expected, "
        "count(*) FILTER (is_expected AND is_delivered) AS delivered FROM delivery_status "
        "WHERE business_date = (SELECT max(business_date) FROM delivery_status)",
    ).iloc[0]
    assert f"数据截至 data up to {pd.Timestamp(day):%Y-%m-%d}" in text
    assert f"{int(delivered):,} / {int(expected):,} 预期 expected" in text
    consortium = at.sidebar.selectbox[0].value
    names = queries.consortia(warehouse).set_index("consortium_id")["consortium_name"]
    assert any(names[consortium] in c.value for c in at.sidebar.caption)  # the whole name
