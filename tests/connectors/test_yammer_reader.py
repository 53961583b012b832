"""The Yammer reader, case by case, on small exports written by each test (see conftest.py)."""

import csv
import zipfile

import pytest

from connectors.yammer import table
from rsemigrate.archive.records import Channel, Group, Message, ReportEntry, SourceInfo, Timestamp, User
from rsemigrate.errors import InputError

from .conftest import FIXTURE, message, read_export

OLD_HEADER = [  # the older layout (YETI's table): fewer columns, another order
    "id", "replied_to_id", "thread_id", "conversation_id", "group_id", "group_name", "participants",
    "in_private_group", "in_private_conversation", "sender_id", "sender_type", "sender_name", "sender_email",
    "body", "api_url", "attachments", "deleted_by_id", "deleted_by_type", "deleted_at", "created_at",
]


def messages_of(export) -> dict[str, Message]:
    return {m.id: m for m in export.by_type()["Message"]}


# --- layouts and CSV robustness ------------------------------------------------------------------

def test_old_and_new_layouts_give_the_same_messages(yammer, tmp_path):
    rows = [message("1", body="Bonjour"), message("2", thread_id="1", replied_to_id="1", body="Salut")]
    yammer.messages(*rows, header=OLD_HEADER)
    old = messages_of(yammer)
    newer = type(yammer)(tmp_path / "new", tmp_path)
    newer.messages(*[{**r, "parent_id": "1", "html_body": "<p>x</p>", "delegate_id": "7"} for r in rows])
    new = messages_of(newer)
    for mid in ("1", "2"):
        assert (old[mid].body, old[mid].reply_to_id, old[mid].kind, old[mid].channel_id) == \
               (new[mid].body, new[mid].reply_to_id, new[mid].kind, new[mid].channel_id)
    assert new["2"].source == {"parent_id": "1", "html_body": "<p>x</p>", "delegate_id": "7"}
    assert old["2"].source == {}  # empty cells are not kept


def test_bom_crlf_multiline_bodies_and_doubled_quotes(yammer):
    body = 'Ligne 1 avec "guillemets"\r\nLigne 2, avec virgule\nLigne 3'
    path = yammer.csv("Messages.csv", [message("1", body=body), message("2")], bom=True)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b'""guillemets""' in raw and b"\r\n" in raw
    found = messages_of(yammer)
    assert found["1"].body.content == body and found["1"].text == body
    assert set(found) == {"1", "2"}


def test_a_one_megabyte_body_is_read_whole(yammer):
    body = "é" * (1024 * 1024)
    yammer.messages(message("1", body=body))
    assert messages_of(yammer)["1"].body.content == body


def test_source_keeps_every_cell_without_a_neutral_home(yammer):
    newer = ["parent_id", "delegate_id", "message_type", "scope_type", "gdpr_delete_url", "network_id"]
    yammer.messages(message("1", api_url="https://x/1", sender_type="user", delegate_id="7",
                            conversation_id="c", in_private_group="false", gdpr_delete_url="https://x/del",
                            parent_id="p", message_type="update", scope_type="YAMMER_GROUP"),
                    header=OLD_HEADER + newer)
    assert messages_of(yammer)["1"].source == {
        "conversation_id": "c", "in_private_group": "false", "sender_type": "user", "api_url": "https://x/1",
        "parent_id": "p", "delegate_id": "7", "message_type": "update", "scope_type": "YAMMER_GROUP",
        "gdpr_delete_url": "https://x/del",
    }


# --- threads, kinds, channels --------------------------------------------------------------------

def test_thread_tree_and_kinds_from_message_type(yammer):
    yammer.messages(
        message("1", message_type="announcement", title="Réunion générale"),
        message("2", thread_id="1", replied_to_id="1", message_type="update"),
        message("3", thread_id="1", replied_to_id="2"),
        message("4", message_type="question", title="Où est la charte ?"),
        message("5", message_type="system"),
        message("6", message_type="update"),
    )
    found = messages_of(yammer)
    assert [(found[m].kind, found[m].thread_id, found[m].reply_to_id) for m in "123456"] == [
        ("announcement", "1", None), ("reply", "1", "1"), ("reply", "1", "2"),
        ("question", "4", None), ("system", "5", None), ("post", "6", None)]
    assert [found[m].title for m in "142"] == ["Réunion générale", "Où est la charte ?", None]
    assert found["1"].source["message_type"] == "announcement"


def test_a_row_without_thread_id_is_its_own_root_and_reported(yammer):
    yammer.messages(message("1", thread_id=""))
    records = yammer.by_type()
    assert (records["Message"][0].thread_id, records["Message"][0].kind) == ("1", "post")
    assert [(r.action, r.record_id, r.location) for r in records["ReportEntry"]] == [
        ("degraded", "1", "Messages.csv line 2")]


def test_posts_without_group_go_to_the_all_company_feed(yammer):
    yammer.messages(message("1", group_id="", group_name=""))
    records = yammer.by_type()
    assert messages_of(yammer)["1"].channel_id == "all-company"
    assert Group("all-company", "All Company", description="Posts to the whole network (Messages.csv rows "
                 "without a group_id)") in records["Group"]
    feeds = [(c.kind, c.group_id) for c in records["Channel"] if c.id == "all-company"]
    assert feeds == [("feed", "all-company")]


def test_private_conversations_become_direct_channels_keyed_by_thread(yammer):
    yammer.csv("Users.csv", [{"id": "1", "name": "Ann"}, {"id": "2", "name": "Bob"},
                             {"id": "3", "name": "Chloé"}])
    private = {"group_id": "", "group_name": "", "in_private_conversation": "true",
               "participants": "user:1,user:2"}
    yammer.messages(
        message("1", **private),
        message("2", thread_id="1", replied_to_id="1", sender_id="2", **private),
        message("5", participants="user:1,user:2", group_id="", scope_type="YAMMER_PRIVATE_CONVERSATION"),
        message("6", thread_id="5", replied_to_id="5", sender_id="3", participants="user:1,user:2,user:3",
                group_id="", in_private_conversation="TRUE"),
    )
    found = messages_of(yammer)
    channels = {c.id: c for c in yammer.by_type()["Channel"]}
    assert [found[m].channel_id for m in "1256"] == ["private-1", "private-1", "private-5", "private-5"]
    assert channels["private-1"] == Channel(
        "private-1", "direct", "Private conversation: Ann, Bob", private=True, member_ids=["1", "2"],
        created_at=found["1"].created_at, source={"thread_id": "1"})
    assert (channels["private-5"].kind, channels["private-5"].member_ids) == ("group_direct", ["1", "2", "3"])


def test_groups_csv_flags_dates_and_one_feed_per_group(yammer):
    yammer.csv("Groups.csv", [
        {"id": "10", "name": "Sécurité", "description": "Alertes", "private": "true", "deleted": "false",
         "external": "FALSE", "created_at": "2016-09-05T10:00:00Z", "updated_at": "2019/05/03 15:00:00 +0000",
         "web_url": "https://x/10"},
        {"id": "11", "name": "Partenaires", "private": "false", "deleted": "true", "external": "true"},
    ])
    yammer.messages(message("1"))
    records = yammer.by_type()
    groups = {g.id: g for g in records["Group"]}
    assert groups["10"] == Group("10", "Sécurité", "Alertes", private=True, deleted=False, external=False,
                                 created_at=Timestamp("2016-09-05T10:00:00Z", "2016-09-05T10:00:00Z"),
                                 updated_at=Timestamp("2019-05-03T15:00:00Z", "2019/05/03 15:00:00 +0000"),
                                 source={"web_url": "https://x/10"})
    assert (groups["11"].private, groups["11"].deleted, groups["11"].external) == (False, True, True)
    feeds = {c.id: c for c in records["Channel"]}
    assert (feeds["10"].kind, feeds["10"].group_id, feeds["10"].private) == ("feed", "10", True)
    assert "ReportEntry" not in records


def test_a_group_missing_from_groups_csv_is_rebuilt_and_reported(yammer):
    yammer.csv("Groups.csv", [{"id": "10", "name": "Ten"}])
    afterwork = {"group_id": "30", "group_name": "Afterwork", "in_private_group": "true"}
    yammer.messages(message("1"), message("2", **afterwork), message("3", **afterwork))
    records = yammer.by_type()
    assert Group("30", "Afterwork", private=True) in records["Group"]
    assert [c.id for c in records["Channel"]].count("30") == 1
    assert [(r.action, r.record_type, r.record_id, r.location) for r in records["ReportEntry"]] == [
        ("degraded", "group", "30", "Messages.csv line 3")]


def test_deleted_messages_are_kept_with_who_and_when(yammer):
    yammer.messages(message("1", deleted_at="2019-04-05T10:00:00Z", deleted_by_id="7",
                            deleted_by_type="user"))
    found = messages_of(yammer)["1"]
    assert found.deleted_at == Timestamp("2019-04-05T10:00:00Z", "2019-04-05T10:00:00Z")
    assert (found.deleted_by_id, found.source["deleted_by_type"]) == ("7", "user")


# --- people --------------------------------------------------------------------------------------

def test_user_states_guests_and_dates_from_the_fixture(tmp_path):
    users = {r.id: r for r in read_export(FIXTURE, tmp_path) if isinstance(r, User)}
    states = {u.name: (u.state, u.guest, u.origin) for u in users.values()}
    assert states["Ann Smith"] == ("active", False, "directory")
    assert states["François Dubois"] == ("deleted", False, "directory")
    assert states["Grace Lee"] == ("suspended", False, "directory")
    assert states["Hugo Petit"] == ("pending", False, "directory")
    assert states["Irene Adler"] == ("active", True, "directory")
    assert states["Karim Haddad"] == ("active", False, "directory")  # fr.contoso.com: a subdomain
    assert states["Victor Marchand"] == ("active", True, "message")
    grace = users["1533445566"]
    assert grace.suspended_at == Timestamp("2019-09-01T08:00:00Z", "2019/09/01 08:00:00 +0000")
    assert grace.source["state"] == "soft_delete" and grace.title == "Formatrice"
    assert users["1490001122"].deleted_at.utc == "2019-06-30T17:00:00Z"  # type: ignore[union-attr]


def test_without_a_state_the_dates_decide(yammer):
    yammer.csv("Users.csv", [{"id": "1", "name": "A", "state": ""},
                             {"id": "2", "name": "B", "deleted_at": "2019-01-01T00:00:00Z"},
                             {"id": "3", "name": "C", "state": "soft_delete"}])
    yammer.messages(message("1"))
    assert {u.id: u.state for u in yammer.by_type()["User"]} == {
        "1": "active",
        "2": "deleted",
        "3": "pending",
    }


def test_home_domain_is_the_most_common_email_domain_without_a_network_url(yammer):
    yammer.csv("Users.csv", [{"id": "1", "name": "A", "email": "a@corp.fr"},
                             {"id": "2", "name": "B", "email": "b@corp.fr"},
                             {"id": "3", "name": "C", "email": "c@agency.com"}])
    yammer.csv("Networks.csv", [{"id": "77", "name": "Corp", "url": "https://www.yammer.com/corpnetwork"}])
    yammer.messages(message("1"))
    assert {u.id: u.guest for u in yammer.by_type()["User"]} == {"1": False, "2": False, "3": True}


def test_a_sender_missing_from_users_csv_is_rebuilt_once_and_reported(yammer):
    yammer.csv("Users.csv", [{"id": "1", "name": "Ann", "email": "ann@corp.fr"}])
    victor = {"sender_id": "9", "sender_name": "Victor", "sender_email": "v@other.com"}
    yammer.messages(message("1"), message("2", sender_type="user", **victor), message("3", **victor))
    records = yammer.by_type()
    assert records["User"][1] == User("9", "Victor", "v@other.com", guest=True, origin="message",
                                      source={"sender_type": "user"})
    assert len(records["User"]) == 2
    reported = [(r.action, r.record_type, r.record_id) for r in records["ReportEntry"]]
    assert reported == [("degraded", "user", "9")]


# --- mentions and attachments --------------------------------------------------------------------

def test_mentions_resolve_names_from_users_groups_and_topics(yammer):
    yammer.csv("Users.csv", [{"id": "1", "name": "Ann Smith"}])
    yammer.csv("Groups.csv", [{"id": "10", "name": "Sécurité"}])
    yammer.csv("Topics.csv", [{"id": "5", "name": "réunion"}])
    yammer.messages(message("1", body="[[User:1]] [[group:10]] [[tag:5]] [[user:404]]"))
    found = messages_of(yammer)["1"]
    assert found.body.content == "[[User:1]] [[group:10]] [[tag:5]] [[user:404]]"
    assert found.body.format == "yammer-plain"
    assert found.text == "@Ann Smith @Sécurité #réunion [[user:404]]"
    assert [(m.kind, m.target_id, m.name) for m in found.mentions] == [
        ("user", "1", "Ann Smith"), ("group", "10", "Sécurité"), ("tag", "5", "réunion"),
        ("user", "404", None)]


def test_attachments_of_every_kind_from_the_fixture(tmp_path):
    records = read_export(FIXTURE, tmp_path)
    attachments = {a.id: a for a in records if type(a).__name__ == "Attachment"}
    pptx = attachments["uploadedfile:127815379"]
    assert (pptx.kind, pptx.status, pptx.name, pptx.media_type, pptx.size) == (
        "file", "present", "Plan_sécurité_2019.pptx",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation", 136)
    assert pptx.source["description"] == "Ordre du jour de la réunion générale"  # the later version row
    one, two = attachments["uploadedfile:127815381"], attachments["uploadedfile:127815382"]
    assert one.kind == two.kind == "image" and one.sha256 == two.sha256 and one.sha256
    by_name = attachments["uploadedfile:127815384"]
    assert (by_name.status, by_name.name, by_name.source) == ("present", "127815384.txt",
                                                             {"export_path": "Files/127815384.txt"})
    assert (attachments["uploadedfile:127815383"].status, attachments["uploadedfile:127815399"].status) == (
        "missing", "missing")
    assert attachments["uploadedfile:127815383"].name == "budget_atlas_2019.xlsx"
    page = attachments["page:3344556"]
    assert (page.kind, page.status, page.media_type) == ("page", "present", "text/html")
    link = attachments["opengraphobject:1234567890"]
    assert (link.kind, link.status, link.url, link.name) == (
        "link", "external", "https://www.cnil.fr/fr/mots-de-passe,recommandations?utm=a,b",
        "Mots de passe : recommandations, bonnes pratiques")
    module = attachments["ymodule:456789"]
    assert (module.kind, module.status, module.source_ref) == ("module", "external", "ymodule:456789")
    assert attachments["uploadedfile:127815385"].status == "present"  # in Files.csv, attached to no message
    assert len(attachments) == 11
    first = next(r for r in records if isinstance(r, Message) and r.id == "2000337749565420")
    assert first.attachment_ids == [f"uploadedfile:{n}" for n in ("127815383", "127815384", "127815399")]


def test_text_in_the_attachments_cell_that_is_no_token_is_kept_and_reported(yammer):
    yammer.messages(message("1", attachments="uploadedfile:5, ???"))
    records = yammer.by_type()
    found = records["Message"][0]
    assert found.attachment_ids == ["uploadedfile:5"]
    assert found.source["attachments"] == "uploadedfile:5, ???"
    assert [(r.action, r.record_id) for r in records["ReportEntry"]] == [("degraded", "1")]
    assert records["Attachment"][0].status == "missing"


# --- timestamps ----------------------------------------------------------------------------------

def test_both_timestamp_forms_and_offsets_are_read_as_utc(yammer):
    yammer.messages(message("1", created_at="2019/04/02 16:30:00 +0000"),
                    message("2", created_at="2019-03-10T07:45:00+01:00"), message("3", deleted_at=""))
    found = messages_of(yammer)
    assert found["1"].created_at == Timestamp("2019-04-02T16:30:00Z", "2019/04/02 16:30:00 +0000")
    assert found["2"].created_at.utc == "2019-03-10T06:45:00Z"
    assert found["3"].deleted_at is None


def test_an_unknown_timestamp_form_quarantines_its_row_naming_file_line_and_column(yammer):
    yammer.messages(message("1", body="deux\nlignes"), message("2", created_at="04/03/2019 10:00"),
                    message("3"))
    records = yammer.by_type()
    assert [m.id for m in records["Message"]] == ["1", "3"]
    [entry] = [r for r in records["ReportEntry"] if r.action == "quarantined"]
    assert entry.location == "Messages.csv line 4" and '"2",' in entry.raw
    assert "Messages.csv, line 4, column 'created_at'" in entry.reason and "04/03/2019 10:00" in entry.reason


# --- bad input -----------------------------------------------------------------------------------

def test_invalid_utf8_is_fatal_naming_line_and_column(yammer):
    path = yammer.messages(message("1", body="un\ndeux"), message("2", body="café"))
    path.write_bytes(path.read_bytes().replace("café".encode(), b"caf\xe9"))
    with pytest.raises(InputError) as error:
        yammer.read()
    assert (error.value.file, error.value.line, error.value.column) == ("Messages.csv", 4, "body")
    assert "invalid UTF-8" in str(error.value)


@pytest.mark.parametrize("column", ["id", "created_at"])
def test_a_missing_required_column_is_fatal(yammer, column):
    yammer.messages(message("1"), header=[c for c in OLD_HEADER if c != column])
    with pytest.raises(InputError) as error:
        yammer.read()
    assert (error.value.file, error.value.line, error.value.column) == ("Messages.csv", 1, column)


def test_a_flag_that_is_neither_true_nor_false_quarantines_its_row(yammer):
    yammer.csv("Groups.csv", [{"id": "10", "name": "Ten", "private": "yes"}, {"id": "11", "name": "Eleven"}])
    yammer.messages(message("1"))
    records = yammer.by_type()
    assert "11" in [g.id for g in records["Group"]]
    # its message still reaches the group, rebuilt from the message's cells and reported
    rebuilt = [
        r.record_id for r in records["ReportEntry"] if r.record_type == "group" and r.action == "degraded"
    ]
    assert rebuilt == ["10"]
    [entry] = [r for r in records["ReportEntry"] if r.action == "quarantined"]
    assert "Groups.csv, line 2, column 'private': expected true or false" in entry.reason


def test_unreadable_rows_are_quarantined_with_their_text_and_physical_line(yammer):
    path = yammer.messages(message("1", body="sur\ntrois\nlignes"), message("2", id=" "),
                           message("3", created_at=""), message("4", sender_id=""), message("5"))
    path.write_bytes(path.read_bytes() + b'"6","","6"\r\n\r\n')
    records = yammer.by_type()
    assert [m.id for m in records["Message"]] == ["1", "5"]
    quarantined = [(r.action, r.location, r.reason) for r in records["ReportEntry"]]
    assert quarantined == [
        ("quarantined", "Messages.csv line 5", "unreadable row: empty 'id'"),
        ("quarantined", "Messages.csv line 6", "unreadable row: empty 'created_at'"),
        ("quarantined", "Messages.csv line 7", "unreadable row: empty 'sender_id'"),
        ("quarantined", "Messages.csv line 9", f"unreadable row: 3 fields where the header has {27}"),
    ]
    assert records["ReportEntry"][3].raw == '"6","","6"'
    assert records["ReportEntry"][0].raw.startswith('" ","","","2",')  # type: ignore[union-attr]


def test_a_runaway_field_is_fatal_at_its_line(yammer, monkeypatch):
    monkeypatch.setattr(table, "FIELD_SIZE_LIMIT", 1000)
    previous = csv.field_size_limit()  # the limit is process-wide: put it back
    yammer.messages(message("1"), message("2", body="x" * 2000))
    try:
        with pytest.raises(InputError, match=r"Messages.csv, line 3: malformed CSV \(field larger than"):
            yammer.read()
    finally:
        csv.field_size_limit(previous)


def test_an_export_without_messages_csv_is_refused(yammer):
    yammer.csv("Users.csv", [{"id": "1", "name": "Ann"}])
    with pytest.raises(InputError, match="no Messages.csv"):
        yammer.read()


# --- the export as a whole -----------------------------------------------------------------------

@pytest.mark.parametrize("request_txt", [
    "GET /api/v1/export?since=2019-01-01T00%3A00%3A00%2B00%3A00&until=2019-02-01T00:00:00Z&include=csv\n",
    "since: 2019/01/01 00:00:00 +0000\nuntil: 2019-02-01T00:00:00Z\n",
])
def test_source_info_from_networks_csv_and_request_txt(yammer, request_txt):
    yammer.csv("Networks.csv", [{"id": "77", "name": "Corp", "url": "https://www.yammer.com/corp.fr"}])
    (yammer.folder / "request.txt").write_text(request_txt)
    yammer.messages(message("1"))
    info = yammer.read()[0]
    assert isinstance(info, SourceInfo)
    assert (info.platform, info.network_id, info.network_name) == ("yammer", "77", "Corp")
    assert (info.requested_since.utc, info.requested_until.utc) == (  # type: ignore[union-attr]
        "2019-01-01T00:00:00Z", "2019-02-01T00:00:00Z")


def test_a_bad_request_window_is_fatal(yammer):
    (yammer.folder / "request.txt").write_text("model=Message\nsince=yesterday\n")
    yammer.messages(message("1"))
    with pytest.raises(InputError, match=r"request.txt, line 2, column 'since'"):
        yammer.read()


def test_a_zip_with_a_top_folder_and_an_external_network_folder(yammer, tmp_path):
    yammer.messages(message("1"))
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(yammer.folder / "Messages.csv", "export-2019/Messages.csv")
        zf.writestr("export-2019/Files/5.txt", "bonjour")
        zf.writestr("export-2019/998877/Messages.csv", "id\r\n")
    records = read_export(archive, tmp_path)
    assert [m.id for m in records if isinstance(m, Message)] == ["1"]
    skipped = [r for r in records if isinstance(r, ReportEntry) and r.action == "skipped"]
    assert [(r.record_type, r.record_id, r.location) for r in skipped] == [
        ("network", "998877", "export-2019/998877/Messages.csv")]
    attachment = next(r for r in records if type(r).__name__ == "Attachment")
    assert (attachment.id, attachment.status, attachment.size) == ("uploadedfile:5", "present", 7)
