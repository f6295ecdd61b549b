"""End-to-end proof that a Mesa SolaraViz page is served and works with no internet.

Serves ``tests/browser/_demo_app.py`` through ``consortsim.serve`` (asset cache
filled from npm, CDN pointed at a closed loopback port, telemetry off), drives
it in headless Chromium, and checks that nothing was requested off the machine.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from consortsim.serve import CLOSED_CDN, SolaraServer

if TYPE_CHECKING:
    from conftest import NetworkLog  # tests/browser/conftest.py
    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]

DEMO_APP = "tests/browser/_demo_app.py"
UI_TIMEOUT_MS = 30_000


def test_demo_page_renders_steps_and_stays_on_loopback(
    solara_server: Callable[[str], SolaraServer],
    open_solara_page: Callable[..., float],
    browser_page: Page,
    network_log: NetworkLog,
    artifacts_dir: Path,
) -> None:
    """Load the page, wait for both plots, Step, change the slider, Reset, screenshot."""
    t0 = time.monotonic()
    server = solara_server(DEMO_APP)
    server_s = time.monotonic() - t0
    page = browser_page

    load_s = open_solara_page(server.url, ready_selector="text=Demo steps: 0")
    # Mesa's "Information" card and our custom component both show step 0.
    assert page.get_by_text("Time: 0.0").is_visible()
    # Both plot back-ends rendered: matplotlib as an image widget, altair via vega-embed.
    page.locator("img.widget-image").first.wait_for(state="visible", timeout=UI_TIMEOUT_MS)
    page.locator(".vega-embed canvas, .vega-embed svg").first.wait_for(
        state="visible", timeout=UI_TIMEOUT_MS
    )

    # Mesa's ModelController buttons are labelled "Reset", "▶" (play; "❚❚" while
    # playing) and "Step"; CSS upper-cases them on screen, the accessible name is not.
    page.get_by_role("button", name="Step", exact=True).click()
    page.get_by_text("Demo steps: 1").wait_for(timeout=UI_TIMEOUT_MS)
    page.get_by_text("Time: 1.0").wait_for(timeout=UI_TIMEOUT_MS)

    # A model slider only takes effect on Reset, which re-creates the model with
    # the slider values as keyword arguments.
    slider = page.get_by_role("slider", name="Number of agents")
    slider.focus()
    slider.press("ArrowRight")
    page.get_by_role("button", name="Reset", exact=True).click()
    page.get_by_text(re.compile(r"Demo steps: 0\s*\(6 agents\)")).wait_for(timeout=UI_TIMEOUT_MS)
    page.get_by_role("button", name="Step", exact=True).click()
    page.get_by_text("Demo steps: 1").wait_for(timeout=UI_TIMEOUT_MS)
    page.wait_for_timeout(500)  # let the plots repaint before the screenshot

    shot = artifacts_dir / "offline_demo.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000, "screenshot is suspiciously small (blank page?)"

    cdn_requests = [u for u in network_log.urls if "/_solara/cdn/" in u]
    assert cdn_requests, "the page loaded no assets through Solara's CDN proxy"
    assert network_log.non_loopback() == [], "browser requested off-machine URLs"
    assert network_log.failures == [], "some page requests failed (asset cache incomplete?)"
    server_log = server.log_tail(lines=10_000)
    assert CLOSED_CDN not in server_log, "server fell back to the (closed) CDN: cache incomplete"
    print(
        f"\nserver ready {server_s:.1f}s, page ready {load_s:.1f}s, "
        f"{len(network_log.urls)} requests ({len(cdn_requests)} via cdn proxy), "
        f"screenshot {shot.relative_to(artifacts_dir.parent.parent)}"
    )
