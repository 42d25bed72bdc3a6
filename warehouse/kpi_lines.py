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
