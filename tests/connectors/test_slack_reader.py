"""One named test per edge case of the Slack sample export (fixtures/slack/README.md lists them)."""


import pytest

from connectors.slack import connector
from connectors.slack.wire import ts_timestamp
from rsemigrate.archive.reader import Archive
from rsemigrate.export.exporter import run_export

from .test_slack_export import WORKSPACE


@pytest.fixture(scope="module")
def opened(tmp_path_factory: pytest.TempPathFactory) -> Archive:
    return Archive(run_export(connector, WORKSPACE, tmp_path_factory.mktemp("slack") / "archive").path)


@pytest.fixture(scope="module")
def messages(opened):
    return {m.id: m for m in opened.messages()}


@pytest.fixture(scope="module")
def report(opened):
    return list(opened.report())


def _user(opened, uid):
    return next(u for u in opened.users() if u.id == uid)


def test_public_private_dm_and_group_dm_channels_come_from_their_index_files(opened):
    kinds = {c.id: (c.kind, c.private, c.source.get("index")) for c in opened.channels()}
    assert kinds["C01GENERAL"] == ("channel", False, "channels.json")
    assert kinds["G01SECRET"] == ("channel", True, "groups.json")
    assert kinds["D01AB"] == ("direct", True, "dms.json")
    assert kinds["G02MPIM"] == ("group_direct", True, "mpims.json")


def test_channel_folders_are_found_by_name_but_keyed_by_index_id(messages, opened):
    # folder "proj-apollo/" holds the messages of C03PROJ; folder "D01AB/" is named by id
    assert {m.channel_id for m in messages.values() if m.source["ts"].startswith("17097")} == {"C03PROJ"}
    assert sum(m.channel_id == "D01AB" for m in messages.values()) == 2


def test_a_channel_without_a_folder_is_kept_empty(opened, messages):
    assert "C05ANN" in {c.id for c in opened.channels()}
    assert not any(m.channel_id == "C05ANN" for m in messages.values())


def test_a_folder_no_index_lists_is_kept_and_reported(opened, report):
    assert next(c for c in opened.channels() if c.id == "unlisted:stray-folder").name == "stray-folder"
    assert any(r.record_id == "unlisted:stray-folder" and r.action == "degraded" for r in report)


def test_message_ids_are_channel_and_ts_and_times_have_microseconds(messages):
    root = messages["C01GENERAL:1709289000.000200"]
    assert root.source["ts"] == "1709289000.000200"
    assert root.created_at.utc == "2024-03-01T10:30:00.000200Z" and root.created_at.raw == "1709289000.000200"
    assert ts_timestamp("1355517523.000005").utc == "2012-12-14T20:38:43.000005Z"


def test_day_files_in_any_order_come_out_chronological(opened):
    times = [m.created_at.utc for m in opened.messages("C01GENERAL")]
    assert times == sorted(times) and len(times) == 12


def test_thread_replies_in_later_day_files_join_their_root(messages):
    thread = sorted(m.id for m in messages.values() if m.thread_id == "C01GENERAL:1709289000.000200")
    assert thread == ["C01GENERAL:1709289000.000200", "C01GENERAL:1709290800.000300",
                      "C01GENERAL:1709370000.000400", "C01GENERAL:1709370100.000500"]
    later = messages["C01GENERAL:1709370000.000400"]
    assert (later.kind, later.reply_to_id) == ("reply", "C01GENERAL:1709289000.000200")


def test_thread_broadcast_is_one_reply_flagged_by_its_subtype(messages):
    broadcast = messages["C01GENERAL:1709370100.000500"]
    assert (broadcast.kind, broadcast.source["subtype"]) == ("reply", "thread_broadcast")
    assert broadcast.author_id == "U05EVE"


def test_system_subtypes_are_system_messages(messages):
    system = {m.source.get("subtype") for m in messages.values() if m.kind == "system"}
    assert system == {"channel_join", "channel_purpose", "channel_name", "channel_topic", "channel_leave",
                      "channel_archive"}


def test_unknown_subtypes_stay_ordinary_messages(messages):
    huddle = messages["C02RANDOM:1709650800.000400"]
    assert (huddle.kind, huddle.source["subtype"], huddle.source["room"]["id"]) == (
        "post",
        "huddle_thread",
        "R01HUDDLE",
    )


def test_bot_message_with_bot_id_is_the_bot_user(messages, opened):
    deploy = messages["C01GENERAL:1709380800.000600"]
    assert deploy.author_id == "U07BOT" and _user(opened, "U07BOT").bot


def test_bot_message_without_bot_id_gets_a_username_author(messages, opened, report):
    backup = messages["C01GENERAL:1709423940.000700"]
    assert backup.author_id == "username:legacy-webhook"
    assert _user(opened, "username:legacy-webhook").origin == "message"
    assert any(r.record_id == "username:legacy-webhook" and r.action == "degraded" for r in report)


def test_tombstone_parent_is_kept_for_its_replies_and_reported(messages, report):
    root = messages["C02RANDOM:1709632800.000600"]
    assert root.source["subtype"] == "tombstone" and root.author_id == "USLACKBOT"
    assert sum(m.thread_id == root.id for m in messages.values()) == 3
    assert any(r.record_id == root.id and r.action == "degraded" for r in report)


def test_edits_give_edited_at_and_the_editor(messages):
    root = messages["C01GENERAL:1709289000.000200"]
    assert root.edited_at.utc == "2024-03-01T10:35:00.000000Z" and root.source["edited_by"] == "U02BEN"
    assert messages["C01GENERAL:1709290800.000300"].edited_at is None


def test_reactions_give_one_reaction_per_user(messages):
    root = messages["C01GENERAL:1709289000.000200"]
    assert [(r.kind, r.user_id) for r in root.reactions] == [
        ("tada", "U01ANNA"),
        ("tada", "U03CHLOE"),
        ("+1", "U05EVE"),
    ]


def test_mrkdwn_entities_become_mentions_and_plain_text_with_raw_kept(messages):
    reply = messages["C01GENERAL:1709290800.000300"]
    assert reply.body.format == "slack-mrkdwn"
    assert reply.body.content.startswith("Thanks <@U02BEN>! &lt;3 &amp;")
    assert reply.text == "Thanks @Ben Okafor! <3 & see the agenda"
    assert [(m.kind, m.target_id) for m in reply.mentions] == [
        ("user", "U02BEN"),
        ("link", "https://northwind.example/agenda"),
    ]
    special = messages["C01GENERAL:1709301600.000250"]
    assert [(m.kind, m.target_id) for m in special.mentions] == [
        ("all", None), ("usergroup", "S01ENG"), ("link", "mailto:ops@northwind.example")]
    assert "on Mar 1, 2024;" in special.text
    assert [m.kind for m in messages["C01GENERAL:1709289000.000200"].mentions] == ["here", "channel"]


def test_files_carried_in_uploads_are_stored_once(opened, messages):
    plan = next(a for a in opened.attachments() if a.id == "F01PLAN")
    assert plan.status == "present" and plan.source["export_path"] == "__uploads/F01PLAN/plan.pdf"
    assert opened.file_path(plan.sha256).read_bytes().startswith(b"%PDF")
    assert [m.id for m in messages.values() if "F01PLAN" in m.attachment_ids] == [
        "C01GENERAL:1709541000.000800", "C02RANDOM:1709643600.000300"]


def test_without_a_token_files_are_external_and_deleted_ones_missing(opened):
    status = {a.id: a.status for a in opened.attachments()}
    assert status["F02PHOTO"] == status["F03SECRET"] == status["F07GDRIVE"] == "external"
    assert status["F06GONE"] == "missing"
    assert next(a for a in opened.attachments() if a.id == "F02PHOTO").url.startswith(
        "https://files.slack.com/"
    )


def test_link_cards_become_link_attachments(opened):
    card = next(a for a in opened.attachments() if a.kind == "link")
    assert (card.url, card.name) == ("https://ci.northwind.example/releases/231", "Release notes v2.3.1")


def test_users_without_email_deleted_and_guests(opened):
    assert _user(opened, "U03CHLOE").email is None
    assert _user(opened, "U04DAN").state == "deleted"
    assert _user(opened, "U05EVE").guest and _user(opened, "U06FAY").guest
    assert not _user(opened, "U01ANNA").guest


def test_a_message_whose_user_is_unknown_rebuilds_the_user(messages, opened, report):
    assert messages["C01GENERAL:1709542800.000900"].author_id == "U99GHOST"
    ghost = _user(opened, "U99GHOST")
    assert (ghost.name, ghost.origin) == ("Gus Host", "message")
    assert any(r.record_id == "U99GHOST" and r.action == "degraded" for r in report)


def test_a_reply_whose_root_is_outside_the_export_is_kept_and_reported(messages, report):
    orphan = messages["C02RANDOM:1709636400.000900"]
    assert orphan.thread_id == "C02RANDOM:1700000000.000001"
    assert sum(r.record_id == orphan.thread_id and r.action == "missing" for r in report) == 2


def test_unreadable_records_are_quarantined_with_their_text(report):
    quarantined = {r.location: r.raw for r in report if r.action == "quarantined"}
    assert quarantined == {
        "users.json record 8": '{"name":"ghost-record","deleted":false,"profile":{"real_name":"No Id"}}',
        "general/2024-03-04.json record 4": '{"type":"message","text":"record without ts","user":"U01ANNA"}'}
