"""Splitting: parts under the budget, in order, text preserved, markup re-opened, refs carried."""

from bs4 import BeautifulSoup

from rsemigrate.archive.records import Attachment
from transforms.draft import FileRef, Identity, OutMention
from transforms.split import split_html, split_long

from .helpers import draft

ANN = Identity("u1", "Ann", "ann@contoso.com", "email")


def size(d):
    return len(d.html.encode())


def text(html):
    return BeautifulSoup(html, "html.parser").get_text()


def test_a_short_message_is_untouched():
    d = draft()
    d.html = "<p>short</p>"
    assert list(split_long([d], 1000, size)) == [d]


def test_a_long_message_splits_into_ordered_parts_under_the_budget():
    paragraphs = [f"<p>paragraph {i} " + "mot été " * 150 + "</p>" for i in range(12)]
    d = draft()
    d.html = "".join(paragraphs)
    parts = list(split_long([d], 4000, size))
    assert len(parts) > 3
    assert [p.part for p in parts] == list(range(1, len(parts) + 1)) and {p.parts for p in parts} == {
        len(parts)
    }
    assert all(size(p) <= 4000 for p in parts)
    assert [p.root_id for p in parts] == [None] + ["m1"] * (len(parts) - 1)
    assert parts[1].html.startswith(f"<p><em>(continued, part 2 of {len(parts)})</em></p>")
    body = "".join(text(p.html.split("</em></p>", 1)[1] if p.part > 1 else p.html) for p in parts)
    assert body.split() == text(d.html).split()
    assert [x.kind for x in parts[0].degradations] == ["split"] and all(not p.degradations for p in parts[1:])


def test_a_reply_continues_under_its_root():
    d = draft(mid="r2", thread="root", reply_to="root")
    d.root_id = "root"
    d.html = "<p>" + "x " * 5000 + "</p>"
    assert {p.root_id for p in split_long([d], 3000, size)} == {"root"}


def test_elements_spanning_parts_are_reopened_and_stay_well_formed():
    html = (
        "<ul>" + "".join(f"<li><b>item {i}</b> " + "long words " * 40 + "</li>" for i in range(30)) + "</ul>"
    )
    chunks = split_html(html, 2000)
    assert len(chunks) > 2
    for chunk in chunks:
        assert len(chunk.encode()) <= 2000
        assert chunk.startswith("<ul>") and chunk.endswith("</ul>")
        assert str(BeautifulSoup(chunk, "html.parser")) == chunk


def test_a_giant_word_is_cut_without_breaking_entities():
    chunks = split_html("<p>" + "&amp;é" * 3000 + "</p>", 1500)
    assert all(len(c.encode()) <= 1500 for c in chunks)
    assert "".join(text(c) for c in chunks) == "&é" * 3000


def test_mentions_and_files_travel_with_their_part():
    d = draft()
    mention = OutMention(0, "Ann", ANN, '<at id="0">Ann</at>')
    ref = FileRef(
        Attachment("f1", "file", "present", "r", name="a.txt"), "g-1", '<attachment id="g-1"></attachment>'
    )
    d.mentions, d.files = [mention], [ref]
    d.html = "<p>" + mention.markup + " " + "word " * 3000 + "</p>" + ref.markup
    parts = list(split_long([d], 4000, size))
    assert parts[0].mentions == [mention] and parts[0].files == []
    assert parts[-1].files == [ref] and all(p.mentions == [] for p in parts[1:])


def test_what_cannot_be_split_is_yielded_whole():
    d = draft()
    d.html = "<p>x</p>"
    def huge(x):
        return 10_000 + len(x.html)
    assert list(split_long([d], 5000, huge)) == [d]
