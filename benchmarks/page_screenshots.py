"""Refresh the README's screenshots of the browser page (docs/img/viz*.png).

Usage: ``python benchmarks/page_screenshots.py URL`` with ``tis-sim viz`` serving at URL.
Drives Debian's Chromium through Playwright at 1440×900: the Simulation tab at the end of
the first school year, and Compare (help desk against today's district) at day 180.
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

OUT = Path(__file__).resolve().parents[1] / "docs" / "img"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def main(url: str) -> None:
    """Take both screenshots."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                    args=ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        page.goto(url)
        page.locator("img.tis-view-tickets").wait_for(timeout=60_000)
        page.get_by_role("button", name="Run to end of school year").click()
        page.get_by_text("Day180 (year 2, day 0)").or_(page.get_by_text("180 (year 2")).first \
            .wait_for(timeout=120_000)
        page.wait_for_timeout(1500)
        page.screenshot(path=OUT / "viz.png", full_page=True)
        page.get_by_role("tab", name="Compare a policy").click()
        page.get_by_label("Replicates per arm", exact=False).fill("10")
        page.get_by_role("button", name="Start comparing").click()
        page.locator(".tis-view-compare-curves").wait_for(timeout=60_000)
        page.get_by_role("button", name="Run to end of school year").click()
        page.get_by_text("day 180 of 180").wait_for(timeout=120_000)
        page.get_by_text("Mean paired difference over 10 replicates").wait_for(timeout=300_000)
        page.wait_for_timeout(1500)
        page.screenshot(path=OUT / "viz_compare.png", full_page=True)
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8765/")
