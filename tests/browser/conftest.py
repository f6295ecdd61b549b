"""Shared fixtures for tests that drive a Solara page in headless Chromium.

- ``solara_server``: factory starting ``solara run APP`` offline on a free
  127.0.0.1 port (one server per app per session, stopped at the end).
- ``chromium_browser``: Debian's ``/usr/bin/chromium`` driven by Playwright;
  the tests are skipped, with a message, only when that binary is absent.
- ``browser_page``: a fresh page whose requests land in ``network_log``.
- ``open_solara_page``: go to a URL and wait until the Solara app has mounted.
- ``artifacts_dir``: ``tests/artifacts/`` for screenshots.

Never ``playwright install``: Playwright's own browser downloads are not used.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

from consortsim.serve import SolaraServer, serve_app

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Response

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS_DIR = PROJECT_ROOT / "tests" / "artifacts"
CHROMIUM = os.environ.get("CONSORTSIM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1400, "height": 1000}
SERVER_READY_TIMEOUT_S = 90.0
PAGE_READY_TIMEOUT_MS = 60_000
LOCAL_SCHEMES = frozenset({"data", "blob", "about", "chrome", "chrome-extension"})


def is_loopback_url(url: str) -> bool:
    """Return True for URLs that cannot leave the machine (loopback hosts, data:, blob:)."""
    parts = urlsplit(url)
    if parts.scheme in LOCAL_SCHEMES:
        return True
    host = (parts.hostname or "").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class NetworkLog:
    """Every URL a page asked for (HTTP(S) and WebSocket), and those that failed."""

    urls: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def record(self, url: str) -> None:
        """Append one URL."""
        self.urls.append(url)

    def record_failure(self, url: str, reason: str) -> None:
        """Append a failed request as ``"reason url"``."""
        self.failures.append(f"{reason} {url}")

    def non_loopback(self) -> list[str]:
        """Return the recorded URLs whose host is not on this machine."""
        return sorted({u for u in self.urls if not is_loopback_url(u)})


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """``tests/artifacts/``, created on demand (screenshots, logs)."""
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS_DIR


@pytest.fixture(scope="session")
def solara_server(artifacts_dir: Path) -> Iterator[Callable[[str], SolaraServer]]:
    """Factory: ``solara_server(app)`` returns a ready offline server for ``app``.

    ``app`` is what ``solara run`` accepts (module name or project-relative
    ``.py`` path). Servers are reused within the session and stopped at its end;
    each one's output goes to ``tests/artifacts/<app>.server.log``.
    """
    servers: dict[str, SolaraServer] = {}

    def start(app: str) -> SolaraServer:
        if app in servers:
            return servers[app]
        stem = Path(app).stem if app.endswith(".py") else app.replace(".", "_")
        server = serve_app(app, cwd=PROJECT_ROOT, log_path=artifacts_dir / f"{stem}.server.log")
        servers[app] = server
        server.wait_ready(SERVER_READY_TIMEOUT_S)
        return server

    yield start
    for server in servers.values():
        server.stop()


@pytest.fixture(scope="session")
def chromium_browser() -> Iterator[Browser]:
    """Debian's Chromium under Playwright (sync API); skipped if it is not installed."""
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        pytest.skip(
            f"{CHROMIUM} not found: install Debian's chromium (`make browser` or "
            "`apt-get install chromium`) to run the browser tests; never `playwright install`"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def network_log() -> NetworkLog:
    """The URLs requested by ``browser_page`` during one test."""
    return NetworkLog()


@pytest.fixture
def browser_page(chromium_browser: Browser, network_log: NetworkLog) -> Iterator[Page]:
    """A fresh Playwright page (own context) that records every request and WebSocket."""

    def on_response(response: Response) -> None:
        if response.status >= 400:
            network_log.record_failure(response.url, f"HTTP {response.status}")

    context = chromium_browser.new_context(viewport=VIEWPORT)
    context.on("request", lambda request: network_log.record(request.url))
    context.on(
        "requestfailed",
        lambda request: network_log.record_failure(request.url, request.failure or "failed"),
    )
    context.on("response", on_response)
    page = context.new_page()
    page.on("websocket", lambda ws: network_log.record(ws.url))
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def open_solara_page(browser_page: Page) -> Callable[..., float]:
    """Return ``open(url, ready_selector=...)``: load a Solara page, wait for it; return seconds.

    Ready means Vue has mounted, Solara's loader is gone and, if given,
    ``ready_selector`` (a Playwright selector) is visible.
    """

    def open_page(url: str, ready_selector: str | None = None) -> float:
        start = time.monotonic()
        browser_page.goto(url, wait_until="domcontentloaded")
        # Vue has mounted the shell once the wrap exists; the app itself is
        # mounted once Solara's loader (shown while the kernel starts) is gone.
        browser_page.locator(".v-application .v-application--wrap").first.wait_for(
            state="attached", timeout=PAGE_READY_TIMEOUT_MS
        )
        browser_page.locator("#loader-container").wait_for(
            state="detached", timeout=PAGE_READY_TIMEOUT_MS
        )
        if ready_selector:
            browser_page.locator(ready_selector).first.wait_for(
                state="visible", timeout=PAGE_READY_TIMEOUT_MS
            )
        return time.monotonic() - start

    return open_page
