"""One named test per case of the Teams source: the bundled collection's cases (fixtures/teams/README.md
names each item), and small collections written here for cases a realistic sample would not hold."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from connectors.teams import connector
from connectors.teams.source import wire
from rsemigrate.archive.bag import BagWriter
from rsemigrate.archive.reader import Archive, FileStore
from rsemigrate.archive.records import Attachment, Message, Record, ReportEntry, User
from rsemigrate.export.exporter import run_export
from rsemigrate.export.sources import open_source

from .conftest import write_json
from .test_teams_export import FIXTURE

T1, T2 = "e6b3f2a0-5c1d-4b7e-9a2f-3d4c5b6a7e81", "f7c4a3b1-6d2e-4c8f-8b3a-4e5d6c7b8f92"
GENERAL = "19:7a1b2c3d4e5f40718293a4b5c6d7e8f9@thread.tacv2"
RELEASES = "19:8b2c3d4e5f6a41829304b5c6d7e8f9a0@thread.tacv2"
LEADERSHIP = "19:9c3d4e5f6a7b42939415c6d7e8f9a0b1@thread.tacv2"
PARTNERS = "19:ad4e5f6a7b8c43a4a526d7e8f9a0b1c2@thread.skype"
SALES = "19:be5f6a7b8c9d44b5b637e8f9a0b1c2d3@thread.tacv2"
ANN, BOB, CHLOE, DEV, ERIN, FRANK = (f"a3f1c2d4-{n:04d}-4c1a-9e7b-1f2e3d4c5b{n:02d}" for n in range(1, 7))
BOT = "b0770000-0000-4000-8000-00000000b077"
ONE_ON_ONE = f"19:{ANN}_{BOB}@unq.gbl.spaces"
LAUNCH_CREW = "19:c0a8012a5b6c4d7e8f9a0b1c2d3e4f50@thread.v2"
MEETING = "19:meeting_NzQ2ZTJhOWEtYjdkNi00MzBiLWE4ZjYtMTk4NzQ1ZGQyYjNj@thread.v2"
G1 = f"{GENERAL}:1709542800123"


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Archive:
    return Archive(run_export(connector, FIXTURE, tmp_path_factory.mktemp("teams") / "archive").path)


@pytest.fixture(scope="module")
def messages(archive: Archive) -> dict[str, Message]:
    return {m.id: m for m in archive.messages()}


@pytest.fixture(scope="module")
def attachments(archive: Archive) -> dict[str, Attachment]:
    return {a.id: a for a in archive.attachments()}


@pytest.fixture(scope="module")
def report(archive: Archive) -> dict[str | None, list[ReportEntry]]:
    found = defaultdict(list)
    for entry in archive.report():
        found[entry.record_id].append(entry)
    return found


def at(conversation: str, when: str) -> str:
    """The archive id of the message created at `when` (ids are epoch milliseconds)."""
    from datetime import datetime

    return f"{conversation}:{int(datetime.fromisoformat(when).timestamp() * 1000)}"


# ── channels, threads, system events ─────────────────────────────────────────────────────────────

def test_standard_private_and_shared_channels_with_their_members(archive):
    channels = {c.id: c for c in archive.channels()}
    assert channels[GENERAL].private is False and channels[GENERAL].member_ids == [ANN, BOB, CHLOE, DEV]
    assert channels[LEADERSHIP].private is True and channels[LEADERSHIP].member_ids == [ANN, BOB]
    assert channels[PARTNERS].private is True and channels[PARTNERS].source["membershipType"] == "shared"
    assert {channels[c].group_id for c in (GENERAL, RELEASES, LEADERSHIP, PARTNERS)} == {T1}
    groups = {g.id: g for g in archive.groups()}
    assert (groups[T1].name, groups[T1].private, groups[T2].private) == ("Contoso Engineering", True, False)


def test_replies_follow_their_root_and_the_replies_pages_supersede_the_expansion(messages):
    # G1's expansion held two replies and replies@odata.nextLink; /replies held all four.
    replies = [m for m in messages.values() if m.thread_id == G1 and m.id != G1]
    assert len(replies) == 4
    assert all(m.kind == "reply" and m.reply_to_id == G1 and m.channel_id == GENERAL for m in replies)
    assert messages[G1].kind == "post" and messages[G1].reply_to_id is None


def test_message_ids_are_keyed_by_their_conversation(messages):
    assert G1 in messages and messages[G1].source["id"] == "1709542800123"
    assert all(m.id.startswith(f"{m.channel_id}:") for m in messages.values())


@pytest.mark.parametrize(("conversation", "when", "text", "author"), [
    (GENERAL, "2024-03-08T10:00:00Z", "Ann Martin added Dev Patel", ANN),
    (RELEASES, "2024-03-01T08:00:00Z", "Ann Martin created the channel Deployments", ANN),
    (RELEASES, "2024-03-16T09:00:00Z", "Bob Durand renamed the channel to Releases", BOB),
    (SALES, "2024-05-01T08:00:00Z", "Frank Osei joined", "teams:system"),
    (LAUNCH_CREW, "2024-04-01T09:00:00Z", "Ann Martin added Bob Durand, Chloé Petit", ANN),
    (LAUNCH_CREW, "2024-04-01T09:01:00Z", "Ann Martin renamed the chat to Launch crew", ANN),
    (MEETING, "2024-04-03T15:30:00Z", "Call ended after 25 min", ANN),
])
def test_system_events_are_system_messages_with_a_readable_line(messages, conversation, when, text, author):
    message = messages[at(conversation, when)]
    assert (message.kind, message.text, message.author_id) == ("system", text, author)
    assert message.body.content == "<systemEventMessage/>" and message.source["eventDetail"]["@odata.type"]


# ── deletions and edits ─────────────────────────────────────────────────────────────────────────

def test_a_deleted_root_keeps_its_deletion_time_and_its_replies(messages):
    root = messages[at(GENERAL, "2024-03-09T12:00:00Z")]
    assert root.deleted_at.utc == "2024-03-10T08:00:00Z" and "deleted_inferred" not in root.source
    assert messages[at(GENERAL, "2024-03-09T12:10:00Z")].reply_to_id == root.id


def test_an_empty_body_alone_is_no_deletion_it_is_kept_and_reported(messages, report):
    reply = messages[at(GENERAL, "2024-03-04T10:00:00Z")]
    assert reply.deleted_at is None and "deleted_inferred" not in reply.source and reply.text == ""
    assert "not taken as deleted" in report[reply.id][0].reason


def test_a_message_of_only_a_file_or_an_image_is_not_taken_as_deleted(tmp_path):
    records = read_collection(
        tmp_path,
        [
            graph_message(
                "1",
                body='<attachment id="f1"></attachment>',
                attachments=[
                    {
                        "id": "f1",
                        "contentType": "reference",
                        "contentUrl": "https://contoso.sharepoint.com/x.txt",
                        "name": "x.txt",
                    }
                ],
            ),
            graph_message(
                "2", body='<p><img src="https://graph.microsoft.com/v1.0/x/hostedContents/aGM=/$value"></p>'
            ),
        ],
    )
    assert [m.deleted_at for m in records if isinstance(m, Message)] == [None, None]


def test_edits_come_from_last_edited_not_last_modified(messages):
    assert messages[G1].edited_at is None  # lastModifiedDateTime moved with a reaction
    assert messages[at(GENERAL, "2024-03-04T09:15:00Z")].edited_at.utc == "2024-03-04T09:20:00Z"
    assert messages[at(RELEASES, "2024-03-15T07:30:00Z")].edited_at.utc == "2024-03-15T07:32:10Z"


# ── mentions and reactions ──────────────────────────────────────────────────────────────────────

def test_a_two_word_name_is_two_at_spans_of_one_user_read_as_one_mention(messages):
    mentions = messages[G1].mentions
    assert [(m.kind, m.target_id, m.name, m.raw) for m in mentions] == [
        ("user", BOB, "Bob Durand", '<at id="0">Bob</at>&nbsp;<at id="1">Durand</at>')]
    assert messages[G1].text == "Kick-off for Project Atlas: Bob Durand leads the backend."


def test_channel_team_tag_and_everyone_mentions(messages):
    flagged = messages[at(GENERAL, "2024-03-05T09:00:00Z")].mentions
    assert [(m.kind, m.target_id, m.name) for m in flagged] == [("channel", GENERAL, "General"),
                                                                ("group", T1, "Contoso Engineering")]
    tag = messages[at(RELEASES, "2024-03-18T14:00:00Z")].mentions[0]
    assert (tag.kind, tag.name) == ("tag", "Release managers")
    everyone = messages[at(LAUNCH_CREW, "2024-04-01T09:05:00Z")].mentions[0]
    assert (everyone.kind, everyone.target_id, everyone.raw) == ("all", None, '<at id="0">everyone</at>')


def test_an_at_span_without_a_mentions_entry_is_kept_and_reported(tmp_path):
    records = read_collection(tmp_path, [graph_message("1", body='<p>Hi <at id="3">Ghost</at></p>')])
    message = next(r for r in records if isinstance(r, Message))
    assert [(m.kind, m.target_id, m.name) for m in message.mentions] == [("user", None, "Ghost")]
    assert any(isinstance(r, ReportEntry) and "no entry in mentions[]" in r.reason for r in records)


def test_reactions_are_per_person_with_their_time(messages):
    reactions = messages[G1].reactions
    assert [(r.kind, r.user_id, r.at.utc) for r in reactions] == [
        ("like", BOB, "2024-03-04T09:05:00Z"), ("heart", CHLOE, "2024-03-04T09:10:00Z"),
        ("💯", DEV, "2024-03-04T09:41:00Z")]


# ── inline images, files, cards ─────────────────────────────────────────────────────────────────

def test_inline_images_are_stored_and_a_refused_one_is_missing(messages, attachments, report, archive):
    sketch = messages[at(GENERAL, "2024-03-04T09:30:00Z")]
    image = attachments[sketch.attachment_ids[0]]
    assert (image.kind, image.status, image.media_type) == ("image", "present", "image/png")
    assert archive.file_path(image.sha256).read_bytes().startswith(b"\x89PNG")
    assert sketch.text == "Architecture sketch:\n[image]"
    refused = attachments[messages[at(GENERAL, "2024-03-12T09:00:00Z")].attachment_ids[0]]
    assert (refused.status, refused.sha256) == ("missing", None)
    assert "403 Forbidden" in report[refused.id][0].reason


@pytest.mark.parametrize(
    ("name", "status", "reported"),
    [
        ("Design spec.docx", "present", None),
        ("Budget draft.xlsx", "present", None),  # a chat file in the sender's OneDrive
        ("Salaries 2024.xlsx", "external", "403 accessDenied"),
        ("Old roadmap.pptx", "external", "404 itemNotFound"),
    ],
)
def test_reference_files_are_downloaded_when_permitted_else_kept_as_links(
    attachments, report, name, status, reported
):
    found = next(a for a in attachments.values() if a.name == name)
    assert (found.kind, found.status, found.url) == ("file", status, found.source_ref)
    assert found.url.startswith("https://contoso")
    assert (found.sha256 is not None) == (status == "present")
    assert len(report[found.id]) == (0 if reported is None else 1)
    if reported:
        assert reported in report[found.id][0].reason


def test_with_files_links_nothing_is_downloaded_and_nothing_reported(tmp_path):
    attachment = {
        "id": "f1",
        "contentType": "reference",
        "contentUrl": "https://contoso.sharepoint.com/x.pdf",
        "name": "x.pdf",
    }
    records = read_collection(tmp_path, [graph_message("1", body='<attachment id="f1"></attachment>',
                                                       attachments=[attachment])], files="links")
    file = next(r for r in records if isinstance(r, Attachment))
    assert (file.status, file.media_type, file.url) == (
        "external",
        "application/pdf",
        attachment["contentUrl"],
    )
    assert not [r for r in records if isinstance(r, ReportEntry)]


def test_cards_are_module_attachments_and_quoted_replies_stay_in_the_message(messages, attachments):
    bot = messages[at(RELEASES, "2024-03-15T07:00:00Z")]
    card = attachments[bot.attachment_ids[0]]
    assert (card.kind, card.status, card.name) == ("module", "external", "adaptive card")
    assert card.source["content"]["body"][0]["text"] == "Build 2024.3.15: all 412 tests passed"
    quoting = messages[at(GENERAL, "2024-03-11T16:00:00Z")]
    assert (
        quoting.attachment_ids == [] and quoting.source["attachments"][0]["contentType"] == "messageReference"
    )


def test_a_text_body_keeps_its_format(messages):
    bot = messages[at(RELEASES, "2024-03-15T07:00:00Z")]
    assert (bot.body.format, bot.text) == ("text", "Build 2024.3.15 deployed to staging")
    assert messages[G1].body.format == "teams-html"


def test_the_subject_is_the_title(messages):
    assert messages[G1].title == "Project Atlas kick-off" and messages[G1].source["importance"] == "high"


# ── people ──────────────────────────────────────────────────────────────────────────────────────

def test_people_are_merged_from_every_listing(archive):
    users = {u.id: u for u in archive.users()}
    assert (users[ANN].title, users[ANN].location, users[ANN].email) == (
        "Engineering Manager",
        "Lyon",
        "ann@contoso.com",
    )
    assert users[DEV].guest is True and users[FRANK].email == "frank@contoso.com"
    assert all(
        u.origin == "directory" for u in (users[ANN], users[BOB], users[CHLOE], users[DEV], users[FRANK])
    )


def test_an_author_who_left_is_rebuilt_and_reported(archive, report):
    erin = next(u for u in archive.users() if u.id == ERIN)
    assert (erin.name, erin.origin, erin.email) == ("Erin Walsh", "message", None)
    assert "not in any collected member list" in report[ERIN][0].reason


def test_an_app_is_a_bot_user(archive, messages):
    bot = next(u for u in archive.users() if u.id == BOT)
    assert (bot.name, bot.bot) == ("Release Bot", True)
    assert messages[at(RELEASES, "2024-03-15T07:00:00Z")].author_id == BOT


def test_unreadable_entries_are_quarantined_with_their_text(archive):
    quarantined = {e.record_type: e for e in archive.report() if e.action == "quarantined"}
    assert '"displayName":"Deleted account"' in quarantined["user"].raw
    assert quarantined["message"].location.endswith("messages/page-0002.json record 5")


# ── chats, refusals ─────────────────────────────────────────────────────────────────────────────

def test_chats_of_chosen_users_are_read_once_with_their_members(archive):
    chats = {c.id: c for c in archive.channels() if c.kind in ("direct", "group_direct")}
    assert set(chats) == {ONE_ON_ONE, LAUNCH_CREW, MEETING}  # bob@ listed two of them again
    assert (chats[ONE_ON_ONE].kind, chats[ONE_ON_ONE].name) == ("direct", "Ann Martin, Bob Durand")
    assert (chats[LAUNCH_CREW].kind, chats[LAUNCH_CREW].name) == ("group_direct", "Launch crew")
    assert chats[MEETING].source["chatType"] == "meeting" and chats[MEETING].member_ids == [ANN, BOB, DEV]
    assert all(c.private and c.group_id is None for c in chats.values())


def test_a_channel_whose_messages_graph_refused_is_reported_skipped(report):
    entry = report[PARTNERS][0]
    assert (entry.action, entry.record_type) == ("skipped", "channel")
    assert "messages not collected: Graph refused it (403 Forbidden" in entry.reason


def test_a_team_graph_refused_is_reported_skipped(tmp_path):
    folder = write_collection(tmp_path / "c", [], teams=["t1", "t2"])
    write_json(folder, {"teams/t2/refused.json": {"path": "/teams/t2", "status": 404,
                                                  "error": {"code": "NotFound", "message": "No team t2"}}})
    skipped = [r for r in read_teams(folder, tmp_path) if isinstance(r, ReportEntry)]
    assert [(r.action, r.record_type, r.record_id) for r in skipped] == [("skipped", "group", "t2")]
    assert "404 NotFound: No team t2" in skipped[0].reason


# ── helpers: the smallest collections ───────────────────────────────────────────────────────────

def graph_message(mid: str, body: str = "<p>hello</p>", **fields: Any) -> dict[str, Any]:
    return {
        "id": mid,
        "messageType": "message",
        "createdDateTime": "2024-03-04T09:00:00.000Z",
        "from": {"user": {"id": "u1", "displayName": "Ann"}},
        "body": {"contentType": "html", "content": body},
        "attachments": [],
        "mentions": [],
        "reactions": [],
        **fields,
    }


def write_collection(folder: Path, messages: list[Any], *, teams: list[str] | None = None,
                     files: str = "download") -> Path:
    """A finished collection of team `t1` with one channel `c1` holding `messages` on one page."""
    channel = wire.Conversation.channel("t1", "c1")
    return write_json(folder, {
        "collect.json": {"graph_url": wire.GRAPH_URL, "finished_at": "2024-06-03T07:19:41Z",
                         "request": {"teams": teams or ["t1"], "users": [], "files": files}},
        "teams/t1/team.json": {"id": "t1", "displayName": "T"},
        "teams/t1/members/page-0001.json": {"value": [{"id": "m1", "userId": "u1", "displayName": "Ann"}]},
        "teams/t1/channels/page-0001.json": {"value": [{"id": "c1", "displayName": "General",
                                                        "membershipType": "standard"}]},
        f"{channel.messages}/page-0001.json": {"value": messages},
    })


def read_teams(source: Path, scratch: Path) -> list[Record]:
    """Every record the Teams reader yields for `source`, files stored in a throwaway bag."""
    assert connector.read is not None
    writer = BagWriter(scratch / "bag")  # never sealed: abort() removes its staging folder
    try:
        with open_source(source) as tree:
            return list(connector.read(tree, FileStore(writer)))
    finally:
        writer.abort()


def read_collection(tmp_path: Path, messages: list[Any], files: str = "download") -> list[Record]:
    return read_teams(write_collection(tmp_path / "collection", messages, files=files), tmp_path)


def test_the_smallest_collection_reads(tmp_path):
    records = read_collection(tmp_path, [graph_message("1")])
    # the team's Group comes after its messages, which may be all that names it
    assert [type(r).__name__ for r in records] == ["SourceInfo", "User", "Channel", "Message", "Group"]
    assert isinstance(records[1], User) and json.dumps(records[-2].text) == '"hello"'


def test_a_channel_entry_without_an_id_is_quarantined(tmp_path):
    folder = write_collection(tmp_path / "c", [graph_message("1")])
    page = folder / "teams" / "t1" / "channels" / "page-0001.json"
    listing = json.loads(page.read_text())
    page.write_text(json.dumps({"value": [*listing["value"], {"displayName": "No id"}]}))
    entries = [r for r in read_teams(folder, tmp_path) if isinstance(r, ReportEntry)]
    assert [(r.action, r.record_type, r.location) for r in entries] == [
        ("quarantined", "channel", "teams/t1/channels/page-0001.json record 2")]
