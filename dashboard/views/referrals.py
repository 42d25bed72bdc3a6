"""双向转诊 Referral flows: referrals of the consortium by level, direction and region."""

from __future__ import annotations

import datetime as dt

import plotly.graph_objects as go
import streamlit as st

from dashboard import labels as L
from dashboard.views.common import load, month_label, table


def render(consortium_id: str, month: dt.date, months: list[dt.date]) -> None:
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
        "发出机构在转诊日期所属的医共体（fct_referrals.from_consortium_id）；域内外按"
        " is_to_in_consortium_region。Referrals whose sender belonged to the consortium on the"
        " referral date (fct_referrals.from_consortium_id; a sender in two consortia at once is"
        " shown under the smaller id only, while the KPIs count it for both); in or out of the"
        " region as fct_referrals.is_to_in_consortium_region."
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
    table(matrix, key="ref-matrix")
