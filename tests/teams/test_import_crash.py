"""Crash safety: a real `kill -9` of the import process at named instants, then `--resume`.

Each kill point is reached in a subprocess (RSEMIGRATE_CRASH_AT makes it SIGKILL itself there:
no cleanup, no flush), the emulator keeps running in this process, and the resumed import must
leave exactly the planned content: the same (conversation, createdDateTime, author, body digest)
tuples, none twice, none missing, and no second team, chat or file.
"""

import pytest

from rsemigrate.testing import archive_from_records

from .import_helpers import (
    QUIET_SDK,
    cli,
    crash_records,
    emulator_for,
    into_one_team,
    plan_for,
    planned_content,
    subprocess_cli,
    target_content,
)

pytestmark = QUIET_SDK

KILL_POINTS = [
    "frozen",                   # plan frozen in the ledger, nothing written yet
    "team-applied",             # POST /teams answered, its id not recorded
    "channel-applied",          # channel created in migration mode, not recorded
    "chat-applied",             # group chat created, not recorded
    "start-applied",            # startMigration on the chat applied, not recorded
    "file-applied",             # file uploaded, not recorded
    "file-fragment",            # first fragment of an upload session accepted
    "message-sending#10",       # write-ahead 'sending' recorded, request not sent
    "message-applied#1",        # first post applied, not recorded
    "message-applied#20",       # a reply applied, not recorded
    "message-recorded#7",       # just after a post was recorded
    "complete-applied#1",       # the first completeMigration applied, not recorded (General must stay last)
    "complete-applied#2",       # a channel's completeMigration applied, not recorded
    "team-complete-applied",    # the team's completeMigration applied, not recorded
    "members-applied",          # members added, not recorded
]


@pytest.fixture(scope="module")
def crash_archive(tmp_path_factory):
    return archive_from_records(tmp_path_factory.mktemp("crash"), crash_records()).path


@pytest.mark.slow
@pytest.mark.parametrize("point", KILL_POINTS)
def test_kill_9_then_resume_leaves_exactly_the_planned_content(point, crash_archive, tmp_path):
    emulator = emulator_for(crash_archive)
    with emulator:
        plan = plan_for(tmp_path, crash_archive, emulator, edit=into_one_team)
        killed = subprocess_cli("import", crash_archive, "--plan", plan, crash=point)
        assert killed.returncode == -9, killed.stdout + killed.stderr
        resumed = subprocess_cli("import", crash_archive, "--plan", plan, "--resume")
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr
        planned, found = planned_content(crash_archive, plan, emulator), target_content(emulator)
        assert found == planned
        assert max(found.values()) == 1
        state = emulator.tenant.snapshot()
        assert [t["displayName"] for t in state["teams"]] == ["Engineering"]
        assert len(state["chats"]) == 1 and len(state["files"]) == 2
        assert not state["teams"][0]["inMigration"] and state["teams"][0]["members"]
        reconciled = cli("reconcile", crash_archive, "--plan", plan)
        assert reconciled.exit_code == 0, reconciled.output
