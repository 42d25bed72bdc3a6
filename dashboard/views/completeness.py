"""数据完整性 Data completeness: deliveries expected and loaded, quarantined rows, and the
source completeness of the KPIs."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard import labels as L
from dashboard.views.common import load, table


def render(consortium_id: str, consortia: pd.DataFrame) -> None:
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
    table(
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
    table(
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
        fig = delivery_grid(grid)
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
            table(
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
    table(
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
        table(load("quarantine_sample"), hide_index=True, key="dq-sample")


def delivery_grid(grid: pd.DataFrame) -> go.Figure:
    """The (business date x source) grid of one kind's slots. The day labels ("03-01") are
    categories: read as dates, plotly put them in 2003 and dropped days."""
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
    fig.update_xaxes(type="category")
    fig.update_layout(height=min(2400, 120 + 16 * len(pivot)), margin={"t": 10, "b": 10})
    return fig
