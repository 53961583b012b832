"""The emulator held to Microsoft's documented rules (issue 12), each both ways: obeyed → accepted,
broken → Graph's documented error. The citations are in docs/teams.md, "Rules from the documentation"."""

import httpx

from connectors.teams.emulator import EmulatorConfig, GraphEmulator

from .conftest import TENANT_USERS, token_for
from .test_emulator import STANDARD, msg, new_team, post
from .test_emulator_files import folder

MIGRATION_ONLY = "Migration channels can only be created in a team under migration."


def migration_channel(name, created=None):
    body = {"@microsoft.graph.channelCreationMode": "migration", "displayName": name}
    return body | ({"createdDateTime": created} if created else {})


def _guid(item):
    return item["eTag"].split("{")[1].split("}")[0].lower()


def _reference(graph, name, url_key):
    team_id, general, drive, parent = folder(graph)
    item = graph.put(f"/drives/{drive}/items/{parent}:/{name}:/content", content=b"slides").json()
    att = {"id": _guid(item), "contentType": "reference", "contentUrl": item[url_key], "name": name}
    body = msg(content=f'<p>deck</p><attachment id="{_guid(item)}"></attachment>', attachments=[att])
    return item, post(graph, f"/teams/{team_id}/channels/{general}/messages", **body)


def test_an_office_file_webUrl_is_a_viewer_page_and_graph_refuses_it_as_contentUrl(graph):
    item, refused = _reference(graph, "deck.pptx", "webUrl")
    assert "/_layouts/15/Doc.aspx?" in item["webUrl"]
    assert item["webUrl"].endswith("&action=default&mobileredirect=true")
    assert refused.status_code == 400
    assert refused.json()["error"]["message"] == (
        "File contentUrl extension: '.pptx&action=default&mobileredirect=true' and name extension: '.pptx' "
        "do not match.")


def test_an_office_file_referenced_by_its_webDavUrl_is_accepted(graph):
    item, accepted = _reference(graph, "deck.pptx", "webDavUrl")
    assert item["webDavUrl"].endswith("/deck.pptx") and item["webDavUrl"] != item["webUrl"]
    assert accepted.status_code == 201, accepted.text


def test_a_plain_file_webUrl_is_the_file_itself(graph):
    item, accepted = _reference(graph, "notes.txt", "webUrl")
    assert item["webUrl"] == item["webDavUrl"] and accepted.status_code == 201


def test_migration_channels_only_in_a_team_under_migration(graph, emulator):
    team_id, _ = new_team(graph)
    ok = post(graph, f"/teams/{team_id}/channels", **migration_channel("Old", "2019-01-02T00:00:00Z"))
    assert ok.status_code == 201
    emulator.tenant.teams[team_id].in_migration = False  # a live team (or one already completed)
    refused = post(graph, f"/teams/{team_id}/channels", **migration_channel("Older"))
    assert refused.status_code == 400
    assert refused.json()["error"]["message"] == MIGRATION_ONLY
    standard = post(graph, f"/teams/{team_id}/channels", displayName="Standard", membershipType="standard")
    assert standard.status_code == 201
    start = post(graph, f"/teams/{team_id}/channels/{standard.json()['id']}/startMigration",
                 conversationCreationDateTime="2019-01-02T00:00:00Z")
    assert start.status_code == 204


def _team_with_a_channel(graph):
    team_id, general = new_team(graph)
    other = post(graph, f"/teams/{team_id}/channels",
                 **migration_channel("Other", "2019-01-02T00:00:00Z")).json()["id"]
    return team_id, general, other


def test_completing_general_last_then_the_team_is_accepted(graph):
    team_id, general, other = _team_with_a_channel(graph)
    for channel in (other, general):
        assert post(graph, f"/teams/{team_id}/channels/{channel}/completeMigration").status_code == 204
    assert post(graph, f"/teams/{team_id}/completeMigration").status_code == 204


def test_completing_general_first_strands_the_other_channels_and_the_team(graph):
    team_id, general, other = _team_with_a_channel(graph)
    assert post(graph, f"/teams/{team_id}/channels/{general}/completeMigration").status_code == 204
    stranded = post(graph, f"/teams/{team_id}/channels/{other}/completeMigration")
    assert stranded.status_code == 400 and "already marked as migrated" in stranded.json()["error"]["message"]
    team = post(graph, f"/teams/{team_id}/completeMigration")
    assert team.status_code == 400
    assert team.json()["error"]["message"] == "All channels must be finalized before team."
    more = post(graph, f"/teams/{team_id}/channels", **migration_channel("Late"))
    assert more.json()["error"]["message"] == MIGRATION_ONLY


def test_a_new_channel_files_folder_answers_404_until_provisioned():
    emulator = GraphEmulator(EmulatorConfig(users=list(TENANT_USERS), per_channel_rps=0, tenant_rps=0,
                                            files_folder_misses=2))
    with emulator, httpx.Client(base_url=emulator.graph_url) as graph:
        graph.headers["Authorization"] = f"Bearer {token_for(emulator)}"
        team_id, general = new_team(graph)
        url = f"/teams/{team_id}/channels/{general}/filesFolder"
        answers = [graph.get(url) for _ in range(3)]
    assert [a.status_code for a in answers] == [404, 404, 200]
    assert answers[0].json()["error"]["code"] == "NotFound" and answers[2].json()["folder"] == {}


def test_documented_reaction_types_and_unicode_emoji_are_accepted_others_refused(graph):
    team_id, general = new_team(graph)
    path = f"/teams/{team_id}/channels/{general}/messages"

    def react(kind, at):
        reaction = {"reactionType": kind, "createdDateTime": "2019-03-01T00:00:00Z", "user": msg()["from"]}
        return post(graph, path, **msg(at=at, reactions=[reaction]))

    assert react("heart", "2019-02-01T00:00:01Z").status_code == 201
    assert react("🎉", "2019-02-01T00:00:02Z").status_code == 201
    refused = react("partyparrot", "2019-02-01T00:00:03Z")
    assert refused.status_code == 400
    assert "'partyparrot' is not supported" in refused.json()["error"]["message"]


def test_reactions_count_toward_the_message_size(graph):
    team_id, general = new_team(graph)
    path = f"/teams/{team_id}/channels/{general}/messages"
    text = "<p>" + "x" * (28 * 1024 - 2_000) + "</p>"
    assert post(graph, path, **msg(at="2019-02-01T00:00:01Z", content=text)).status_code == 201
    many = [{"reactionType": "like", "createdDateTime": "2019-03-01T00:00:00Z", "user": msg()["from"]}] * 20
    over = post(graph, path, **msg(at="2019-02-01T00:00:02Z", content=text, reactions=many))
    assert over.status_code == 413 and "reactions" in over.json()["error"]["message"]


def test_source_reactions_become_documented_types_or_emoji_else_none():
    from connectors.teams.render import teams_reaction

    assert [teams_reaction(k) for k in ("like", "LIKE", "LOVE", "HAHA", "WOW", "+1", "heart", "💯")] == [
        "like", "like", "heart", "laugh", "surprised", "like", "heart", "💯"]
    assert teams_reaction("tada") == "🎉" and teams_reaction(":rocket:") == "🚀"
    assert teams_reaction("partyparrot") is None and teams_reaction("custom-logo") is None


# ── throttling at the documented limits ───────────────────────────────────────────────────────

def _documented(clock):
    from connectors.teams.emulator import Limits

    return GraphEmulator(EmulatorConfig(users=list(TENANT_USERS), limits=Limits(), clock=clock))


def _channels(graph, team_id, n):
    return [post(graph, f"/teams/{team_id}/channels",
                 **migration_channel(f"C{i}", "2019-01-02T00:00:00Z")).json()["id"] for i in range(n)]


def test_a_team_takes_4_requests_a_second_across_its_channels(clock):
    emulator = _documented(clock)
    with emulator, httpx.Client(base_url=emulator.graph_url) as graph:
        graph.headers["Authorization"] = f"Bearer {token_for(emulator)}"
        team_id, _ = new_team(graph)
        clock.now += 10
        channels = _channels(graph, team_id, 2)
        clock.now += 10
        codes = [post(graph, f"/teams/{team_id}/channels/{channels[i % 2]}/messages",
                      **msg(at=f"2019-02-01T00:00:0{i}Z")).status_code for i in range(5)]
        assert codes == [201] * 4 + [429]  # two channels, one team: 4 in all, not 4 each
        clock.now += 1
        assert post(graph, f"/teams/{team_id}/channels/{channels[1]}/messages",
                    **msg(at="2019-02-01T00:00:09Z")).status_code == 201


def test_channel_posts_50_chat_posts_20_and_post_teams_10_a_second(clock):
    emulator = _documented(clock)
    with emulator, httpx.Client(base_url=emulator.graph_url) as graph:
        graph.headers["Authorization"] = f"Bearer {token_for(emulator)}"
        team = {"@microsoft.graph.teamCreationMode": "migration", "template@odata.bind": STANDARD,
                "createdDateTime": "2019-01-01T00:00:00Z"}
        codes = [post(graph, "/teams", **team, displayName=f"T{i}").status_code for i in range(11)]
        assert codes == [202] * 10 + [429]
        teams = list(emulator.tenant.teams.values())
        clock.now += 10
        paths = [f"/teams/{t.id}/channels/{next(iter(t.channels))}/messages" for t in teams]
        codes = [post(graph, paths[i % 10], **msg(at=f"2019-02-01T00:00:{i // 10:02d}Z")).status_code
                 for i in range(41)]
        assert codes == [201] * 40 + [429]  # 10 teams × 4 = 40 < 50: the per-team limit binds first
        refused = post(graph, paths[0], **msg(at="2019-02-01T00:00:59Z"))
        assert refused.headers["Retry-After"] == "1"
        assert emulator.throttle.limits.channel_posts == 50 and emulator.throttle.limits.chat_posts == 20


def test_the_tenant_wide_post_limits_span_teams_and_chats():
    from connectors.teams.emulator.throttle import Limits, Throttle, buckets_for

    throttle = Throttle(Limits())

    def channel_post(i):
        params = {"team": f"t{i % 20}", "channel": f"c{i % 20}"}
        path = f"/v1.0/teams/t/channels/c{i}/messages"
        return throttle.admit(buckets_for(throttle.limits, "POST", path, params), 0)

    def chat_post(i):
        params = {"chat": f"x{i % 10}"}
        return throttle.admit(buckets_for(throttle.limits, "POST", "/v1.0/chats/x/messages", params), 0)

    assert [channel_post(i) for i in range(51)] == [None] * 50 + [1]  # 20 teams could take 80: 50 binds
    assert [chat_post(i) for i in range(21)] == [None] * 20 + [1]  # 10 chats could take 40: 20 binds
    users = buckets_for(throttle.limits, "GET", "/v1.0/users", {})
    assert throttle.admit(users, 0) is None  # not a Teams call


# ── chats: what members see ───────────────────────────────────────────────────────────────────

def _chat(graph, **member_extra):
    from .conftest import TENANT_USERS as people

    members = [{"@odata.type": "#microsoft.graph.aadUserConversationMember", "roles": ["owner"],
                "user@odata.bind": f"https://graph.microsoft.com/v1.0/users('{u.upn}')", **member_extra}
               for u in people[:2]]
    return post(graph, "/chats", chatType="group", topic="Old DM", members=members).json()["id"]


def _visible(graph, chat_id):
    chats = graph.get(f"/users/{TENANT_USERS[0].upn}/chats", params={"$expand": "members"}).json()["value"]
    return {m["visibleHistoryStartDateTime"] for c in chats if c["id"] == chat_id for m in c["members"]}


def test_chat_members_created_with_all_history_see_imported_messages(graph):
    chat_id = _chat(graph, visibleHistoryStartDateTime="0001-01-01T00:00:00Z")
    assert _visible(graph, chat_id) == {"0001-01-01T00:00:00.000Z"}


def test_chat_members_without_visible_history_see_only_from_the_chat_creation(graph, emulator, tmp_path):
    from connectors.teams.transcript import write_transcripts

    chat_id = _chat(graph)
    [since] = _visible(graph, chat_id)
    assert since > "2019"  # the creation time: back-dated imports before it stay hidden from them
    assert post(graph, f"/chats/{chat_id}/startMigration", conversationCreationDateTime="2019-01-01T00:00:00Z"
                ).status_code == 204
    assert post(graph, f"/chats/{chat_id}/messages", **msg()).status_code == 201
    written = write_transcripts(emulator.tenant.snapshot(), tmp_path)
    [path] = [p for p in written if p.name.startswith("chat-")]
    assert "sees only messages from" in path.read_text(encoding="utf-8")
