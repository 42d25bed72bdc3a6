"""What the night tells people, in Chinese and English: a failed night (which step, what to do),
and after a publish the KPI cells past their alert line and the expected files that did not
arrive. Built here as plain data; `night.airflow_support` delivers it through an Airflow
notifier, to the task log and to the webhook `KPI_ALERT_WEBHOOK` when one is set.

Webhook payloads (`KPI_ALERT_FORMAT`):

- `wecom` (企业微信群机器人): `{"msgtype": "markdown", "markdown": {"content": "<text>"}}`
- `dingtalk` (钉钉自定义机器人): `{"msgtype": "markdown", "markdown": {"title": "<title>",
  "text": "<text>"}}`
- `json` (the default): `{"kind", "title", "text", "business_date", "facts": {...}}`, the facts
  being the fields below, for a receiver of one's own.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

BEIJING = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")

# What to do when a step fails, for whoever is on call (中文, English).
STEP_ADVICE = {
    "land_reference": (
        "检查 reference/ 下的机构、医共体、目标文件（任务日志列出出错的行），修正后重跑当晚。",
        "Fix the registry files under reference/ (the task log names the rows), then rerun the night.",
    ),
    "ingest": (
        "查看任务日志中的文件与原因；单个坏文件或坏行会被隔离而不会使当晚失败，失败多为磁盘、权限或密钥问题。",
        "Read the task log: a bad file or row is quarantined and never fails the night, so this is "
        "usually disk, permissions or the pseudonym key.",
    ),
    "dbt_build": (
        "查看任务日志中失败的模型或测试；数据测试失败说明数据或登记表有误，需先修正再重跑。",
        "Read the failed model or test in the task log; a failed data test means the data or the "
        "registry must be corrected before rerunning.",
    ),
    "audit": (
        "审计未通过（计数不符或发现明文身份证号），不得发布；联系数据工程师排查。",
        "The audit failed (counts do not reconcile, or a clear resident ID was found): nothing may "
        "be published; call the data engineer.",
    ),
    "publish": (
        "发布失败，昨日数据仍可读；检查仓库目录的磁盘空间与权限后重跑当晚。",
        "Publishing failed and yesterday's warehouse stays readable: check disk space and "
        "permissions of the warehouse folder, then rerun the night.",
    ),
    "export_for_bi": (
        "仓库已发布，仅 BI 导出失败（上一版导出仍在）；检查磁盘后重跑该任务。",
        "The warehouse was published; only the BI export failed (the previous export stays): "
        "check the disk and rerun this task.",
    ),
}
STEPS_AFTER_PUBLISH = frozenset({"export_for_bi"})
DEFAULT_ADVICE = ("查看任务日志后重跑当晚。", "Read the task log, then rerun the night.")


@dataclass
class Alert:
    kind: str  # night_failed | kpi_lines | missing_files
    title: str
    text: str
    business_date: str
    facts: dict = field(default_factory=dict)


def business_date_of(context: dict) -> dt.date | None:
    """The business date of a DAG run: its data interval's start, in Beijing time."""
    start = context.get("data_interval_start") or context.get("logical_date")
    if start is None:
        return None
    if isinstance(start, str):
        start = dt.datetime.fromisoformat(start)
    return start.astimezone(BEIJING).date()


def failure_alert(context: dict) -> Alert:
    ti = context.get("task_instance") or context.get("ti")
    step = getattr(ti, "task_id", None) or "unknown"
    day = business_date_of(context)
    error = str(context.get("exception"))[:1000]
    zh, en = STEP_ADVICE.get(step, DEFAULT_ADVICE)
    published = step in STEPS_AFTER_PUBLISH
    consequence = (
        ("仓库已发布。", "The warehouse was published.")
        if published
        else (
            "当晚未发布任何数据，上一版仓库仍可读。",
            "Nothing was published; the last good warehouse stays readable.",
        )
    )
    title = f"医联体 KPI 夜间任务失败 · KPI night failed: {day} · {step}"
    text = "\n".join(
        [
            f"### {title}",
            f"- 业务日期 Business date (北京时间 Beijing time): {day}",
            f"- 失败步骤 Failed step: {step}",
            f"- 错误 Error: {error}",
            f"- 后果 Consequence: {consequence[0]} {consequence[1]}",
            f"- 处理 What to do: {zh}",
            f"  {en}",
        ]
    )
    facts = {
        "dag_id": getattr(ti, "dag_id", None),
        "run_id": context.get("run_id"),
        "step": step,
        "error": error,
        "published": published,
    }
    return Alert("night_failed", title, text, str(day), facts)


def kpi_line_alerts(con, business_date: dt.date) -> Alert | None:
    """The KPI cells of the business date's month past their watch line (关注: the target
    missed, within the margin) or their alert line (预警: beyond it), by the dashboard's rule.
    A cell whose denominator is below the KPI's documented minimum
    (`kpi_definitions.min_denominator`) is left out: a handful of stray records is not a
    result. A year-to-date KPI is judged against the pro-rata line of its year target."""
    from warehouse.kpi_lines import judged_line, verdict

    month = business_date.replace(day=1)
    rows = con.execute(
        """
        SELECT m.consortium_id, c.consortium_name, m.kpi_id, d.name_zh, d.name_en, d.unit,
               m.better, m.value, m.target, m.denominator,
               coalesce(d.min_denominator, 0) AS min_denominator
        FROM kpi_monthly m
        JOIN kpi_definitions d USING (kpi_id)
        LEFT JOIN dim_consortium c USING (consortium_id)
        WHERE m.month = $month AND m.value IS NOT NULL AND m.target IS NOT NULL
        ORDER BY m.consortium_id, d.display_order
        """,
        {"month": month},
    ).fetchall()
    crossed = []
    for cid, cname, kpi, zh, en, unit, better, value, target, denominator, minimum in rows:
        reads = verdict(
            value, target, unit, better, kpi_id=kpi, month=business_date.month,
            denominator=denominator, min_denominator=minimum,
        )  # fmt: skip
        if reads in ("watch", "alert"):
            target = judged_line(target, kpi, business_date.month)
            crossed.append(
                {
                    "level": reads,
                    "consortium_id": cid,
                    "consortium_name": cname,
                    "kpi_id": kpi,
                    "kpi": f"{zh} {en}",
                    "value": float(value),
                    "line": float(target),
                }
            )
    if not crossed:
        return None
    alerts = sum(c["level"] == "alert" for c in crossed)
    title = (
        f"KPI 关注/预警 · KPIs past their watch or alert line: {month:%Y-%m} "
        f"(预警 alert {alerts}, 关注 watch {len(crossed) - alerts})"
    )
    crossed.sort(key=lambda c: c["level"] != "alert")  # alerts first
    lines = [f"### {title}", f"- 业务日期 Business date: {business_date}"]
    lines += [
        f"- {LEVELS[c['level']]} {c['consortium_name'] or c['consortium_id']} · {c['kpi']}: "
        f"{_figure(c['value'])} (目标 target {_figure(c['line'])})"
        for c in crossed[:30]
    ]
    if len(crossed) > 30:
        lines.append(
            f"- … 另有 {len(crossed) - 30} 项 and {len(crossed) - 30} more (see the dashboard)"
        )
    return Alert("kpi_lines", title, "\n".join(lines), str(business_date), {"cells": crossed})


LEVELS = {"alert": "**预警 alert**", "watch": "关注 watch"}


def missing_file_alert(con, business_date: dt.date) -> Alert | None:
    """The expected deliveries of the business date that did not arrive."""
    rows = con.execute(
        "SELECT source_code, kind, expectation FROM delivery_status "
        "WHERE business_date = $d AND is_expected AND NOT is_delivered ORDER BY ALL",
        {"d": business_date},
    ).fetchall()
    if not rows:
        return None
    missing = [{"source_code": s, "kind": k, "expectation": e} for s, k, e in rows]
    title = f"文件未到 · Expected files missing: {business_date} ({len(missing)})"
    lines = [f"### {title}"] + [f"- {m['source_code']} · {m['kind']}" for m in missing[:50]]
    if len(missing) > 50:
        lines.append(
            f"- … 另有 {len(missing) - 50} 个 and {len(missing) - 50} more (数据完整性 page)"
        )
    return Alert("missing_files", title, "\n".join(lines), str(business_date), {"missing": missing})


def night_alerts(warehouse: Path, business_date: dt.date) -> list[Alert]:
    """What the published night of `business_date` should tell the office."""
    from warehouse.marts import open_published

    with open_published(warehouse) as con:
        found = [kpi_line_alerts(con, business_date), missing_file_alert(con, business_date)]
    return [a for a in found if a is not None]


def _figure(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.1%}" if abs(value) <= 10 else f"{value:,.0f}"


def payload(alert: Alert, style: str = "json") -> dict:
    if style == "wecom":
        return {"msgtype": "markdown", "markdown": {"content": alert.text}}
    if style == "dingtalk":
        return {"msgtype": "markdown", "markdown": {"title": alert.title, "text": alert.text}}
    return asdict(alert)


def deliver(alert: Alert, url: str | None, style: str = "json") -> bool:
    """Log the alert; POST it to `url` when given. A webhook that is down is logged, never
    raised: an alert must not fail the night it reports on."""
    log.warning("%s\n%s", alert.title, alert.text)
    if not url:
        return False
    body = json.dumps(payload(alert, style), ensure_ascii=False).encode()
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/json; charset=utf-8"}
    )
    try:
        urllib.request.urlopen(request, timeout=10).close()  # noqa: S310 - deployment-set URL
    except OSError as exc:
        log.error("could not deliver the alert to the webhook: %s", exc)
        return False
    return True
