"""Archives made through the real exporter, full of hostile content, and the viewer over them."""

from __future__ import annotations

import base64
import io
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server
from werkzeug.test import Client

from rsemigrate.archive.records import Attachment, Body, Channel, Group, Mention, Reaction, User
from rsemigrate.viewer import AccessLog, Sessions, SharedState, Viewer, open_shelf, verify_shelf
from tests.search.conftest import at, export
from tests.search.conftest import message as plain_message

#: a 1x1 PNG: the one type of attachment shown inline here.
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8"
                       "AAAAASUVORK5CYII=")
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(\'svg\')"><script>alert("svg")</script></svg>'
HTML_FILE = b"<html><body><script>alert('html file')</script></body></html>"
PDF = b"%PDF-1.4 the board minutes\n"
XSS_NAME = "<img src=x onerror=alert('name')>"
XSS_FILE = "\"><img src=x onerror=alert('file')>.pdf"
XSS_BODY = ("<p>Quarterly <b>numbers</b></p><script>alert('body')</script>"
            "<img src=x onerror=alert('img')><a href=\"javascript:alert('link')\">click</a>"
            "<img src=\"https://evil.example/pixel.png\" alt=\"tracker\">"
            "<a href=\"https://example.com/ok\" onclick=\"alert('handler')\">fine link</a>")


def message(*args, body: Body | None = None, **fields):  # type: ignore[no-untyped-def]
    made = plain_message(*args, **fields)
    if body is not None:
        made.body = body
    return made


def hostile_records(files):  # type: ignore[no-untyped-def]
    yield User("u-ann", "Ann Smith", "ann@example.com", title="Controller")
    yield User("u-bob", "Bob Martin", "bob@example.org")
    yield User("u-x", XSS_NAME, "x@example.com")
    yield Group("g-fin", "Finance")
    yield Channel("c-fin", "feed", "Finance", group_id="g-fin")
    yield Channel("c-evil", "channel", "<script>alert('channel')</script>", group_id="g-fin")
    yield Channel("c-dm", "direct", "Ann, Bob", private=True, member_ids=["u-ann", "u-bob"])
    stored = {name: files.put(io.BytesIO(data)) for name, data in
              (("png", PNG), ("svg", SVG), ("html", HTML_FILE), ("pdf", PDF))}
    yield Attachment("a-png", "image", "present", "r", name="chart.png", sha256=stored["png"].sha256)
    yield Attachment("a-svg", "file", "present", "r", name="logo.svg", sha256=stored["svg"].sha256)
    yield Attachment("a-html", "file", "present", "r", name="page.html", sha256=stored["html"].sha256)
    yield Attachment("a-pdf", "file", "present", "r", name=XSS_FILE, sha256=stored["pdf"].sha256)
    yield Attachment("a-fake", "image", "present", "r", name="fake.png", sha256=stored["html"].sha256)
    yield Attachment("a-lost", "file", "missing", "r", name="lost.xlsx")
    yield message("m1", "c-fin", "u-ann", "Quarterly numbers budget", "2019-01-01",
                  body=Body("html", XSS_BODY), attachment_ids=["a-png", "a-svg", "a-html", "a-pdf", "a-fake"],
                  reactions=[Reaction("like", "u-bob", at("2019-01-01", "11:00:00")),
                             Reaction("like", "u-x")])
    yield message("m2", "c-fin", "u-bob", "[[user:u-ann]] budget approved", "2019-01-02", thread="m1",
                  reply_to="m1", body=Body("yammer-plain", "[[user:u-ann]] budget approved"),
                  mentions=[Mention("user", "[[user:u-ann]]", "u-ann")], edited_at=at("2019-01-03"))
    yield message("m3", "c-fin", "u-x", "a reply to the reply, budget", "2019-01-04", thread="m1",
                  reply_to="m2")
    yield message("m4", "c-evil", "u-x", "evil channel budget post", "2020-05-01", attachment_ids=["a-lost"])
    yield message("m5", "c-dm", "u-ann", "private budget note", "2020-06-01",
                  deleted_at=at("2020-06-02"), deleted_by_id="u-ann")
    for day in range(1, 29):  # enough thread starts for the timeline to page
        yield message(f"t{day:02d}", "c-fin", "u-bob", f"daily standup {day}", f"2021-02-{day:02d}")
        yield message(f"t{day:02d}r", "c-fin", "u-ann", f"standup reply {day}", f"2021-02-{day:02d}",
                      thread=f"t{day:02d}", reply_to=f"t{day:02d}")


def second_records(files):  # type: ignore[no-untyped-def]
    yield User("u-cy", "Cy Young", "cy@example.net")
    yield Channel("c-ops", "channel", "ops")
    yield message("n1", "c-ops", "u-cy", "ops budget review", "2022-03-01")


@pytest.fixture(scope="session")
def archives(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("viewer")
    return export(root, hostile_records, "hostile"), export(root, second_records, "second")


def make_viewer(paths: list[Path], log: Path, users: dict[str, str] | None = None) -> Viewer:
    """The viewer in this process, its shared state beside the log, each bag verified already."""
    state = SharedState(log.with_name(log.name + ".state.sqlite"))
    shelf = open_shelf(paths, lambda *_: None, state)
    verify_shelf(shelf)
    return Viewer(shelf, AccessLog(log), Sessions(users, state) if users else None)


@pytest.fixture(scope="session")
def viewer(archives, tmp_path_factory) -> Viewer:
    return make_viewer([archives[0]], tmp_path_factory.mktemp("log") / "access.jsonl")


@pytest.fixture
def client(viewer) -> Client:
    return Client(viewer)


@pytest.fixture(scope="session")
def server(archives, tmp_path_factory) -> Iterator[str]:
    """Both archives over real HTTP on a free loopback port: the base URL."""
    app = make_viewer(list(archives), tmp_path_factory.mktemp("served") / "access.jsonl")
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()
