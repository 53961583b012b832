"""Resuming: refused when the archive, the plan or the app identity changed; Ctrl-C then --resume."""

import signal
import subprocess
import sys
import time

import pytest

from connectors.teams.emulator import App
from connectors.teams.emulator.state import DEFAULT_CLIENT_ID, DEFAULT_SECRET

from .conftest import message, sample_records
from .import_helpers import (
    QUIET_SDK,
    ROOT,
    SECRET_ENV,
    cli,
    emulator_for,
    plan_for,
    planned_content,
    target_content,
)

pytestmark = QUIET_SDK

OTHER_APP = "22222222-0000-0000-0000-000000000002"


@pytest.fixture
def started(build, tmp_path):
    """An archive, a running emulator (two apps), and an import stopped after its first post."""
    archive = build()
    emulator = emulator_for(archive)
    emulator.tenant.apps[OTHER_APP] = App(OTHER_APP, DEFAULT_SECRET)
    with emulator:
        plan = plan_for(tmp_path, archive, emulator)
        emulator.faults.add("POST /messages$ 400 nth=1")
        assert cli("import", archive, "--plan", plan).exit_code == 1
        yield archive, plan, emulator


def test_import_refuses_an_existing_ledger_without_resume(started):
    archive, plan, _ = started
    result = cli("import", archive, "--plan", plan)
    assert result.exit_code == 2 and "--resume" in result.output and "twice" in result.output


def test_resume_refuses_when_there_is_nothing_to_resume(build, tmp_path):
    archive = build()
    emulator = emulator_for(archive)
    with emulator:
        plan = plan_for(tmp_path, archive, emulator)
        result = cli("import", archive, "--plan", plan, "--resume")
    assert result.exit_code == 2 and "nothing to resume" in result.output


def test_resume_refuses_another_archive(started, build):
    _, plan, _ = started
    other = build(sample_records([message("new", at="2020-03-01T00:00:00Z")]), name="other")
    result = cli("import", other, "--plan", plan, "--resume")
    assert result.exit_code == 2 and "cannot resume" in result.output and "this is archive" in result.output


def test_resume_refuses_a_changed_plan_naming_the_key(started):
    archive, plan, _ = started
    plan.write_text(
        plan.read_text(encoding="utf-8").replace('channel = "General"\n', 'channel = "Archives"\n', 1),
        encoding="utf-8",
    )
    result = cli("import", archive, "--plan", plan, "--resume")
    assert result.exit_code == 2 and "the plan changed" in result.output and "destination." in result.output


def test_resume_refuses_another_app_identity(started):
    archive, plan, _ = started
    plan.write_text(plan.read_text(encoding="utf-8").replace(DEFAULT_CLIENT_ID, OTHER_APP), encoding="utf-8")
    result = cli("import", archive, "--plan", plan, "--resume")
    assert result.exit_code == 2
    assert f"this run signs in as app {OTHER_APP}" in result.output and "Only the app" in result.output


def test_resume_accepts_new_rates_and_finishes(started):
    archive, plan, emulator = started
    plan.write_text(plan.read_text(encoding="utf-8").replace("per_channel = 1000.0", "per_channel = 999.0"),
                    encoding="utf-8")
    assert cli("import", archive, "--plan", plan, "--resume").exit_code == 0
    assert target_content(emulator) == planned_content(archive, plan, emulator)


@pytest.mark.slow
def test_ctrl_c_stops_cleanly_and_resume_finishes(build, tmp_path):
    archive = build(sample_records([message(f"x{i}", at=f"2020-01-05T10:{i:02d}:00Z") for i in range(40)]))
    emulator = emulator_for(archive)
    with emulator:
        plan = plan_for(tmp_path, archive, emulator)
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "rsemigrate",
                "import",
                str(archive),
                "--plan",
                str(plan),
                "--per-channel",
                "10",
            ],
            cwd=ROOT,
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 60
        while not any(c["messages"] for t in emulator.tenant.snapshot()["teams"] for c in t["channels"]):
            assert time.monotonic() < deadline and process.poll() is None
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
        assert process.returncode == 130, out + err
        assert "Interrupted cleanly" in out and "--resume" in out
        sent = sum(target_content(emulator).values())
        assert 0 < sent < sum(planned_content(archive, plan, emulator).values())
        assert cli("import", archive, "--plan", plan, "--resume").exit_code == 0
        assert target_content(emulator) == planned_content(archive, plan, emulator)


def _env():
    import os

    return {k: v for k, v in os.environ.items() if k != "RSEMIGRATE_CRASH_AT"} | SECRET_ENV
