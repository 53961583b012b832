"""The rehearsal of every source's bundled fixture is clean under the emulator held to Microsoft's
documented rules and limits (issue 12): exit 0, and reconciliation finds everything, once."""

from pathlib import Path

import orjson
import pytest

from .import_helpers import QUIET_SDK, cli

pytestmark = [QUIET_SDK, pytest.mark.slow]

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
SOURCES = {"yammer": FIXTURES / "yammer", "slack": FIXTURES / "slack" / "workspace",
           "workplace": FIXTURES / "workplace", "teams": FIXTURES / "teams"}


@pytest.mark.parametrize("source", sorted(SOURCES))
def test_the_fixture_rehearses_clean(source, tmp_path):
    archive, plan = tmp_path / "archive", tmp_path / "plan.toml"
    exported = cli("export", source, SOURCES[source], "-o", archive)
    assert exported.exit_code == 0, exported.output
    assert cli("plan", "init", archive, "--to", "teams", "-o", plan).exit_code == 0
    result = cli("import", archive, "--plan", plan, "--rehearse", "--json")
    assert result.exit_code == 0, result.output
    report = orjson.loads(result.output)
    assert report["containers"] and all(c["finished"] and not c["failed"] for c in report["containers"])
    reconciled = cli("reconcile", archive, "--plan", plan, "--rehearse", "--json")
    assert reconciled.exit_code == 0, reconciled.output
    totals = orjson.loads(reconciled.output)["totals"]
    assert totals["imported"] == totals["expected"] > 0
