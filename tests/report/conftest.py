"""A small network whose every indicator was computed by hand (the figures are in test_indicators.py).

    IT Help        essential (with RULES): 8 messages over 4 months, 4 authors, 3 of 4 threads
                   answered after 1 h, 3 h and 0.5 h, 2 mail-style posts, a guest and an outsider
    Essai VPN      test: "essai" in the name, 2 messages
    Lunch club     dead-born: 3 messages by 2 people within a week
    Old project    dormant: 3 messages over 12 weeks, the last more than a year before AS_OF
    random         active: a channel outside any group, 2 posts 20 weeks apart, recent
    Nothing        dead-born: a group without a message
    a direct conversation of 2 messages (network-wide figures only)
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from rsemigrate.archive import (
    Attachment,
    Body,
    Channel,
    Group,
    Message,
    Reaction,
    Record,
    SourceInfo,
    Timestamp,
    User,
)
from rsemigrate.testing import FileSpec, archive_from_records

AS_OF = datetime(2024, 6, 30, tzinfo=UTC)
RULES = """\
[essential]
min_active_months = 4
min_authors = 4
min_reply_rate = 0.7
max_median_reply_hours = 2
"""
PEOPLE = "email,role\nAnn@Contoso.com,executive\nzoe@contoso.com,manager\n"
MAIL_FR = "Bonjour à tous,\n\nLe VPN change lundi.\n\nCordialement,\nAnn"
MAIL_EN = "Hi all,\nnew laptops arrive next week.\nRegards,\nCarl"


def at(when: str) -> Timestamp:
    return Timestamp(when, when)


def msg(mid: str, channel: str, author: str, when: str, text: str = "a message", *,
        reply_to: str | None = None, **fields: object) -> Message:
    return Message(id=mid, channel_id=channel, thread_id=reply_to or mid, author_id=author,
                   created_at=at(when), body=Body("plain", text), text=text, reply_to_id=reply_to,
                   kind="reply" if reply_to else "post", **fields)  # type: ignore[arg-type]


def network() -> Iterable[Record | FileSpec]:
    yield SourceInfo("memory", network_id="n1", network_name="Contoso")
    yield User("u1", "Ann Smith", "ann@contoso.com")
    yield User("u2", "Bob Martin", "bob@contoso.com")
    yield User("u3", "Carl Guest", "carl@partner.org", guest=True)
    yield User("u4", "Dan Out", "dan@other.com")
    yield User("u5", "Eve Idle", "eve@contoso.com")
    yield Group("g-help", "IT Help", created_at=at("2024-01-02T09:00:00Z"))
    yield Group("g-test", "Essai VPN")
    yield Group("g-lunch", "Lunch club", private=True)
    yield Group("g-old", "Old project", created_at=at("2022-12-01T09:00:00Z"))
    yield Group("g-empty", "Nothing", created_at=at("2023-05-01T09:00:00Z"))
    yield Channel("c-help", "feed", "IT Help", group_id="g-help")
    yield Channel("c-test", "feed", "Essai VPN", group_id="g-test")
    yield Channel("c-lunch", "feed", "Lunch club", group_id="g-lunch", private=True)
    yield Channel("c-old", "feed", "Old project", group_id="g-old")
    yield Channel("c-random", "channel", "random")
    yield Channel("c-dm", "direct", "Ann, Bob", private=True, member_ids=["u1", "u2"])
    yield (Attachment("f1", "file", "present", "f1", name="vpn.pdf"), lambda: io.BytesIO(b"v" * 1000))
    yield (Attachment("f2", "image", "present", "f2", name="reset.png"), lambda: io.BytesIO(b"p" * 500))
    yield Attachment("l1", "link", "external", "l1", url="https://example.com/help")
    yield msg("m1", "c-help", "u1", "2024-01-10T09:00:00Z", MAIL_FR, attachment_ids=["f1"])
    yield msg("m2", "c-help", "u2", "2024-01-10T10:00:00Z", reply_to="m1",
              reactions=[Reaction("like", "u1"), Reaction("like", "u4")])
    yield msg("m3", "c-help", "u3", "2024-01-10T12:00:00Z", reply_to="m1")
    yield msg("m4", "c-help", "u2", "2024-02-15T08:00:00Z", "How do I reset my password?",
              attachment_ids=["f2", "l1"])
    yield msg("m5", "c-help", "u4", "2024-02-15T11:00:00Z", reply_to="m4")
    yield msg("m6", "c-help", "u2", "2024-04-01T08:00:00Z", "Printer down",
              deleted_at=at("2024-04-02T08:00:00Z"))
    yield msg("m7", "c-help", "u1", "2024-04-01T08:30:00Z", reply_to="m6")
    yield msg("m8", "c-help", "u3", "2024-05-20T10:00:00Z", MAIL_EN)
    system = msg("m9", "c-help", "u2", "2024-05-21T10:00:00Z", "Bob joined")
    system.kind = "system"
    yield system
    yield msg("t1", "c-test", "u2", "2024-06-01T10:00:00Z")
    yield msg("t2", "c-test", "u2", "2024-06-01T11:00:00Z")
    yield msg("l1m", "c-lunch", "u1", "2024-03-01T12:00:00Z")
    yield msg("l2m", "c-lunch", "u2", "2024-03-03T12:00:00Z", reply_to="l1m")
    yield msg("l3m", "c-lunch", "u1", "2024-03-05T12:00:00Z", reply_to="l1m")
    yield msg("o1", "c-old", "u2", "2023-01-10T10:00:00Z")
    yield msg("o2", "c-old", "u4", "2023-02-10T10:00:00Z")
    yield msg("o3", "c-old", "u2", "2023-04-01T10:00:00Z")
    yield msg("r1", "c-random", "u2", "2024-02-01T10:00:00Z")
    yield msg("r2", "c-random", "u4", "2024-06-20T10:00:00Z")
    yield msg("d1", "c-dm", "u1", "2024-01-11T10:00:00Z")
    yield msg("d2", "c-dm", "u2", "2024-01-11T11:00:00Z", reply_to="d1")


@pytest.fixture(scope="session")
def triage_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return archive_from_records(tmp_path_factory.mktemp("triage"), network()).path


@pytest.fixture
def rules_file(tmp_path: Path) -> Path:
    path = tmp_path / "triage.toml"
    path.write_text(RULES, encoding="utf-8")
    return path


@pytest.fixture
def people_file(tmp_path: Path) -> Path:
    path = tmp_path / "people.csv"
    path.write_text(PEOPLE, encoding="utf-8")
    return path
