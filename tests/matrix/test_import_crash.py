"""Crash safety against a real Synapse: `kill -9` of the import at named instants, and a Synapse
restart between two runs, each followed by `--resume`. The rooms must then hold exactly the
planned events: none twice, none missing, no second room.

The restart case is the one transaction ids cannot cover: Synapse forgets them when it restarts,
so an event whose answer was lost would be created again if the importer sent it blind. The
resume reads the room back and adopts it instead.
"""

import pytest

from rsemigrate.migrate.ledger import Ledger, default_url
from rsemigrate.testing import archive_from_records

from .conftest import cli, message, plan_for, sample_records, subprocess_cli
from .readback import planned_content, room_content, room_ids

KILL_POINTS = [
    "frozen",                  # plan frozen in the ledger, nothing written yet
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
    killed = subprocess_cli("import", crash_archive, "--plan", plan, "--parallel", "1", crash="message-applied#5")
    assert killed.returncode == -9, killed.stdout + killed.stderr
    homeserver.restart()  # forgets every transaction id
    resumed = subprocess_cli("import", crash_archive, "--plan", plan, "--resume")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    _assert_exact(crash_archive, plan, homeserver)
    with Ledger(default_url(plan)) as ledger:
        assert ledger.events("adopted"), "the resume found the event in the room and adopted it"
