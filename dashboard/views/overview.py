"""指标总览 KPI overview: a card per KPI of the registry, each drilling down to its institutions."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard import labels as L
from dashboard.views.common import (
    badge,
    delta_text,
    kpi_names,
    load,
    part_columns,
    parts_caption,
    parts_frame,
    table,
)
from warehouse.kpi_lines import YEAR_TO_DATE_KPIS, judged_line, verdict

CARD_COLUMNS = 3  # KPI cards per row


def render(consortium_id: str, month: dt.date) -> None:
    kpis = load("kpi_month", consortium_id, month)
    trend = load("kpi_trend", consortium_id)
    parts = load("institution_parts", consortium_id, month)  # every card's drill-down
    kpis = kpis.assign(verdict=[cell_verdict(r, month) for r in kpis.itertuples(index=False)])
    judged = kpis[kpis["verdict"].isin(["ok", "watch", "alert"])]
    met = int((judged["verdict"] == "ok").sum())
    completeness = kpis["source_completeness"].min()

    top = st.columns(4)
    top[0].metric(
        L.bi("达标指标", "KPIs on target"),
        f"{met} / {len(judged)}",
        help="样本不足的指标不计入；年度累计指标按进度线判断。"
        " Cells with too few records are not counted; year-to-date KPIs are judged against"
        " their pro-rata line.",
    )
    top[1].metric(L.bi("未达标指标", "KPIs missing target"), f"{len(judged) - met} / {len(judged)}")
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
            card(row, history, parts[parts["kpi_id"] == row.kpi_id])

    st.subheader(L.bi("全部指标", "all KPIs") + f" · {month:%Y-%m}")
    all_kpis = pd.DataFrame(
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
            "判断 Verdict": [L.BAND_LABELS[known(v)] for v in kpis["verdict"]],
            "分子 Numerator": kpis["numerator"],
            "分母 Denominator": kpis["denominator"],
            "数据完整性 Completeness": kpis["source_completeness"],
            "公式 Formula": kpis["formula"],
            "kpi_id": kpis["kpi_id"],
        }
    )
    table(
        all_kpis,
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
        if kpi_id in YEAR_TO_DATE_KPIS:  # where a year-to-date value should be by each month
            fig.add_scatter(
                x=series["month"],
                y=[
                    judged_line(t, kpi_id, m.month)
                    for t, m in zip(series["target"], series["month"], strict=True)
                ],
                mode="lines",
                name="进度线 pro-rata line",
                line={"dash": "dot", "color": L.BAND_COLOURS["watch"]},
            )
    fig.update_layout(
        height=320, margin={"t": 10, "b": 10}, xaxis={"tickformat": "%Y-%m", "dtick": "M1"}
    )
    fig.update_yaxes(
        tickformat=",.0f" if unit == "yuan" else ".1%", tickprefix="¥" if unit == "yuan" else ""
    )
    st.plotly_chart(fig, key="trend-chart")


def known(reads: object) -> str | None:
    """A verdict back from a frame column (pandas stores the missing one as NaN)."""
    return reads if isinstance(reads, str) else None


def cell_verdict(row, month: dt.date) -> str | None:
    """The rule of the watch and alert lines (shared with the night's KPI alerts)."""
    return verdict(
        row.value, row.target, row.unit, row.better, kpi_id=row.kpi_id, month=month.month,
        denominator=row.denominator, min_denominator=row.min_denominator,
    )  # fmt: skip


def card(row, history: list[float], parts: pd.DataFrame) -> None:
    """One KPI: value against target, numerator and denominator, definition, institutions."""
    st.markdown(f"**{row.name_zh}** · :gray[{row.name_en}]")
    st.metric(
        L.bi(row.name_zh, row.name_en),
        L.format_value(row.value, row.unit),
        # no arrow for a cell of a handful of stray records: it is not a change of the figure
        delta=None
        if row.verdict == "too_few"
        else delta_text(row.value, row.previous_value, row.unit),
        delta_color="normal" if row.better == "higher" else "inverse",
        delta_description="较上月 vs previous month" if pd.notna(row.previous_value) else None,
        chart_data=history if len(history) > 1 else None,
        label_visibility="collapsed",  # the name is shown above, wrapped
        help=f"{row.formula} — {row.numerator_text} / {row.denominator_text}",
    )
    num_unit, den_unit = L.part_units(row.kpi_id)
    target = L.format_target(row.target, row.unit, row.better) or "—"
    if row.kpi_id in YEAR_TO_DATE_KPIS and pd.notna(row.target) and pd.notna(row.month):
        line = judged_line(row.target, row.kpi_id, row.month.month)
        target += f"（本月进度线 pro-rata line {L.format_value(line, row.unit)}）"
    reads = known(row.verdict)
    if reads == "too_few":
        tag = (
            f":gray-badge[{L.BAND_LABELS['too_few']} (n={L.format_count(row.denominator)}"
            f" < {L.format_count(row.min_denominator)})]"
        )
    elif reads is None:
        tag = badge(row.meets_target, row.value, row.target)
    else:
        tag = f":{L.BAND_BADGES[reads]}-badge[{L.BAND_LABELS[reads]}]"
    completeness_text = L.format_percent(row.source_completeness)
    st.markdown(
        f"**目标 Target** {target} &nbsp; {tag}  \n"
        f"分子 {L.format_part(row.numerator, num_unit)} / "
        f"分母 {L.format_part(row.denominator, den_unit)}  \n"
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
    with st.expander(L.bi("按机构", "by institution") + f" ({len(parts)})"):
        st.caption(parts_caption(parts, bool(row.parts_add_up), row.kpi_id))
        if not parts.empty:
            table(
                parts_frame(parts, row.unit, row.kpi_id),
                hide_index=True,
                key=f"kpi-parts-{row.kpi_id}",
                column_config=part_columns(num_unit, den_unit),
            )
