"""Planned times: unique per container to the millisecond, deterministic, replies after roots."""

from dataclasses import replace

from transforms.timestamps import assign_times, container_time, merge

from .helpers import draft, msg

T0 = 1577872800000  # 2020-01-01T10:00:00Z


def times(drafts):
    return [(d.key, d.created_ms - T0) for d in assign_times(drafts)]


def test_ties_are_nudged_by_one_millisecond_in_order():
    ds = [draft(mid="a"), draft(mid="b"), draft(mid="c", at="2020-01-01T10:00:00.001Z")]
    assert times(ds) == [("a", 0), ("b", 1), ("c", 2)]
    assert [x.kind for x in ds[1].degradations] == ["time-nudged"]


def test_planning_twice_gives_the_same_times():
    def make():
        return [draft(mid=str(i), at="2020-01-01T10:00:00Z") for i in range(5)]
    assert times(make()) == times(make())


def test_sub_millisecond_source_times_are_truncated():
    assert times([draft(at="2020-01-01T10:00:00.0019Z")]) == [("m1", 1)]


def test_continuation_parts_follow_their_message():
    first = draft(mid="a")
    first.parts = 2
    second = replace(first, part=2, root_id="a", degradations=[])
    assert times([first, second, draft(mid="b")]) == [("a", 0), ("a#2", 1), ("b", 2)]


def test_a_reply_older_than_its_root_waits_for_it():
    reply = draft(mid="r1", thread="root", reply_to="root", at="2020-01-01T09:00:00Z")
    reply.root_id = "root"
    root = draft(mid="root", at="2020-01-01T10:00:00Z")
    assert times([reply, root]) == [("root", 0), ("r1", 1)]


def test_sources_merged_into_one_container_are_interleaved_by_time():
    a = [
        draft(message=msg("a1", channel="A")),
        draft(message=msg("a2", channel="A", at="2020-01-01T10:00:02Z")),
    ]
    b = [draft(message=msg("b1", channel="B", at="2020-01-01T10:00:01Z"))]
    assert [d.key for d in assign_times(merge([a, b]))] == ["a1", "b1", "a2"]


def test_the_container_is_created_before_its_first_message():
    assert container_time(T0, 60_000) == T0 - 60_000
