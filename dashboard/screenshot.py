"""Headless Chromium for the dashboard: load a page, wait until Streamlit has drawn it, screenshot.

`chromium --headless --screenshot --virtual-time-budget=N URL` does not wait for a Streamlit page:
the page is drawn from messages on a websocket, which virtual time does not wait for, so the
screenshot is often blank. This drives the same Debian chromium over the DevTools protocol instead
(the `websockets` client, which Streamlit itself depends on) and waits for text on the page.

    python -m dashboard.screenshot http://127.0.0.1:8501/ dashboard/screenshot.png --wait-for 指标总览
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import itertools
import json
import shutil
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from websockets.sync.client import ClientConnection, connect

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)
# While Streamlit runs the script it shows its status widget; elements not drawn yet are skeletons.
PAGE_STATE_JS = """({
    running: !!document.querySelector('[data-testid="stStatusWidget"]'),
    skeletons: document.querySelectorAll('[data-testid="stSkeleton"]').length,
    elements: document.querySelectorAll('[data-testid]').length,
})"""


class BrowserError(RuntimeError):
    """Chromium could not be started or the page did not render in time."""


class Page:
    """One Chromium tab driven over the DevTools protocol."""

    def __init__(self, ws: ClientConnection) -> None:
        self._ws = ws
        self._ids = itertools.count(1)

    def send(self, method: str, params: dict | None = None) -> dict:
        msg_id = next(self._ids)
        self._ws.send(json.dumps({"id": msg_id, "method": method, "params": params or {}}))
        while True:
            msg = json.loads(self._ws.recv(timeout=120))
            if msg.get("id") == msg_id:
                if "error" in msg:
                    raise BrowserError(f"{method}: {msg['error']}")
                return msg.get("result", {})

    def evaluate(self, expression: str):
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        return result.get("result", {}).get("value")

    def text(self) -> str:
        return self.evaluate("document.body ? document.body.innerText : ''") or ""

    def goto(self, url: str) -> None:
        self.send("Page.navigate", {"url": url})

    def wait_for(self, needles: Sequence[str], timeout: float = 60.0) -> str:
        """Wait until every needle is in the page text, Streamlit has stopped running, no element
        is still a loading skeleton, and the page has not changed for a second."""
        deadline = time.monotonic() + timeout
        text, last, stable = "", None, 0
        while time.monotonic() < deadline:
            text = self.text()
            state = self.evaluate(PAGE_STATE_JS)
            ready = (
                all(n in text for n in needles) and not state["running"] and not state["skeletons"]
            )
            stable = stable + 1 if ready and (text, state["elements"]) == last else 0
            last = (text, state["elements"])
            if stable >= 4:
                return text
            time.sleep(0.25)
        missing = [n for n in needles if n not in text]
        raise BrowserError(
            f"page did not settle showing {needles} within {timeout:.0f}s (missing {missing});"
            f" it shows: {text[:800]!r}"
        )

    def click_text(self, selector: str, text: str) -> None:
        clicked = self.evaluate(
            f"(() => {{ const el = [...document.querySelectorAll({json.dumps(selector)})]"
            f".find(e => e.innerText.includes({json.dumps(text)})); if (el) el.click(); return !!el; }})()"
        )
        if not clicked:
            raise BrowserError(f"nothing matching {selector} with text {text!r} to click")

    def screenshot(self, out: Path) -> Path:
        data = self.send("Page.captureScreenshot", {"format": "png"})
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(base64.b64decode(data["data"]))
        return out


class Chromium:
    """A headless Debian chromium with a private profile, driven over DevTools (context manager)."""

    def __init__(self, width: int = 1400, height: int = 1000, binary: str = CHROMIUM) -> None:
        if not Path(binary).exists() and not shutil.which(binary):
            raise BrowserError(f"{binary} not found: apt-get install -y chromium")
        self.binary, self.width, self.height = binary, width, height
        self._profile = Path(tempfile.mkdtemp(prefix="kpi-chromium-"))
        self._proc: subprocess.Popen | None = None
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> Page:
        try:
            return self._start()
        except BaseException:
            self.__exit__(None, None, None)
            raise

    def _start(self) -> Page:
        self._proc = subprocess.Popen(
            [
                self.binary,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={self._profile}",
                f"--window-size={self.width},{self.height}",
                "--remote-debugging-port=0",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port_file = self._profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not port_file.exists() or not port_file.read_text().strip():
            if self._proc.poll() is not None or time.monotonic() > deadline:
                raise BrowserError(f"{self.binary} did not start (exit code {self._proc.poll()})")
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as resp:
            targets = [t for t in json.load(resp) if t.get("type") == "page"]
        ws = self._stack.enter_context(
            connect(targets[0]["webSocketDebuggerUrl"], max_size=64 << 20, open_timeout=30)
        )
        page = Page(ws)
        page.send("Page.enable")
        page.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": self.width, "height": self.height, "deviceScaleFactor": 1, "mobile": False},
        )
        return page

    def __exit__(self, *exc) -> None:
        self._stack.close()
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        for _ in range(20):  # chromium's helper processes may still write for a moment
            shutil.rmtree(self._profile, ignore_errors=True)
            if not self._profile.exists():
                break
            time.sleep(0.1)


def capture(url: str, out: Path, wait_for: Sequence[str], timeout: float = 60.0) -> str:
    """Load `url`, wait for `wait_for`, save a screenshot to `out`; returns the page text."""
    with Chromium() as page:
        page.goto(url)
        text = page.wait_for(wait_for, timeout=timeout)
        page.screenshot(out)
        return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("out", type=Path)
    parser.add_argument("--wait-for", action="append", default=[], help="text the page must show")
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args(argv)
    capture(args.url, args.out, args.wait_for or ["指标总览"], args.timeout)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
