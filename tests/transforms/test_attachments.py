"""Attachments: uploads with matching tags, links for cards, visible notes for missing files."""

import pytest

from rsemigrate.archive.records import Attachment
from transforms.attachments import FilePolicy, attach, tag_id
from transforms.links import safe_link

from .helpers import draft

FILES = {
    "f1": Attachment("f1", "file", "present", "r1", name="plan.pdf", size=10, sha256="a" * 64),
    "f2": Attachment("f2", "file", "missing", "r2", name="lost.docx"),
    "l1": Attachment("l1", "link", "external", "r3", name="The site", url="https://example.com/a?b=1&c"),
    "p1": Attachment("p1", "page", "external", "r4", name="A page without URL"),
}


def render(tag):
    return f'<attachment id="{tag}"></attachment>'


def run(ids, **policy):
    d = draft(attachment_ids=ids)
    d.html = "<p>body</p>"
    return next(attach([d], FILES, render, FilePolicy(**policy)))


def test_a_stored_file_becomes_an_upload_with_a_matching_tag():
    out = run(["f1"])
    assert [f.attachment.id for f in out.files] == ["f1"]
    assert out.files[0].tag_id == tag_id("f1") and len(tag_id("f1")) == 36
    assert out.html == f'<p>body</p><attachment id="{tag_id("f1")}"></attachment>'
    assert not out.degradations


def test_links_and_cards_become_links_and_missing_files_notes():
    out = run(["l1", "f2", "p1", "nope"])
    assert '<a href="https://example.com/a?b=1&amp;c">The site</a>' in out.html
    assert "📎 lost.docx (file not available in the archive)" in out.html
    assert "A page without URL (page not importable)" in out.html
    assert "attachment nope (file not available" in out.html
    assert [d.kind for d in out.degradations] == [
        "link-card",
        "missing-file",
        "unsupported-attachment",
        "missing-file",
    ]
    assert out.files == []


def test_files_can_be_skipped_with_a_note():
    out = run(["f1"], mode="skip")
    assert out.files == [] and "plan.pdf (file not migrated)" in out.html
    assert [d.kind for d in out.degradations] == ["file-skipped"]


HOSTILE = ["javascript:alert(1)", "JaVaScRiPt:alert(1)", " java\tscript:alert(1)", "data:text/html,<b>x</b>",
           "vbscript:msgbox(1)", "\x01javascript:alert(1)"]


@pytest.mark.parametrize("url", HOSTILE)
def test_a_link_card_with_a_script_url_is_text_never_a_link(url):
    card = Attachment("x1", "link", "external", "og:1", name="Click me", url=url)
    d = draft(attachment_ids=["x1"])
    d.html = "<p>body</p>"
    out = next(attach([d], {"x1": card}, render))
    assert "<a" not in out.html and "href" not in out.html
    assert "Click me" in out.html
    assert [x.kind for x in out.degradations] == ["unsafe-link"]


@pytest.mark.parametrize("url", ["https://example.com/x", "http://example.com", "mailto:ann@contoso.com"])
def test_http_and_mailto_cards_stay_links(url):
    assert safe_link(url) == url
    card = Attachment("x1", "link", "external", "og:1", name="Card", url=url)
    d = draft(attachment_ids=["x1"])
    out = next(attach([d], {"x1": card}, render))
    assert f'href="{url}"' in out.html and [x.kind for x in out.degradations] == ["link-card"]
