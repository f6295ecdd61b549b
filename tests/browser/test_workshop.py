"""The workshop page in headless Chromium, served offline on loopback.

One walk through the page as a trainer would drive it: load, Step, make a leader leave,
watch the panels diverge, Play and pause, change a control and Reset. Screenshots are saved
under ``tests/artifacts/`` to be looked at (a room must be able to read them).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from consortsim.serve import SolaraServer
from consortsim.workshop.app import PLAY_INTERVAL_MS

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from conftest import NetworkLog  # tests/browser/conftest.py

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

APP = "consortsim.workshop.app"
UI_TIMEOUT_MS = 45_000
# Agencies of the rural scenario the test makes leave: the first whose leader is in post.
CANDIDATES = ("Valley Regional Emergency Department", "Blue River Behavioral Health",
              "Ridgeview MAT Clinic")
TALL = {"width": 1400, "height": 2150}  # the whole page in one screenshot


def month_shown(page: Page) -> int:
    text = page.locator(".workshop-month").inner_text()
    match = re.fullmatch(r"Month (\d+) of \d+", text.strip())
    assert match, f"unexpected month counter {text!r}"
    return int(match.group(1))


def step_to(page: Page, month: int) -> None:
    """Click Step until the page shows ``month``."""
    while month_shown(page) < month:
        target = month_shown(page) + 1
        page.get_by_role("button", name="Step", exact=True).click()
        page.locator(".workshop-month", has_text=f"Month {target} of").wait_for(
            timeout=UI_TIMEOUT_MS)


def trust_now(page: Page) -> tuple[float, float]:
    """(left, right) mean personal trust from the trust plot's caption."""
    text = page.locator(".workshop-trust-now").inner_text()
    match = re.search(r"personal trust ([\d.]+) \(right panel ([\d.]+)\)", text)
    assert match, text
    return float(match.group(1)), float(match.group(2))


def make_a_leader_leave(page: Page) -> str:
    """Pick agencies in the menu until one's leader is in post and leaves; return its name."""
    for who in CANDIDATES:
        page.locator(".workshop-choose .v-select__slot").click()
        page.get_by_role("option", name=re.compile(f"^{re.escape(who)}")).click()
        page.get_by_role("button", name="A leader leaves").click()
        said = page.locator(".workshop-last-event")
        said.wait_for(timeout=UI_TIMEOUT_MS)
        page.wait_for_function("who => document.querySelector('.workshop-last-event')"
                               ".innerText.includes(who)", arg=who, timeout=UI_TIMEOUT_MS)
        if "already vacant" not in said.inner_text():
            return who
    raise AssertionError(f"every candidate's seat was vacant: {CANDIDATES}")


def panel_caption(page: Page, key: str) -> str:
    return page.locator(f".workshop-panel-{key} .workshop-panel-stats").inner_text()


def shoot(page: Page, path: Path) -> None:
    page.set_viewport_size(TALL)
    page.wait_for_timeout(800)  # let the grid re-layout and images repaint
    page.screenshot(path=str(path))
    page.set_viewport_size({"width": 1400, "height": 1000})
    assert path.stat().st_size > 50_000, f"{path.name} looks blank"


def test_a_leader_leaves_and_the_panels_diverge(
    solara_server: Callable[[str], SolaraServer],
    open_solara_page: Callable[..., float],
    browser_page: Page,
    network_log: NetworkLog,
    artifacts_dir: Path,
) -> None:
    t0 = time.monotonic()
    server = solara_server(APP)
    server_s = time.monotonic() - t0
    page = browser_page
    load_s = open_solara_page(server.url, ready_selector=".workshop-month")

    # Loaded: month 0, both networks, the legend and three plots are images.
    assert month_shown(page) == 0
    images = page.locator(".vue-grid-item img.widget-image")
    page.wait_for_function("document.querySelectorAll('.vue-grid-item img.widget-image')"
                           ".length >= 6", timeout=UI_TIMEOUT_MS)
    assert images.count() >= 6
    assert page.get_by_text("Leader turnover (x sector rates)").is_visible()
    assert page.get_by_text("Succession planning", exact=True).is_visible()
    shoot(page, artifacts_dir / "workshop_start.png")

    # Step advances the month shown.
    t1 = time.monotonic()
    step_to(page, 1)
    step_s = time.monotonic() - t1
    assert panel_caption(page, "actual") == panel_caption(page, "baseline")
    left, right = trust_now(page)
    assert left == right
    trust_src = page.locator(".workshop-trust img").get_attribute("src")

    # "A leader leaves": pick an agency whose leader is in post and press the button.
    who = make_a_leader_leave(page)
    feed = page.locator(".workshop-feed .workshop-event-triggered").first
    feed.wait_for(timeout=UI_TIMEOUT_MS)
    assert re.match(rf"Month 1: In the workshop, the leader at {re.escape(who)} .*left; "
                    r"\d+ ties weakened", feed.inner_text())
    page.wait_for_function(
        "src => document.querySelector('.workshop-trust img').src !== src", arg=trust_src,
        timeout=UI_TIMEOUT_MS)
    left, right = trust_now(page)
    assert left < right, "the trust plot did not register the departure"
    assert re.search(r"[1-9]\d* leader seats? vacant", panel_caption(page, "actual"))

    # The side-by-side panels diverge over the following months.
    step_to(page, 3)
    assert panel_caption(page, "actual") != panel_caption(page, "baseline")
    assert re.search(r"so far: .*personal trust -0\.\d\d",
                     page.locator(".workshop-difference").inner_text())
    shoot(page, artifacts_dir / "workshop_after_departure.png")

    # Play runs months on its own; pause stops it.
    page.get_by_role("button", name="▶", exact=True).click()
    page.wait_for_function(
        "() => /Month ([5-9]|\\d\\d+) of/.test(document.querySelector('.workshop-month')"
        ".innerText)", timeout=UI_TIMEOUT_MS)
    page.get_by_role("button", name="❚❚", exact=True).click()
    page.get_by_role("button", name="▶", exact=True).wait_for(timeout=UI_TIMEOUT_MS)
    # Mesa's play loop sleeps, then steps once more after a pause: let that step land
    # before Reset, or it lands on the new run (as it would for a trainer this quick).
    settle_ms = PLAY_INTERVAL_MS + 1500
    page.wait_for_timeout(settle_ms)
    paused_at = month_shown(page)
    page.wait_for_timeout(settle_ms)
    assert month_shown(page) == paused_at, "the page kept playing after pause"

    # A control applies on Reset: a fresh run at month 0 with succession planning on.
    page.get_by_text("Succession planning", exact=True).click()
    page.get_by_role("button", name="Reset", exact=True).click()
    page.locator(".workshop-month", has_text="Month 0 of").wait_for(timeout=UI_TIMEOUT_MS)
    page.locator(".workshop-settings", has_text="succession planning on").wait_for(
        timeout=UI_TIMEOUT_MS)
    # The new run has none of the old run's departures (its panels may arrive a moment later).
    page.locator(".workshop-feed .workshop-event-triggered").first.wait_for(
        state="detached", timeout=UI_TIMEOUT_MS)
    assert page.locator(".workshop-last-event").count() == 0

    assert network_log.non_loopback() == [], "the page asked for off-machine URLs"
    assert network_log.failures == [], "some page requests failed"
    print(f"\nserver ready {server_s:.1f}s, page ready {load_s:.1f}s, "
          f"{step_s:.1f}s a Step, {len(network_log.urls)} requests")
