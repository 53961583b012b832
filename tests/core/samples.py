"""Small record sets for the core tests."""
import io

from rsemigrate.archive.records import (
    Attachment,
    Body,
    Channel,
    Group,
    Mention,
    Message,
    Reaction,
    ReportEntry,
    SourceInfo,
    User,
)
from rsemigrate.archive.timestamps import parse_timestamp


def message(mid, channel="g1", thread=None, reply_to=None, author="u1", at="2020-01-01T10:00:00Z",
            text="hello", **extra):
    return Message(id=mid, channel_id=channel, thread_id=thread or mid, author_id=author,
                   created_at=parse_timestamp(at), body=Body("plain", text), text=text,
                   kind="reply" if reply_to else "post", reply_to_id=reply_to, **extra)


def sample_records():
    """A tiny network: a feed, a DM, a thread with a reply to a reply, a file, a missing file."""
    return [
        SourceInfo("memory", network_id="n1", network_name="Sample"),
        User("u1", "Ann Martin", "ann@example.org"),
        User("u2", "Bob Durand", "bob@example.org", state="deleted"),
        Group("g1", "Sécurité"),
        Channel("g1", "feed", "Sécurité", group_id="g1"),
        Channel("dm-1", "direct", "Ann, Bob", private=True, member_ids=["u1", "u2"]),
        (Attachment("file:1", "file", "present", "uploadedfile:1", name="plan.txt"),
         lambda: io.BytesIO(b"the plan")),
        (Attachment("file:2", "file", "present", "uploadedfile:2", name="copy.txt"),
         lambda: io.BytesIO(b"the plan")),
        Attachment("file:3", "file", "missing", "uploadedfile:3", name="lost.pdf"),
        message("m1", text="Réunion [[user:u2]]", attachment_ids=["file:1", "file:2", "file:3"],
                mentions=[Mention("user", "[[user:u2]]", "u2", "Bob Durand")],
                reactions=[Reaction("like", "u2")]),
        message("m2", thread="m1", reply_to="m1", author="u2", at="2020-01-01T11:00:00Z"),
        message("m3", thread="m1", reply_to="m2", at="2020-01-01T12:00:00Z",
                deleted_at=parse_timestamp("2020-01-02T00:00:00Z")),
        message("d1", channel="dm-1", at="2020-01-03T09:00:00+01:00", text="private"),
        ReportEntry("skipped", "message", "m9", "a draft", location="Messages.csv line 9"),
    ]
