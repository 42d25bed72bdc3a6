"""医共体绩效看板 · Consortium KPI dashboard.

    streamlit run dashboard/app.py -- --warehouse /data/warehouse/kpi.duckdb
    KPI_WAREHOUSE=/data/warehouse/kpi.duckdb streamlit run dashboard/app.py

Reads only the published marts, through `dashboard.queries`: every query opens the file
read-only and closes it before the page is drawn. Results are cached per identity of the file
(inode, mtime, size), so a night's publish (os.replace) is picked up at the next rerun. The pages
are the modules of `dashboard/views/`, drawn here in tabs.
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
import streamlit as st  # noqa: E402

from dashboard import labels as L  # noqa: E402
from dashboard import queries as q  # noqa: E402
from dashboard.views import (  # noqa: E402
    claims,
    completeness,
    outflow,
    overview,
    public_health,
    rankings,
    referrals,
    signing,
)
from dashboard.views.common import consortium_label, load, month_label, use_warehouse  # noqa: E402

PAGES = tuple(L.PAGES.values())

st.set_page_config(page_title="医共体绩效看板 · Consortium KPIs", page_icon="🏥", layout="wide")

try:
    WAREHOUSE = q.warehouse_path(sys.argv[1:])
    use_warehouse(WAREHOUSE)
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
    # the full name wraps here; the selector above may cut a long one
    st.caption(f"**{by_id.loc[consortium_id, 'consortium_name']}**")
    st.divider()
    latest = load("latest_deliveries")
    if latest:
        expected, delivered = int(latest["expected"]), int(latest["delivered"])
        share = f" ({L.format_percent(delivered / expected)})" if expected else ""
        st.markdown(
            f"**数据截至 data up to {pd.Timestamp(latest['business_date']):%Y-%m-%d}**  \n"
            f"当日报送 deliveries: {delivered:,} / {expected:,} 预期 expected{share}  \n"
            f"入库 rows loaded {L.format_count(latest['rows_loaded'])} · "
            f"隔离 quarantined {L.format_count(latest['rows_quarantined'])}  \n"
            f"{len(consortia)} 个医共体/医联体 consortia · {len(months)} 个月 months"
        )
    st.caption(f"发布于 published {q.published_at(WAREHOUSE):%Y-%m-%d %H:%M}")
    with st.expander("技术信息 technical"):
        st.caption(
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

DRAW = {
    "overview": lambda: overview.render(consortium_id, month),
    "rankings": lambda: rankings.render(consortium_id, month, consortia),
    "referrals": lambda: referrals.render(consortium_id, month, months),
    "claims": lambda: claims.render(consortium_id, month, consortia),
    "outflow": lambda: outflow.render(consortium_id, month, consortia),
    "signing": lambda: signing.render(consortium_id, month),
    "public_health": lambda: public_health.render(consortium_id, month),
    "completeness": lambda: completeness.render(consortium_id, consortia),
}

tabs = st.tabs(PAGES, key="page", bind="query-params")
for tab, page in zip(tabs, L.PAGES, strict=True):
    with tab:
        if tab.open is not False:  # the open tab only (None: not tracked, every tab)
            DRAW[page]()
