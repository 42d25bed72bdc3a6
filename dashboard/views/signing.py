"""家庭医生签约 Family-doctor signing: signing rates by population group against their targets,
by institution and by family-doctor team, and over the months.

Rates are signing_by_population_group and the signing KPIs' parts of kpi_institution_monthly;
the teams are counts of contracts in their latest state (fct_contracts)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard import labels as L
from dashboard import queries as q
from dashboard.views.common import badge, bar_chart, institution_names, load, ranking_chart, table

TOP_TEAMS = 20


def group_label(row) -> str:
    return L.bi(row.name_zh, row.name_en)


def render(consortium_id: str, month: dt.date) -> None:
    groups = load("signing_groups", consortium_id)
    now = groups[groups["month"] == pd.Timestamp(month)]
    kpis = load("kpi_month", consortium_id, month).set_index("kpi_id")

    st.caption(
        "签约人数为月末当日有效签约的人数（同一人只计一次），分母为签约机构的服务人口"
        "（reference/service_population.csv）。目标：重点人群 65%，长护险对象 95%（或本医共体的指标目标）。"
        " People signed on the month's last day (a person counts once) against the service"
        " population of the signing institutions. Targets: key populations 65 %, long-term-care"
        " recipients 95 % (or the consortium's own KPI target)."
    )
    cols = st.columns(len(q.SIGNING_KPIS))
    for col, kpi_id in zip(cols, q.SIGNING_KPIS.values(), strict=True):
        k = kpis.loc[kpi_id]
        col.metric(L.bi(k["name_zh"], k["name_en"]), L.format_value(k["value"], "ratio"))
        col.markdown(
            f"**目标 Target** {L.format_target(k['target'], 'ratio', 'higher') or '—'} &nbsp; "
            f"{badge(k['meets_target'], k['value'], k['target'])}  \n"
            f"签约 {L.format_count(k['numerator'])} / 服务人口 {L.format_count(k['denominator'])}"
        )

    st.subheader(L.bi("按人群", "by population group") + f" · {month:%Y-%m}")
    names = [group_label(r) for r in now.itertuples()]
    ranking_chart(
        names, list(now["rate"]), list(now["target"]), "ratio", "higher", key="sign-groups-chart"
    )
    table(
        pd.DataFrame(
            {
                "人群 Group": names,
                "population_group": now["population_group"],
                "已签约 Signed": now["signed"].astype(int).values,
                "服务人口 Population": now["population"].astype(int).values,
                "签约率 Rate": [L.format_value(v, "ratio") for v in now["rate"]],
                "目标 Target": [L.format_target(t, "ratio", "higher") for t in now["target"]],
                "状态 Status": [
                    L.BAND_LABELS[L.band(v, t, "ratio", "higher")]
                    for v, t in zip(now["rate"], now["target"], strict=True)
                ],
            }
        ),
        hide_index=True,
        key="sign-groups-table",
    )
    if not (now["population"] > 0).any():
        st.info(
            f"{month:%Y} 年无服务人口（reference/service_population.csv），签约率为空。"
            f" No service population for {month:%Y}: the rates are empty."
        )

    by_institution(consortium_id, month, groups, kpis)
    by_team(consortium_id, month)
    trend(groups)


def by_institution(
    consortium_id: str, month: dt.date, groups: pd.DataFrame, kpis: pd.DataFrame
) -> None:
    st.subheader(L.bi("按签约机构", "by signing institution") + f" · {month:%Y-%m}")
    st.caption(
        "同一人在两家机构均有有效签约时在两家各计一次：各机构签约人数之和可大于医共体人数；服务人口可相加。"
        " A person with active contracts at two institutions counts at both: the signed counts"
        " may add up to more than the consortium's; the populations add up."
    )
    labels = {
        r.kpi_id: group_label(r)
        for r in groups.drop_duplicates("population_group").itertuples()
        if isinstance(r.kpi_id, str)
    }
    parts = load("institution_parts", consortium_id, month)
    parts = parts[parts["kpi_id"].isin(list(q.SIGNING_KPIS.values()))]
    if parts.empty:
        st.info("本月无签约机构数据。No signing institution this month.")
        return
    kpi_id = st.segmented_control(
        L.bi("人群", "group"),
        list(q.SIGNING_KPIS.values()),
        default="key_population_signing_rate",
        format_func=labels.get,
        key="sign-institution-kpi",
    ) or ("key_population_signing_rate")
    target = kpis.loc[kpi_id, "target"]
    chosen = parts[parts["kpi_id"] == kpi_id]
    chosen = chosen.assign(_missing=chosen["value"].isna()).sort_values(
        ["_missing", "value", "institution_code"], ascending=[True, False, True]
    )
    if not chosen.empty:
        ranking_chart(
            institution_names(chosen),
            list(chosen["value"]),
            [target] * len(chosen),
            "ratio",
            "higher",
            key="sign-institutions-chart",
        )
    order = {k: i for i, k in enumerate(q.SIGNING_KPIS.values())}
    parts = parts.assign(_order=parts["kpi_id"].map(order)).sort_values(
        ["institution_code", "_order"]
    )
    targets = [kpis.loc[k, "target"] for k in parts["kpi_id"]]
    table(
        pd.DataFrame(
            {
                "机构 Institution": institution_names(parts),
                "institution_code": parts["institution_code"],
                "层级 Tier": [L.tier_label(t) for t in parts["tier"]],
                "人群 Group": [labels.get(k, k) for k in parts["kpi_id"]],
                "已签约 Signed": parts["numerator"].astype(int).values,
                "服务人口 Population": parts["denominator"].astype(int).values,
                "签约率 Rate": [L.format_value(v, "ratio") for v in parts["value"]],
                "状态 Status": [
                    L.BAND_LABELS[L.band(v, t, "ratio", "higher")]
                    for v, t in zip(parts["value"], targets, strict=True)
                ],
                "kpi_id": parts["kpi_id"],
            }
        ),
        hide_index=True,
        key="sign-institutions-table",
    )


def by_team(consortium_id: str, month: dt.date) -> None:
    st.subheader(L.bi("按家庭医生团队", "by family-doctor team"))
    st.caption(
        "签约协议按最新状态计数（fct_contracts），不是月末有效签约人数：仓库尚无按团队的签约人数。"
        " Contracts counted in their latest state (fct_contracts), not people signed on the"
        " month's last day: the warehouse has no per-team signed count yet."
    )
    teams = load("contracts_by_team", consortium_id, month)
    if teams.empty:
        st.info("无签约协议。No contracts.")
        return
    keys = ["institution_code", "institution_name", "team_code"]
    teams = teams.assign(  # "" for no team code or name: grouping keys without NULLs
        team_code=teams["team_code"].fillna(""),
        institution_name=teams["institution_name"].fillna(""),
    )
    by_status = teams.groupby([*keys, "status"])["contracts"].sum().unstack("status", fill_value=0)
    by_status = by_status.reindex(columns=list(L.CONTRACT_STATUSES), fill_value=0)
    sums = teams.groupby(keys)[
        ["contracts", "signed_in_month", "key_population_contracts", "with_hospitals"]
    ].sum()
    teams_table = sums.join(by_status).reset_index()
    teams_table = teams_table.sort_values(
        ["active", "contracts", "institution_code", "team_code"],
        ascending=[False, False, True, True],
    )
    names = [L.team_label(t) for t in teams_table["team_code"]]
    bar_chart(
        names[:TOP_TEAMS],
        list(teams_table["active"][:TOP_TEAMS]),
        key="sign-teams-chart",
        title="有效签约协议 active contracts",
    )
    table(
        pd.DataFrame(
            {
                "团队 Team": names,
                "team_code": teams_table["team_code"],
                "机构 Institution": institution_names(teams_table),
                "institution_code": teams_table["institution_code"],
                **{
                    L.bi(*L.CONTRACT_STATUSES[s]): teams_table[s].astype(int).values
                    for s in L.CONTRACT_STATUSES
                },
                "协议合计 Contracts": teams_table["contracts"].astype(int).values,
                f"{month:%Y-%m} 新签 signed in the month": teams_table["signed_in_month"]
                .astype(int)
                .values,
                "含重点人群 With key populations": teams_table["key_population_contracts"]
                .astype(int)
                .values,
                "含签约医院 With named hospitals": teams_table["with_hospitals"].astype(int).values,
            }
        ),
        hide_index=True,
        key="sign-teams-teams_table",
    )


def trend(groups: pd.DataFrame) -> None:
    st.subheader(L.bi("签约率趋势", "signing rates over the loaded months"))
    fig = go.Figure()
    colours = ("#1565c0", "#ef6c00", "#2e7d32")
    for colour, group in zip(colours, q.SIGNING_KPIS, strict=True):
        series = groups[groups["population_group"] == group]
        if series.empty:
            continue
        label = group_label(series.iloc[0])
        fig.add_scatter(
            x=series["month"],
            y=series["rate"],
            mode="lines+markers",
            name=label,
            line={"color": colour},
        )
        if series["target"].notna().any():
            fig.add_scatter(
                x=series["month"],
                y=series["target"],
                mode="lines",
                name=f"目标 target · {series.iloc[0]['name_zh']}",
                line={"dash": "dash", "color": colour},
            )
    fig.update_layout(
        height=340,
        margin={"t": 10, "b": 10},
        xaxis={"tickformat": "%Y-%m", "dtick": "M1"},
        legend={"orientation": "h", "y": -0.2},
    )
    fig.update_yaxes(tickformat=".0%")
    st.plotly_chart(fig, key="sign-trend-chart")
