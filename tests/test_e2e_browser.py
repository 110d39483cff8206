"""End-to-end test of the browser page in headless Chromium (Debian's package).

Starts ``tis-sim viz`` on a free 127.0.0.1 port, loads the page with Playwright, clicks
Step and Play, checks that the network, the charts and the summary card change, that a bad
seed is refused next to its field, that the browser console shows no errors and that no
request leaves 127.0.0.1 (the page works offline). Screenshots go to ``results/e2e/``.
"""

from __future__ import annotations

import io
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

CHROMIUM = Path("/usr/bin/chromium")
#: Flags verified on Debian's chromium without `playwright install` (DEPENDENCIES.md).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
REPO = Path(__file__).resolve().parents[1]
SHOTS = REPO / "results" / "e2e"
VIEWS = ("network", "stages", "efficacy", "minutes", "tickets")
LOCAL_HOSTS = {"127.0.0.1"}

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.timeout(90),
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason=f"{CHROMIUM} is missing (apt-get install chromium); .ci/run "
                              "installs it"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _command(port: int) -> list[str]:
    script = Path(sys.executable).with_name("tis-sim")
    head = [str(script)] if script.exists() else [sys.executable, "-m", "sim.cli"]
    return [*head, "viz", "--port", str(port)]


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """``tis-sim viz`` on a free port; always terminated, its log kept in results/e2e/."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    log_path = SHOTS / "server.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(_command(port), cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"})
        try:
            deadline = time.monotonic() + 45
            while True:
                if proc.poll() is not None:
                    pytest.fail(f"tis-sim viz exited ({proc.returncode}):\n"
                                + log_path.read_text())
                try:
                    with urllib.request.urlopen(url, timeout=2) as response:
                        if response.status == 200:
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail("tis-sim viz not ready in 45 s:\n" + log_path.read_text())
                time.sleep(0.2)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _day(page) -> int:
    text = page.locator(".tis-summary").inner_text()
    match = re.search(r"Day\s+(\d+) \(year", text)
    assert match, text
    return int(match.group(1))


def _shots(page) -> dict[str, bytes]:
    """Each view's pixels as shown in the browser."""
    return {v: page.locator(f"img.tis-view-{v}").screenshot() for v in VIEWS}


def _body_differs(before: bytes, after: bytes) -> bool:
    """True when the images differ below the title strip (the title shows the day)."""
    from PIL import Image, ImageChops

    a, b = (Image.open(io.BytesIO(x)).convert("RGB") for x in (before, after))
    if a.size != b.size:
        return True
    box = (0, int(a.height * 0.1), a.width, a.height)
    return ImageChops.difference(a.crop(box), b.crop(box)).getbbox() is not None


def test_page_steps_plays_refuses_bad_input_and_stays_local(server: str):
    from playwright.sync_api import sync_playwright

    requests: list[str] = []
    failed: list[str] = []
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                    args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1000})
            page.on("request", lambda r: requests.append(r.url))
            page.on("response", lambda r: failed.append(f"{r.status} {r.url}")
                    if r.status >= 400 else None)
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            start = time.monotonic()
            page.goto(server)
            step = page.get_by_role("button", name="Step", exact=True)
            step.wait_for(timeout=30_000)
            for v in VIEWS:
                page.locator(f"img.tis-view-{v}").wait_for(timeout=30_000)
            load_s = time.monotonic() - start
            assert _day(page) == 0
            page.screenshot(path=SHOTS / "01_loaded.png")
            first = _shots(page)

            start = time.monotonic()
            step.click()
            page.wait_for_function("() => /Day\\s+1 \\(year/.test("
                                   "document.querySelector('.tis-summary').innerText)")
            step_s = time.monotonic() - start
            after_step = _shots(page)
            assert all(after_step[v] != first[v] for v in VIEWS)
            page.screenshot(path=SHOTS / "02_after_step.png")

            page.get_by_role("button", name="▶", exact=True).click()
            page.wait_for_function("() => { const m = /Day\\s+(\\d+) \\(year/.exec("
                                   "document.querySelector('.tis-summary').innerText);"
                                   " return m && +m[1] >= 20; }", timeout=40_000)
            page.get_by_role("button", name="❚❚", exact=True).click()
            page.get_by_role("button", name="Step", exact=True).and_(
                page.locator(":not([disabled])")).wait_for()
            page.wait_for_timeout(500)
            paused_at = _day(page)
            page.wait_for_timeout(700)
            assert _day(page) == paused_at >= 20
            after_play = _shots(page)
            assert all(_body_differs(after_step[v], after_play[v]) for v in VIEWS)
            page.screenshot(path=SHOTS / "03_after_play.png")

            seed = page.get_by_label("Seed (a whole number)")
            seed.fill("not-a-number")
            seed.press("Enter")
            page.get_by_text("seed: 'not-a-number' is not allowed").wait_for()
            page.get_by_role("button", name="Reset", exact=True).click()
            page.get_by_text("Not reset: correct the fields marked in red").wait_for()
            assert _day(page) == paused_at  # the run was kept
            page.screenshot(path=SHOTS / "04_bad_seed.png")
        finally:
            browser.close()
    print(f"\npage load {load_s:.2f} s; Step click to updated summary {step_s * 1000:.0f} ms; "
          f"{len(requests)} requests")
    outside = [u for u in requests
               if urlparse(u).scheme not in ("data", "blob") and urlparse(u).hostname
               not in LOCAL_HOSTS]
    assert requests and not outside, outside
    assert not failed, failed  # e.g. an asset missing from the local copy
    assert not errors, errors
    # The server must not have tried the internet either (Solara's asset proxy logs this).
    assert "Could not load URL" not in (SHOTS / "server.log").read_text()
