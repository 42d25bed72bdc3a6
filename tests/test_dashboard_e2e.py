"""The dashboard end to end: `streamlit run` on a free localhost port, loaded in headless Debian
chromium, screenshot saved; the night publishes (os.replace of the file) while the page is open,
and the page keeps working and shows the new figures; the server never holds the file.

Every page is visited, the new ones (outflow, signing, public health) showing names from their
marts, and a KPI card's drill-down to its institutions is opened.

Skipped where /usr/bin/chromium is absent (`.ci/run` installs it: apt-get install -y chromium).
Set KPI_DASHBOARD_SCREENSHOT=path to keep the screenshot of the main page."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import duckdb
import pytest
from PIL import Image
from test_dashboard import REUSE_ENV, build_warehouse

from dashboard import labels
from dashboard.screenshot import CHROMIUM, Chromium

REPO = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason=f"{CHROMIUM} is absent: the browser test needs Debian's chromium (apt-get install -y chromium)",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def held_by(pid: int, path: Path) -> list[str]:
    """Open descriptors of process `pid` on `path` (also on a replaced, deleted version of it)."""
    found = []
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith(str(path)):
            found.append(target)
    return found


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Path:
    """A copy of the generated warehouse, which the test publishes over."""
    source = (
        Path(os.environ[REUSE_ENV])
        if os.environ.get(REUSE_ENV)
        else build_warehouse(tmp_path_factory)
    )
    target = tmp_path_factory.mktemp("e2e") / "kpi.duckdb"
    shutil.copyfile(source, target)
    return target


@pytest.fixture(scope="module")
def server(published):
    """`streamlit run dashboard/app.py -- --warehouse FILE` on a free port; yields (url, pid)."""
    port = free_port()
    log = published.with_name("streamlit.log")
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(REPO / "dashboard" / "app.py"),
             "--server.headless", "true", "--server.address", "127.0.0.1",
             "--server.port", str(port), "--server.fileWatcherType", "none",
             "--browser.gatherUsageStats", "false", "--client.toolbarMode", "minimal",
             "--", "--warehouse", str(published)],
            cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url + "_stcore/health", timeout=2) as resp:
                    if resp.read() == b"ok":
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"streamlit did not start: {log.read_text()[-3000:]}")
            time.sleep(0.3)
        yield url, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def latest_kpi(path: Path, kpi_id: str) -> tuple[str, str, dt.date, float, str]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(
            "SELECT c.consortium_id, c.consortium_name, k.month, k.value, d.name_zh FROM kpi_monthly k "
            "JOIN dim_consortium c USING (consortium_id) JOIN kpi_definitions d USING (kpi_id) "
            "WHERE kpi_id = $k ORDER BY c.consortium_id, k.month DESC LIMIT 1",
            {"k": kpi_id},
        ).fetchone()


def page_figures(path: Path, consortium: str, month: dt.date) -> tuple[str, str, str]:
    """Figures of the marts the pages show as text (tables are drawn on a canvas): the sums
    under the first card's drill-down, the fund paid outside the region, the month's points."""
    with duckdb.connect(str(path), read_only=True) as con:

        def one(sql: str):
            return con.execute(sql, {"c": consortium, "m": month}).fetchone()

        num, den = one(
            "SELECT sum(numerator), sum(denominator) FROM kpi_institution_monthly "
            "WHERE consortium_id = $c AND month = $m AND kpi_id = 'primary_care_visit_share'"
        )
        (fund,) = one(
            "SELECT sum(fund_paid) FROM outflow_monthly WHERE consortium_id = $c AND month = $m"
        )
        (points,) = one(
            "SELECT sum(points) FROM public_health_work_points "
            "WHERE consortium_id = $c AND month = $m"
        )
    drill = f"Σ 分子 {labels.format_count(num)} / Σ 分母 {labels.format_count(den)}"
    return drill, labels.format_yuan(fund or 0), labels.format_points(points or 0)


def publish_with_value(published: Path, consortium: str, month: dt.date, value: float) -> None:
    """What the night does: build a complete new file beside the published one, os.replace it."""
    night = published.with_name(published.name + ".building")
    shutil.copyfile(published, night)
    with duckdb.connect(str(night)) as con:
        con.execute(
            "UPDATE kpi_monthly SET value = $v WHERE consortium_id = $c AND month = $m "
            "AND kpi_id = 'primary_care_visit_share'",
            {"v": value, "c": consortium, "m": month},
        )
    os.replace(night, published)


@pytest.mark.slow
def test_the_page_loads_in_chromium_and_survives_a_publish(server, published, tmp_path):
    url, pid = server
    consortium, name, month, value, kpi_zh = latest_kpi(published, "primary_care_visit_share")
    shown = labels.format_value(value, "ratio")
    drill, fund_outside, points = page_figures(published, consortium, month)
    with Chromium(width=1400, height=1000) as page:
        page.goto(url)
        text = page.wait_for([name, kpi_zh, shown, "指标总览 KPI overview"], timeout=120)
        assert "Traceback" not in text and "Error" not in text
        shot = page.screenshot(tmp_path / "dashboard.png")
        with Image.open(shot) as image:
            assert image.size == (1400, 1000)
            colours = image.convert("RGB").resize((140, 100)).getcolors(140 * 100)
            assert colours and len(colours) > 50, "the screenshot is not a blank page"
        if os.environ.get("KPI_DASHBOARD_SCREENSHOT"):
            shutil.copyfile(shot, os.environ["KPI_DASHBOARD_SCREENSHOT"])

        # the server holds no descriptor on the published file between requests
        assert held_by(pid, published) == []

        # the night publishes while the page is open; the session goes on (another page, then back)
        publish_with_value(published, consortium, month, 0.4321)
        page.click_text('[role="tab"]', "排名 Rankings")
        text = page.wait_for(["医共体排名"], timeout=120)
        page.click_text('[role="tab"]', "指标总览 KPI overview")
        text = page.wait_for([name, "43.2%"], timeout=120)
        assert "Traceback" not in text and not page.evaluate(
            "document.querySelectorAll('[data-testid=\"stException\"]').length"
        )
        assert held_by(pid, published) == []

        # the KPI card drills down to its institutions (kpi_institution_monthly)
        page.click_text("summary", "按机构 · by institution")
        page.wait_for(["各机构之和即医共体的分子与分母", drill], timeout=120)

        # a new visitor sees the new file as well, on every page; the new pages show the marts
        for tab, needles in {
            labels.PAGES["rankings"]: ["医共体排名"],
            labels.PAGES["referrals"]: ["转诊"],
            labels.PAGES["claims"]: ["按机构层级的基金支出"],
            labels.PAGES["outflow"]: ["主要外流医院", fund_outside],
            labels.PAGES["signing"]: ["按人群", "重点人群", "≥ 65.0%", "按家庭医生团队"],
            labels.PAGES["public_health"]: ["公共卫生工分", points],
            labels.PAGES["completeness"]: ["报送情况"],
        }.items():
            page.goto(url + "?" + urllib.parse.urlencode({"page": tab}))
            text = page.wait_for([name, tab, *needles], timeout=120)
            assert "Traceback" not in text and not page.evaluate(
                "document.querySelectorAll('[data-testid=\"stException\"]').length"
            ), tab
