"""患者外流 Patient outflow: where the region's insured are treated outside the region
(outflow_monthly): destination hospitals and cities, fund paid, trend."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard import labels as L
from dashboard.views.common import bar_chart, load, table

TOP = 15  # destinations in the charts (the tables list all)
FIGURES = ["settlements", "inpatient", "total_amount", "fund_paid"]
YUAN = {
    "总费用 Total cost": st.column_config.NumberColumn(format="¥%,.2f"),
    "基金支付 Fund paid": st.column_config.NumberColumn(format="¥%,.2f"),
    "基金占比 Share of fund": st.column_config.NumberColumn(format="percent"),
}


def figures(rows: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Settlements, inpatient settlements, total cost and fund paid summed by `by`, most fund
    paid first."""
    rows = rows.assign(inpatient=rows["settlements"].where(rows["visit_type"] == "inpatient", 0))
    grouped = rows.groupby(by, dropna=False, sort=False)[FIGURES].sum().reset_index()
    return grouped.sort_values(["fund_paid", *by], ascending=[False] + [True] * len(by))


def columns(df: pd.DataFrame, total_fund: float) -> dict:
    return {
        "结算 Settlements": df["settlements"].astype(int).values,
        "住院 Inpatient": df["inpatient"].astype(int).values,
        "总费用 Total cost": df["total_amount"].values,
        "基金支付 Fund paid": df["fund_paid"].values,
        "基金占比 Share of fund": (df["fund_paid"] / total_fund if total_fund else None),
    }


def render(consortium_id: str, month: dt.date, consortia: pd.DataFrame) -> None:
    c = consortia.set_index("consortium_id").loc[consortium_id]
    region = L.region_label(c["region_name"], c["region_code"])
    st.caption(
        f"参保地为 {region} 的参保人在区域外机构的有效结算（不含药店），与医保指标同一归属口径。"
        f" Live settlements of people insured in {region} at institutions outside the region,"
        " pharmacies excluded - the same attribution as the claims KPIs (outflow_monthly)."
    )
    data = load("outflow", consortium_id)
    rows = data[data["month"] == pd.Timestamp(month)]
    total = figures(rows.assign(all="all"), ["all"])
    t = total.iloc[0] if not total.empty else pd.Series(0, index=FIGURES)

    cols = st.columns(4)
    cols[0].metric(L.bi("外流结算", "settlements outside"), L.format_count(t["settlements"]))
    cols[1].metric(L.bi("其中住院", "of which inpatient"), L.format_count(t["inpatient"]))
    cols[2].metric(L.bi("外流总费用", "total cost outside"), L.format_yuan(t["total_amount"]))
    cols[3].metric(L.bi("外流基金支付", "fund paid outside"), L.format_yuan(t["fund_paid"]))
    if rows.empty:
        st.info(f"{month:%Y-%m} 无区域外结算。No settlements outside the region this month.")
    else:
        hospitals = figures(
            rows,
            [
                "destination_institution_code",
                "institution_name",
                "destination_tier",
                "destination_region_code",
                "region_name",
            ],
        )
        names = [
            L.institution_label(n, code)
            for n, code in zip(
                hospitals["institution_name"],
                hospitals["destination_institution_code"],
                strict=True,
            )
        ]
        st.subheader(L.bi("主要外流医院", "top destination hospitals") + f" · {month:%Y-%m}")
        bar_chart(
            names[:TOP],
            list(hospitals["fund_paid"][:TOP]),
            key="outflow-hospitals-chart",
            yuan=True,
            title="医保基金支付 fund paid",
        )
        table(
            pd.DataFrame(
                {
                    "医院 Hospital": names,
                    "destination_institution_code": hospitals["destination_institution_code"],
                    "层级 Tier": [  # NULL: not in the registry
                        L.tier_label(t if isinstance(t, str) else "external_hospital")
                        for t in hospitals["destination_tier"]
                    ],
                    "地区 Region": [
                        L.region_label(n, code)
                        for n, code in zip(
                            hospitals["region_name"],
                            hospitals["destination_region_code"],
                            strict=True,
                        )
                    ],
                    **columns(hospitals, t["fund_paid"]),
                }
            ),
            hide_index=True,
            key="outflow-hospitals-table",
            column_config=YUAN,
        )

        cities = figures(rows, ["city_code", "city_name"])
        city_names = [
            L.region_label(n, code)
            for n, code in zip(cities["city_name"], cities["city_code"], strict=True)
        ]
        st.subheader(L.bi("外流城市", "destination cities") + f" · {month:%Y-%m}")
        bar_chart(
            city_names[:TOP],
            list(cities["fund_paid"][:TOP]),
            key="outflow-cities-chart",
            yuan=True,
            title="医保基金支付 fund paid",
        )
        table(
            pd.DataFrame(
                {
                    "城市 City": city_names,
                    "city_code": cities["city_code"],
                    **columns(cities, t["fund_paid"]),
                }
            ),
            hide_index=True,
            key="outflow-cities-table",
            column_config=YUAN,
        )

    st.subheader(L.bi("外流趋势", "outflow over the loaded months"))
    if data.empty:
        st.info("无区域外结算。No settlements outside the region in any month.")
        return
    trend = data.groupby(["month", "visit_type"])[["fund_paid", "settlements"]].sum().reset_index()
    fig = go.Figure()
    for visit_type, colour in (("outpatient", "#1565c0"), ("inpatient", "#ef6c00")):
        part = trend[trend["visit_type"] == visit_type]
        fig.add_bar(
            x=part["month"],
            y=part["fund_paid"],
            name=L.visit_type_label(visit_type),
            marker_color=colour,
            customdata=part["settlements"],
            hovertemplate="%{x|%Y-%m}: ¥%{y:,.2f} · %{customdata} 结算 settlements<extra></extra>",
        )
    fig.update_layout(
        barmode="stack",
        height=320,
        margin={"t": 10, "b": 10},
        xaxis={"tickformat": "%Y-%m", "dtick": "M1"},
        legend={"orientation": "h", "y": -0.15},
    )
    fig.update_yaxes(tickprefix="¥", tickformat=",.0f", title="医保基金支付 fund paid")
    st.plotly_chart(fig, key="outflow-trend-chart")
    by_month = trend.groupby("month")[["settlements", "fund_paid"]].sum().reset_index()
    table(
        pd.DataFrame(
            {
                "月份 Month": [f"{m:%Y-%m}" for m in by_month["month"]],
                "结算 Settlements": by_month["settlements"].astype(int).values,
                "基金支付 Fund paid": by_month["fund_paid"].values,
            }
        ),
        hide_index=True,
        key="outflow-trend-table",
        column_config=YUAN,
    )
