"""Annotations: titles and kinds, edits, deletions, system events, flattened and orphan replies."""

from transforms.annotations import Labels, annotate

from .helpers import at, draft


def run(d, **kw):
    d.html = d.html or "<p>text</p>"
    return next(annotate([d], Labels(), **kw))


def test_edited_messages_get_a_marker():
    out = run(draft(edited_at=at("2020-01-02T00:00:00Z")))
    assert out.html == "<p>text</p><p><em>(edited)</em></p>" and out.degradations[0].kind == "edited"
    assert run(draft(edited_at=at("2020-01-02T00:00:00Z")), edited_marker=False).html == "<p>text</p>"


def test_kinds_and_titles_become_a_bold_first_line():
    out = run(draft(kind="announcement", title="Big <news>"))
    assert out.html.startswith("<p><strong>Announcement: Big &lt;news&gt;</strong></p>")
    assert run(draft(title="Topic")).html.startswith("<p><strong>Topic</strong></p>")


def test_tombstones_drop_the_content_and_mentions():
    d = draft()
    d.degrade("deleted-root-tombstone")
    d.refs = ["something"]
    out = run(d)
    assert out.html == "<p><em>(This message was deleted in the source; its replies are kept.)</em></p>"
    assert out.refs == []


def test_flattened_and_orphan_replies_say_so():
    d = draft(mid="b", thread="r", reply_to="a")
    d.degrade("nested-reply", "a")
    assert run(d, reply_author=lambda mid: "Bob").html.startswith("<p><em>In reply to Bob</em></p>")
    o = draft(mid="x", thread="gone", reply_to="gone")
    o.degrade("orphan-reply")
    assert "not in the archive" in run(o).html


def test_kept_deleted_and_system_messages_are_marked():
    assert run(draft(deleted_at=at("2020-02-01T00:00:00Z"))).html.endswith(
        "<p><em>(deleted in the source)</em></p>"
    )
    out = run(draft(kind="system"))
    assert (
        out.html.startswith("<p><em>System event</em></p>") and out.degradations[0].kind == "system-as-text"
    )
