"""select: date window on roots, replies follow their thread, skips and tombstones."""

from collections import Counter

from transforms.select import Selection, ThreadIndex, message_ms, select

from .helpers import at, msg


def run(messages, **options):
    selection = Selection(**options)
    skipped = Counter()
    index = ThreadIndex.build(messages, selection)
    return list(select(messages, "c1", index, selection, skipped)), skipped


def kinds(draft):
    return [d.kind for d in draft.degradations]


def test_roots_and_replies_are_kept_with_their_root():
    drafts, skipped = run([msg("r"), msg("a", thread="r", reply_to="r", at="2020-01-01T11:00:00Z")])
    assert [(d.message.id, d.root_id) for d in drafts] == [("r", None), ("a", "r")]
    assert not skipped


def test_window_applies_to_roots_and_replies_follow_their_thread():
    messages = [
        msg("old", at="2019-12-31T23:00:00Z"),
        msg("late-reply", thread="old", reply_to="old", at="2020-01-05T00:00:00Z"),
        msg("new", at="2020-01-02T00:00:00Z"),
    ]
    since = message_ms(msg(at="2020-01-01T00:00:00Z"))
    drafts, skipped = run(messages, since_ms=since)
    assert [d.message.id for d in drafts] == ["new"]
    assert skipped == {"outside the date window": 2}


def test_deleted_and_system_messages_are_skipped_when_asked():
    messages = [msg("d", deleted_at=at("2020-02-01T00:00:00Z")), msg("s", kind="system"), msg("k")]
    drafts, skipped = run(messages)
    assert [d.message.id for d in drafts] == ["k"]
    assert skipped == {"deleted": 1, "system": 1}
    drafts, skipped = run(messages, skip_deleted=False, skip_system=False)
    assert [d.message.id for d in drafts] == ["d", "s", "k"]


def test_a_deleted_root_with_kept_replies_becomes_a_tombstone():
    messages = [msg("r", deleted_at=at("2020-02-01T00:00:00Z")),
                msg("a", thread="r", reply_to="r", at="2020-01-01T11:00:00Z")]
    drafts, skipped = run(messages)
    assert [d.message.id for d in drafts] == ["r", "a"]
    assert kinds(drafts[0]) == ["deleted-root-tombstone"]
    assert not skipped


def test_a_reply_whose_root_is_not_in_the_archive_becomes_a_thread_with_a_note():
    drafts, _ = run([msg("a", thread="gone", reply_to="gone")])
    assert drafts[0].root_id is None and kinds(drafts[0]) == ["orphan-reply"]


def test_a_reply_to_a_reply_is_flattened_under_the_root():
    messages = [msg("r"), msg("a", thread="r", reply_to="r", at="2020-01-01T11:00:00Z"),
                msg("b", thread="r", reply_to="a", at="2020-01-01T12:00:00Z")]
    drafts, _ = run(messages)
    assert drafts[2].root_id == "r" and kinds(drafts[2]) == ["nested-reply"]


def test_flatten_makes_every_message_a_root():
    messages = [msg("r"), msg("a", thread="r", reply_to="r", at="2020-01-01T11:00:00Z")]
    drafts, _ = run(messages, flatten=True)
    assert [d.root_id for d in drafts] == [None, None]
