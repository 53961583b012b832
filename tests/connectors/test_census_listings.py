"""The field census reaches every source record type a connector reads, not only messages: an
unknown field in a people, group, channel, file or log listing shows up as `unmapped`, named by
record type and path; and what the census first found unread in listings is now kept."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from connectors.slack import read as read_slack
from connectors.teams.source import wire as teams_wire
from connectors.workplace import read as read_workplace
from rsemigrate.archive import Attachment, Channel, Group, Record, ReportEntry, User
from rsemigrate.export import Census
from rsemigrate.registry import connectors

from .conftest import MESSAGE_HEADER, YammerExport, slack_export, workplace_collection, write_json
from .test_fidelity import read_with
from .test_teams_reader import graph_message, read_teams, write_collection


def unmapped(records: list[Record]) -> dict[tuple[str, str], ReportEntry]:
    """(record type, field path) → its `unmapped` entry."""
    return {(e.record_type, e.reason.split("`")[1]): e
            for e in records if isinstance(e, ReportEntry) and e.action == "unmapped"}


def of(records: list[Record], cls: type) -> dict[str, Any]:
    return {r.id: r for r in records if isinstance(r, cls)}


# ── Slack ─────────────────────────────────────────────────────────────────────────────────────

def test_slack_unknown_fields_of_users_channels_and_integration_logs_are_unmapped(tmp_path):
    folder = slack_export(tmp_path / "export")
    log = [{"user_id": "U1", "user_name": "ann", "date": "1709283000", "change_type": "added",
            "service_id": "77", "service_type": "Travis CI", "channel": "C1", "sparkle": "new"}]
    write_json(folder, {
        "users.json": [{"id": "U1", "name": "ann", "profile": {"real_name": "Ann"}, "pronouns": "she"}],
        "channels.json": [{"id": "C1", "name": "general", "members": ["U1"], "canvas": {"id": "F9"}}],
        "integration_logs.json": [*log, "not an entry"],
    })
    records = read_with(read_slack, folder, tmp_path)
    found = unmapped(records)
    assert set(found) == {("user", "pronouns"), ("channel", "canvas"), ("integration", "sparkle")}
    assert (found["integration", "sparkle"].record_id, found["integration", "sparkle"].location) == (
        "77", "integration_logs.json record 1")
    assert found["user", "pronouns"].location == "users.json record 1"
    # the log itself is kept by the workspace it belongs to; what is no entry is quarantined
    assert of(records, Group)["workspace"].source["integration_logs"] == log
    [bad] = [e for e in records if isinstance(e, ReportEntry) and e.action == "quarantined"]
    assert (bad.location, bad.raw) == ("integration_logs.json record 2", '"not an entry"')


# ── Teams ─────────────────────────────────────────────────────────────────────────────────────

FILE = {"id": "f1", "contentType": "reference", "contentUrl": "https://contoso.sharepoint.com/x.pdf",
        "name": "x.pdf"}


def teams_listings(folder: Path) -> Path:
    """Team t1 with a standard and a private channel, user u9's chats, and one downloaded file;
    each listing holds one field no coverage declares."""
    body = '<attachment id="f1"></attachment>'
    write_collection(folder, [graph_message("1", body=body, attachments=[FILE])])
    private = teams_wire.Conversation.channel("t1", "c2")
    saved = teams_wire.file_path(teams_wire.file_key(FILE))
    drive_item = {"id": "01ABC", "name": "x.pdf", "size": 3, "file": {"mimeType": "application/pdf"},
                  "createdBy": {"user": {"displayName": "Ann"}}, "retentionLabel": {"name": "keep"},
                  "@microsoft.graph.downloadUrl": "https://secret"}
    write_json(folder, {
        "collect.json": {"graph_url": teams_wire.GRAPH_URL, "finished_at": "2024-06-03T07:19:41Z",
                         "request": {"teams": ["t1"], "users": ["u9"], "files": "download"}},
        "teams/t1/members/page-0001.json": {"value": [
            {"id": "m1", "userId": "u1", "displayName": "Ann", "roles": ["owner"], "pronouns": "she"}]},
        "teams/t1/channels/page-0001.json": {"value": [
            {"id": "c1", "displayName": "General", "membershipType": "standard"},
            {"id": "c2", "displayName": "Board", "membershipType": "private"}]},
        f"{private.folder}/members/page-0001.json": {"value": [
            {"id": "m2", "userId": "u2", "displayName": "Bo", "roles": ["owner"], "tenantId": "other"},
            {"id": "m3", "userId": "u1", "displayName": "Ann", "roles": []}]},
        "users/u9/user.json": {"id": "u9", "displayName": "Cy", "givenName": "Cy", "surname": "Young",
                               "businessPhones": [], "favoriteColor": "blue"},
        "users/u9/chats/page-0001.json": {"value": [
            {"id": "19:chat@thread.v2", "chatType": "group", "members": [
                {"id": "m4", "userId": "u9", "displayName": "Cy", "roles": ["owner"]},
                {"id": "m5", "userId": "u3", "displayName": "Di", "roles": [], "mood": "happy"}]}]},
        f"{saved}.json": {"id": "f1", "contentUrl": FILE["contentUrl"], "status": 200, "size": 3,
                          "driveItem": drive_item},
    })
    (folder / f"{saved}.bin").write_bytes(b"pdf")
    return folder


def test_teams_unknown_fields_of_members_users_and_drive_items_are_unmapped(tmp_path):
    records = read_teams(teams_listings(tmp_path / "c"), tmp_path)
    found = unmapped(records)
    assert set(found) == {("member", "pronouns"), ("member", "mood"), ("user", "favoriteColor"),
                          ("file", "retentionLabel")}
    assert found["member", "pronouns"].location.endswith("teams/t1/members/page-0001.json record 1")
    assert found["member", "mood"].location.endswith("users/u9/chats/page-0001.json record 1 member 2")
    assert found["member", "mood"].record_id == "u3" and found["file", "retentionLabel"].record_id == "f1"
    assert found["user", "favoriteColor"].location.endswith("users/u9/user.json")


def test_teams_owners_user_fields_and_drive_items_are_kept(tmp_path):
    records = read_teams(teams_listings(tmp_path / "c"), tmp_path)
    channels, groups, users = of(records, Channel), of(records, Group), of(records, User)
    assert groups["t1"].source["owners"] == ["u1"]
    assert channels["c2"].source["owners"] == ["u2"] and "owners" not in channels["c1"].source
    assert channels["19:chat@thread.v2"].source["owners"] == ["u9"]
    assert users["u9"].source == {"givenName": "Cy", "surname": "Young", "favoriteColor": "blue"}
    assert users["u2"].source == {"tenantId": "other"}
    [file] = of(records, Attachment).values()
    kept = file.source["driveItem"]
    assert kept["createdBy"] == {"user": {"displayName": "Ann"}}
    assert kept["retentionLabel"] == {"name": "keep"}
    assert "@microsoft.graph.downloadUrl" not in kept and "https://secret" not in repr(records)


# ── Workplace ─────────────────────────────────────────────────────────────────────────────────

def workplace_listings(folder: Path) -> list[Record]:
    workplace_collection(folder)
    write_json(folder, {
        "community.json": {"id": "9", "name": "C", "motto": "hi"},
        "members/page-0001.json": {"data": [{"id": "1", "name": "Ann", "active": True, "pronouns": "she"}]},
        "groups/page-0001.json": {"data": [{"id": "5", "name": "G", "privacy": "OPEN", "flair": "x"}]},
        "groups/5/members/page-0001.json": {"data": [
            {"id": "1", "name": "Ann", "administrator": True},
            {"id": "2", "name": "Bo of Partner Co", "email": "bo@partner.example", "badge": "gold"}]},
        "groups/5/feed/page-0001.json": {"data": [
            {"id": "5_1", "from": {"id": "1", "name": "Ann"}, "message": "hi",
             "created_time": "2024-01-01T10:00:00+0000"}]},
        "groups/5/reactions/5_1/page-0001.json": {"data": [
            {"id": "1", "name": "Ann", "type": "LIKE"},
            {"id": "3", "name": "Cy", "type": "LOVE", "emoji": "❤"}]},
    })
    return read_with(read_workplace, folder, folder.parent)


def test_workplace_unknown_fields_of_the_community_members_groups_and_reactions_are_unmapped(tmp_path):
    records = workplace_listings(tmp_path / "export")
    found = unmapped(records)
    assert set(found) == {("community", "motto"), ("user", "pronouns"), ("group", "flair"),
                          ("member", "badge"), ("reaction", "emoji")}
    assert found["member", "badge"].location == "groups/5/members/page-0001.json record 2"
    assert found["group", "flair"].location == "groups/page-0001.json record 1"
    assert (found["reaction", "emoji"].record_id, found["reaction", "emoji"].location) == (
        "3", "groups/5/reactions/5_1/page-0001.json record 2")


def test_workplace_admins_and_people_only_a_group_or_a_reaction_names_are_kept(tmp_path):
    records = workplace_listings(tmp_path / "export")
    users = of(records, User)
    assert of(records, Group)["5"].source["admins"] == ["1"]
    assert of(records, Channel)["5"].member_ids == ["1", "2"]
    assert (users["2"].name, users["2"].email, users["2"].origin) == (
        "Bo of Partner Co", "bo@partner.example", "directory")
    assert (users["3"].name, users["3"].origin) == ("Cy", "message")
    rebuilt = [e for e in records if isinstance(e, ReportEntry) and e.action == "degraded"]
    assert [(e.record_id, "rebuilt from a reaction" in e.reason) for e in rebuilt] == [("3", True)]


# ── Yammer ────────────────────────────────────────────────────────────────────────────────────

def test_yammer_unknown_columns_of_every_csv_read_are_unmapped(yammer: YammerExport):
    yammer.csv("Networks.csv", [{"id": "7", "name": "Contoso", "url": "https://www.yammer.com/contoso.com",
                                 "brand_color": "blue"}])
    yammer.csv("Users.csv", [{"id": "1", "name": "Ann", "email": "ann@contoso.com", "pronouns": "she"}])
    yammer.csv("Groups.csv", [{"id": "10", "name": "Ten", "banner": "b.png"}])
    yammer.csv("Topics.csv", [{"id": "55", "name": "safety", "followers": "3"}])
    yammer.csv("Files.csv", [{"id": "901", "file_id": "77", "name": "a.pdf", "sensitivity": "secret"}])
    yammer.csv("Pages.csv", [{"id": "801", "page_id": "66", "name": "Guide", "layout": "wide"}])
    yammer.messages({"id": "1", "thread_id": "1", "group_id": "10", "sender_id": "1", "body": "[[tag:55]]",
                     "attachments": "uploadedfile:77, page:66", "created_at": "2019-03-04T10:00:00Z",
                     "mood": "sunny"}, header=[*MESSAGE_HEADER, "mood"])
    found = unmapped(yammer.read())
    assert set(found) == {("network", "brand_color"), ("user", "pronouns"), ("group", "banner"),
                          ("topic", "followers"), ("file", "sensitivity"), ("page", "layout"),
                          ("message", "mood")}
    assert (found["file", "sensitivity"].record_id, found["file", "sensitivity"].location) == (
        "uploadedfile:77", "Files.csv line 2")
    assert found["topic", "followers"].location == "Topics.csv line 2"


# ── the audit: every record type read is declared, and every declaration is met ────────────────

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
SAMPLES = {"slack": ["workspace", "grid"], "teams": [""], "workplace": [""], "yammer": [""]}


@pytest.mark.parametrize("name", list(SAMPLES))
def test_every_record_type_a_connector_declares_is_seen_on_its_sample_exports(name, monkeypatch, tmp_path):
    """The census refuses a record type no coverage declares (KeyError); this checks the other way:
    a declaration that no sample export exercises would be a listing read without the census."""
    seen: set[str] = set()
    see = Census.see

    def spy(census: Census, record_type: str, *args: Any) -> None:
        seen.add(record_type)
        see(census, record_type, *args)

    monkeypatch.setattr(Census, "see", spy)
    connector = connectors()[name]
    for sample in SAMPLES[name]:
        read_with(connector.read, FIXTURES / name / sample, tmp_path / sample)
    declared = {c.record_type for c in connector.coverage}
    if name == "yammer":  # the hot path: a Messages.csv row is shown only when the header has undeclared
        declared.remove("message")  # columns (messages.py); test_yammer_unknown_columns… shows that
    assert seen == declared


def test_files_beside_the_ones_a_connector_reads_are_reported_not_silently_passed_over(tmp_path, yammer):
    yammer.csv("MessageVersions.csv", [{"id": "1", "message_id": "1"}])
    yammer.messages({"id": "1", "thread_id": "1", "sender_id": "1", "body": "hi",
                     "created_at": "2019-03-04T10:00:00Z"})
    (yammer.folder / "notes.txt").write_text("not an export file")
    skipped = [(e.location, e.reason) for e in yammer.read() if isinstance(e, ReportEntry)
               and e.action == "skipped"]
    assert skipped == [("MessageVersions.csv", "MessageVersions.csv is not read by the Yammer connector: "
                        "its rows are not in the archive")]
    folder = write_json(slack_export(tmp_path / "slack"), {"canvases.json": [{"id": "F1"}]})
    skipped = [e.location for e in read_with(read_slack, folder, tmp_path) if isinstance(e, ReportEntry)
               and e.action == "skipped"]
    assert skipped == ["canvases.json"]
