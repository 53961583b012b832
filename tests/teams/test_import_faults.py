"""Faults: throttling, gateway errors and answers lost after the post was applied, all at once."""

import pytest

from rsemigrate.migrate.ledger import Ledger, default_url
from rsemigrate.testing import archive_from_records

from .conftest import message, sample_records
from .import_helpers import QUIET_SDK, cli, emulator_for, plan_for, planned_content, target_content

pytestmark = QUIET_SDK


@pytest.mark.slow
def test_429_503_and_lost_answers_end_with_exactly_the_planned_content(tmp_path):
    extra = [
        message(
            f"r{i}",
            channel="g1",
            thread="m1",
            reply_to="m1",
            author=("u1", "u2")[i % 2],
            at=f"2020-01-0{2 + i // 60}T{10 + i % 60 // 6:02d}:{i % 6 * 10:02d}:00Z",
            text=f"reply {i}",
        )
        for i in range(150)
    ]
    extra += [
        message(
            f"p{i}",
            channel="g2",
            author="u2",
            at=f"2020-02-0{2 + i // 50}T{10 + i % 50 // 6:02d}:{i % 6}0:00Z",
            text=f"post {i}",
        )
        for i in range(100)
    ]
    archive = archive_from_records(tmp_path, sample_records(extra)).path
    emulator = emulator_for(archive)
    # Periods are coprime so the faults seldom fall on the same request (the first rule wins then).
    for spec in ("POST /messages 429 every=10 times=unlimited retry_after=0",      # 10% throttled
                 "POST /messages 503 every=19 times=unlimited retry_after=0",      # ~5% unavailable
                 "POST /messages lost every=49 times=unlimited"):                  # ~2% applied, answer lost
        emulator.faults.add(spec)
    with emulator:
        plan = plan_for(tmp_path, archive, emulator)
        result = cli("import", archive, "--plan", plan)
        assert result.exit_code == 0, result.output
        planned, found = planned_content(archive, plan, emulator), target_content(emulator)
        assert found == planned and max(found.values()) == 1
        assert sum(planned.values()) > 250
        fired = {f.action if f.action != "status" else f.status: f.fired for f in emulator.faults.rules}
        assert fired[429] > 20 and fired[503] > 10 and fired["lost"] > 4
        assert cli("reconcile", archive, "--plan", plan).exit_code == 0
    with Ledger(default_url(plan)) as ledger:
        adopted = ledger.events("adopted")
        # A lost answer is adopted once its retry meets the 409 (a fault may also fire on that retry).
        assert 0 < len(adopted) <= fired["lost"] and all(
            "already on the target as" in e.detail for e in adopted
        )
