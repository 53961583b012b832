"""The viewer's pages over HTTP semantics (werkzeug's test client): content, safety, logging."""

from __future__ import annotations

import csv
import hashlib
import io
import shutil

import orjson
import pytest
from bs4 import BeautifulSoup

from rsemigrate.search import FIELDS
from rsemigrate.viewer.server import is_loopback, serve
from tests.search.conftest import Cli

from .conftest import PDF, PNG, SVG, XSS_FILE, XSS_NAME, make_viewer


def read_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def soup(response):  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


@pytest.mark.parametrize("url", ["/", "/a/hostile/", "/a/hostile/channels", "/a/hostile/c/c-fin", "/t/m1",
                                 "/search?q=budget", "/a/hostile/p/u-ann", "/a/hostile/file/a-pdf",
                                 "/static/viewer.css", "/nope"])
def test_every_response_carries_the_security_headers(client, url):
    headers = client.get(url).headers
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["X-Frame-Options"] == "DENY"


def test_hostile_bodies_names_and_file_names_reach_the_page_inert(client):
    page = soup(client.get("/t/m1"))
    assert not page.find_all("script", src=lambda s: s != "/static/viewer.js")
    for el in page.find_all(True):
        assert not any(key.startswith("on") for key in el.attrs), el
        for key in ("href", "src"):
            value = el.get(key, "")
            assert not value.lower().startswith(("javascript:", "data:")), el
            assert not (key == "src" and value.startswith("http")), el  # no remote image loads
    text = page.get_text()
    assert XSS_NAME in text and XSS_FILE in text  # shown as text, escaped
    tracker = page.find("a", string="tracker")  # the remote image became a plain link
    assert tracker["href"] == "https://evil.example/pixel.png" and "noopener" in tracker["rel"]
    assert page.find("b", string="numbers")  # allowed markup survives


def test_thread_shows_the_tree_marks_mentions_reactions_and_verified_files(client):
    page = soup(client.get("/m/m3"))
    root = page.select_one("ol.thread > li")
    assert root.article["id"] == "m-m1"
    assert root.select_one("ol.replies > li > article")["id"] == "m-m2"
    assert root.select_one("ol.replies ol.replies > li > article")["id"] == "m-m3"
    assert "focus" in page.find(id="m-m3")["class"]
    assert "edited 2019-01-03T10:00:00Z" in page.find(id="m-m2").get_text()
    mention = page.find(id="m-m2").find("a", class_="mention")
    assert mention["href"] == "/a/hostile/p/u-ann" and mention.get_text() == "@Ann Smith"
    reaction = page.find(id="m-m1").find(class_="reaction")
    assert reaction.get_text() == "like 2" and "Bob Martin" in reaction["title"]
    statuses = {li.a.get_text(): li.find(class_="status").get_text() for li in page.select("li.attachment")}
    assert statuses["chart.png"] == "verified" and statuses[XSS_FILE] == "verified"
    previews = [img["src"] for img in page.select("img.preview")]
    assert previews == ["/a/hostile/preview/a-png", "/a/hostile/preview/a-fake"]


def test_deleted_messages_are_marked(client):
    page = soup(client.get("/t/m5"))
    assert "deleted 2020-06-02T10:00:00Z" in page.find(id="m-m5").get_text()


def test_downloads_stream_the_verified_bytes_as_attachments(client):
    response = client.get("/a/hostile/file/a-pdf")
    assert response.status_code == 200 and response.get_data() == PDF
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    svg = client.get("/a/hostile/file/a-svg")
    assert svg.get_data() == SVG and svg.headers["Content-Disposition"].startswith("attachment;")


def test_only_real_allow_listed_images_preview_inline(client):
    png = client.get("/a/hostile/preview/a-png")
    assert png.status_code == 200 and png.get_data() == PNG and png.headers["Content-Type"] == "image/png"
    assert png.headers["Content-Disposition"].startswith("inline;")
    for never_inline in ("a-svg", "a-html", "a-pdf", "a-fake"):  # fake.png holds HTML
        assert client.get(f"/a/hostile/preview/{never_inline}").status_code == 404


def test_a_changed_file_is_refused_and_says_so(archives, tmp_path):
    copy = tmp_path / "tampered"
    shutil.copytree(archives[0], copy)
    stored = copy / "data" / "files" / hashlib.sha256(PDF).hexdigest()[:2] / hashlib.sha256(PDF).hexdigest()
    stored.write_bytes(b"%PDF-1.4 altered minutes\n")
    from werkzeug.test import Client

    viewer = make_viewer([copy], tmp_path / "log.jsonl")
    client = Client(viewer)
    response = client.get("/a/tampered/file/a-pdf")
    assert response.status_code == 409 and b"altered" not in response.get_data()
    assert "Download refused" in response.get_data(as_text=True)
    assert hashlib.sha256(b"%PDF-1.4 altered minutes\n").hexdigest() in response.get_data(as_text=True)
    assert viewer.shelf[0].verification.state == "failed"
    assert "verification failed" in soup(client.get("/a/tampered/")).get_text().lower()
    log = [orjson.loads(line) for line in (tmp_path / "log.jsonl").read_bytes().splitlines()]
    assert log[-1]["action"] == "download" and log[-1]["outcome"] == "refused"


def test_search_highlights_counts_and_facets(client):
    page = soup(client.get("/search?q=budget&archive=hostile"))
    assert page.find(class_="count").get_text().startswith("5 message(s)")
    assert [m.get_text() for m in page.select("li.hit mark")][:1] == ["budget"]
    facets = page.find(class_="facets")
    channels = {a.get_text(): a.parent.get_text().split()[-1] for a in facets.find_all("a", href=True)
                if "in%3A" in a["href"]}
    assert channels == {"#Finance (Finance)": "3", "#<script>alert('channel')</script> (Finance)": "1",
                        "#Ann, Bob": "1"}
    years = [li.get_text().split() for li in facets.find("h3", string="Year").find_next("ul").find_all("li")]
    assert years == [["2020", "2"], ["2019", "3"]]
    assert "2" == facets.find("h3", string="Attachments").find_next("li").get_text().split()[-1]
    assert page.select_one("li.hit a.open")["href"].startswith("/m/")


def test_search_results_come_twenty_a_page_with_their_range(client):
    first = soup(client.get("/search?q=standup&archive=hostile"))
    assert first.find(class_="count").get_text().startswith("56 message(s), 1–20 shown")
    assert len(first.select("li.hit")) == 20
    assert [a.get_text() for a in first.select("nav.pager a")] == ["Next"]
    last = soup(client.get("/search?q=standup&archive=hostile&page=2"))
    assert last.find(class_="count").get_text().startswith("56 message(s), 41–56 shown")
    assert len(last.select("li.hit")) == 16
    assert [a.get_text() for a in last.select("nav.pager a")] == ["Previous"]


def test_query_errors_are_shown_at_the_caret(client):
    response = client.get("/search?q=budget+from:")
    text = response.get_data(as_text=True)
    assert response.status_code == 400
    error = BeautifulSoup(text, "html.parser").find(class_="query-error").pre.get_text()
    query, caret = error.split("\n")
    cli_query, cli_caret = Cli.run("search", ".", "budget from:").output.split("\n")[1:3]  # same caret
    assert query == cli_query.strip() and caret.index("^") == cli_caret.index("^") - cli_query.index("b")


def test_csv_and_json_downloads_have_exactly_the_cli_keys(client, archives):
    cli = Cli()
    expected = cli.hits(archives[0], "budget")
    as_json = orjson.loads(client.get("/search.json?q=budget&archive=hostile").get_data())
    assert as_json == expected
    rows = read_csv(client.get("/search.csv?q=budget&archive=hostile").get_data(as_text=True))
    assert tuple(rows[0]) == FIELDS and [r[0] for r in rows[1:]] == [h["message_id"] for h in expected]
    assert rows == read_csv(cli.ok("search", archives[0], "budget", "--format", "csv").stdout)


def test_person_page_scopes_search_to_them(client):
    page = soup(client.get("/a/hostile/p/u-ann?q=budget"))
    assert page.h1.get_text() == "Ann Smith" and "Controller" in page.find(class_="person").get_text()
    assert {a.get_text() for a in page.select("li.hit .meta a")} == {"Ann Smith"}
    assert page.find(class_="count").get_text().startswith("2 message(s)")


def test_channels_filter_by_kind_and_group_and_sort_by_activity(client):
    names = [a.get_text() for a in soup(client.get("/a/hostile/channels")).select("table.channels a")]
    assert names == ["Finance", "Ann, Bob", "<script>alert('channel')</script>"]
    direct = soup(client.get("/a/hostile/channels?kind=direct")).select("table.channels a")
    assert [a.get_text() for a in direct] == ["Ann, Bob"]
    grouped = soup(client.get("/a/hostile/channels?group=g-fin&sort=name")).select("table.channels a")
    assert [a.get_text() for a in grouped] == ["<script>alert('channel')</script>", "Finance"]


def test_timeline_pages_thread_starts_and_jumps_to_a_date(client):
    first = soup(client.get("/a/hostile/c/c-fin"))
    ids = [a["href"].split("?")[0] for a in first.select("li.hit a.open")]
    assert ids[0] == "/m/m1" and len(ids) == 29 and "/m/t01r" not in ids  # replies stay in their threads
    jumped = soup(client.get("/a/hostile/c/c-fin?date=2021-02-20"))
    assert [a["href"].split("?")[0] for a in jumped.select("li.hit a.open")][:2] == ["/m/t20", "/m/t21"]
    every = soup(client.get("/a/hostile/c/c-fin?date=2021-02-27&all=1"))
    assert [a["href"].split("?")[0] for a in every.select("li.hit a.open")] == ["/m/t27", "/m/t27r", "/m/t28",
                                                                                "/m/t28r"]
    assert client.get("/a/hostile/c/c-fin?date=tomorrow").status_code == 400


def test_overview_shows_source_window_seal_verify_counts_and_events(client, archives):
    from rsemigrate.archive import Archive

    archive = Archive(archives[0])
    text = soup(client.get("/a/hostile/")).get_text()
    assert archive.seal() in text and archive.header.window.first in text
    assert "every file matches the bag's manifests" in text
    assert "export by rsemigrate" in text


def test_report_entries_are_browsable(client, archives):
    from rsemigrate.archive import Archive

    entries = list(Archive(archives[0]).report())
    rows = soup(client.get("/a/hostile/report")).select("table.report tbody tr")
    assert len(rows) == max(1, len(entries))
    for action in {e.action for e in entries}:
        shown = soup(client.get(f"/a/hostile/report?action={action}")).select("table.report tbody tr")
        assert len(shown) == sum(e.action == action for e in entries)


def test_the_access_log_records_who_viewed_searched_and_downloaded(client, viewer):
    client.get("/t/m2")
    client.get("/search?q=audit+trail")
    client.get("/a/hostile/file/a-pdf")
    log = [orjson.loads(line) for line in viewer.access_log.path.read_bytes().splitlines()][-3:]
    assert [(e["action"], e.get("thread_id"), e.get("query"), e.get("attachment_id")) for e in log] == [
        ("thread", "m1", None, None), ("search", None, "audit trail", None),
        ("download", None, None, "a-pdf")]
    assert all(e["who"].startswith("local") and e["at"].endswith("Z") for e in log)


def test_the_viewer_writes_nothing_into_the_bag(archives, tmp_path):
    from werkzeug.test import Client

    from rsemigrate.archive import verify

    def state() -> list:
        return sorted((p.relative_to(archives[0]), p.stat().st_mtime_ns) for p in archives[0].rglob("*"))

    before = state()
    client = Client(make_viewer([archives[0]], tmp_path / "log.jsonl"))
    for url in ("/a/hostile/", "/t/m1", "/search?q=budget", "/a/hostile/file/a-png",
                "/a/hostile/preview/a-png"):
        assert client.get(url).status_code == 200
    assert state() == before
    assert verify(archives[0]) == []


def test_search_spans_several_archives_naming_each(archives, tmp_path):
    from werkzeug.test import Client

    client = Client(make_viewer(list(archives), tmp_path / "log.jsonl"))
    hits = soup(client.get("/search?q=budget")).select("li.hit")
    assert [h.find(class_="archive-tag").get_text() for h in hits][:2] == ["second", "hostile"]
    assert len(hits) == 6
    as_json = orjson.loads(client.get("/search.json?q=budget").get_data())
    assert [(h["archive"], h["message_id"]) for h in as_json][:2] == [("second", "n1"), ("hostile", "m5")]
    rows = read_csv(client.get("/search.csv?q=budget").get_data(as_text=True))
    assert rows[0] == ["archive", *FIELDS] and rows[1][:2] == ["second", "n1"]
    assert "Ann Smith" in soup(client.get("/t/m2")).get_text()  # threads are found in either archive
    assert "Cy Young" in soup(client.get("/t/n1")).get_text()


def test_loopback_only_unless_sign_in_is_required(viewer):
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.10")
    from rsemigrate.errors import InputError

    with pytest.raises(InputError, match="--auth"):
        serve(viewer, "0.0.0.0", 0, lambda url: None)


def test_a_port_in_use_is_one_clear_error(viewer):
    import socket

    from rsemigrate.errors import InputError

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(InputError, match=f"listen on 127.0.0.1 port {port}: Address already in use"):
            serve(viewer, "127.0.0.1", port, lambda url: None)


def test_broad_queries_are_counted_up_to_a_limit(client, monkeypatch):
    from rsemigrate.viewer import pages

    monkeypatch.setattr(pages, "COUNT_LIMIT", 3)
    page = soup(client.get("/search?q=budget&archive=hostile"))
    assert page.find(class_="count").get_text().startswith("At least 3 message(s)")
    assert len(page.select("li.hit")) == 5  # the page itself is not limited
    assert "newest 3 hits" in page.find(class_="facets").h2.get_text()


def test_every_message_is_read_whole_from_where_the_index_says(client, archives):
    """Each record comes from the byte offset the index holds (channels span several read chunks)."""
    from rsemigrate.archive import Archive

    for message in Archive(archives[0]).messages():
        page = soup(client.get(f"/m/{message.id}"))  # a record not where the index says fails here
        shown = page.find(id=f"m-{message.id}").find(class_="body").get_text()
        if message.body.format == "plain":
            assert " ".join(shown.split()) == " ".join(message.text.split()), message.id
