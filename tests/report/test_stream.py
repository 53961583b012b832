"""The streaming pass's shortcuts give exactly what a full parse gives, whatever the line's layout."""

from __future__ import annotations

import orjson

from rsemigrate.report.indicators import PRIVATE_CHANNEL, PRIVATE_LINE, _private_fields

from .conftest import msg


def written(message) -> bytes:
    """A message line exactly as the archive writer writes it (orjson of the record)."""
    return orjson.dumps(message) + b"\n"


def test_a_private_line_as_written_is_read_from_its_bytes():
    line = written(msg("d1", "c-dm", "u1", "2024-01-11T10:00:00Z", 'he said "kind":"system", then left'))
    assert PRIVATE_LINE.match(line) is not None  # the shortcut, not the fallback, answers
    assert _private_fields(line) == ("2024-01u1", False)
    system = msg("d2", "c-dm", "u2", "2024-02-01T10:00:00Z", "Ann joined")
    system.kind = "system"
    assert _private_fields(written(system)) == ("2024-02u2", True)


def test_any_other_layout_is_parsed_in_full_with_the_same_answer():
    reordered = b'{"kind":"system","author_id":"u7","created_at":{"utc":"2023-05-02T10:00:00Z"},"id":"x"}'
    assert PRIVATE_LINE.match(reordered) is None
    assert _private_fields(reordered) == ("2023-05u7", True)
    escaped = written(msg("d3", "c-dm", 'u"8', "2023-06-01T10:00:00Z"))
    assert PRIVATE_LINE.match(escaped) is None  # an id with an escape: no shortcut
    assert _private_fields(escaped) == ('2023-06u"8', False)
    spaced = b'{"id": "d4", "channel_id": "c", "thread_id": "d4", "author_id": "u9", ' \
             b'"created_at": {"utc": "2023-07-01T10:00:00Z"}, "text": "x", "kind": "post"}'
    assert _private_fields(spaced) == ("2023-07u9", False)


def test_only_a_private_channel_line_as_written_skips_its_parse():
    from rsemigrate.archive import Channel

    direct = orjson.dumps(Channel("c-dm", "direct", "Ann, Bob", private=True))
    assert PRIVATE_CHANNEL.match(direct)[1] == b"c-dm"
    feed = orjson.dumps(Channel("c-feed", "feed", 'say "kind":"direct"', source={"kind": "direct"}))
    assert PRIVATE_CHANNEL.match(feed) is None
