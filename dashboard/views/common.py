"""What the pages share: cached reads of the published file and drawing helpers."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard import labels as L
from dashboard import queries as q

_warehouse: Path | None = None


def use_warehouse(path: Path) -> None:
    """The published file every `load` of this run reads (set by app.py on each run)."""
    global _warehouse
    _warehouse = path


def warehouse() -> Path:
    if _warehouse is None:
        raise q.WarehouseMissingError("no warehouse configured")
    return _warehouse


# --- data access: cached per identity of the published file -----------------------------------


@st.cache_data(ttl=3600, max_entries=512, show_spinner=False)
def _cached(name: str, path: str, file_signature: tuple, args: tuple):
    del file_signature  # part of the cache key only: a publish is a new file, a new key
    return getattr(q, name)(Path(path), *args)


def load(name: str, *args):
    """`dashboard.queries.<name>(warehouse, *args)`, cached until the next publish."""
    path = warehouse()
    return _cached(name, str(path), q.signature(path), args)


# --- formatting helpers -------------------------------------------------------------------------


def readable(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame as people read it: an empty text or date cell shows as —, not "None"; a date
    as 2026-03-20, not "2026-03-20 00:00:00" (a time only where there is one). Numbers are left
    to the table's number formats."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if pd.api.types.is_datetime64_any_dtype(values):
            present = values.dropna()
            shape = "%Y-%m-%d" if (present == present.dt.normalize()).all() else "%Y-%m-%d %H:%M"
            out[column] = values.dt.strftime(shape).where(values.notna(), "—")
        elif not pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            out[column] = values.map(_readable_cell).astype(object)
    return out


def _readable_cell(value: object) -> object:
    if value is None or (isinstance(value, float) and value != value):
        return "—"
    if value is pd.NA or value is pd.NaT:
        return "—"
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d" if value == value.normalize() else "%Y-%m-%d %H:%M")
    return value


def table(frame: pd.DataFrame, **kwargs) -> None:
    """Every table of the pages: `st.dataframe` of the readable frame."""
    st.dataframe(readable(frame), **kwargs)


def delta_text(value: float | None, previous: float | None, unit: str) -> str | None:
    if pd.isna(value) or pd.isna(previous):
        return None
    return L.format_change(float(value) - float(previous), unit)


def badge(meets_target: bool | None, value: float | None, target: float | None) -> str:
    text = L.met_label(meets_target, value, target)
    if pd.isna(value) or pd.isna(target):
        return f":gray-badge[{text}]"
    return f":green-badge[{text}]" if bool(meets_target) else f":red-badge[{text}]"


def month_label(month: str) -> str:
    return month[:7]


def consortium_label(row: pd.Series) -> str:
    return f"{row.consortium_name}（{row.consortium_id}）"


def kpi_names(definitions: pd.DataFrame) -> dict[str, str]:
    """kpi_id -> "中文名 · English name", the label of every KPI selector."""
    return dict(
        zip(
            definitions["kpi_id"],
            definitions["name_zh"] + L.SEP + definitions["name_en"],
            strict=True,
        )
    )


def institution_names(df: pd.DataFrame) -> list[str]:
    return [
        L.institution_label(n, c)
        for n, c in zip(df["institution_name"], df["institution_code"], strict=True)
    ]


def part_columns(num_unit: str, den_unit: str) -> dict:
    """Column formats of the numerator and denominator columns (yuan with fen, else counts)."""
    return {
        "分子 Numerator": st.column_config.NumberColumn(
            format="%,.2f" if num_unit == "yuan" else "%,d"
        ),
        "分母 Denominator": st.column_config.NumberColumn(
            format="%,.2f" if den_unit == "yuan" else "%,d"
        ),
    }


def parts_frame(parts: pd.DataFrame, unit: str, kpi_id: str) -> pd.DataFrame:
    """The table of one KPI's parts by institution (rows of kpi_institution_monthly)."""
    return pd.DataFrame(
        {
            "机构 Institution": institution_names(parts),
            "institution_code": parts["institution_code"],
            "层级 Tier": [L.tier_label(t) for t in parts["tier"]],
            "分子 Numerator": parts["numerator"],
            "分母 Denominator": parts["denominator"],
            "数值 Value": [L.format_value(v, unit) for v in parts["value"]],
            "kpi_id": kpi_id,
        }
    )


def parts_caption(parts: pd.DataFrame, parts_add_up: bool, kpi_id: str) -> str:
    num_unit, den_unit = L.part_units(kpi_id)
    if parts.empty:
        return "该指标无机构明细。This KPI has no parts by institution."
    if parts_add_up:
        return (
            f"各机构之和即医共体的分子与分母 · the parts add up to the consortium's figures: "
            f"Σ 分子 {L.format_part(parts['numerator'].sum(), num_unit)} / "
            f"Σ 分母 {L.format_part(parts['denominator'].sum(), den_unit)}."
        )
    return (
        "各机构之和不等于医共体的数：同一人在其符合条件的每家机构各计一次（增长率亦不可相加）。"
        " The parts do not add up to the consortium's figures: a person counts at each"
        " institution where they qualify (and a growth is not a sum)."
    )


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
        yaxis={"autorange": "reversed", "type": "category"},  # codes are names, not numbers
        legend={"orientation": "h", "y": -0.15},
    )
    fig.update_xaxes(
        tickformat=",.0f" if unit == "yuan" else ".0%", tickprefix="¥" if unit == "yuan" else ""
    )
    st.plotly_chart(fig, key=key)


def bar_chart(names: list[str], values: list, key: str, *, yuan: bool = False, title: str = ""):
    """A plain horizontal bar chart, largest first as given."""
    fig = go.Figure()
    fig.add_bar(y=names, x=values, orientation="h", marker_color="#1565c0")
    fig.update_layout(
        height=max(200, 28 * len(names) + 80),
        margin={"t": 10, "b": 10, "l": 10},
        yaxis={"autorange": "reversed", "type": "category"},  # codes are names, not numbers
    )
    fig.update_xaxes(
        tickformat=",.0f" if yuan else ",", tickprefix="¥" if yuan else "", title=title
    )
    st.plotly_chart(fig, key=key)
