"""One run per ledger: two imports started together, or a second --resume, are refused in one line
naming the run that holds the ledger (its PID and start time); the posts land exactly once."""

import os
import re
import subprocess
import sys
import time

import pytest

from rsemigrate.lock import LockedError
from rsemigrate.migrate.ledger import Ledger, default_url, ledger_lock_path

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
REFUSED = re.compile(r"^Error: the ledger sqlite:///\S+ is in use by another run \(PID (\d+), started \S+\); "
                     r"wait for it to finish \(lock file \S+\)$")


def _import(archive, plan, *args):
    env = {k: v for k, v in os.environ.items() if k != "RSEMIGRATE_CRASH_AT"} | SECRET_ENV
    return subprocess.Popen([sys.executable, "-m", "rsemigrate", "import", str(archive), "--plan", str(plan),
                             "--per-channel", "20", *args], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _archive(build):
    return build(sample_records([message(f"x{i}", at=f"2020-01-05T10:{i:02d}:00Z") for i in range(30)]))


def test_a_held_ledger_is_refused_naming_the_holder(tmp_path):
    url = f"sqlite:///{tmp_path / 'plan.ledger.sqlite'}"
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time\n"
                               "from rsemigrate.migrate.ledger import Ledger\n"
                               f"ledger = Ledger({url!r}); ledger.lock(); print('held', flush=True)\n"
                               "time.sleep(60)"], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "held\n"
        with Ledger(url) as ledger, pytest.raises(LockedError, match=rf"PID {holder.pid}, started 20\d\d-"):
            ledger.lock()
    finally:
        holder.kill()
        holder.wait()
    with Ledger(url) as ledger:  # the kernel dropped the dead holder's lock
        ledger.lock()
    assert not ledger_lock_path(url).exists()


@pytest.mark.slow
def test_two_imports_started_together_post_once_and_the_second_is_refused_in_one_line(build, tmp_path):
    archive = _archive(build)
    emulator = emulator_for(archive)
    with emulator:
        plan = plan_for(tmp_path, archive, emulator)
        runs = [_import(archive, plan), _import(archive, plan)]
        outcomes = sorted((p.wait(timeout=300), *p.communicate(), p.pid) for p in runs)
        (won, won_out, won_err, won_pid), (lost, lost_out, lost_err, _) = outcomes
        assert won == 0, won_out + won_err
        assert lost == 2 and not lost_out and "Traceback" not in lost_err
        [line] = lost_err.splitlines()
        assert REFUSED.match(line) and REFUSED.match(line).group(1) == str(won_pid), line
        assert target_content(emulator) == planned_content(archive, plan, emulator)


@pytest.mark.slow
def test_a_second_resume_is_refused_while_the_first_runs(build, tmp_path):
    archive = _archive(build)
    emulator = emulator_for(archive)
    with emulator:
        plan = plan_for(tmp_path, archive, emulator)
        emulator.faults.add("POST /messages$ 400 nth=1")
        assert cli("import", archive, "--plan", plan).exit_code == 1  # started, one post failed
        first = _import(archive, plan, "--resume")
        deadline = time.monotonic() + 60
        while not ledger_lock_path(default_url(plan)).exists():
            assert time.monotonic() < deadline and first.poll() is None
            time.sleep(0.05)
        second = cli("import", archive, "--plan", plan, "--resume")
        assert second.exit_code == 2 and f"PID {first.pid}, started" in second.output, second.output
        out, err = first.communicate(timeout=300)
        assert first.returncode == 0, out + err
        assert target_content(emulator) == planned_content(archive, plan, emulator)


def test_a_damaged_ledger_is_one_line_naming_it(build, tmp_path):
    archive = _archive(build)
    emulator = emulator_for(archive)
    with emulator:
        plan = plan_for(tmp_path, archive, emulator)
        ledger = default_url(plan).removeprefix("sqlite:///")
        with open(ledger, "wb") as fh:
            fh.write(b"this is not a database" * 100)
        for args in (("import", archive, "--plan", plan, "--resume"), ("reconcile", archive, "--plan", plan)):
            result = cli(*args)
            assert result.exit_code == 2, result.output
            [line] = result.output.splitlines()
            assert line.startswith("Error: cannot open the ledger sqlite:///")
            assert "file is not a database" in line
