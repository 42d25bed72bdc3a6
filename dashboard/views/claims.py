"""医保基金 Insurance spend: fund paid for the region's insured, inside and outside the region.

The figures are the claims KPIs of kpi_monthly; the tiers are their parts by institution of
settlement (kpi_institution_monthly), summed by the institution's tier.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard import labels as L
from dashboard.views.common import load, table

# The claims KPIs whose parts make up the tier table: (column, kpi_id, part).
TIER_FIGURES = (
    ("fund_inside", "in_region_fund_share", "numerator"),
    ("fund_all", "in_region_fund_share", "denominator"),
    ("fund_primary", "primary_care_fund_share", "numerator"),
    ("settlements_inside", "in_region_visit_share", "numerator"),
    ("settlements_all", "in_region_visit_share", "denominator"),
    ("stays_inside", "in_region_inpatient_share", "numerator"),
    ("stays_all", "in_region_inpatient_share", "denominator"),
    ("stay_cost_inside", "in_region_inpatient_cost", "numerator"),
)


def tier_table(parts: pd.DataFrame) -> pd.DataFrame:
    """The claims KPIs' parts summed by tier of the institution of settlement."""
    columns = {}
    for column, kpi_id, part in TIER_FIGURES:
        rows = parts[parts["kpi_id"] == kpi_id]
        columns[column] = rows.groupby("tier", dropna=False)[part].sum()
    tiers = pd.DataFrame(columns).fillna(0)
    tiers["fund_outside"] = tiers["fund_all"] - tiers["fund_inside"]
    tiers["settlements_outside"] = tiers["settlements_all"] - tiers["settlements_inside"]
    tiers["stays_outside"] = tiers["stays_all"] - tiers["stays_inside"]
    order = [t for t in L.TIER_ORDER if t in tiers.index]
    return tiers.reindex(order + [t for t in tiers.index if t not in order])


def render(consortium_id: str, month: dt.date, consortia: pd.DataFrame) -> None:
    c = consortia.set_index("consortium_id").loc[consortium_id]
    region = f"{c['region_name'] or c['region_code']}（{c['region_code']}）"
    st.caption(
        f"参保地为 {region} 的参保人在 {month:%Y-%m} 的有效结算（冲正已剔除），按结算机构层级及机构是否在区域内。"
        f" Live settlements of people insured in {region}, {month:%Y-%m}, by tier of the"
        " institution of settlement and whether it is inside the region. 零售药店不计入任何医保指标"
        " · pharmacies are excluded from every claims KPI (and from this page)."
    )
    kpis = load("kpi_month", consortium_id, month).set_index("kpi_id")
    fund = kpis.loc["in_region_fund_share"]
    primary = kpis.loc["primary_care_fund_share"]
    visits = kpis.loc["in_region_visit_share"]

    cols = st.columns(3)
    cols[0].metric(
        L.bi("区域内基金支出", "fund paid inside the region"), L.format_yuan(fund["numerator"])
    )
    cols[1].metric(
        L.bi("区域外基金支出", "fund paid outside the region"),
        L.format_yuan(fund["denominator"] - fund["numerator"]),
    )
    cols[2].metric(
        L.bi("医保基金合计（不含药店）", "fund paid, pharmacies excluded"),
        L.format_yuan(fund["denominator"]),
    )
    cols = st.columns(3)
    cols[0].metric(L.bi("区域内支出占比", "share inside"), L.format_percent(fund["value"]))
    cols[1].metric(
        L.bi("区域内基层机构占比", "primary-care share inside"),
        L.format_percent(primary["value"]),
    )
    cols[2].metric(L.bi(visits["name_zh"], visits["name_en"]), L.format_percent(visits["value"]))
    st.caption(
        "区域外的去向见 患者外流 · where the outside part goes: see 患者外流 Patient outflow."
    )

    tiers = tier_table(load("institution_parts", consortium_id, month))
    y = [L.tier_label(t) for t in tiers.index]
    fig = go.Figure()
    fig.add_bar(
        y=y, x=tiers["fund_inside"], orientation="h", name="区域内 inside", marker_color="#1565c0"
    )
    fig.add_bar(
        y=y,
        x=tiers["fund_outside"],
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

    table(
        pd.DataFrame(
            {
                "机构层级 Tier": y,
                "tier": tiers.index,
                "区域内基金 Fund inside": tiers["fund_inside"].values,
                "区域外基金 Fund outside": tiers["fund_outside"].values,
                "区域内占比 Share inside": (
                    tiers["fund_inside"] / tiers["fund_all"].where(tiers["fund_all"] > 0)
                ).values,
                "区域内基层基金 Fund at primary care inside": tiers["fund_primary"].values,
                "区域内结算 Settlements inside": tiers["settlements_inside"].values,
                "区域外结算 Settlements outside": tiers["settlements_outside"].values,
                "区域内住院 Inpatient stays inside": tiers["stays_inside"].values,
                "区域外住院 Inpatient stays outside": tiers["stays_outside"].values,
                "区域内住院总费用 In-region inpatient cost": tiers["stay_cost_inside"].values,
            }
        ),
        hide_index=True,
        key="claims-table",
        column_config={
            "区域内基金 Fund inside": st.column_config.NumberColumn(format="¥%,.2f"),
            "区域外基金 Fund outside": st.column_config.NumberColumn(format="¥%,.2f"),
            "区域内占比 Share inside": st.column_config.NumberColumn(format="percent"),
            "区域内基层基金 Fund at primary care inside": st.column_config.NumberColumn(
                format="¥%,.2f"
            ),
            "区域内住院总费用 In-region inpatient cost": st.column_config.NumberColumn(
                format="¥%,.2f"
            ),
        },
    )
