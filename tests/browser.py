"""A real browser for the tests of every page we write or serve: Playwright driving Debian's Chromium.

Playwright's own browser download cannot be reached from here, so Chromium is launched by its
executable path (`RSEMIGRATE_CHROMIUM`, else `chromium` on PATH; `.ci/run` installs Debian's
package). Every page records the requests it makes, so a test can prove a page stays offline,
and `screenshot` keeps a PNG under `build/test-output/screenshots/` as test output.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

SCREENSHOTS = Path(__file__).resolve().parent.parent / "build" / "test-output" / "screenshots"
#: Without these, Chromium reaches for Google's hosts at every start (this machine has no network).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium_path() -> str:
    found = os.environ.get("RSEMIGRATE_CHROMIUM") or shutil.which("chromium")
    if not found:
        pytest.fail(
            "no Chromium: install Debian's package (apt-get install chromium) or set RSEMIGRATE_CHROMIUM; "
            "`make test` installs it when run as root"
        )
    return found


@dataclass
class BrowserPage:
    """A page and every URL it asked for, in order."""

    page: object  # playwright.sync_api.Page
    requests: list[str] = field(default_factory=list)

    def outside(self, *allowed_prefixes: str) -> list[str]:
        """Requests to anything but the given prefixes (data: and blob: URLs are local)."""
        return [u for u in self.requests
                if not u.startswith(("data:", "blob:", "about:", *allowed_prefixes))]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """One Chromium per test module. Not per session: while Playwright's sync API runs, its event
    loop is the thread's running loop, and every later `asyncio.run` in that worker would fail."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def _page(browser, **context_options) -> Iterator[BrowserPage]:
    context = browser.new_context(accept_downloads=True, **context_options)
    page = context.new_page()
    seen = BrowserPage(page)
    page.on("request", lambda request: seen.requests.append(request.url))
    yield seen
    context.close()


@pytest.fixture
def web(browser) -> Iterator[BrowserPage]:
    """A fresh page with JavaScript on."""
    yield from _page(browser)


@pytest.fixture
def web_nojs(browser) -> Iterator[BrowserPage]:
    """A fresh page with JavaScript disabled: what must still be readable without it."""
    yield from _page(browser, java_script_enabled=False)


def screenshot(seen: BrowserPage, name: str) -> Path:
    """Keep a full-page PNG of the current page as test output and return its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    seen.page.screenshot(path=str(path), full_page=True)
    return path
