"""The Graph EMULATOR's read side (connectors/teams/emulator/reads.py), SEEDED with the bundled Teams
collection (seed.py): existing content served over real HTTP on 127.0.0.1 as Graph answers it."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from connectors.teams.emulator import App, EmulatorConfig, GraphEmulator
from connectors.teams.emulator.state import DEFAULT_CLIENT_ID, DEFAULT_SECRET
from connectors.teams.source import wire

from .test_teams_export import FIXTURE
from .test_teams_reader import ANN, BOB, GENERAL, LEADERSHIP, ONE_ON_ONE, PARTNERS, T1

#: Graph ids of the kick-off root, its reply with an image, and the message whose image is refused.
G1, R2, G8 = "1709542800123", "1709544600000", "1710234000000"
SPEC = "https://contoso.sharepoint.com/sites/ContosoEngineering/Shared%20Documents/General/Design%20spec.docx"
SALARIES = "https://contoso.sharepoint.com/sites/HR/Shared%20Documents/Salaries%202024.xlsx"
ROADMAP = (
    "https://contoso.sharepoint.com/sites/ContosoEngineering/Shared%20Documents/General/Old%20roadmap.pptx"
)
CHANNEL = f"/teams/{T1}/channels/{GENERAL}"
READER = App("22222222-0000-0000-0000-00000000read", "reader-secret", frozenset({"Group.Read.All"}))


def token(emulator: GraphEmulator, client_id: str = DEFAULT_CLIENT_ID, secret: str = DEFAULT_SECRET) -> str:
    r = httpx.post(
        emulator.token_url,
        data={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": secret,
            "scope": "https://graph.microsoft.com/.default",
        },
    )
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


@pytest.fixture(scope="module")
def emulator() -> Iterator[GraphEmulator]:
    config = EmulatorConfig(content=[FIXTURE], per_channel_rps=0, tenant_rps=0, expanded_replies=2,
                            apps=[App(), READER])
    emulator = GraphEmulator(config)
    with emulator:
        yield emulator


@pytest.fixture(scope="module")
def graph(emulator: GraphEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=emulator.graph_url, headers={"Authorization": f"Bearer {token(emulator)}"}
    ) as client:
        yield client


def test_the_seeded_team_and_its_channels_read_as_saved(graph):
    team = graph.get(f"/teams/{T1}").json()
    assert (team["displayName"], team["visibility"]) == ("Contoso Engineering", "private")
    channels = graph.get(f"/teams/{T1}/channels").json()["value"]
    assert [(c["displayName"], c["membershipType"]) for c in channels] == [
        ("General", "standard"), ("Releases", "standard"), ("Leadership", "private"), ("Partners", "shared")]


def test_roots_page_with_next_links_that_keep_the_expansion(graph):
    first = graph.get(f"{CHANNEL}/messages", params={"$top": "3", "$expand": "replies"}).json()
    assert [m["id"] for m in first["value"]] == ["1709542800123", "1709627400000", "1709722800000"]
    assert "$expand=replies" in first["@odata.nextLink"] and "$skiptoken=3" in first["@odata.nextLink"]
    seen = len(first["value"])
    link = first["@odata.nextLink"]
    while link:
        page = httpx.get(link, headers=graph.headers).json()
        seen += len(page["value"])
        assert all("replies" in m for m in page["value"])
        link = page.get("@odata.nextLink")
    assert seen == 8


def test_an_expansion_holds_some_replies_and_points_to_the_rest(graph):
    root = graph.get(f"{CHANNEL}/messages", params={"$expand": "replies"}).json()["value"][0]
    assert len(root["replies"]) == 2 and root["replies@odata.nextLink"].endswith(
        f"/{G1}/replies?$skiptoken=2"
    )
    replies = graph.get(f"{CHANNEL}/messages/{G1}/replies").json()["value"]
    assert [r["body"]["content"] == "" for r in replies] == [False, False, False, True]
    assert graph.get(f"{CHANNEL}/messages/{G1}/replies/{R2}").json()["replyToId"] == G1


def test_seeded_messages_keep_what_an_import_cannot_make(graph):
    listed = graph.get(f"{CHANNEL}/messages", params={"$top": "50"},
                       headers={"Prefer": "include-unknown-enum-members"}).json()["value"]
    by_id = {m["id"]: m for m in listed}
    assert by_id["1709892000000"]["messageType"] == "systemEventMessage"
    assert by_id["1709985600000"]["deletedDateTime"] == "2024-03-10T08:00:00.000Z"
    assert len(by_id[G1]["reactions"]) == 3 and by_id[G1]["mentions"][1]["mentionText"] == "Durand"


@pytest.mark.parametrize("path", [f"{CHANNEL}/messages", f"{CHANNEL}/messages/1709892000000"])
def test_a_system_event_is_unknown_future_value_unless_the_request_prefers_new_enum_members(graph, path):
    def message_type(**headers: str) -> str:
        params = {"$top": "50"} if path.endswith("messages") else None
        answer = graph.get(path, params=params, headers=headers).json()
        found = answer["value"] if "value" in answer else [answer]
        return next(m["messageType"] for m in found if m["id"] == "1709892000000")

    # channel-list-messages, examples 1 (no Prefer header) and 2 (Prefer: include-unknown-enum-members)
    assert message_type() == "unknownFutureValue"
    assert message_type(Prefer="include-unknown-enum-members") == "systemEventMessage"


def test_hosted_contents_answer_their_bytes_or_403(graph):
    listed = graph.get(f"{CHANNEL}/messages/{G1}/replies/{R2}/hostedContents").json()["value"]
    assert len(listed) == 1 and listed[0]["contentType"] == "image/png"
    image = graph.get(f"{CHANNEL}/messages/{G1}/replies/{R2}/hostedContents/{listed[0]['id']}/$value")
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert image.content.startswith(b"\x89PNG")
    refused_id = graph.get(f"{CHANNEL}/messages/{G8}/hostedContents").json()["value"][0]["id"]
    assert graph.get(f"{CHANNEL}/messages/{G8}/hostedContents/{refused_id}/$value").status_code == 403


def test_a_chat_message_s_hosted_content(graph):
    messages = graph.get(f"/chats/{ONE_ON_ONE}/messages").json()["value"]
    hosted = wire.hosted_id(messages[0]["body"]["content"])
    assert (
        graph.get(
            f"/chats/{ONE_ON_ONE}/messages/{messages[0]['id']}/hostedContents/{hosted}/$value"
        ).status_code
        == 200
    )


def test_a_sharing_url_resolves_to_its_drive_item_with_a_download_url(graph):
    item = graph.get(f"/shares/{wire.share_id(SPEC)}/driveItem").json()
    assert (item["name"], item["size"]) == ("Design spec.docx", 55)
    download = item[wire.DOWNLOAD_URL]
    assert "tempauth=" in download
    content = httpx.get(download)  # pre-authenticated: no token
    assert content.status_code == 200 and content.content.startswith(b"Design spec v3")
    redirect = graph.get(f"/shares/{wire.share_id(SPEC)}/driveItem/content")
    assert redirect.status_code == 302 and "/_files/" in redirect.headers["location"]


@pytest.mark.parametrize(("url", "status", "code"),
                         [(SALARIES, 403, "accessDenied"), (ROADMAP, 404, "itemNotFound")])
def test_a_restricted_or_gone_file_is_refused(graph, url, status, code):
    answer = graph.get(f"/shares/{wire.share_id(url)}/driveItem")
    assert (answer.status_code, answer.json()["error"]["code"]) == (status, code)


def test_private_channel_members_and_a_refused_shared_channel(graph):
    members = graph.get(f"/teams/{T1}/channels/{LEADERSHIP}/members").json()["value"]
    assert [(m["userId"], m["roles"], m["email"]) for m in members] == [
        (ANN, ["owner"], "ann@contoso.com"), (BOB, [], "bob@contoso.com")]
    assert graph.get(f"/teams/{T1}/channels/{PARTNERS}/messages").status_code == 403


def test_a_user_s_chats_with_their_members(graph):
    chats = graph.get("/users/ann@contoso.com/chats", params={"$expand": "members"}).json()["value"]
    assert [c["chatType"] for c in chats] == ["oneOnOne", "group", "meeting"]
    assert {m["displayName"] for m in chats[0]["members"]} == {"Ann Martin", "Bob Durand"}


def test_reading_messages_needs_the_read_role(emulator):
    headers = {"Authorization": f"Bearer {token(emulator, READER.client_id, READER.secret)}"}
    assert httpx.get(f"{emulator.graph_url}{CHANNEL}/messages", headers=headers).status_code == 403
    assert httpx.get(f"{emulator.graph_url}/teams/{T1}/channels", headers=headers).status_code == 200
