"""The bundled source fixtures into a real Synapse: the Yammer export end to end, read back equal
to the plan; the Slack workspace export imports cleanly too."""

from pathlib import Path

import pytest

from .conftest import cli, plan_for
from .readback import planned_content, room_content, room_ids

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def _export(tmp_path_factory, platform: str, source: Path) -> Path:
    out = tmp_path_factory.mktemp(platform) / "archive"
    result = cli("export", platform, source, "-o", out)
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def yammer_archive(tmp_path_factory):
    return _export(tmp_path_factory, "yammer", FIXTURES / "yammer")


@pytest.fixture(scope="module")
def slack_archive(tmp_path_factory):
    return _export(tmp_path_factory, "slack", FIXTURES / "slack" / "workspace")


@pytest.mark.slow
def test_yammer_fixture_imports_end_to_end_exactly_as_planned(yammer_archive, homeserver, tmp_path):
    plan = plan_for(tmp_path, yammer_archive, homeserver)
    checked = cli("plan", "check", yammer_archive, "--plan", plan, "--online")
    assert checked.exit_code == 0 and "[FAIL]" not in checked.output, checked.output
    result = cli("import", yammer_archive, "--plan", plan)
    assert result.exit_code == 0, result.output
    found = room_content(homeserver.url, homeserver.registration, room_ids(plan))
    planned = planned_content(yammer_archive, plan)
    assert found == planned and max(found.values()) == 1
    senders = {row[2] for row in found}
    assert "@ann:localhost" in senders, "Ann Smith posts as her existing account (identity assertion)"
    assert any(row[6] for row in found), "replies are m.thread events"
    assert any(row[7] and not row[8] for row in found), "a reply to a reply names it in m.in_reply_to"
    assert any(row[10] for row in found), "files are uploaded and sent as m.file/m.image"
    reconciled = cli("reconcile", yammer_archive, "--plan", plan, "--json")
    assert reconciled.exit_code == 0, reconciled.output


@pytest.mark.slow
def test_slack_fixture_imports_cleanly(slack_archive, homeserver, tmp_path):
    plan = plan_for(tmp_path, slack_archive, homeserver)
    checked = cli("plan", "check", slack_archive, "--plan", plan)
    assert checked.exit_code == 0, checked.output
    result = cli("import", slack_archive, "--plan", plan)
    assert result.exit_code == 0, result.output
    found = room_content(homeserver.url, homeserver.registration, room_ids(plan))
    assert found == planned_content(slack_archive, plan)
    assert cli("reconcile", slack_archive, "--plan", plan).exit_code == 0
