"""排名 Rankings: the consortia by a KPI, and the consortium's institutions by their parts."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from dashboard import labels as L
from dashboard.views.common import (
    institution_names,
    kpi_names,
    load,
    part_columns,
    parts_caption,
    ranking_chart,
    table,
)
from warehouse.kpi_lines import judged_line, verdict


def render(consortium_id: str, month: dt.date, consortia: pd.DataFrame) -> None:
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
        " 年度累计指标按进度线（目标 × 月份 / 12）；分母不足最少记录数的为样本不足。"
        " Year-to-date KPIs against the pro-rata line (target × month / 12); a cell below the"
        " KPI's minimum of records reads too few records."
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
    # the lines a cell of this month is judged against: pro rata for a year-to-date KPI
    judged = [judged_line(t, kpi_id, month.month) for t in ranking["target"]]
    lines = [L.lines_for(t, d["unit"], d["better"]) for t in judged]

    def status(value, target, denominator) -> str:
        reads = verdict(
            value, target, d["unit"], d["better"], kpi_id=kpi_id, month=month.month,
            denominator=denominator, min_denominator=d["min_denominator"],
        )  # fmt: skip
        return L.BAND_LABELS[reads]

    table(
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
                    status(v, t, n)
                    for v, t, n in zip(
                        ranking["value"], ranking["target"], ranking["denominator"], strict=True
                    )
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
    st.subheader(L.bi("机构排名", "institutions") + f" · {name} · {month:%Y-%m}")
    parts = load("institution_parts", consortium_id, month)
    parts = parts[parts["kpi_id"] == kpi_id]
    st.caption(
        "各机构的分子与分母（kpi_institution_monthly）：记录所在机构；转诊为发出机构；签约为签约机构；"
        "按参保地计算的医保指标为结算机构（含区域外）。线为本医共体的目标。"
        " Each institution's numerator and denominator: the institution of the record, the sender"
        " of a referral, the signing institution of a contract, for the region-based claims KPIs"
        " the institution of the settlement (also outside the region). The lines are the"
        " consortium's target. " + parts_caption(parts, bool(d["parts_add_up"]), kpi_id)
    )
    if parts.empty:
        return
    target = ranking.set_index("consortium_id")["target"].get(consortium_id)
    parts = parts.assign(_missing=parts["value"].isna()).sort_values(
        ["_missing", "value", "institution_code"],
        ascending=[True, d["better"] != "higher", True],
    )
    ranking_chart(
        institution_names(parts),
        list(parts["value"]),
        [target] * len(parts),
        d["unit"],
        d["better"],
        key="rank-institutions-chart",
    )
    num_unit, den_unit = L.part_units(kpi_id)
    table(
        pd.DataFrame(
            {
                "名次 Rank": range(1, len(parts) + 1),
                "机构 Institution": institution_names(parts),
                "institution_code": parts["institution_code"],
                "层级 Tier": [L.tier_label(t) for t in parts["tier"]],
                "数值 Value": [L.format_value(v, d["unit"]) for v in parts["value"]],
                "状态 Status": [
                    status(v, target, n)
                    for v, n in zip(parts["value"], parts["denominator"], strict=True)
                ],
                "分子 Numerator": parts["numerator"],
                "分母 Denominator": parts["denominator"],
            }
        ),
        hide_index=True,
        key="rank-institutions-table",
        column_config=part_columns(num_unit, den_unit),
    )
