"""The archive both import benchmarks post: communities of threads (a root, then four replies),
and in the realistic shape as many messages again in private conversations of 2-5 messages, each
a channel of its own (the shape of a real network, where every private conversation is one)."""

from __future__ import annotations

import time
from pathlib import Path


def community_archive(folder: Path, communities: int, messages: int, users: int, shape: str = "flat") -> Path:
    """Export `communities` feeds of `messages` messages each, written by `users` people, a day
    apart and a minute between messages, into `folder/archive`; with `shape="realistic"`, also
    private conversations of 2-5 messages holding as many messages as the feeds."""
    from rsemigrate.archive.records import Body, Channel, Group, Message, Record, SourceInfo, User
    from rsemigrate.archive.timestamps import parse_timestamp
    from rsemigrate.testing import archive_from_records

    records: list[Record] = [SourceInfo("memory", network_id="bench", network_name="Bench")]
    records += [User(f"u{i}", f"User {i}", f"user{i}@contoso.com") for i in range(users)]
    start = 1_577_836_800  # 2020-01-01
    for c in range(communities):
        records += [Group(f"g{c}", f"Community {c}"),
                    Channel(f"g{c}", "feed", f"Community {c}", group_id=f"g{c}")]
        for n in range(messages):
            root = f"c{c}m{n - n % 5}"
            at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start + c * 86_400 + n * 60))
            text = f"Message {n} of community {c}: " + "lorem ipsum " * 20
            records.append(Message(id=f"c{c}m{n}", channel_id=f"g{c}", thread_id=root,
                                   author_id=f"u{(c + n) % users}", created_at=parse_timestamp(at),
                                   body=Body("plain", text), text=text,
                                   kind="post" if n % 5 == 0 else "reply",
                                   reply_to_id=None if n % 5 == 0 else root))
    if shape == "realistic":
        records += _private_conversations(communities * messages, users, start)
    return archive_from_records(folder, records, "archive").path


def _private_conversations(total: int, users: int, start: int) -> list:
    from rsemigrate.archive.records import Body, Channel, Message
    from rsemigrate.archive.timestamps import parse_timestamp

    records: list = []
    written = conversation = 0
    while written < total:
        size = min(2 + conversation % 4, total - written)
        members = [f"u{conversation % users}", f"u{(conversation + 1) % users}"]
        cid = f"dm{conversation}"
        records.append(Channel(cid, "direct", f"Conversation {conversation}", private=True,
                               member_ids=members))
        for n in range(size):
            at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start + conversation * 600 + n * 60))
            text = f"Message {n} of conversation {conversation}"
            root = None if n == 0 else f"{cid}m0"
            records.append(Message(id=f"{cid}m{n}", channel_id=cid, thread_id=f"{cid}m0",
                                   author_id=members[n % 2], created_at=parse_timestamp(at),
                                   body=Body("plain", text), text=text, kind="reply" if root else "post",
                                   reply_to_id=root))
        written += size
        conversation += 1
    return records
