"""公共卫生 Public health: work points (工分) by institution and service item
(public_health_work_points), and the task completion of each institution (the parts of
public_health_task_completion)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from dashboard import labels as L
from dashboard.views.common import (
    bar_chart,
    institution_names,
    load,
    parts_caption,
    parts_frame,
    table,
)

POINTS = st.column_config.NumberColumn(format="%,.1f")


def render(consortium_id: str, month: dt.date) -> None:
    points = load("work_points", consortium_id, month)
    st.subheader(L.bi("公共卫生工分", "public-health work points") + f" · {month:%Y-%m}")
    st.caption(
        "成员机构在成员期间的服务记录 × 项目分值（reference/work_point_weights.csv）；本年累计为 1 月 1 日起。"
        " Service records of the member institutions on days of membership times the item's"
        " points; year to date from 1 January (public_health_work_points)."
    )
    if points.empty:
        st.info(
            "本年无工分：未提供项目分值（work_point_weights.csv）或无服务记录。"
            " No work points this year: no item weights delivered, or no services."
        )
    else:
        institutions = (
            points.assign(institution_name=points["institution_name"].fillna(""))
            .groupby(["institution_code", "institution_name", "tier"], dropna=False)[
                ["services", "points", "points_ytd"]
            ]
            .sum()
            .reset_index()
            .sort_values(
                ["points", "points_ytd", "institution_code"], ascending=[False, False, True]
            )
        )
        cols = st.columns(4)
        cols[0].metric(
            L.bi("本月工分", "points this month"), L.format_points(points["points"].sum())
        )
        cols[1].metric(
            L.bi("本年累计工分", "points year to date"), L.format_points(points["points_ytd"].sum())
        )
        cols[2].metric(
            L.bi("本月服务", "services this month"), L.format_count(points["services"].sum())
        )
        cols[3].metric(
            L.bi("有工分的机构", "institutions with points"),
            L.format_count((institutions["points"] > 0).sum()),
        )
        names = institution_names(institutions)
        bar_chart(
            names, list(institutions["points"]), key="ph-points-chart", title="工分 work points"
        )
        table(
            pd.DataFrame(
                {
                    "机构 Institution": names,
                    "institution_code": institutions["institution_code"],
                    "层级 Tier": [L.tier_label(t) for t in institutions["tier"]],
                    "服务 Services": institutions["services"].astype(int).values,
                    "工分 Points": institutions["points"].values,
                    "本年累计 Points YTD": institutions["points_ytd"].values,
                }
            ),
            hide_index=True,
            key="ph-points-table",
            column_config={"工分 Points": POINTS, "本年累计 Points YTD": POINTS},
        )
        with st.expander(L.bi("按服务项目", "by service item")):
            table(
                pd.DataFrame(
                    {
                        "机构 Institution": institution_names(points),
                        "institution_code": points["institution_code"],
                        "服务项目 Item": [
                            L.bi(zh, en) if isinstance(zh, str) else item
                            for zh, en, item in zip(
                                points["item_name_zh"],
                                points["item_name_en"],
                                points["service_item"],
                                strict=True,
                            )
                        ],
                        "service_item": points["service_item"],
                        "服务 Services": points["services"].astype(int).values,
                        "工分 Points": points["points"].values,
                        "本年累计 Points YTD": points["points_ytd"].values,
                    }
                ),
                hide_index=True,
                key="ph-items-table",
                column_config={"工分 Points": POINTS, "本年累计 Points YTD": POINTS},
            )

    st.subheader(L.bi("任务完成率（按机构）", "task completion by institution"))
    kpis = load("kpi_month", consortium_id, month).set_index("kpi_id")
    k = kpis.loc["public_health_task_completion"]
    parts = load("institution_parts", consortium_id, month)
    parts = parts[parts["kpi_id"] == "public_health_task_completion"]
    st.caption(
        f"{k['name_zh']} · {k['name_en']}: {L.format_value(k['value'], 'ratio')} "
        f"(目标 target {L.format_target(k['target'], 'ratio', 'higher') or '—'}). "
        + parts_caption(parts, bool(k["parts_add_up"]), "public_health_task_completion")
    )
    if not parts.empty:
        table(
            parts_frame(parts, "ratio", "public_health_task_completion"),
            hide_index=True,
            key="ph-completion-table",
        )
