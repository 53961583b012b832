"""The static edition in a real browser (Debian's Chromium via Playwright): read from file://,
search with Pagefind from a static host, open the thread, download an attachment, stay offline,
and keep hostile content inert."""

from __future__ import annotations

import functools
import http.server
import io
import threading
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from rsemigrate.archive import Archive, verify
from rsemigrate.archive.records import Attachment, Channel, Record, User
from rsemigrate.publish import publish
from tests.browser import screenshot
from tests.produce.conftest import PDF, rich_records
from tests.search.conftest import export, message

SHEET = b"PK\x03\x04 not really a spreadsheet"
#: the browser's own PDF viewer loads its parts from these; they never leave the machine.
BROWSER_INTERNAL = ("chrome://", "chrome-extension://")
XSS = "<script>window.__xss=1</script><img src=x onerror=\"window.__xss=2\">"


def hostile_records(files) -> Iterator[Record]:
    yield from rich_records(files)
    yield User("u-evil", f"Mallory {XSS}", "mallory@example.com")
    yield Channel("c-evil", "channel", f"evil {XSS}", description=XSS)
    stored = files.put(io.BytesIO(b"payload"))
    yield Attachment("f-evil", "file", "present", "r", name='"><script>window.__xss=3</script>.txt',
                     sha256=stored.sha256, size=stored.size)
    sheet = files.put(io.BytesIO(SHEET))
    yield Attachment("f-xlsx", "file", "present", "r", name="numbers.xlsx", sha256=sheet.sha256,
                     size=sheet.size)
    yield message("x1", "c-evil", "u-evil", XSS, "2019-05-01", title=XSS, attachment_ids=["f-evil", "f-xlsx"])
    html = message("x2", "c-evil", "u-evil", "html body", "2019-05-02")
    html.body.format = "html"
    html.body.content = (f'<p>hello {XSS}<a href="javascript:window.__xss=4">click</a>'
                         '<iframe src="https://evil.example/"></iframe><img src="https://evil.example/t.png">'
                         '<a href="https://example.org/ok">fine link</a></p>')
    yield html


@pytest.fixture(scope="module")
def edition(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("edition")
    archive = export(tmp, hostile_records)
    return publish(Archive(archive), tmp / "edition").path


@pytest.fixture
def served(edition) -> Iterator[str]:
    """A plain static host (the stdlib's) for the Pagefind search, on 127.0.0.1 only."""
    handler = functools.partial(_Quiet, directory=str(edition))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def test_the_edition_is_a_sealed_bag_naming_the_archive_seal(edition):
    assert verify(edition) == []
    info = orjson.loads((edition / "edition.json").read_bytes())
    archive = Archive(next(edition.parent.glob("archive")))
    assert info["seal"] == archive.seal()
    assert info["counts"]["messages"] == archive.header.counts.messages
    people = edition / "data" / "people.html"
    original = people.read_bytes()
    people.write_text("changed")
    try:
        assert [f.kind for f in verify(edition)] == ["changed", "oxum"]
    finally:
        people.write_bytes(original)


def test_read_from_file_open_the_thread_and_download_an_attachment(edition, web):
    page = web.page
    page.goto((edition / "index.html").as_uri())
    page.wait_for_url("**/data/index.html")
    assert page.is_visible("#search-note")  # says how to search instead of failing silently
    assert "python3 -m http.server" in page.inner_text("#search-note")
    page.set_default_timeout(10_000)
    page.click("a:text-is('Finance')")
    page.click("a:text-is('2019-01')")
    assert page.is_visible("text=Audit budget kickoff")
    page.click("#m-" + _anchor("m3") + " >> text=thread")
    assert page.is_visible("h1:has-text('Kickoff')")
    assert page.locator(".message").count() == 3  # m1, m2, m3
    screenshot(web, "edition-thread")
    page.click("text=../audit report.pdf")  # a PDF opens in the browser's viewer, from the edition
    page.wait_for_url("**/audit_report.pdf")
    assert Path(page.url.removeprefix("file://")).read_bytes() == PDF
    page.goto((edition / "data" / "index.html").as_uri())
    page.click("a:has-text('evil')")
    page.click("a:text-is('2019-05')")
    with page.expect_download() as download:
        page.click("text=numbers.xlsx")
    assert Path(download.value.path()).read_bytes() == SHEET
    assert download.value.suggested_filename == "numbers.xlsx"
    assert web.outside("file://", *BROWSER_INTERNAL) == []


def test_search_a_word_with_pagefind_then_open_the_thread(edition, served, web):
    page = web.page
    page.goto(served + "data/index.html")
    page.fill(".pagefind-ui__search-input", "kickoff")
    page.wait_for_selector(".pagefind-ui__result-link")
    screenshot(web, "edition-search")
    page.click(".pagefind-ui__result-link")
    page.wait_for_selector("h1:has-text('Kickoff')")
    assert page.locator(".message").count() == 3
    assert web.outside(served) == []


@pytest.fixture(scope="module")
def sharded(tmp_path_factory) -> Path:
    """An edition whose every search bucket is a shard of its own: one Pagefind index each."""
    from tests.produce.conftest import rich_records

    tmp = tmp_path_factory.mktemp("sharded")
    return publish(Archive(export(tmp, rich_records)), tmp / "edition", shard_bytes=1).path


def test_a_sharded_search_index_finds_pages_of_every_shard(sharded, web):
    """Pagefind indexes the thread pages in bounded shards; the search box merges them."""
    from rsemigrate.publish.search_index import bucket

    info = orjson.loads((sharded / "edition.json").read_bytes())
    bundles = info["search_indexes"]
    data = sharded / "data"
    pages = sorted(p.relative_to(data).as_posix() for p in (data / "threads").rglob("*.html"))
    assert len(bundles) == len({bucket(p) for p in pages}) > 2
    assert all((data / b / "pagefind-entry.json").is_file() for b in bundles)
    assert verify(sharded) == []
    # "budget" is in two threads (Finance's kickoff and the private conversation), in two shards
    holding = [p for p in pages if "budget" in (data / p).read_text()]
    assert len(holding) == 2 and bucket(holding[0]) != bucket(holding[1])
    handler = functools.partial(_Quiet, directory=str(sharded))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        host = f"http://127.0.0.1:{server.server_address[1]}/"
        page = web.page
        page.goto(host + "data/index.html")
        page.fill(".pagefind-ui__search-input", "budget")
        page.locator(".pagefind-ui__result-link").nth(1).wait_for()
        found = sorted(page.eval_on_selector_all(".pagefind-ui__result-link",
                                                 "links => links.map(a => new URL(a.href).pathname)"))
        assert found == sorted(f"/data/{p}" for p in holding)
        assert web.outside(host) == []
    finally:
        server.shutdown()
        server.server_close()


def test_pages_read_without_javascript(edition, web_nojs):
    page = web_nojs.page
    page.goto((edition / "data" / "index.html").as_uri())
    page.click("a:text-is('Ann, Zoë')")
    page.click("a:text-is('2019-01')")
    assert page.is_visible("text=private: budget numbers attached")
    page.goto((edition / "data" / "people.html").as_uri())
    assert page.is_visible("text=zoe@example.es")
    assert web_nojs.outside("file://") == []


def test_hostile_content_stays_inert(edition, web, served):
    dialogs: list[str] = []
    page = web.page
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    evil = next(p for p in (edition / "data" / "channels").iterdir() if p.name.startswith("evil"))
    for target in (evil / "2019-05.html", evil / "index.html", edition / "data" / "people.html",
                   edition / "data" / "index.html"):
        page.goto(target.as_uri())
        assert page.evaluate("window.__xss") is None, target
        assert page.locator("script:not([src])").count() == 0
        assert page.locator("iframe, img[onerror]").count() == 0
    page.goto((evil / "2019-05.html").as_uri())
    assert page.is_visible("text=fine link")
    page.click("text=click")  # its javascript: href was removed
    assert page.evaluate("window.__xss") is None
    assert XSS in page.inner_text("main")  # shown as text, not run
    page.goto(served + "data/index.html")
    for word in ("mallory", "xss", "evil"):  # the hostile thread, its title and channel in results
        page.fill(".pagefind-ui__search-input", word)
        page.wait_for_selector(".pagefind-ui__result-link")
        assert page.locator("#search img, #search script, #search iframe").count() == 0
        assert page.evaluate("window.__xss") is None
    assert not [u for u in web.requests if u.rsplit("/", 1)[-1] in ("x", "t.png")]
    assert dialogs == []
    assert web.outside("file://", served) == []


def _anchor(message_id: str) -> str:
    from rsemigrate.publish.pages import key

    return key(message_id)


def test_every_message_is_on_one_month_page_and_one_thread_page(edition):
    import re
    from collections import Counter

    archive = Archive(next(edition.parent.glob("archive")))
    messages = list(archive.messages())
    anchors = re.compile(r'class="message[^"]*" id="m-([0-9a-f]{16})"')
    months = Counter(a for page in (edition / "data" / "channels").glob("*/????-??.html")
                     for a in anchors.findall(page.read_text()))
    threads = Counter(a for page in (edition / "data" / "threads").glob("*/*.html")
                      for a in anchors.findall(page.read_text()))
    expected = Counter(_anchor(m.id) for m in messages)
    assert months == expected and threads == expected
    assert len(list((edition / "data" / "threads").glob("*/*.html"))) == len({(m.channel_id, m.thread_id)
                                                                              for m in messages})
    stored = {a.sha256 for a in archive.attachments() if a.status == "present"}
    published = {p.parent.name for p in (edition / "data" / "files").glob("*/*")}
    assert published == stored


def test_publish_command_and_its_errors(tmp_path):
    from click.testing import CliRunner

    from rsemigrate.cli import main
    from tests.produce.conftest import rich_records

    archive = export(tmp_path, rich_records)
    result = CliRunner().invoke(main, ["publish", str(archive), "-o", str(tmp_path / "ed"), "--no-search"])
    assert result.exit_code == 0, result.output
    assert "2 channel(s), 6 thread page(s), 9 message(s), 2 file(s)" in result.output
    assert not (tmp_path / "ed" / "data" / "pagefind").exists()
    assert CliRunner().invoke(main, ["verify", str(tmp_path / "ed")]).exit_code == 0
    again = CliRunner().invoke(main, ["publish", str(archive), "-o", str(tmp_path / "ed")])
    assert again.exit_code == 2 and "already exists" in again.output
    missing = CliRunner().invoke(main, ["publish", str(tmp_path / "nope"), "-o", str(tmp_path / "x")])
    assert missing.exit_code == 2 and "not a finished rsemigrate archive" in missing.output
    assert not (tmp_path / "x").exists()


def test_publish_a_selection_only(tmp_path):
    """The same selection machinery as productions: only the chosen messages and their files."""
    from click.testing import CliRunner

    from rsemigrate.cli import main
    from tests.produce.conftest import rich_records

    archive = export(tmp_path, rich_records)
    result = CliRunner().invoke(main, ["publish", str(archive), "-o", str(tmp_path / "ed"), "--no-search",
                                       "--query", "needs", "--threads", "whole"])
    assert result.exit_code == 0, result.output
    assert "1 channel(s), 1 thread page(s), 3 message(s), 2 file(s)" in result.output
    pages = "".join(p.read_text() for p in (tmp_path / "ed" / "data").rglob("*.html"))
    assert "reply to the reply" in pages and "private: budget numbers" not in pages
    info = orjson.loads((tmp_path / "ed" / "edition.json").read_bytes())
    assert info["selection"]["search_query"] == "(needs)" and info["selection"]["threads"] == "whole"


def test_search_shards_pack_buckets_in_order_within_the_limit():
    from rsemigrate.publish.search_index import plan

    sizes = {"00a": 40, "00b": 30, "01c": 50, "fff": 500, "a00": 10}
    shards = plan(sizes, limit=80)
    assert [s.buckets for s in shards] == [("00a", "00b"), ("01c", "a00"), ("fff",)]
    assert [s.bundle for s in shards] == ["pagefind", "pagefind-2", "pagefind-3"]
    assert shards[0].glob == "{threads/00/00a*.html,threads/00/00b*.html}"
    assert shards[2].glob == "threads/ff/fff*.html"
    assert plan({}) and plan({})[0].glob == "threads/*/*.html"  # the search box always has its index
