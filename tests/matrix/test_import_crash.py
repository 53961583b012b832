"""Crash safety against a real Synapse: `kill -9` of the import at named instants, and a Synapse
restart between two runs, each followed by `--resume`. The rooms must then hold exactly the
planned events: none twice, none missing, no second room.

The restart case is the one transaction ids cannot cover: Synapse forgets them when it restarts,
so an event whose answer was lost would be created again if the importer sent it blind. The
resume reads the room back and adopts it instead.
"""

import sqlite3
import uuid
from contextlib import closing
from urllib.parse import quote

import httpx
import pytest

from connectors.matrix.appservice import read_tokens
from connectors.matrix.rooms import MARKER
from rsemigrate.migrate.ledger import Ledger, default_url
from rsemigrate.testing import archive_from_records

from .conftest import EXISTING, cli, message, plan_for, sample_records, subprocess_cli
from .readback import planned_content, room_content, room_ids

KILL_POINTS = [
    "frozen",                  # plan frozen in the ledger, nothing written yet
    "room-sending#2",          # write-ahead 'sending' of a room recorded, not created
    "room-applied#2",          # a room created (by alias), its id not recorded
    "member-applied#3",        # a member joined, not recorded
    "file-applied",            # a file uploaded, not recorded
    "message-sending#4",       # write-ahead 'sending' recorded, request not sent
    "message-applied#1",       # first event applied, not recorded
    "message-applied#9",       # a thread reply applied, not recorded
    "message-recorded#6",      # just after an event was recorded
]


def crash_records():
    """The sample plus enough replies to reach every kill point in one room."""
    extra = [message(f"f{i}", thread="m1", reply_to="m1", author=("u1", "u2")[i % 2],
                     at=f"2020-01-0{2 + i // 10}T1{i % 10}:00:00Z", text=f"filler {i}") for i in range(16)]
    return sample_records(extra)


@pytest.fixture(scope="module")
def crash_archive(tmp_path_factory):
    return archive_from_records(tmp_path_factory.mktemp("crash"), crash_records()).path


def _assert_exact(archive, plan, server):
    rooms = room_ids(plan)
    assert len(rooms) == 3
    found, planned = room_content(server.url, server.registration, rooms), planned_content(archive, plan)
    assert max(found.values()) == 1, "an event is duplicated"
    assert found == planned
    reconciled = cli("reconcile", archive, "--plan", plan)
    assert reconciled.exit_code == 0, reconciled.output


@pytest.mark.slow
@pytest.mark.parametrize("point", KILL_POINTS)
def test_kill_9_then_resume_leaves_exactly_the_planned_content(point, crash_archive, homeserver, tmp_path):
    plan = plan_for(tmp_path, crash_archive, homeserver)
    killed = subprocess_cli("import", crash_archive, "--plan", plan, "--parallel", "1", crash=point)
    assert killed.returncode == -9, killed.stdout + killed.stderr
    resumed = subprocess_cli("import", crash_archive, "--plan", plan, "--resume")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    _assert_exact(crash_archive, plan, homeserver)


@pytest.mark.slow
def test_synapse_restart_between_runs_creates_no_duplicate(crash_archive, homeserver, tmp_path):
    plan = plan_for(tmp_path, crash_archive, homeserver)
    killed = subprocess_cli(
        "import", crash_archive, "--plan", plan, "--parallel", "1", crash="message-applied#5"
    )
    assert killed.returncode == -9, killed.stdout + killed.stderr
    homeserver.restart()  # forgets every transaction id
    resumed = subprocess_cli("import", crash_archive, "--plan", plan, "--resume")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    _assert_exact(crash_archive, plan, homeserver)
    with Ledger(default_url(plan)) as ledger:
        assert ledger.events("adopted"), "the resume found the event in the room and adopted it"


def _husk(server, alias):
    """What `createRoom` leaves when Synapse dies after registering the alias and before the room's
    first event (synapse/handlers/room.py: the association is stored first): a room id and its
    alias, without a single event. Written into Synapse's own tables, as its handler does."""
    room_id = f"!unfinished{uuid.uuid4().hex[:12]}:localhost"
    with closing(sqlite3.connect(server.folder / "homeserver.db", timeout=30)) as db, db:
        db.execute("INSERT INTO rooms (room_id, is_public, creator, room_version) VALUES (?, ?, ?, ?)",
                   (room_id, False, EXISTING, "10"))
        db.execute("INSERT INTO room_aliases (room_alias, room_id, creator) VALUES (?, ?, ?)",
                   (alias, room_id, EXISTING))
        db.execute("INSERT INTO room_alias_servers (room_alias, server) VALUES (?, ?)", (alias, "localhost"))
    return room_id


def _put_alias(http, alias, room_id):
    made = http.put(f"/_matrix/client/v3/directory/room/{quote(alias)}", json={"room_id": room_id})
    assert made.status_code == 200, made.text


def _room_as(http, user, **body):
    made = http.post("/_matrix/client/v3/createRoom", params={"user_id": user},
                     json={"preset": "private_chat"} | body)
    assert made.status_code == 200, made.text
    return made.json()["room_id"]


@pytest.mark.slow
@pytest.mark.parametrize("leftover", ["no-room-behind-the-alias", "a-room-the-appservice-cannot-enter"])
def test_kill_9_at_room_creation_then_resume_repairs_the_unfinished_room(leftover, crash_archive, homeserver,
                                                                         tmp_path):
    plan = plan_for(tmp_path, crash_archive, homeserver)
    killed = subprocess_cli("import", crash_archive, "--plan", plan, "--parallel", "1",
                            crash="room-sending#2")
    assert killed.returncode == -9, killed.stdout + killed.stderr
    with Ledger(default_url(plan)) as ledger:
        [row] = [c for c in ledger.containers() if c.state == "sending"]
    alias = row.facts()["alias"]
    token = read_tokens(homeserver.registration).as_token
    with httpx.Client(base_url=homeserver.url, headers={"Authorization": f"Bearer {token}"}) as http:
        # what Synapse leaves when it dies after registering the alias, before the creator joins
        if leftover == "no-room-behind-the-alias":
            husk = _husk(homeserver, alias)
        else:
            husk = _room_as(http, EXISTING)
            _put_alias(http, alias, husk)
    resumed = subprocess_cli("import", crash_archive, "--plan", plan, "--resume")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    _assert_exact(crash_archive, plan, homeserver)
    with Ledger(default_url(plan)) as ledger:
        assert ledger.container(row.key).target_id != husk
        assert [e.key for e in ledger.events("abandoned-room")] == [row.key]


@pytest.mark.slow
def test_a_room_that_cannot_be_opened_fails_alone_and_the_others_import(crash_archive, homeserver, tmp_path):
    plan = plan_for(tmp_path, crash_archive, homeserver)
    killed = subprocess_cli("import", crash_archive, "--plan", plan, crash="frozen")
    assert killed.returncode == -9, killed.stdout + killed.stderr
    with Ledger(default_url(plan)) as ledger:
        rooms = [c for c in ledger.containers() if not c.is_parent]
    taken, locked = rooms[0], rooms[1]
    token = read_tokens(homeserver.registration).as_token
    with httpx.Client(base_url=homeserver.url, headers={"Authorization": f"Bearer {token}"}) as http:
        sender = http.get("/_matrix/client/v3/account/whoami").json()["user_id"]
        # an alias pointing at a room made for another container: never adopted
        other = _room_as(http, sender,
                         initial_state=[{"type": MARKER, "state_key": "", "content": {"key": "else"}}])
        _put_alias(http, taken.facts()["alias"], other)
        # a room of ours the appservice may enter but not change: linking it into the space fails
        mine = _room_as(http, EXISTING, invite=[sender],
                        initial_state=[{"type": MARKER, "state_key": "", "content": {"key": locked.key}}],
                        power_level_content_override={"state_default": 50, "users_default": 0})
        _put_alias(http, locked.facts()["alias"], mine)
    resumed = subprocess_cli("import", crash_archive, "--plan", plan, "--resume")
    assert resumed.returncode == 1, resumed.stdout + resumed.stderr
    assert "Traceback" not in resumed.stderr
    assert f"made for 'else', not for {taken.name!r}" in resumed.stdout
    assert f"cannot open the room {locked.name!r}: 403 M_FORBIDDEN" in resumed.stdout
    with Ledger(default_url(plan)) as ledger:
        done = [c for c in ledger.containers() if not c.is_parent and c.finish_state == "sent"]
    assert [c.key for c in done] == [rooms[2].key]
