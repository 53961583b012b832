"""The Graph emulator, rule by rule, over real HTTP on 127.0.0.1."""

import httpx
import pytest

from connectors.teams.emulator import App, EmulatorConfig, GraphEmulator, User

from .conftest import TENANT_USERS, token_for

STANDARD = "https://graph.microsoft.com/v1.0/teamsTemplates('standard')"
ANN, BOB = TENANT_USERS[0], TENANT_USERS[1]
PAST = "2019-01-01T00:00:00Z"


def author(user=ANN):
    return {"user": {"id": user.id, "displayName": user.display_name, "userIdentityType": "aadUser"}}


def post(graph, path, **body):
    return graph.post(path, json=body)


def new_team(graph, name="Imported", created=PAST):
    r = post(
        graph,
        "/teams",
        **{
            "@microsoft.graph.teamCreationMode": "migration",
            "template@odata.bind": STANDARD,
            "displayName": name,
            "createdDateTime": created,
        },
    )
    assert r.status_code == 202, r.text
    team_id = r.headers["Content-Location"].split("'")[1]
    general = graph.get(f"/teams/{team_id}/channels").json()["value"][0]
    return team_id, general["id"]


def msg(at="2019-02-01T00:00:00.000Z", content="<p>hi</p>", user=ANN, **extra):
    return {
        "createdDateTime": at,
        "from": author(user),
        "body": {"contentType": "html", "content": content},
        **extra,
    }


@pytest.fixture
def channel(graph):
    team_id, general = new_team(graph)
    return f"/teams/{team_id}/channels/{general}"


# ── token ───────────────────────────────────────────────────────────────────────────────────────

def test_client_credentials_token_and_its_refusals(emulator):
    good = {"grant_type": "client_credentials", "client_id": emulator.config.apps[0].client_id,
            "client_secret": "emulator-secret", "scope": "https://graph.microsoft.com/.default"}
    assert httpx.post(emulator.token_url, data=good).json()["token_type"] == "Bearer"
    assert httpx.post(emulator.token_url, data=good | {"client_secret": "wrong"}).status_code == 401
    assert httpx.post(emulator.token_url, data=good | {"grant_type": "password"}).status_code == 400
    assert (
        httpx.post(emulator.token_url, data=good | {"scope": "User.Read"}).json()["error"] == "invalid_scope"
    )
    assert httpx.post(f"{emulator.url}/other-tenant/oauth2/v2.0/token", data=good).status_code == 400


def test_graph_calls_need_a_valid_token(emulator):
    assert httpx.get(emulator.graph_url + "/users").status_code == 401
    forged = token_for(emulator)[:-4] + "AAAA"
    r = httpx.get(emulator.graph_url + "/users", headers={"Authorization": f"Bearer {forged}"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "InvalidAuthenticationToken"


def test_roles_are_enforced(clock):
    weak = App("weak-app", "s3cret", frozenset({"User.Read.All"}))
    with GraphEmulator(EmulatorConfig(apps=[weak], clock=clock)) as url:
        emu_token = httpx.post(f"{url}/{EmulatorConfig().tenant_id}/oauth2/v2.0/token", data={
            "grant_type": "client_credentials", "client_id": "weak-app", "client_secret": "s3cret",
            "scope": "https://graph.microsoft.com/.default"}).json()["access_token"]
        r = httpx.post(
            url + "/v1.0/teams",
            headers={"Authorization": f"Bearer {emu_token}"},
            json={
                "@microsoft.graph.teamCreationMode": "migration",
                "template@odata.bind": STANDARD,
                "displayName": "x",
                "createdDateTime": PAST,
            },
        )
        assert r.status_code == 403 and "Teamwork.Migrate.All" in r.json()["error"]["message"]


# ── teams and channels in migration mode ────────────────────────────────────────────────────────

def test_create_team_in_migration_mode(graph):
    r = post(
        graph,
        "/teams",
        **{
            "@microsoft.graph.teamCreationMode": "migration",
            "template@odata.bind": STANDARD,
            "displayName": "Eng",
            "createdDateTime": PAST,
        },
    )
    assert r.status_code == 202 and r.content == b""
    assert r.headers["Location"].startswith("/teams('") and "/operations('" in r.headers["Location"]
    op = graph.get(r.headers["Location"]).json()
    assert op["status"] == "succeeded"
    team = graph.get(f"/teams/{op['targetResourceId']}").json()
    assert team["createdDateTime"] == "2019-01-01T00:00:00.000Z"
    (general,) = graph.get(f"/teams/{team['id']}/channels").json()["value"]
    assert general["displayName"] == "General" and general["migrationMode"] == "inProgress"


@pytest.mark.parametrize("body,needle", [
    ({"createdDateTime": "2999-01-01T00:00:00Z"}, "future"),
    ({"@microsoft.graph.teamCreationMode": None}, "can only be set"),
    ({"template@odata.bind": "https://graph.microsoft.com/v1.0/teamsTemplates('educationClass')"},
     "standard"),
    ({"@microsoft.graph.teamCreationMode": "fast"}, "must be 'migration'"),
])
def test_create_team_refusals(graph, body, needle):
    full = {"@microsoft.graph.teamCreationMode": "migration", "template@odata.bind": STANDARD,
            "displayName": "Eng", "createdDateTime": PAST} | body
    full = {k: v for k, v in full.items() if v is not None}
    r = post(graph, "/teams", **full)
    assert r.status_code == 400 and needle in r.json()["error"]["message"]


def test_operation_reports_in_progress_first(clock):
    emu = GraphEmulator(EmulatorConfig(operation_polls=2, clock=clock))
    with (
        emu,
        httpx.Client(base_url=emu.graph_url, headers={"Authorization": f"Bearer {token_for(emu)}"}) as graph,
    ):
        location = new_team_location(graph)
        assert [graph.get(location).json()["status"] for _ in range(3)] == [
            "inProgress",
            "inProgress",
            "succeeded",
        ]


def new_team_location(graph):
    return post(graph, "/teams", **{"@microsoft.graph.teamCreationMode": "migration",
                                    "template@odata.bind": STANDARD, "displayName": "T",
                                    "createdDateTime": PAST}).headers["Location"]


def test_create_channel_in_migration_mode_and_name_rules(graph):
    team_id, _ = new_team(graph)
    def create(name, **kw):
        return post(graph, f"/teams/{team_id}/channels", **{
            "@microsoft.graph.channelCreationMode": "migration", "displayName": name,
            "membershipType": "standard", "createdDateTime": "2019-01-02T00:00:00Z"} | kw)
    r = create("Design")
    assert r.status_code == 201 and r.json()["migrationMode"] == "inProgress"
    assert r.json()["createdDateTime"] == "2019-01-02T00:00:00.000Z"
    assert create("design").json()["error"]["code"] == "NameAlreadyExists"
    assert create("x" * 51).status_code == 400
    assert "'#'" in create("R#D").json()["error"]["message"]
    assert create("Secret", membershipType="private").status_code == 400


def test_start_migration_on_an_existing_channel(graph):
    team_id = graph.post("/teams", json={"template@odata.bind": STANDARD, "displayName": "Live"}).headers[
        "Content-Location"].split("'")[1]
    live = post(graph, f"/teams/{team_id}/channels", displayName="Live channel").json()
    path = f"/teams/{team_id}/channels/{live['id']}"
    assert "migrationMode" not in live
    assert post(graph, path + "/messages", **msg()).status_code == 400  # not in migration mode
    later = post(graph, path + "/startMigration", conversationCreationDateTime="2999-01-01T00:00:00Z")
    assert later.status_code == 400
    assert post(graph, path + "/startMigration", conversationCreationDateTime=PAST).status_code == 204
    state = graph.get(path).json()
    assert state["migrationMode"] == "inProgress" and state["createdDateTime"] == "2019-01-01T00:00:00.000Z"
    assert post(graph, path + "/startMigration", conversationCreationDateTime=PAST).status_code == 400
    assert (
        post(graph, path + "/startMigration", conversationCreationDateTime="2018-01-01T00:00:00Z").status_code
        == 400
    )


# ── messages ────────────────────────────────────────────────────────────────────────────────────

def test_a_message_is_imported_and_read_back(graph, channel):
    r = post(graph, channel + "/messages", **msg(at="2019-02-01T00:00:00.1234567Z"))
    assert r.status_code == 201
    got = graph.get(f"{channel}/messages/{r.json()['id']}").json()
    assert got["createdDateTime"] == "2019-02-01T00:00:00.123Z" and got["from"]["user"]["id"] == ANN.id
    assert got["body"]["content"] == "<p>hi</p>"


@pytest.mark.parametrize("change,status,needle", [
    ({"createdDateTime": "2999-01-01T00:00:00Z"}, 400, "in the future"),
    ({"createdDateTime": "2018-12-31T23:59:59Z"}, 400, "not later than the conversation"),
    ({"createdDateTime": "2019-02-01T00:00:00"}, 400, "no time zone"),
    ({"from": author(User.make("stranger@elsewhere.com"))}, 400, "not a user of this tenant"),
    ({"body": {"contentType": "html", "content": "x" * 30_000}}, 413, "limit"),
    ({"reactions": [{"reactionType": "like", "user": author()}] * 251}, 400, "at most 250"),
    ({"body": {"contentType": "html", "content": '<at id="0">Bob</at>'}}, 400, "mentions do not match"),
    ({"attachments": [{"id": "0000", "contentType": "reference", "contentUrl": "https://x", "name": "a"}],
      "body": {"contentType": "html", "content": '<attachment id="0000"></attachment>'}}, 400, "eTag GUID"),
])
def test_message_rules(graph, channel, change, status, needle):
    r = post(graph, channel + "/messages", **(msg() | change))
    assert r.status_code == status and needle in r.json()["error"]["message"], r.text


def test_created_date_time_is_unique_per_channel_to_the_millisecond(graph, channel):
    assert post(graph, channel + "/messages", **msg(at="2019-02-01T00:00:00.0015Z")).status_code == 201
    r = post(graph, channel + "/messages", **msg(at="2019-02-01T00:00:00.0019Z", content="<p>other</p>"))
    assert r.status_code == 409 and r.json()["error"]["code"] == "Conflict"
    assert post(graph, channel + "/messages", **msg(at="2019-02-01T00:00:00.002Z")).status_code == 201


def test_mentions_and_reactions_within_the_rules(graph, channel):
    body = msg(content='<p><at id="0">Bob Durand</at></p>',
               mentions=[{"id": 0, "mentionText": "Bob Durand", "mentioned": author(BOB)}],
               reactions=[{"reactionType": "like", "createdDateTime": PAST, "user": author(BOB)}] * 100)
    assert post(graph, channel + "/messages", **body).status_code == 201


def test_replies_go_under_a_root_and_read_back_with_paging(graph, channel):
    root = post(graph, channel + "/messages", **msg()).json()["id"]
    for i in range(3):
        r = post(graph, f"{channel}/messages/{root}/replies", **msg(at=f"2019-02-01T00:00:0{i + 1}Z"))
        assert r.status_code == 201 and r.json()["replyToId"] == root
    assert post(graph, f"{channel}/messages/999/replies", **msg(at="2019-03-01T00:00:00Z")).status_code == 404
    reply = graph.get(f"{channel}/messages/{root}/replies").json()["value"][0]["id"]
    assert (
        post(graph, f"{channel}/messages/{reply}/replies", **msg(at="2019-03-01T00:00:00Z")).status_code
        == 404
    )
    page = graph.get(f"{channel}/messages/{root}/replies", params={"$top": 2}).json()
    assert len(page["value"]) == 2 and "@odata.nextLink" in page
    rest = httpx.get(page["@odata.nextLink"], headers=graph.headers).json()
    assert len(rest["value"]) == 1 and "@odata.nextLink" not in rest
    assert [m["id"] for m in graph.get(channel + "/messages").json()["value"]] == [root]


def test_message_ids_follow_arrival_not_created_date_time(graph, channel):
    late = post(graph, channel + "/messages", **msg(at="2019-06-01T00:00:00Z")).json()["id"]
    early = post(graph, channel + "/messages", **msg(at="2019-02-01T00:00:00Z")).json()["id"]
    assert int(early) > int(late)


def test_only_the_app_that_started_the_migration_may_import(emulator, graph, channel):
    emulator.tenant.apps["other"] = App("other", "pw")
    other = token_for(emulator, "other", "pw")
    r = httpx.post(
        emulator.graph_url + channel + "/messages", json=msg(), headers={"Authorization": f"Bearer {other}"}
    )
    assert r.status_code == 403


# ── completion ordering and members ─────────────────────────────────────────────────────────────

def test_completion_order_and_members_after_completion(graph):
    team_id, general = new_team(graph)
    design = post(
        graph,
        f"/teams/{team_id}/channels",
        **{
            "@microsoft.graph.channelCreationMode": "migration",
            "displayName": "Design",
            "createdDateTime": PAST,
        },
    ).json()["id"]
    member = {"@odata.type": "#microsoft.graph.aadUserConversationMember", "roles": ["owner"],
              "user@odata.bind": f"https://graph.microsoft.com/v1.0/users('{ANN.id}')"}
    assert post(graph, f"/teams/{team_id}/members", **member).status_code == 400
    assert post(graph, f"/teams/{team_id}/channels/{design}/completeMigration").status_code == 204
    r = post(graph, f"/teams/{team_id}/completeMigration")
    assert (
        r.status_code == 400 and r.json()["error"]["message"] == "All channels must be finalized before team."
    )
    assert post(graph, f"/teams/{team_id}/channels/{general}/completeMigration").status_code == 204
    assert post(graph, f"/teams/{team_id}/channels/{general}/completeMigration").status_code == 400
    assert graph.get(f"/teams/{team_id}/channels/{general}").json()["migrationMode"] == "completed"
    assert post(graph, f"/teams/{team_id}/channels/{general}/messages", **msg()).status_code == 400
    assert post(graph, f"/teams/{team_id}/completeMigration").status_code == 204
    assert post(graph, f"/teams/{team_id}/members", **member).status_code == 201
    bulk = post(graph, f"/teams/{team_id}/members/add", values=[
        member | {"user@odata.bind": f"https://graph.microsoft.com/v1.0/users('{BOB.upn}')", "roles": []},
        member | {"user@odata.bind": "https://graph.microsoft.com/v1.0/users('ghost@contoso.com')"}])
    assert bulk.status_code == 207
    assert [x["error"] is None for x in bulk.json()["value"]] == [True, False]
    members = graph.get(f"/teams/{team_id}/members").json()["value"]
    assert {(m["userId"], tuple(m["roles"])) for m in members} == {(ANN.id, ("owner",)), (BOB.id, ())}


def test_group_chat_migration(graph):
    def bind(u):
        return {"@odata.type": "#microsoft.graph.aadUserConversationMember",
                          "user@odata.bind": f"https://graph.microsoft.com/v1.0/users('{u.id}')"}
    chat = post(graph, "/chats", chatType="group", members=[bind(ANN), bind(BOB)]).json()["id"]
    path = f"/chats/{chat}"
    assert post(graph, path + "/messages", **msg()).status_code == 400
    assert post(graph, path + "/startMigration", conversationCreationDateTime=PAST).status_code == 204
    assert post(graph, path + "/messages", **msg()).status_code == 201
    assert post(graph, path + "/completeMigration").status_code == 204
    assert graph.get(path).json()["migrationMode"] == "completed"
    assert len(graph.get(path + "/messages").json()["value"]) == 1
    assert post(graph, "/chats", chatType="oneOnOne", members=[bind(ANN)]).status_code == 400


# ── users ───────────────────────────────────────────────────────────────────────────────────────

def test_a_user_s_account_state_comes_only_when_selected(graph):
    """Graph returns a default subset of a user's properties; accountEnabled and userType only
    with $select (https://learn.microsoft.com/graph/api/user-get). Both readings, both ways."""
    plain = graph.get(f"/users/{ANN.id}").json()
    assert plain == {"id": ANN.id, "userPrincipalName": ANN.upn, "displayName": ANN.display_name,
                     "mail": ANN.mail}
    chosen = graph.get(f"/users/{ANN.id}", params={"$select": "accountEnabled,userType"}).json()
    assert chosen == {"id": ANN.id, "accountEnabled": True, "userType": "Member"}
    listed = graph.get("/users", params={"$filter": f"mail eq '{BOB.mail}'",
                                         "$select": "id,accountEnabled"}).json()["value"]
    assert listed == [{"id": BOB.id, "accountEnabled": True}]
    assert "accountEnabled" not in graph.get("/users").json()["value"][0]


def test_the_import_check_selects_the_account_state_it_reads():
    from connectors.teams import graph as graph_client

    assert {"accountEnabled", "userType"} <= set(graph_client._USER_FIELDS.split(","))


def test_user_lookup_by_upn_or_id_and_filters(graph):
    assert graph.get(f"/users/{ANN.upn.upper()}").json()["id"] == ANN.id
    assert graph.get(f"/users/{ANN.id}").json()["userPrincipalName"] == ANN.upn
    assert graph.get("/users/ghost@contoso.com").status_code == 404
    found = graph.get("/users", params={"$filter": "mail eq 'bob@contoso.com'"}).json()["value"]
    assert [u["id"] for u in found] == [BOB.id]
    new_team(graph, "Finance")
    assert len(graph.get("/groups", params={"$filter": "displayName eq 'finance'"}).json()["value"]) == 1
