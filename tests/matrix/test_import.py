"""End to end against a real Synapse: what the rooms show, read back through the client API, is
exactly the plan (sender, origin_server_ts, thread and reply relations, body, files)."""

import json
from urllib.parse import quote

import httpx

from connectors.matrix.appservice import read_tokens

from .conftest import cli, plan_for
from .readback import planned_content, room_content, room_ids


def test_sample_archive_imports_exactly_and_reconciles(build, homeserver, tmp_path):
    archive = build()
    plan = plan_for(tmp_path, archive, homeserver)
    result = cli("import", archive, "--plan", plan)
    assert result.exit_code == 0, result.output
    found = room_content(homeserver.url, homeserver.registration, room_ids(plan))
    assert found == planned_content(archive, plan)
    assert max(found.values()) == 1
    reconciled = cli("reconcile", archive, "--plan", plan)
    assert reconciled.exit_code == 0, reconciled.output


def test_a_second_import_or_a_changed_plan_is_refused(build, homeserver, tmp_path):
    archive = build()
    plan = plan_for(tmp_path, archive, homeserver)
    assert cli("import", archive, "--plan", plan).exit_code == 0
    again = cli("import", archive, "--plan", plan)
    assert again.exit_code == 2 and "--resume" in again.output and "twice" in again.output
    plan.write_text(plan.read_text(encoding="utf-8").replace('room = "Engineering"', 'room = "Ingénierie"'),
                    encoding="utf-8")
    changed = cli("import", archive, "--plan", plan, "--resume")
    assert (
        changed.exit_code == 2
        and "the plan changed" in changed.output
        and "destination.g1.room" in changed.output
    )


def test_reconcile_sees_threaded_events_as_ours_and_reports_their_duplicates(build, homeserver, tmp_path):
    archive = build()
    plan = plan_for(tmp_path, archive, homeserver)
    assert cli("import", archive, "--plan", plan).exit_code == 0
    clean = json.loads(cli("reconcile", archive, "--plan", plan, "--json").output)
    assert clean["clean"] and all(c["others_on_target"] == 0 for c in clean["conversations"])
    token = read_tokens(homeserver.registration).as_token
    with httpx.Client(base_url=homeserver.url, headers={"Authorization": f"Bearer {token}"}) as http:
        room = next(r for r in room_ids(plan)
                    if any(_in_thread(e) for e in _messages(http, r)))
        reply = next(e for e in _messages(http, room) if _in_thread(e))
        again = http.put(f"/_matrix/client/v3/rooms/{quote(room)}/send/m.room.message/dup-1",
                         params={"user_id": reply["sender"], "ts": reply["origin_server_ts"]},
                         json=reply["content"])
        assert again.status_code == 200, again.text
    result = cli("reconcile", archive, "--plan", plan, "--json")
    found = json.loads(result.output)
    assert result.exit_code == 1 and not found["clean"]
    assert found["totals"]["duplicated"] == 1
    assert all(c["others_on_target"] == 0 for c in found["conversations"])


def _messages(http, room):
    page = http.get(f"/_matrix/client/v3/rooms/{quote(room)}/messages", params={"dir": "f", "limit": 1000})
    return [e for e in page.json()["chunk"] if e["type"] == "m.room.message"]


def _in_thread(event):
    return (event["content"].get("m.relates_to") or {}).get("rel_type") == "m.thread"
