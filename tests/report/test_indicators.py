"""Every indicator against figures computed by hand from the network in conftest.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from rsemigrate.report import ReportRequest, TriageReport, build_report

from .conftest import AS_OF

#: IT Help, worked out message by message (m1…m9 in conftest.py).
IT_HELP = {
    "id": "g-help", "name": "IT Help", "kind": "group", "private": False, "deleted": False,
    "external_network": False, "channels": 1,
    "created": "2024-01-02T09:00:00Z", "first": "2024-01-10T09:00:00Z", "last": "2024-05-20T10:00:00Z",
    "messages": 8,            # m1…m8; m9 is a system message
    "threads": 4,             # m1, m4, m6, m8
    "replies": 4,             # m2, m3, m5, m7
    "system_messages": 1,
    "active_months": 4,       # 2024-01, -02, -04, -05
    "last_90_days": 3,        # after 2024-04-01T00:00: m6, m7, m8
    "last_365_days": 8,
    "reply_rate": 0.75,       # m1, m4, m6 answered; m8 not
    "median_first_reply_hours": 1.0,  # waits of 1 h (m2), 3 h (m5), 0.5 h (m7)
    "authors": 4,
    "top_author": "Bob Martin",  # m2, m4, m6
    "top_author_share": 0.375,   # 3 of 8
    "top_decile_share": 0.375,   # the top 10% of 4 authors is 1 author
    "files": 2, "file_bytes": 1500,  # f1 (1000 B) and f2 (500 B); l1 is a link
    "deleted_share": 0.125,       # m6
    "guest_authors": 1,           # Carl
    "external_authors": 1,        # Dan (other.com; contoso.com is the most common domain)
    "external_share": 0.375,      # Carl's 2 and Dan's 1 of 8
    "mail_style_posts": 2,        # m1 (Bonjour … Cordialement) and m8 (Hi … Regards)
    "mail_style_share": 0.5,      # of 4 threads
    "people_posts": 1, "people_replies": 1, "people_reactions": 1,  # Ann: m1, m7, a like on m2
    "people_roles": ["executive"],
    "monthly": {"2024-01": 3, "2024-02": 2, "2024-04": 2, "2024-05": 1},
    "triage": "essential",
    "rule": "essential: 4 active months ≥ 4, 4 authors ≥ 4, reply rate 75% ≥ 70%, "
            "median first reply 1 h ≤ 2 h",
    "plan": None,
}


@pytest.fixture
def report(triage_archive: Path, rules_file: Path, people_file: Path) -> TriageReport:
    return build_report(ReportRequest(triage_archive, AS_OF, rules_file, people_file))


def test_every_community_indicator_matches_the_hand_computed_figures(report):
    rows = {row["id"]: row for row in report.to_json()["communities"]}
    assert rows["g-help"] == IT_HELP


def test_each_class_with_the_rule_and_figures_behind_it(report):
    got = {c.name: (c.triage, c.rule) for c in report.communities}
    assert got == {
        "IT Help": ("essential", IT_HELP["rule"]),
        "random": ("active", "active: alive, but not essential: 2 active months < 4, 2 authors < 4, "
                             "reply rate 0% < 70%, median first reply none > 2 h"),
        "Old project": ("dormant", "dormant: no message in the 365 days before 2024-06-30 (last 2023-04-01)"),
        "Lunch club": ("dead-born", "dead-born: 3 messages ≤ 20, 2 authors ≤ 3, last message 0.6 weeks "
                                    "after the first ≤ 8"),
        "Nothing": ("dead-born", "dead-born: 0 messages ≤ 20, 0 authors ≤ 3, last message 0 weeks "
                                 "after the first ≤ 8"),
        "Essai VPN": ("test", "test: name holds 'essai' and 2 messages ≤ 50"),
    }
    assert report.classes == {"essential": 1, "active": 1, "dormant": 1, "dead-born": 2, "test": 1}
    assert [c.name for c in report.communities][:3] == ["IT Help", "random", "Old project"]


def test_the_other_communities_figures(report):
    rows = {row["id"]: row for row in report.to_json()["communities"]}
    lunch, random, empty = rows["g-lunch"], rows["c-random"], rows["g-empty"]
    assert (lunch["private"], lunch["median_first_reply_hours"], lunch["reply_rate"]) == (True, 48.0, 1.0)
    assert (random["kind"], random["reply_rate"], random["median_first_reply_hours"]) \
        == ("channel", 0.0, None)
    assert (random["last_90_days"], random["external_share"]) == (1, 0.5)
    assert (empty["messages"], empty["reply_rate"], empty["top_author"], empty["channels"]) \
        == (0, None, None, 0)


def test_network_wide_figures(report):
    net = report.to_json()["network"]
    assert (net["messages"], net["community_messages"], net["private_messages"], net["system_messages"]) \
        == (20, 18, 2, 1)
    assert (net["group_post_share"], net["private_share"]) == (0.9, 0.1)
    assert (net["communities"], net["private_conversations"], net["authors"]) == (6, 1, 4)
    months = {m["month"]: (m["messages"], m["community_messages"], m["private_messages"], m["active_authors"])
              for m in net["months"]}
    assert len(months) == 18 and months["2023-03"] == (0, 0, 0, 0)  # 2023-01 … 2024-06, gaps included
    assert months["2024-01"] == (5, 3, 2, 3)  # IT Help m1-m3 and the direct conversation; Ann, Bob, Carl
    assert months["2024-06"] == (3, 3, 0, 2)
    assert sum(m[0] for m in months.values()) == net["messages"]


def test_creation_per_month_next_to_the_communities_still_alive(report):
    created = {m.month: (m.created, m.alive, m.classes) for m in report.creation if m.created}
    assert created == {
        "2022-12": (1, 0, {"dormant": 1}),
        "2023-05": (1, 0, {"dead-born": 1}),
        "2024-01": (1, 1, {"essential": 1}),
        "2024-02": (1, 1, {"active": 1}),      # random: no creation date, so its first message
        "2024-03": (1, 0, {"dead-born": 1}),
        "2024-06": (1, 0, {"test": 1}),
    }


def test_people_of_interest_presence_and_the_share_of_communities_they_reach(report):
    ann, zoe = report.network.people
    assert (ann.name, ann.role, ann.found, ann.posts, ann.replies, ann.reactions, ann.communities) \
        == ("Ann Smith", "executive", True, 2, 2, 1, 2)  # IT Help and Lunch club
    assert (zoe.found, zoe.posts + zoe.replies + zoe.reactions) == (False, 0)
    assert report.network.people_communities_share == 0.333  # 2 of 6


def test_as_of_defaults_to_the_export_windows_end(triage_archive):
    report = build_report(ReportRequest(triage_archive))
    assert report.network.as_of == "2024-06-20T10:00:00Z"
    help_ = next(c for c in report.communities if c.id == "g-help")
    assert help_.last_90_days == 3 and help_.triage == "active"  # the default rules ask for 20 authors


def test_an_earlier_as_of_makes_recent_communities_dormant_and_counts_nothing_after_it(triage_archive):
    from datetime import UTC, datetime

    report = build_report(ReportRequest(triage_archive, datetime(2025, 7, 1, tzinfo=UTC)))
    assert {c.id for c in report.communities if c.triage == "dormant"} == {"g-help", "c-random", "g-old"}
    early = build_report(ReportRequest(triage_archive, datetime(2024, 2, 1, tzinfo=UTC)))
    help_ = next(c for c in early.communities if c.id == "g-help")
    assert help_.last_90_days == 3  # m1, m2, m3 only: m4… come after the as-of date
