"""What the dry run approves, the emulator accepts: post every planned draft of the sample archive.

A deliberately naive importer (no ledger, no retries) drives the emulator with the drafts and
payloads of prepare.py and render.py, then reads everything back.
"""

from pathlib import Path

from connectors.teams.plan import load_plan
from connectors.teams.prepare import drafts, prepare
from connectors.teams.render import UploadedFile, iso_ms, message_payload
from rsemigrate.archive.reader import Archive
from transforms.identities import user_mapping

from .conftest import message, sample_records
from .test_emulator import STANDARD, post


def test_every_planned_draft_is_accepted_and_reads_back(build, init_plan, emulator, graph):
    long = "\n\n".join(["un mot de plus " * 200] * 20)
    archive_path = build(
        sample_records([message("long", channel="g2", at="2020-02-02T00:00:00Z", text=long)])
    )
    archive = Archive(archive_path)
    plan = load_plan(init_plan(archive_path), archive)
    prep = prepare(archive, plan, user_mapping(plan.common))
    margin = plan.connection.container_margin_seconds * 1000

    def object_id(who):
        return emulator.tenant.find_user(who.target).id

    posted = 0
    for container in plan.containers:
        planned = list(drafts(prep, container))
        created = iso_ms(planned[0].created_ms - margin)
        if container.kind == "chat":
            members = [
                {
                    "@odata.type": "#microsoft.graph.aadUserConversationMember",
                    "user@odata.bind": f"https://graph.microsoft.com/v1.0/users('{object_id(prep.users.identity(m))}')",
                }
                for m in container.sources[0].member_ids
            ]
            chat = post(graph, "/chats", chatType="group", members=members).json()["id"]
            base = f"/chats/{chat}"
            assert (
                post(graph, base + "/startMigration", conversationCreationDateTime=created).status_code == 204
            )
        else:
            r = post(graph, "/teams", **{"@microsoft.graph.teamCreationMode": "migration",
                                         "template@odata.bind": STANDARD, "displayName": container.team.name,
                                         "createdDateTime": created})
            team_id = r.headers["Content-Location"].split("'")[1]
            general = graph.get(f"/teams/{team_id}/channels").json()["value"][0]["id"]
            base = f"/teams/{team_id}/channels/{general}"
            folder = graph.get(base + "/filesFolder").json()
        ids: dict[str, str] = {}
        for draft in planned:
            uploads = {}
            for ref in draft.files:
                content = Path(archive.file_path(ref.attachment.sha256)).read_bytes()
                item = graph.put(
                    f"/drives/{folder['parentReference']['driveId']}/items/{folder['id']}:/"
                    f"Imported/{ref.attachment.id.replace(':', '-')}-{ref.attachment.name}:/content",
                    content=content,
                    params={"@microsoft.graph.conflictBehavior": "fail"},
                ).json()
                guid = item["eTag"].split("{")[1].split("}")[0].lower()
                uploads[ref.tag_id] = UploadedFile(guid, item["webUrl"], ref.attachment.name)
            payload = message_payload(draft, resolve=object_id, files=uploads)
            if container.kind == "chat" or draft.root_id is None:
                r = post(graph, base + "/messages", **payload)
            else:
                r = post(graph, f"{base}/messages/{ids[draft.root_id]}/replies", **payload)
            assert r.status_code == 201, (draft.key, r.text)
            ids.setdefault(draft.message.id, r.json()["id"])
            posted += 1
        assert post(graph, base + "/completeMigration").status_code == 204
        if container.kind != "chat":
            assert post(graph, f"/teams/{team_id}/completeMigration").status_code == 204
    state = emulator.tenant.snapshot()
    imported = sum(len(c["messages"]) for t in state["teams"] for c in t["channels"]) + \
        sum(len(c["messages"]) for c in state["chats"])
    assert imported == posted >= 8 and len(state["files"]) == 1
    contents = [
        m["payload"]["body"]["content"] for t in state["teams"] for c in t["channels"] for m in c["messages"]
    ]
    assert any("(continued, part 2 of" in c for c in contents)
    assert any('<at id="0">Bob Durand</at>' in c for c in contents)
