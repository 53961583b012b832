"""Each real-data finding of issue 11 as a small case written here, read by the real connectors:
content where the real exports put it, loss reported, one bad record quarantined while the export
goes on, and the field census counting what no connector declares."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from connectors.slack import read as read_slack
from connectors.slack.emulator import FilesEmulator
from connectors.teams.source import wire as teams_wire
from connectors.workplace import read as read_workplace
from rsemigrate.archive import Archive, Attachment, Group, Message, Record, ReportEntry, User
from rsemigrate.archive.bag import BagWriter
from rsemigrate.archive.reader import FileStore
from rsemigrate.export.sources import open_source

from .conftest import cli, message, slack_export, workplace_collection, write_json
from .test_teams_reader import graph_message, read_teams, write_collection


def read_with(read: Any, source: Path, scratch: Path) -> list[Record]:
    writer = BagWriter(scratch / "bag")
    try:
        with open_source(source) as tree:
            return list(read(tree, FileStore(writer)))
    finally:
        writer.abort()


def of(records: list[Record], cls: type) -> list:
    return [r for r in records if isinstance(r, cls)]


# ── Slack ─────────────────────────────────────────────────────────────────────────────────────

def slack_day(tmp_path: Path, *day: dict[str, Any], **extra: Any) -> list[Record]:
    folder = slack_export(tmp_path / "export")
    write_json(folder, {"general/2024-03-01.json": list(day), **extra})
    return read_with(read_slack, folder, tmp_path)


def slack_message(ts: str, **fields: Any) -> dict[str, Any]:
    return {"type": "message", "ts": ts, "text": "", **fields}


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def test_slack_integration_cards_and_blocks_are_the_text_and_the_body_keeps_the_source(tmp_path):
    records = slack_day(
        tmp_path,
        slack_message("1.1", subtype="bot_message", bot_id="B1", attachments=[
            {"pretext": "[repo] 2 new commits", "title": "Build", "text": "<https://ci/1|#1> passed",
             "fields": [{"title": "Branch", "value": "main"}], "footer": "CI", "fallback": "not shown"},
            {"fallback": "only a fallback"},
            {"from_url": "https://example.com", "title": "Example", "text": "an unfurl is no text"}]),
        slack_message("1.2", user="U1", blocks=[section("from *blocks*")]),
        slack_message("1.3", user="U1", text="said", blocks=[section("said")]))
    bot, blocks, both = of(records, Message)
    assert bot.text == "[repo] 2 new commits\nBuild\n#1 passed\nBranch: main\nCI\n\nonly a fallback"
    assert bot.body.content == "" and bot.source["attachments"][0]["fallback"] == "not shown"
    assert [m.target_id for m in bot.mentions] == ["https://ci/1"]
    assert [a.kind for a in of(records, Attachment)] == ["link"]  # the unfurl
    assert blocks.text == "from *blocks*" and blocks.body.content == ""
    assert both.text == "said"


OLD_FILE = {"id": "F0FILE0001", "name": "a.js", "mimetype": "text/plain", "size": 3,
            "url_private": "https://files.slack.com/files-pri/T-F0FILE0001/a.js"}


def old_file_day(tmp_path: Path, **read_options: Any) -> list[Record]:
    """A file shared, then commented on, the way exports before 2019 wrote it: one `file` object."""
    folder = slack_export(tmp_path / "export")
    write_json(folder, {"general/2024-03-01.json": [
        slack_message("1.1", subtype="file_share", user="U1", text="<@U1> uploaded a file", file=OLD_FILE),
        slack_message("1.2", subtype="file_comment", text="<@U2> commented on <@U1>'s file: nice",
                      file=OLD_FILE, comment={"id": "Fc1", "user": "U2", "comment": "nice"})],
        "users.json": [{"id": "U1", "name": "ann"}, {"id": "U2", "name": "bo"}]})
    return read_with(partial(read_slack, **read_options), folder, tmp_path)


def test_slack_single_file_objects_are_attachments_and_downloaded_with_a_token(tmp_path):
    records = old_file_day(tmp_path)
    share, comment = of(records, Message)
    assert share.attachment_ids == comment.attachment_ids == ["F0FILE0001"]
    [attachment] = of(records, Attachment)
    assert (attachment.url, attachment.status) == (OLD_FILE["url_private"], "external")
    assert not of(records, ReportEntry)
    token = "xoxp-test-1"
    with FilesEmulator(token, {"F0FILE0001": b"js;"}) as base:
        [downloaded] = of(old_file_day(tmp_path / "token", token=token, files_url=base), Attachment)
    assert (downloaded.status, downloaded.size) == ("present", 3)


def test_slack_a_file_comment_is_by_its_commenter_not_unknown(tmp_path):
    records = old_file_day(tmp_path)
    share, comment = of(records, Message)
    assert (share.author_id, comment.author_id) == ("U1", "U2")
    assert [u.id for u in of(records, User)] == ["U1", "U2"] and not of(records, ReportEntry)


def test_slack_bots_no_user_list_knows_get_the_best_name_the_export_gives(tmp_path):
    records = slack_day(
        tmp_path,
        slack_message("1452988746.000017", subtype="bot_add", user="U1", bot_id="B1",
                      text="added an integration to this channel: <https://x.slack.com/services/B1|github>"),
        slack_message("1452988800.000001", subtype="bot_message", bot_id="B1", text="push"),
        slack_message("1452988900.000001", subtype="bot_message", bot_id="B2", text="a"),
        slack_message("1452988901.000001", subtype="bot_message", bot_id="B2", username="deploy-bot"),
        slack_message("1452988902.000001", subtype="bot_message", bot_id="B3", bot_profile={"name": "Jira"}),
        slack_message("1452988903.000001", subtype="bot_message", bot_id="B4", text="d"),
        **{"integration_logs.json": [{"channel": "C1", "date": "1452988746", "change_type": "added",
                                      "service_type": "GitHub Notifications (Legacy)", "service_id": "9"}]})
    bots = {u.id: u for u in of(records, User) if u.bot}
    assert {i: u.name for i, u in bots.items()} == {
        "B1": "GitHub Notifications (Legacy)", "B2": "deploy-bot", "B3": "Jira", "B4": "bot B4"}
    reasons = {e.record_id: e.reason for e in of(records, ReportEntry) if e.record_type == "user"}
    assert "integration log" in reasons["B1"] and "no name" in reasons["B4"]


def test_slack_census_counts_undeclared_fields_with_an_example(tmp_path):
    records = slack_day(tmp_path, slack_message("1.1", user="U1", text="a", sparkles=["new"]),
                        slack_message("1.2", user="U1", text="b", sparkles=["newer"],
                                      attachments=[{"text": "card", "brand_new": 1}]))
    unmapped = {e.reason.split("`")[1]: e for e in of(records, ReportEntry) if e.action == "unmapped"}
    assert set(unmapped) == {"sparkles", "attachments[].brand_new"}
    assert "non-empty in 2 record(s), e.g. C1:1.1" in unmapped["sparkles"].reason
    assert unmapped["sparkles"].location == "general/2024-03-01.json record 1"


# ── Teams ─────────────────────────────────────────────────────────────────────────────────────

EVENT = {"@odata.type": "#microsoft.graph.teamRenamedEventMessageDetail", "teamId": "t1",
         "teamDisplayName": "Renamed team", "initiator": {"user": {"id": "u1", "displayName": None}}}


def test_teams_unknown_future_value_with_an_event_detail_is_a_system_event_never_a_deletion(tmp_path):
    records = read_teams(write_collection(tmp_path / "c", [
        graph_message("1", body="<systemEventMessage/>", messageType="unknownFutureValue", eventDetail=EVENT),
        graph_message("2", body="", messageType="unknownFutureValue"),
        graph_message("3", body="<p></p>"),
    ]), tmp_path)
    event, unknown, emptied = of(records, Message)
    assert event.kind == "system" and not event.deleted_at
    assert event.text == "Ann renamed the team to Renamed team"
    assert unknown.kind == "post" and emptied.kind == "post"
    assert unknown.deleted_at is None and emptied.deleted_at is None
    reasons = {e.record_id: e.reason for e in of(records, ReportEntry)}
    assert "unknownFutureValue" in reasons[unknown.id] and "not taken as deleted" in reasons[emptied.id]


def test_teams_a_root_whose_replies_link_was_not_followed_is_reported(tmp_path):
    replies = [graph_message(f"1{n}", replyToId="1") for n in range(2)]
    root = graph_message("1", replies=replies, **{"replies@odata.nextLink": "https://graph/next",
                                                  "replies@odata.count": 5})
    records = read_teams(write_collection(tmp_path / "c", [root]), tmp_path)
    assert len(of(records, Message)) == 3
    [entry] = [e for e in of(records, ReportEntry) if "incomplete thread" in e.reason]
    assert entry.record_id == "c1:1" and "only 2 of 5 replies" in entry.reason
    # the same root with its /replies pages collected is complete
    folder = write_collection(tmp_path / "d", [root])
    write_json(folder, {f"{teams_wire.Conversation.channel('t1', 'c1').replies('1')}/page-0001.json":
                        {"value": replies}})
    assert not [e for e in of(read_teams(folder, tmp_path), ReportEntry) if "incomplete" in e.reason]


def test_teams_a_team_without_display_name_is_named_by_its_rename_event_and_reported(tmp_path):
    folder = write_collection(tmp_path / "c", [graph_message(
        "1", body="<systemEventMessage/>", messageType="systemEventMessage", eventDetail=EVENT)])
    write_json(folder, {"teams/t1/team.json": {"id": "t1"}})
    records = read_teams(folder, tmp_path)
    [team] = of(records, Group)
    assert team.name == "Renamed team"
    [entry] = [e for e in of(records, ReportEntry) if e.record_type == "group"]
    assert "no displayName" in entry.reason and "Renamed team" in entry.reason


# ── Workplace ─────────────────────────────────────────────────────────────────────────────────

def workplace_feed(tmp_path: Path, *posts: dict[str, Any], **extra: Any) -> list[Record]:
    folder = workplace_collection(tmp_path / "export")
    write_json(folder, {"groups/page-0001.json": {"data": [{"id": "1", "name": "G"}]},
                        "groups/1/feed/page-0001.json": {"data": list(posts)}, **extra})
    return read_with(read_workplace, folder, tmp_path)


def post(pid: str, **fields: Any) -> dict[str, Any]:
    return {"id": f"1_{pid}", "from": {"id": "9", "name": "Ann"}, "message": "hi",
            "created_time": "2014-03-10T18:20:00+0000", **fields}


def comments(*ids: str, next_page: bool = False, **fields: Any) -> dict[str, Any]:
    paging = {"cursors": {}, **({"next": "https://graph/next"} if next_page else {})}
    return {"data": [{"id": c, "from": {"id": "9"}, "message": c, "created_time": "2014-03-10T19:00:00+0000",
                      **fields} for c in ids], "paging": paging}


def test_workplace_a_cut_comment_list_is_reported_unless_its_pages_were_saved(tmp_path):
    records = workplace_feed(tmp_path, post("1", comments=comments("c1", "c2", next_page=True)),
                             post("2", comments=comments("c3")))
    assert len(of(records, Message)) == 5
    assert [e.record_id for e in of(records, ReportEntry) if "incomplete thread" in e.reason] == ["1_1"]
    saved = workplace_feed(tmp_path / "saved", post("1", comments=comments("c1", next_page=True)),
                           **{"groups/1/comments/1_1/page-0001.json": comments("c1", "c2", "c9")})
    assert len(of(saved, Message)) == 4
    assert not [e for e in of(saved, ReportEntry) if "incomplete" in e.reason]


def test_workplace_likes_and_reaction_counts_are_reactions(tmp_path):
    likes = {"data": [{"id": "7", "name": "Bo"}, {"id": "8", "name": "Cy"}],
             "paging": {"next": "https://graph/n"}}
    records = workplace_feed(tmp_path, post("1", likes=likes, comments=comments("c1", like_count=3)),
                             post("2", reactions={"data": [{"id": "7", "type": "LOVE"}],
                                                  "summary": {"total_count": 4}}))
    liked, comment, loved = of(records, Message)
    assert [(r.kind, r.user_id) for r in liked.reactions] == [("LIKE", "7"), ("LIKE", "8")]
    assert [(r.kind, r.user_id) for r in comment.reactions] == [("LIKE", None)] * 3
    assert [(r.kind, r.user_id) for r in loved.reactions] == [("LOVE", "7")] + [("unknown", None)] * 3
    [cut] = [e for e in of(records, ReportEntry) if e.record_type == "reaction"]
    assert cut.record_id == "1_1" and "`likes` list cut at 2" in cut.reason


def test_workplace_legacy_media_fields_are_attachments(tmp_path):
    records = workplace_feed(
        tmp_path,
        post("1", type="photo", object_id="55", picture="https://cdn/p_s.jpg", link="https://fb/photos/55"),
        post("2", type="video", link="https://youtube.com/watch?v=x", name="Trailer", description="A film"),
        post("3", type="video", object_id="66", source="https://cdn/v.mp4", picture="https://cdn/t.jpg",
             link="https://fb/video/66"),
        **{"groups/1/media/55.jpg": "jpeg bytes"})
    photo, link, video = of(records, Message)
    found = {a.id: a for a in of(records, Attachment)}
    assert photo.attachment_ids == ["55"] and (found["55"].kind, found["55"].status) == ("image", "present")
    assert link.attachment_ids == ["1_2:attachment:1"]
    assert (found["1_2:attachment:1"].kind, found["1_2:attachment:1"].status) == ("link", "external")
    shared = found["1_2:attachment:1"]
    assert shared.name == "Trailer" and shared.source["description"] == "A film"
    assert (found["66"].kind, found["66"].status, found["66"].media_type) == ("file", "missing", "video/mp4")
    assert [e.record_id for e in of(records, ReportEntry) if e.record_type == "attachment"] == ["66"]


def test_workplace_a_tag_naming_a_page_is_no_user_mention(tmp_path):
    tags = {"0": [{"id": "3", "name": "Ann", "type": "user", "offset": 0, "length": 3}],
            "8": [{"id": "5", "name": "EU Justice", "type": "page", "offset": 8, "length": 10}]}
    records = workplace_feed(tmp_path, post("1", message="Ann and EU Justice", message_tags=tags))
    [found] = of(records, Message)
    assert [(m.kind, m.target_id, m.raw) for m in found.mentions] == [
        ("user", "3", "Ann"), ("page", "5", "EU Justice")]


# ── one bad record, every connector ───────────────────────────────────────────────────────────

def bad_slack(folder: Path) -> str:
    slack_export(folder)
    write_json(folder, {"general/2024-03-01.json": [slack_message("1.1", user="U1", text={"not": "text"}),
                                                   slack_message("1.2", user="U1", text="fine")]})
    return "general/2024-03-01.json record 1"


def bad_teams(folder: Path) -> str:
    write_collection(folder, [graph_message("1", createdDateTime="2021-03-1706:47:05.123Z"),
                              graph_message("2")])
    return "page-0001.json record 1"


def bad_workplace(folder: Path) -> str:
    workplace_collection(folder)
    write_json(folder, {"groups/page-0001.json": {"data": [{"id": "1", "name": "G"}]},
                        "groups/1/feed/page-0001.json": {"data": [post("1", created_time="yesterday"),
                                                                  post("2")]}})
    return "groups/1/feed/page-0001.json record 1"


def bad_yammer(folder: Path) -> str:
    folder.mkdir(parents=True)
    rows = [message("1", created_at="04/03/2019 10:00"), message("2")]
    header = list(rows[0])
    lines = [",".join(f'"{row.get(c, c)}"' for c in header) for row in ({}, *rows)]
    (folder / "Messages.csv").write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    (folder / "Users.csv").write_text('"id","name"\r\n"1","Ann"\r\n', encoding="utf-8")
    (folder / "Groups.csv").write_text('"id","name"\r\n"10","Ten"\r\n', encoding="utf-8")
    return "Messages.csv line 2"


@pytest.mark.parametrize(("connector", "write"), [("slack", bad_slack), ("teams", bad_teams),
                                                  ("workplace", bad_workplace), ("yammer", bad_yammer)])
def test_one_bad_record_is_quarantined_the_rest_exported_and_strict_stops_at_it(tmp_path, connector, write):
    where = write(tmp_path / "export")
    result = cli("export", connector, tmp_path / "export", "-o", tmp_path / "archive")
    assert result.exit_code == 0, result.output
    assert "1 unreadable record(s) quarantined" in result.output.splitlines()[0]
    archive = Archive(tmp_path / "archive")
    assert archive.header.counts.messages == 1 and archive.header.counts.report["quarantined"] == 1
    [entry] = [e for e in archive.report() if e.action == "quarantined"]
    assert entry.location.endswith(where) and entry.raw and entry.reason.startswith("unreadable ")
    stats = cli("stats", tmp_path / "archive").output
    assert any(line.split() == ["quarantined", "1"] for line in stats.splitlines())
    strict = cli("export", connector, tmp_path / "export", "-o", tmp_path / "strict", "--strict")
    assert strict.exit_code == 2 and strict.output.count(where) == 1 and "--strict" in strict.output
    assert not (tmp_path / "strict").exists()


# ── validate's warning ───────────────────────────────────────────────────────────────────────

def test_validate_warns_about_silent_messages_without_failing(tmp_path):
    folder = slack_export(tmp_path / "export")
    write_json(folder, {"general/2024-03-01.json": [slack_message("1.1", user="U1", text="said"),
                                                   slack_message("1.2", user="U1", text=""),
                                                   slack_message("1.3", user="U1", subtype="channel_join")]})
    assert cli("export", "slack", folder, "-o", tmp_path / "archive").exit_code == 0
    result = cli("validate", tmp_path / "archive")
    assert result.exit_code == 0 and "valid, 1 warning(s)" in result.output
    assert "1 message(s) are neither system events nor deleted" in result.output and "C1:1.2" in result.output
    found = json.loads(cli("validate", tmp_path / "archive", "--json").output)
    assert [f["warning"] for f in found] == [True]


def test_a_container_time_that_cannot_be_read_costs_only_that_time(tmp_path):
    """Finding 12 for containers: a team, channel or chat whose time is unreadable is kept with
    everything in it (quarantining it would cut its messages from their conversation)."""
    from connectors.teams import connector as teams
    from rsemigrate import run_export

    export = write_collection(tmp_path / "teams", [graph_message("1")])
    write_json(export, {
        "teams/t1/team.json": {"id": "t1", "displayName": "T", "createdDateTime": "the day we started"},
        "teams/t1/channels/page-0001.json": {"value": [{"id": "c1", "displayName": "General",
                                                        "membershipType": "standard",
                                                        "createdDateTime": "2024-13-45T99:00:00Z"}]},
    })
    for strict in (False, True):  # not a quarantine: --strict goes on too
        info = run_export(teams, export, tmp_path / f"archive-{strict}", strict=strict)
        archive = Archive(info.path)
        assert [g.name for g in archive.groups()] == ["T"] and info.counts.messages == 1
        degraded = [e for e in archive.report() if e.action == "degraded" and "not read" in e.reason]
        assert sorted((e.record_type, e.record_id) for e in degraded) == [
            ("channel", teams_wire.Conversation.channel("t1", "c1").id), ("group", "t1")]
        assert "'the day we started'" in next(e.reason for e in degraded if e.record_type == "group")

    from connectors.workplace import connector as workplace

    export = workplace_collection(tmp_path / "workplace")
    write_json(export, {"groups/page-0001.json": {"data": [{"id": "1", "name": "G",
                                                           "updated_time": "yesterday"}], "paging": {}},
                        "groups/1/feed/page-0001.json": {"data": [
                            {"id": "1_2", "created_time": "2024-01-01T10:00:00+0000", "message": "hi"}]}})
    info = run_export(workplace, export, tmp_path / "wp-archive")
    archive = Archive(info.path)
    assert [g.name for g in archive.groups()] == ["G"] and info.counts.messages == 1
    [entry] = [e for e in archive.report() if e.action == "degraded" and "not read" in e.reason]
    assert (entry.record_type, entry.record_id) == ("group", "1") and "'yesterday'" in entry.reason
