"""One named test per edge case of the Workplace sample (fixtures/workplace/README.md lists them)."""

import pytest

from connectors.workplace import connector
from rsemigrate.archive.reader import Archive
from rsemigrate.export.exporter import run_export

from .test_workplace_export import FIXTURE

G1, G2, G3, G4, G5 = (f"1000000000000010{n}" for n in range(1, 6))
P1, P2, P3 = (f"{G1}_2000000000000000{n}" for n in (1, 2, 3))
C1, R1 = "20000000000000001_50000000000000001", "20000000000000001_50000000000000002"
C3 = "20000000000000004_50000000000000011"


@pytest.fixture(scope="module")
def opened(tmp_path_factory: pytest.TempPathFactory) -> Archive:
    return Archive(run_export(connector, FIXTURE, tmp_path_factory.mktemp("workplace") / "archive").path)


@pytest.fixture(scope="module")
def messages(opened):
    return {m.id: m for m in opened.messages()}


@pytest.fixture(scope="module")
def report(opened):
    return list(opened.report())


def test_community_members_become_users_with_their_states(opened):
    users = {u.id: u for u in opened.users()}
    assert users["100000000000001"].email == "alice@globex.example"
    assert users["100000000000003"].email is None
    assert users["100000000000004"].state == "suspended"  # active: false (deactivated)
    assert users["100000000000005"].state == "pending"  # invited, never claimed


def test_groups_become_groups_with_a_feed_channel_each(opened):
    groups = {g.id: g for g in opened.groups()}
    channels = {c.id: c for c in opened.channels()}
    assert set(groups) == set(channels) == {G1, G2, G3, G4, G5}
    assert channels[G1].kind == "feed" and not groups[G1].private
    assert groups[G2].private and groups[G3].private  # CLOSED, SECRET
    assert channels[G3].member_ids == ["100000000000001", "100000000000003"]


def test_nested_groups_are_found_and_keep_their_parent(opened):
    design = next(g for g in opened.groups() if g.id == G3)
    assert design.source["parent_group_id"] == G2


def test_multi_company_group_is_external_and_foreign_authors_are_rebuilt(opened, messages, report):
    assert next(g for g in opened.groups() if g.id == G4).external
    ken = next(u for u in opened.users() if u.id == "200000000000009")
    assert (ken.name, ken.origin) == ("Ken Partner", "message")
    assert any(r.record_id == ken.id and r.action == "degraded" for r in report)


def test_content_without_an_author_gets_the_unknown_author(messages, report):
    assert messages[f"{G4}_20000000000000008"].author_id == "unknown"
    assert any(r.record_id == "unknown" for r in report)


def test_post_ids_embed_the_group_id_and_posts_are_thread_roots(messages):
    post = messages[P1]
    assert post.id.startswith(f"{G1}_") and post.channel_id == G1
    assert (post.thread_id, post.reply_to_id, post.kind) == (P1, None, "post")


def test_comments_answer_the_post_and_replies_answer_their_comment(messages):
    assert (messages[C1].kind, messages[C1].thread_id, messages[C1].reply_to_id) == ("reply", P1, P1)
    assert (messages[R1].thread_id, messages[R1].reply_to_id) == (P1, C1)
    assert sorted(m.id[-2:] for m in messages.values() if m.reply_to_id == C3) == ["12", "13"]


def test_story_is_kept_apart_from_message(messages):
    cover = messages[P2]
    assert (cover.kind, cover.body.content, cover.text) == (
        "system",
        "",
        "Bruno Costa updated the group cover photo.",
    )
    assert cover.source["story"] == "Bruno Costa updated the group cover photo."
    assert "story" not in messages[P1].source


def test_updated_time_is_not_an_edit_marker(messages):
    handbook = messages[P3]
    assert handbook.source["updated_time"] == "2023-02-20T16:45:00+0000"
    assert all(m.edited_at is None for m in messages.values())


def test_markdown_and_plaintext_bodies_keep_their_format(messages):
    assert messages[P1].body.format == "markdown" and messages[P1].body.content.startswith("**Welcome**")
    assert messages[P3].body.format == "plaintext"


def test_message_tags_become_mentions(messages):
    assert [(m.kind, m.raw, m.target_id) for m in messages[P1].mentions] == [
        ("user", "Bruno Costa", "100000000000002")
    ]
    assert [(m.raw, m.name) for m in messages[R1].mentions] == [("@Bruno", "Bruno Costa")]


def test_reactions_of_posts_and_comments(messages):
    assert [(r.kind, r.user_id) for r in messages[P1].reactions] == [
        ("LIKE", "100000000000002"),
        ("LOVE", "100000000000003"),
    ]
    assert [(r.kind, r.user_id) for r in messages[C1].reactions] == [("HAHA", "100000000000001")]


def test_attachments_with_subattachments(opened, messages):
    assert messages[P1].attachment_ids == ["30000000000000001", "40000000000000001", "40000000000000002"]
    attachments = {a.id: a for a in opened.attachments()}
    assert attachments["30000000000000001"].kind == "link"  # the album itself
    assert attachments["40000000000000002"].source["parent"] == "1"


def test_saved_media_are_stored_and_expired_ones_missing(opened):
    attachments = {a.id: a for a in opened.attachments()}
    assert attachments["40000000000000001"].status == "present"
    assert opened.file_path(attachments["40000000000000001"].sha256).read_bytes().startswith(b"\xff\xd8")
    assert (
        attachments["60000000000000001"].status == "present"
        and attachments["60000000000000001"].media_type == "video/mp4"
    )
    assert attachments["40000000000000002"].status == attachments["40000000000000003"].status == "missing"


def test_links_and_file_cards_without_media_are_external(opened, messages):
    share = next(a for a in opened.attachments() if a.id == f"{P3}:attachment:1")
    assert (share.kind, share.status, share.url) == ("link", "external", "https://globex.example/handbook")
    assert next(a for a in opened.attachments() if a.id.startswith(G3)).kind == "file"


def test_a_comment_attachment(messages, opened):
    back_row = messages["20000000000000001_50000000000000003"]
    assert back_row.attachment_ids == ["40000000000000004"]


def test_what_the_collector_could_not_read_is_reported_skipped(report, messages):
    skipped = [r for r in report if r.action == "skipped"]
    assert [(r.record_type, r.record_id) for r in skipped] == [("group", G5)]
    assert not any(m.channel_id == G5 for m in messages.values())


def test_unreadable_items_are_quarantined_with_their_text(report):
    quarantined = {r.location: r.raw for r in report if r.action == "quarantined"}
    assert quarantined == {
        "members/page-0002.json record 3": '{"name":"Record without id","email":"noid@globex.example"}',
        f"groups/{G2}/comments/{G2}_20000000000000004/page-0001.json record "
        "2": '{"message":"comment without id or time"}',
    }


def test_pages_are_read_in_order_across_files(messages):
    assert [m.id for m in messages.values() if m.channel_id == G1 and m.kind != "reply"] == [P1, P2, P3]
