"""医共体绩效看板 · Consortium KPI dashboard.

    streamlit run dashboard/app.py -- --warehouse /data/warehouse/kpi.duckdb
    KPI_WAREHOUSE=/data/warehouse/kpi.duckdb streamlit run dashboard/app.py

Reads only the published marts, through `dashboard.queries`: every query opens the file
read-only and closes it before the page is drawn. Results are cached per identity of the file
(inode, mtime, size), so a night's publish (os.replace) is picked up at the next rerun.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

# `streamlit run dashboard/app.py` puts dashboard/ on sys.path, not the repository.
_REPO = str(Path(__file__).resolve().parent.parent)
if _REPO not in sys.path:
    sys.path.insert(0, _REPO)

import pandas as pd  # noqa: E402
import plotly.graph_objects as go  # noqa: E402
import streamlit as st  # noqa: E402

from dashboard import labels as L  # noqa: E402
from dashboard import queries as q  # noqa: E402

PAGES = (
    "指标总览 KPI overview",
    "排名 Rankings",
    "双向转诊 Referral flows",
    "医保基金 Insurance spend",
    "数据完整性 Data completeness",
)
CARD_COLUMNS = 3  # KPI cards per row on the overview
# KPIs with an institution grain (a ranking of member institutions besides the consortia).
INSTITUTION_GRAIN = ("primary_care_visit_share", "public_health_task_completion")
# Units of numerator and denominator where they are yuan (else counts).
YUAN_PARTS = {
    "in_region_fund_share": ("yuan", "yuan"),
    "primary_care_fund_share": ("yuan", "yuan"),
    "in_region_inpatient_cost": ("yuan", "count"),
}


# --- data access: cached per identity of the published file -----------------------------------


@st.cache_data(ttl=3600, max_entries=512, show_spinner=False)
def _cached(name: str, path: str, file_signature: tuple, args: tuple):
    del file_signature  # part of the cache key only: a publish is a new file, a new key
    return getattr(q, name)(Path(path), *args)


def load(name: str, *args):
    path = WAREHOUSE
    return _cached(name, str(path), q.signature(path), args)


# --- formatting helpers -------------------------------------------------------------------------


def part(value: float | None, unit: str) -> str:
    return L.format_yuan(value) if unit == "yuan" else L.format_count(value)


def delta_text(value: float | None, previous: float | None, unit: str) -> str | None:
    if pd.isna(value) or pd.isna(previous):
        return None
    change = float(value) - float(previous)
    if unit == "yuan":
        return f"{'+' if change >= 0 else '-'}¥{abs(change):,.2f}"
    return f"{100 * change:+.1f} pp"


def badge(meets_target: bool | None, value: float | None, target: float | None) -> str:
    text = L.met_label(meets_target, value, target)
    if pd.isna(value) or pd.isna(target):
        return f":gray-badge[{text}]"
    return f":green-badge[{text}]" if bool(meets_target) else f":red-badge[{text}]"


def month_label(month: str) -> str:
    return month[:7]


def consortium_label(row: pd.Series) -> str:
    return f"{row.consortium_name}（{row.consortium_id}）"


# --- page 1 -------------------------------------------------------------------------------------


def page_overview(consortium_id: str, month: dt.date) -> None:
    kpis = load("kpi_month", consortium_id, month)
    trend = load("kpi_trend", consortium_id)
    with_target = kpis[kpis["target"].notna() & kpis["value"].notna()]
    met = int(with_target["meets_target"].fillna(False).astype(bool).sum())
    completeness = kpis["source_completeness"].min()

    top = st.columns(4)
    top[0].metric(L.bi("达标指标", "KPIs on target"), f"{met} / {len(with_target)}")
    top[1].metric(
        L.bi("未达标指标", "KPIs missing target"), f"{len(with_target) - met} / {len(with_target)}"
    )
    top[2].metric(
        L.bi("数据完整性（最低）", "completeness (lowest)"), L.format_percent(completeness)
    )
    top[3].metric(L.bi("已加载月份", "months loaded"), str(trend["month"].nunique()))
    if pd.notna(completeness) and completeness < 1:
        st.warning(
            "⚠️ 本月部分预期数据未按时入库：偏低的指标可能源于缺报，而非业务下降。"
            " Some expected deliveries of the month are missing or quarantined: a low KPI may be a"
            " missing delivery, not a low figure — see 数据完整性 · Data completeness."
        )

    cols = st.columns(CARD_COLUMNS)
    for i, row in enumerate(kpis.itertuples(index=False)):
        series = trend[trend["kpi_id"] == row.kpi_id]
        history = [float(v) for v in series["value"] if pd.notna(v)]
        with cols[i % CARD_COLUMNS].container(border=True, key=f"kpi-card-{row.kpi_id}"):
            st.markdown(f"**{row.name_zh}** · :gray[{row.name_en}]")
            st.metric(
                L.bi(row.name_zh, row.name_en),
                L.format_value(row.value, row.unit),
                delta=delta_text(row.value, row.previous_value, row.unit),
                delta_color="normal" if row.better == "higher" else "inverse",
                delta_description="较上月 vs previous month"
                if pd.notna(row.previous_value)
                else None,
                chart_data=history if len(history) > 1 else None,
                label_visibility="collapsed",  # the name is shown above, wrapped
                help=f"{row.formula} — {row.numerator_text} / {row.denominator_text}",
            )
            num_unit, den_unit = YUAN_PARTS.get(row.kpi_id, ("count", "count"))
            target = L.format_target(row.target, row.unit, row.better) or "—"
            completeness_text = L.format_percent(row.source_completeness)
            st.markdown(
                f"**目标 Target** {target} &nbsp; {badge(row.meets_target, row.value, row.target)}  \n"
                f"分子 {part(row.numerator, num_unit)} / 分母 {part(row.denominator, den_unit)}  \n"
                f":gray[数据完整性 completeness {completeness_text}]"
            )
            with st.expander(L.bi("指标定义", "definition")):
                st.markdown(
                    f"- **kpi_id** `{row.kpi_id}`\n"
                    f"- **公式 Formula** {row.formula}\n"
                    f"- **分子 Numerator** {row.numerator_text}\n"
                    f"- **分母 Denominator** {row.denominator_text}\n"
                    f"- **方向 Better** {'越高越好 higher' if row.better == 'higher' else '越低越好 lower'}"
                    f" · **单位 Unit** {row.unit}"
                    f" · **默认目标 Default target** {L.format_value(row.default_target, row.unit)}\n"
                    f"- **来源 Source** {row.source}"
                )

    st.subheader(L.bi("全部指标", "all KPIs") + f" · {month:%Y-%m}")
    table = pd.DataFrame(
        {
            "指标": kpis["name_zh"],
            "Indicator": kpis["name_en"],
            "数值 Value": [
                L.format_value(v, u) for v, u in zip(kpis["value"], kpis["unit"], strict=True)
            ],
            "目标 Target": [
                L.format_target(t, u, b)
                for t, u, b in zip(kpis["target"], kpis["unit"], kpis["better"], strict=True)
            ],
            "达标 Met": [
                L.met_label(m, v, t)
                for m, v, t in zip(kpis["meets_target"], kpis["value"], kpis["target"], strict=True)
            ],
            "分子 Numerator": kpis["numerator"],
            "分母 Denominator": kpis["denominator"],
            "数据完整性 Completeness": kpis["source_completeness"],
            "公式 Formula": kpis["formula"],
            "kpi_id": kpis["kpi_id"],
        }
    )
    st.dataframe(
        table,
        hide_index=True,
        key="overview-table",
        column_config={
            "分子 Numerator": st.column_config.NumberColumn(format="%,.2f"),
            "分母 Denominator": st.column_config.NumberColumn(format="%,.2f"),
            "数据完整性 Completeness": st.column_config.NumberColumn(format="percent"),
        },
    )

    st.subheader(L.bi("趋势", "trend over the loaded months"))
    definitions = load("definitions")
    names = kpi_names(definitions)
    kpi_id = st.selectbox(
        L.bi("指标", "KPI"), list(definitions["kpi_id"]), format_func=names.get, key="trend-kpi"
    )
    unit = definitions.set_index("kpi_id").loc[kpi_id, "unit"]
    series = trend[trend["kpi_id"] == kpi_id]
    fig = go.Figure()
    fig.add_scatter(x=series["month"], y=series["value"], mode="lines+markers", name="数值 value")
    if series["target"].notna().any():
        fig.add_scatter(
            x=series["month"],
            y=series["target"],
            mode="lines",
            name="目标 target",
            line={"dash": "dash", "color": L.BAND_COLOURS["ok"]},
        )
    fig.update_layout(
        height=320, margin={"t": 10, "b": 10}, xaxis={"tickformat": "%Y-%m", "dtick": "M1"}
    )
    fig.update_yaxes(
        tickformat=",.0f" if unit == "yuan" else ".1%", tickprefix="¥" if unit == "yuan" else ""
    )
    st.plotly_chart(fig, key="trend-chart")


# --- page 2 -------------------------------------------------------------------------------------


def ranking_chart(
    names: list[str], values: list, targets: list, unit: str, better: str, key: str
) -> None:
    bands = [L.band(v, t, unit, better) for v, t in zip(values, targets, strict=True)]
    fig = go.Figure()
    fig.add_bar(
        y=names,
        x=values,
        orientation="h",
        marker_color=[L.BAND_COLOURS[b] for b in bands],
        text=[L.format_value(v, unit) for v in values],
        textposition="auto",
        hovertext=[L.BAND_LABELS[b] for b in bands],
        name="数值 value",
    )
    lines = [L.lines_for(t, unit, better) for t in targets]
    if any(lines):
        fig.add_scatter(
            y=names,
            x=[ln.watch if ln else None for ln in lines],
            mode="markers",
            marker={"symbol": "line-ns-open", "size": 26, "line": {"width": 3}, "color": "#f9a825"},
            name="关注线 watch line (= target 目标)",
        )
        fig.add_scatter(
            y=names,
            x=[ln.alert if ln else None for ln in lines],
            mode="markers",
            marker={"symbol": "line-ns-open", "size": 26, "line": {"width": 3}, "color": "#c62828"},
            name="预警线 alert line",
        )
    fig.update_layout(
        height=max(220, 38 * len(names) + 90),
        margin={"t": 10, "b": 10, "l": 10},
        yaxis={"autorange": "reversed"},
        legend={"orientation": "h", "y": -0.15},
    )
    fig.update_xaxes(
        tickformat=",.0f" if unit == "yuan" else ".0%", tickprefix="¥" if unit == "yuan" else ""
    )
    st.plotly_chart(fig, key=key)


def kpi_names(definitions: pd.DataFrame) -> dict[str, str]:
    """kpi_id -> "中文名 · English name", the label of every KPI selector."""
    return dict(
        zip(
            definitions["kpi_id"],
            definitions["name_zh"] + L.SEP + definitions["name_en"],
            strict=True,
        )
    )


def page_rankings(consortium_id: str, month: dt.date, consortia: pd.DataFrame) -> None:
    definitions = load("definitions")
    names = kpi_names(definitions)
    kpi_id = st.selectbox(
        L.bi("排名指标", "KPI to rank"),
        list(definitions["kpi_id"]),
        format_func=names.get,
        key="rank-kpi",
    )
    d = definitions.set_index("kpi_id").loc[kpi_id]
    st.caption(
        f"{d['formula']}: {d['numerator']} / {d['denominator']} — "
        f"{'越高越好 higher is better' if d['better'] == 'higher' else '越低越好 lower is better'}. "
        "关注线 = 目标；未达标但差距在 5 个百分点（金额 5%）以内为关注，超出为预警。"
        " Watch line = the target; a miss within 5 pp (5 % for yuan) of it is watch, beyond it alert."
    )
    ranking = load("consortium_ranking", kpi_id, month)
    st.subheader(L.bi("医共体排名", "consortia") + f" · {month:%Y-%m}")
    ranking_chart(
        list(ranking["consortium_name"]),
        list(ranking["value"]),
        list(ranking["target"]),
        d["unit"],
        d["better"],
        key="rank-consortia-chart",
    )
    lines = [L.lines_for(t, d["unit"], d["better"]) for t in ranking["target"]]
    st.dataframe(
        pd.DataFrame(
            {
                "名次 Rank": range(1, len(ranking) + 1),
                "医共体 Consortium": ranking["consortium_name"],
                "consortium_id": ranking["consortium_id"],
                "数值 Value": [L.format_value(v, d["unit"]) for v in ranking["value"]],
                "目标 Target": [
                    L.format_target(t, d["unit"], d["better"]) for t in ranking["target"]
                ],
                "关注线 Watch": [
                    L.format_value(ln.watch if ln else None, d["unit"]) for ln in lines
                ],
                "预警线 Alert": [
                    L.format_value(ln.alert if ln else None, d["unit"]) for ln in lines
                ],
                "状态 Status": [
                    L.BAND_LABELS[L.band(v, t, d["unit"], d["better"])]
                    for v, t in zip(ranking["value"], ranking["target"], strict=True)
                ],
                "分子 Numerator": ranking["numerator"],
                "分母 Denominator": ranking["denominator"],
                "数据完整性 Completeness": ranking["source_completeness"],
            }
        ),
        hide_index=True,
        key="rank-consortia-table",
        column_config={
            "分子 Numerator": st.column_config.NumberColumn(format="%,.2f"),
            "分母 Denominator": st.column_config.NumberColumn(format="%,.2f"),
            "数据完整性 Completeness": st.column_config.NumberColumn(format="percent"),
        },
    )

    name = consortia.set_index("consortium_id").loc[consortium_id, "consortium_name"]
    st.subheader(L.bi("成员机构排名", "member institutions") + f" · {name} · {month:%Y-%m}")
    if kpi_id == "primary_care_visit_share":
        visits = load("institution_visits", consortium_id, month)
        st.caption(
            "诊疗人次（门诊、急诊、家庭诊疗）按机构；基层机构合计 = 分子，全部合计 = 分母。"
            " Visit count (outpatient, emergency, home) per institution: the primary-care ones add up"
            " to the numerator, all of them to the denominator. 绿色：基层机构；蓝色：其他。"
            " Green: primary care; blue: other institutions."
        )
        fig = go.Figure()
        fig.add_bar(
            y=visits["institution_name"].fillna(visits["institution_code"]),
            x=visits["visits"],
            orientation="h",
            marker_color=["#2e7d32" if p else "#1565c0" for p in visits["is_primary_care"]],
            hovertext=[L.tier_label(t) for t in visits["tier"]],
        )
        fig.update_layout(
            height=max(240, 18 * len(visits) + 80),
            margin={"t": 10, "b": 10},
            yaxis={"autorange": "reversed"},
        )
        st.plotly_chart(fig, key="rank-institutions-visits-chart")
        st.dataframe(
            pd.DataFrame(
                {
                    "机构 Institution": visits["institution_name"],
                    "institution_code": visits["institution_code"],
                    "层级 Tier": [L.tier_label(t) for t in visits["tier"]],
                    "基层 Primary care": visits["is_primary_care"],
                    "诊疗人次 Visits": visits["visits"],
                    "占比 Share": visits["share_of_consortium"],
                }
            ),
            hide_index=True,
            key="rank-institutions-visits-table",
            column_config={"占比 Share": st.column_config.NumberColumn(format="percent")},
        )
    elif kpi_id == "public_health_task_completion":
        done = load("institution_public_health", consortium_id, month)
        if done.empty:
            st.info(
                "仓库中没有机构公卫任务目标。No public-health targets per institution in the"
                f" warehouse ({q.PUBLIC_HEALTH_TARGETS})."
            )
            return
        target = ranking.set_index("consortium_id").loc[consortium_id, "target"]
        st.caption(
            "年初至月末，各机构 Σ min(服务人数, 任务数) / Σ 任务数；线为本医共体的目标。"
            " Year to date per institution, Σ min(people served, target) / Σ targets; the lines are"
            " the consortium's target."
        )
        ranking_chart(
            list(done["institution_name"].fillna(done["institution_code"])),
            list(done["value"]),
            [target] * len(done),
            d["unit"],
            d["better"],
            key="rank-institutions-ph-chart",
        )
        st.dataframe(
            pd.DataFrame(
                {
                    "机构 Institution": done["institution_name"],
                    "institution_code": done["institution_code"],
                    "层级 Tier": [L.tier_label(t) for t in done["tier"]],
                    "完成率 Completion": [L.format_value(v, "ratio") for v in done["value"]],
                    "状态 Status": [
                        L.BAND_LABELS[L.band(v, target, "ratio", "higher")] for v in done["value"]
                    ],
                    "完成 Completed": done["completed"],
                    "任务 Targeted": done["targeted"],
                }
            ),
            hide_index=True,
            key="rank-institutions-ph-table",
        )
    else:
        st.caption(
            "该指标只有医共体粒度（按参保地区或按医共体整体计算）。"
            f" This KPI has a consortium grain only; institution rankings exist for "
            f"{', '.join(names[k] for k in INSTITUTION_GRAIN)}."
        )


# --- page 3 -------------------------------------------------------------------------------------


def page_referrals(consortium_id: str, month: dt.date, months: list[dt.date]) -> None:
    labels = [m.isoformat() for m in months]
    start, end = st.select_slider(
        L.bi("转诊月份", "referral months"),
        options=labels,
        value=(month.isoformat(), month.isoformat()),
        format_func=month_label,
        key="ref-months",
    )
    effective_only = st.checkbox(
        L.bi("仅统计有效转诊（已接收/已完成）", "effective referrals only (accepted or completed)"),
        value=True,
        key="ref-effective",
    )
    flows = load(
        "referral_flows", consortium_id, dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    )
    if effective_only:
        flows = flows[flows["is_effective"]]
    by_dir = flows.groupby("direction", dropna=False)["referrals"].sum()
    up = int(by_dir.get("upward", 0))
    down = int(by_dir.get("downward", 0))
    lateral = int(by_dir.get("lateral", 0))
    out_up = int(
        flows[(flows["direction"] == "upward") & ~flows["to_in_region"]]["referrals"].sum()
    )
    out_all = int(flows[~flows["to_in_region"]]["referrals"].sum())

    cols = st.columns(6)
    cols[0].metric(L.bi("上转", "upward"), L.format_count(up))
    cols[1].metric(L.bi("下转", "downward"), L.format_count(down))
    cols[2].metric(L.bi("平转", "lateral"), L.format_count(lateral))
    cols[3].metric(L.bi("域外上转", "upward out of region"), L.format_count(out_up))
    cols[4].metric(L.bi("下转/上转比", "down / up"), L.format_percent(down / up if up else None))
    cols[5].metric(
        L.bi("域外转诊占比", "out-of-region share"), L.format_percent(out_up / up if up else None)
    )
    st.caption(
        f"转出域外（全部方向）{out_all:,} 例。Out of region in all directions: {out_all:,}. "
        "发出机构在转诊日期为本医共体牵头或成员单位。Sent by the consortium's lead or member"
        " institutions on the referral date."
    )
    if flows.empty:
        st.info("所选月份无转诊记录。No referrals in the selected months.")
        return

    # Sankey: senders by level (left) -> receivers by level, in or outside the region (right).
    flows = flows.assign(
        src=[L.level_label(v) for v in flows["from_level"]],
        dst=[
            L.level_label(lv) + ("" if inside else " · 域外 out of region")
            for lv, inside in zip(flows["to_level"], flows["to_in_region"], strict=True)
        ],
    )
    links = (
        flows.groupby(["src", "dst", "direction"], dropna=False)["referrals"].sum().reset_index()
    )
    sources = sorted(links["src"].unique())
    targets = sorted(links["dst"].unique())
    nodes = ["发出 " + s for s in sources] + ["接收 " + t for t in targets]
    colours = {"upward": "rgba(239,108,0,0.45)", "downward": "rgba(46,125,50,0.45)"}
    fig = go.Figure(
        go.Sankey(
            node={
                "label": nodes,
                "pad": 18,
                "color": ["#546e7a"] * len(sources)
                + ["#c62828" if "域外" in t else "#1565c0" for t in targets],
            },
            link={
                "source": [sources.index(s) for s in links["src"]],
                "target": [len(sources) + targets.index(t) for t in links["dst"]],
                "value": links["referrals"],
                "color": [colours.get(d, "rgba(120,120,120,0.35)") for d in links["direction"]],
                "customdata": [
                    L.bi(*L.DIRECTIONS.get(d, ("未知", "unknown"))) for d in links["direction"]
                ],
                "hovertemplate": "%{source.label} → %{target.label}<br>%{customdata}: %{value}<extra></extra>",
            },
        )
    )
    fig.update_traces(
        textfont={"color": "#1f1f1f", "size": 13, "shadow": "none"}, selector={"type": "sankey"}
    )
    fig.update_layout(height=460, margin={"t": 10, "b": 10})
    st.subheader(L.bi("转诊流向", "referral flows between levels"))
    st.caption(
        "橙色：上转；绿色：下转；灰色：平转；红色节点：域外。Orange up, green down, grey lateral; red nodes: out of region."
    )
    st.plotly_chart(fig, key="ref-sankey")

    st.subheader(L.bi("流向矩阵", "flow matrix") + "（行：发出 from · 列：接收 to）")
    matrix = flows.pivot_table(
        index="src", columns="dst", values="referrals", aggfunc="sum", fill_value=0
    )
    matrix.index.name = "发出 from \\ 接收 to"
    st.dataframe(matrix, key="ref-matrix")


# --- page 4 -------------------------------------------------------------------------------------


def page_claims(consortium_id: str, month: dt.date, consortia: pd.DataFrame) -> None:
    c = consortia.set_index("consortium_id").loc[consortium_id]
    region = f"{c['region_name'] or c['region_code']}（{c['region_code']}）"
    st.caption(
        f"参保地为 {region} 的参保人在 {month:%Y-%m} 的有效结算（冲正已剔除），按机构层级及机构是否在区域内。"
        f" Live settlements of people insured in {region}, {month:%Y-%m}, by institution tier and"
        " whether the institution is inside the region. 零售药店不计入任何医保指标 · pharmacies"
        " are excluded from every claims KPI."
    )
    claims = load("claims_by_tier", consortium_id, month)
    medical = claims[~claims["is_pharmacy"]]
    inside = float(medical[medical["in_region"]]["fund_paid"].sum())
    outside = float(medical[~medical["in_region"]]["fund_paid"].sum())
    pharmacy = float(claims[claims["is_pharmacy"]]["fund_paid"].sum())
    primary = float(medical[medical["in_region"] & medical["is_primary_care"]]["fund_paid"].sum())
    total = inside + outside

    cols = st.columns(3)
    cols[0].metric(L.bi("区域内基金支出", "fund paid inside the region"), L.format_yuan(inside))
    cols[1].metric(L.bi("区域外基金支出", "fund paid outside the region"), L.format_yuan(outside))
    cols[2].metric(L.bi("药店基金支出（不计入）", "pharmacies (excluded)"), L.format_yuan(pharmacy))
    cols = st.columns(3)
    cols[0].metric(
        L.bi("区域内支出占比", "share inside"), L.format_percent(inside / total if total else None)
    )
    cols[1].metric(
        L.bi("区域内基层机构占比", "primary-care share inside"),
        L.format_percent(primary / inside if inside else None),
    )
    cols[2].metric(
        L.bi("医保基金合计（不含药店）", "fund paid, pharmacies excluded"), L.format_yuan(total)
    )

    tiers = claims.assign(
        where=["inside" if x else "outside" for x in claims["in_region"]]
    ).pivot_table(
        index="tier",
        columns="where",
        values=["fund_paid", "total_amount", "settlements", "inpatient_stays"],
        aggfunc="sum",
        fill_value=0,
    )
    tiers.columns = [f"{a}_{b}" for a, b in tiers.columns]
    for col in (
        "fund_paid_inside",
        "fund_paid_outside",
        "settlements_inside",
        "settlements_outside",
        "inpatient_stays_inside",
        "inpatient_stays_outside",
        "total_amount_inside",
        "total_amount_outside",
    ):
        if col not in tiers:
            tiers[col] = 0
    tiers = tiers.reindex([t for t in L.TIER_ORDER if t in tiers.index])

    fig = go.Figure()
    y = [L.tier_label(t) for t in tiers.index]
    fig.add_bar(
        y=y,
        x=tiers["fund_paid_inside"],
        orientation="h",
        name="区域内 inside",
        marker_color="#1565c0",
    )
    fig.add_bar(
        y=y,
        x=tiers["fund_paid_outside"],
        orientation="h",
        name="区域外 outside",
        marker_color="#ef6c00",
    )
    fig.update_layout(
        barmode="stack",
        height=60 + 40 * len(y),
        margin={"t": 10, "b": 10},
        yaxis={"autorange": "reversed"},
        legend={"orientation": "h", "y": -0.12},
    )
    fig.update_xaxes(tickprefix="¥", tickformat=",.0f", title="医保基金支付 fund paid")
    st.subheader(L.bi("按机构层级的基金支出", "fund paid by institution tier"))
    st.plotly_chart(fig, key="claims-chart")

    both = tiers["fund_paid_inside"] + tiers["fund_paid_outside"]
    st.dataframe(
        pd.DataFrame(
            {
                "机构层级 Tier": y,
                "tier": tiers.index,
                "区域内基金 Fund inside": [L.format_yuan(v) for v in tiers["fund_paid_inside"]],
                "区域外基金 Fund outside": [L.format_yuan(v) for v in tiers["fund_paid_outside"]],
                "区域内占比 Share inside": (
                    tiers["fund_paid_inside"] / both.where(both > 0)
                ).values,
                "区域内结算 Settlements inside": tiers["settlements_inside"].values,
                "区域外结算 Settlements outside": tiers["settlements_outside"].values,
                "住院 Inpatient stays": (
                    tiers["inpatient_stays_inside"] + tiers["inpatient_stays_outside"]
                ).values,
                "总费用 Total cost": [
                    L.format_yuan(a + b)
                    for a, b in zip(
                        tiers["total_amount_inside"], tiers["total_amount_outside"], strict=True
                    )
                ],
            }
        ),
        hide_index=True,
        key="claims-table",
        column_config={"区域内占比 Share inside": st.column_config.NumberColumn(format="percent")},
    )


# --- page 5 -------------------------------------------------------------------------------------


def page_completeness(consortium_id: str, consortia: pd.DataFrame) -> None:
    name = consortia.set_index("consortium_id").loc[consortium_id, "consortium_name"]
    scope = st.radio(
        L.bi("范围", "scope"),
        ["consortium", "all"],
        horizontal=True,
        key="dq-scope",
        format_func=lambda s: (
            f"本医共体机构及医保局 · {name} and the bureaus"
            if s == "consortium"
            else "全部报送单位 · all sources"
        ),
    )
    scope_id = consortium_id if scope == "consortium" else None

    st.subheader(L.bi("指标的数据完整性", "source completeness of the KPIs"))
    st.caption(
        "本月预期报送（医保局每日结算；成员机构每日诊疗）中已入库的比例。低于 100% 时，相关指标可能因缺报偏低。"
        " Share of the month's expected deliveries that were loaded (claims KPIs: the bureaus' daily"
        " claims; other KPIs: the member institutions' daily visits)."
    )
    completeness = load("source_completeness", consortium_id)
    st.dataframe(
        pd.DataFrame(
            {
                "月份 Month": [f"{m:%Y-%m}" for m in completeness["month"]],
                "数据类型 Extract": [L.kind_label(k) for k in completeness["extract_kind"]],
                "完整性 Completeness": completeness["source_completeness"],
                "指标 KPIs": completeness["kpis"],
            }
        ),
        hide_index=True,
        key="dq-completeness-table",
        column_config={"完整性 Completeness": st.column_config.NumberColumn(format="percent")},
    )

    st.subheader(L.bi("报送情况", "deliveries by kind"))
    summary = load("delivery_summary", scope_id)
    st.dataframe(
        pd.DataFrame(
            {
                "数据类型 Kind": [L.kind_label(k) for k in summary["kind"]],
                "预期 Expected": summary["expected"],
                "预期且入库 Expected & loaded": summary["expected_loaded"],
                "缺报 Missing": summary["missing"],
                "整文件隔离 Quarantined files": summary["quarantined"],
                "非预期 Unexpected": summary["unexpected"],
                "读取行 Rows read": summary["rows_read"],
                "入库行 Rows loaded": summary["rows_loaded"],
                "隔离行 Rows quarantined": summary["rows_quarantined"],
                "入库率 Loaded share": summary["loaded_share"],
            }
        ),
        hide_index=True,
        key="dq-summary-table",
        column_config={"入库率 Loaded share": st.column_config.NumberColumn(format="percent")},
    )

    slots = load("delivery_slots", scope_id)
    kinds = [k for k in L.KINDS if k in set(slots["kind"])]
    kind = st.segmented_control(
        L.bi("数据类型", "kind"),
        kinds,
        default=kinds[0] if kinds else None,
        format_func=L.kind_label,
        key="dq-kind",
    ) or (kinds[0] if kinds else None)
    if kind:
        grid = slots[slots["kind"] == kind]
        states = list(L.SLOT_STATES)
        pivot = grid.pivot_table(
            index="source_name", columns="business_date", values="state", aggfunc="first"
        )
        z = pivot.map(lambda s: states.index(s) if isinstance(s, str) else None)
        n = len(states)
        scale = []
        for i, s in enumerate(states):
            scale += [[i / n, L.SLOT_COLOURS[s]], [(i + 1) / n, L.SLOT_COLOURS[s]]]
        fig = go.Figure(
            go.Heatmap(
                z=z.values,
                x=[pd.Timestamp(c).strftime("%m-%d") for c in pivot.columns],
                y=list(pivot.index),
                zmin=-0.5,
                zmax=n - 0.5,
                colorscale=scale,
                xgap=1,
                ygap=1,
                text=pivot.map(
                    lambda s: (
                        L.bi(*L.SLOT_STATES[s])
                        if isinstance(s, str)
                        else "未报送，非预期 · not expected"
                    )
                ).values,
                hovertemplate="%{y} · %{x}<br>%{text}<extra></extra>",
                colorbar={
                    "tickvals": list(range(n)),
                    "ticktext": [L.bi(*L.SLOT_STATES[s]) for s in states],
                },
            )
        )
        fig.update_layout(height=min(2400, 120 + 16 * len(pivot)), margin={"t": 10, "b": 10})
        st.caption(
            "每格为一个（日期、报送单位）：绿色已入库，橙色整文件隔离，红色缺报，蓝色非预期报送。"
            " One cell per (business date, source): green loaded, orange quarantined whole,"
            " red missing, blue delivered without being expected."
        )
        st.plotly_chart(fig, key="dq-heatmap")
        problems = grid[grid["state"].isin(["missing", "quarantined"])]
        st.markdown(
            f"**{L.bi('缺报与整文件隔离', 'missing and quarantined deliveries')}**: {len(problems)}"
        )
        if not problems.empty:
            st.dataframe(
                problems[
                    [
                        "business_date",
                        "source_code",
                        "source_name",
                        "state",
                        "file_name",
                        "rows_read",
                    ]
                ],
                hide_index=True,
                key="dq-problems-table",
            )

    st.subheader(L.bi("隔离行（按原因）", "quarantined rows by reason"))
    reasons = load("quarantine_by_reason")
    by_reason = reasons.groupby("reason")["rows"].sum().sort_values(ascending=False)
    fig = go.Figure()
    for k in L.KINDS:
        part_ = reasons[reasons["kind"] == k].set_index("reason")["rows"].reindex(by_reason.index)
        if part_.notna().any():
            fig.add_bar(
                y=[L.reason_label(r) for r in by_reason.index],
                x=part_.values,
                orientation="h",
                name=L.kind_label(k),
            )
    fig.update_layout(
        barmode="stack",
        height=80 + 28 * len(by_reason),
        margin={"t": 10, "b": 10},
        yaxis={"autorange": "reversed"},
        legend={"orientation": "h", "y": -0.1},
    )
    st.plotly_chart(fig, key="dq-reasons-chart")
    st.dataframe(
        pd.DataFrame(
            {
                "数据类型 Kind": [L.kind_label(k) for k in reasons["kind"]],
                "原因 Reason": [L.reason_label(r) for r in reasons["reason"]],
                "reason": reasons["reason"],
                "行数 Rows": reasons["rows"],
                "文件 Files": reasons["files"],
                "报送单位 Sources": reasons["sources"],
            }
        ),
        hide_index=True,
        key="dq-reasons-table",
    )
    with st.expander(
        L.bi("最近隔离的行（标识已假名化）", "latest quarantined rows (identifiers pseudonymised)")
    ):
        st.dataframe(load("quarantine_sample"), hide_index=True, key="dq-sample")


# --- the app ------------------------------------------------------------------------------------


st.set_page_config(page_title="医共体绩效看板 · Consortium KPIs", page_icon="🏥", layout="wide")

try:
    WAREHOUSE = q.warehouse_path(sys.argv[1:])
    consortia = load("consortia")
    months = load("months")
except q.WarehouseMissingError as exc:
    st.title("医共体绩效看板 · Consortium KPI dashboard")
    st.error(f"找不到已发布的数据仓库 · No published warehouse. {exc}")
    st.stop()

if consortia.empty or not months:
    st.title("医共体绩效看板 · Consortium KPI dashboard")
    st.warning("数据仓库中还没有指标 · The warehouse holds no KPI yet.")
    st.stop()

with st.sidebar:
    st.header("医共体绩效看板")
    st.caption("Consortium KPI dashboard")
    by_id = consortia.set_index("consortium_id", drop=False)
    consortium_id = st.selectbox(
        L.bi("医共体", "consortium"),
        list(consortia["consortium_id"]),
        format_func=lambda c: consortium_label(by_id.loc[c]),
        key="consortium",
        bind="query-params",
    )
    month_options = [m.isoformat() for m in reversed(months)]
    month = dt.date.fromisoformat(
        st.selectbox(
            L.bi("月份", "month"),
            month_options,
            format_func=month_label,
            key="month",
            bind="query-params",
        )
    )
    st.divider()
    business_date = load("last_business_date")
    st.caption(
        f"数据截至 data up to **{business_date or '—'}**  \n"
        f"发布于 published {q.published_at(WAREHOUSE):%Y-%m-%d %H:%M}  \n"
        f"`{WAREHOUSE}`  \n"
        "只读打开，每次查询后关闭；夜间发布后刷新即见新数据。"
        " Opened read-only per query and closed; rerun (R) after a publish to see it."
    )

row = by_id.loc[consortium_id]
kind = (
    "县域医共体 county medical community"
    if row.consortium_kind == "county_community"
    else "城市医联体 urban medical alliance"
)
st.title(f"{row.consortium_name}")
st.caption(
    f"{consortium_id} · {kind} · 区域 region {row.region_name or ''} {row.region_code} · "
    f"{month:%Y年%m月} · {month:%B %Y}"
)

tabs = st.tabs(PAGES, key="page", bind="query-params")
with tabs[0]:
    if tabs[0].open is not False:
        page_overview(consortium_id, month)
with tabs[1]:
    if tabs[1].open is not False:
        page_rankings(consortium_id, month, consortia)
with tabs[2]:
    if tabs[2].open is not False:
        page_referrals(consortium_id, month, months)
with tabs[3]:
    if tabs[3].open is not False:
        page_claims(consortium_id, month, consortia)
with tabs[4]:
    if tabs[4].open is not False:
        page_completeness(consortium_id, consortia)
