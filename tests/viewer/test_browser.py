"""The viewer in a real browser (Playwright driving Debian's Chromium), over real HTTP."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.browser import screenshot

from .conftest import PNG

pytestmark = pytest.mark.slow


def watch_dialogs(web) -> list[str]:  # type: ignore[no-untyped-def]
    """Every alert/confirm/prompt a page opens: an XSS probe that ran would show here."""
    opened: list[str] = []
    web.page.on("dialog", lambda dialog: (opened.append(dialog.message), dialog.dismiss()))
    return opened


def test_search_to_hit_to_thread_to_a_verified_download(web, server):
    page = web.page
    page.goto(f"{server}/")
    page.fill("#home-q", "Quarterly")
    page.press("#home-q", "Enter")
    page.wait_for_selector("li.hit")
    assert page.inner_text("li.hit mark") == "Quarterly"
    screenshot(web, "viewer-search")
    page.click("li.hit a.open")
    page.wait_for_selector("article.focus")
    assert page.url.startswith(f"{server}/m/m1") and page.locator("ol.replies article").count() == 2
    screenshot(web, "viewer-thread")
    with page.expect_download() as download:
        page.click("li.attachment a:text('chart.png')")
    saved = Path(download.value.path())
    assert hashlib.sha256(saved.read_bytes()).hexdigest() == hashlib.sha256(PNG).hexdigest()
    assert download.value.suggested_filename == "chart.png"
    assert web.outside(server) == []


@pytest.mark.parametrize("path", ["/t/m1", "/search?q=budget", "/a/hostile/channels", "/a/hostile/p/u-x",
                                  "/a/hostile/c/c-evil", "/a/hostile/preview/a-svg",
                                  "/a/hostile/preview/a-fake",
                                  "/a/hostile/"])
def test_xss_probes_stay_inert(web, server, path):
    opened = watch_dialogs(web)
    web.page.goto(server + path)
    web.page.wait_for_load_state("load")
    scripts = web.page.evaluate("Array.from(document.scripts, s => s.src)")
    assert scripts in ([f"{server}/static/viewer.js"], [])
    assert opened == [] and web.outside(server) == []  # nothing ran; no remote image was loaded


def test_an_svg_attachment_downloads_instead_of_rendering(web, server):
    opened = watch_dialogs(web)
    web.page.goto(f"{server}/t/m1")
    with web.page.expect_download() as download:
        web.page.click("li.attachment a:text('logo.svg')")
    assert download.value.suggested_filename == "logo.svg" and opened == []


def test_keyboard_only_from_search_to_a_thread(web, server):
    page = web.page
    page.goto(f"{server}/a/hostile/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.goto(f"{server}/")
    # The search box takes the focus (autofocus). Chromium applies autofocus at its next rendering
    # step, which can come after the load event on a busy machine: wait for it, a few seconds at most.
    page.wait_for_function("document.activeElement && document.activeElement.id === 'home-q'",
                           timeout=5000)
    page.keyboard.type("standup reply 3")
    page.keyboard.press("Enter")
    page.wait_for_selector("li.hit")
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.className") == "open":
            break
    else:
        pytest.fail("Tab never reached an 'Open in thread' link")
    page.keyboard.press("Enter")
    page.wait_for_selector("article.focus")
    assert "/m/t03r" in page.url and "standup reply 3" in page.inner_text("article.focus")
    screenshot(web, "viewer-keyboard")


def test_core_reading_works_without_javascript(web_nojs, server):
    page = web_nojs.page
    page.goto(f"{server}/search?q=budget")
    assert page.locator("li.hit").count() == 6
    page.click("li.hit a.open >> nth=0")
    assert "ops budget review" in page.inner_text("article.focus")
    page.goto(f"{server}/a/hostile/c/c-fin")
    page.fill("#date", "2021-02-20")
    page.click("button:text('Go')")
    assert page.inner_text("ol.timeline li.hit .snippet >> nth=0") == "daily standup 20"
    page.goto(f"{server}/a/hostile/")
    assert "every file matches" in page.inner_text("#verify")
    screenshot(web_nojs, "viewer-overview-nojs")
    page.goto(f"{server}/a/hostile/channels")
    screenshot(web_nojs, "viewer-channels-nojs")
    page.goto(f"{server}/search?q=budget&archive=hostile")
    assert page.locator(".facets h3").all_inner_texts() == ["Channel", "Author", "Year", "Attachments"]
    screenshot(web_nojs, "viewer-search-facets-nojs")


def test_the_overview_shows_the_background_verify_when_it_ends(web, archives, tmp_path):
    """The one script: it polls the verify result and shows it without a reload (CSP allows it)."""
    import threading

    from werkzeug.serving import make_server

    from rsemigrate.viewer import Verification

    from .conftest import make_viewer

    app = make_viewer([archives[1]], tmp_path / "log.jsonl")
    shelved = app.shelf[0]
    shelved.state.record_verification(shelved.name, Verification("running"))
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        web.page.goto(f"http://127.0.0.1:{httpd.server_port}/a/second/")
        assert "is running" in web.page.inner_text("#verify")
        shelved.state.record_verification(
            shelved.name, Verification("failed", ["changed: data/users.jsonl: sha256 differs"]))
        web.page.wait_for_selector("#verify.failed", timeout=10_000)
        assert "data/users.jsonl" in web.page.inner_text("#verify li")
    finally:
        httpd.shutdown()
        httpd.server_close()
