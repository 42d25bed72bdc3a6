"""The watch and alert lines of a KPI against its target: the one rule the dashboard's colours
(关注/预警) and the night's KPI alerts both use.

The registry has targets, not tolerances: a value that misses its target is "watch" (关注)
while within a margin of it, "alert" (预警) beyond it. Shares: 5 percentage points; yuan: 5 %
of the target.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

WATCH_MARGIN_SHARE = 0.05
WATCH_MARGIN_YUAN_FRACTION = 0.05

# KPIs whose value accumulates over the year (completion against a year target): judged in a
# month against the pro-rata line of the year target.
YEAR_TO_DATE_KPIS = frozenset({"public_health_task_completion"})


def is_missing(value: object) -> bool:
    """None, NaN or anything that is not a number (a NULL read through pandas)."""
    if value is None:
        return True
    try:
        return math.isnan(float(value))  # NaN / pandas NA from a NULL
    except (TypeError, ValueError):
        return True


@dataclass(frozen=True)
class Lines:
    """The watch line (the target itself) and the alert line (the target less the margin)."""

    watch: float
    alert: float


def lines_for(target: float | None, unit: str, better: str) -> Lines | None:
    if is_missing(target):
        return None
    target = float(target)
    margin = abs(target) * WATCH_MARGIN_YUAN_FRACTION if unit == "yuan" else WATCH_MARGIN_SHARE
    alert = target - margin if better == "higher" else target + margin
    return Lines(watch=target, alert=alert)


def band(value: float | None, target: float | None, unit: str, better: str) -> str | None:
    """`ok` (target met), `watch` (missed, within the margin), `alert` (missed beyond it)."""
    lines = lines_for(target, unit, better)
    if lines is None or is_missing(value):
        return None
    value = float(value)
    if better == "higher":
        return "ok" if value >= lines.watch else "watch" if value >= lines.alert else "alert"
    return "ok" if value <= lines.watch else "watch" if value <= lines.alert else "alert"


def pro_rata(target: float | None, month: int) -> float | None:
    """A year target as the line for a year-to-date value at the end of `month` (1-12): a
    completion of 13 % in March against a 100 % year target is on track, not a miss."""
    return None if is_missing(target) else float(target) * month / 12


def verdict(
    value: float | None,
    target: float | None,
    unit: str,
    better: str,
    *,
    kpi_id: str,
    month: int,
    denominator: float | None = None,
    min_denominator: float | None = None,
) -> str | None:
    """How a KPI cell of `month` (1-12) reads: `too_few` when its denominator is below the
    KPI's documented minimum (a handful of stray records is not a result), else the band
    against its line (the pro-rata line for a year-to-date KPI); None with no value or target."""
    if is_missing(value):
        return None
    if not is_missing(min_denominator) and float(denominator or 0) < float(min_denominator):
        return "too_few"
    return band(value, judged_line(target, kpi_id, month), unit, better)


def judged_line(target: float | None, kpi_id: str, month: int) -> float | None:
    """The line a cell of `month` is judged against: the target, pro rata for year-to-date KPIs."""
    return pro_rata(target, month) if kpi_id in YEAR_TO_DATE_KPIS else target
