"""On a real Synapse, as over Teams: the import checks the archive against its seal before it sends
anything; a stored file edited after the plan was frozen is never uploaded on --resume."""

import orjson
import pytest

from rsemigrate.archive import Archive
from rsemigrate.migrate.ledger import Ledger, default_url

from .conftest import cli, plan_for, subprocess_cli


@pytest.mark.slow
def test_a_stored_file_edited_after_the_plan_was_frozen_is_not_uploaded_on_resume(build, homeserver,
                                                                                   tmp_path):
    archive = build()
    opened = Archive(archive)
    stored = opened.file_path(next(a for a in opened.attachments() if a.id == "file:1").sha256)
    plan = plan_for(tmp_path, archive, homeserver)
    killed = subprocess_cli("import", archive, "--plan", plan, crash="frozen")
    assert killed.returncode == -9, killed.stdout + killed.stderr
    stored.write_bytes(b"the PLAN")  # same size, other bytes
    resumed = cli("import", archive, "--plan", plan, "--resume")
    assert resumed.exit_code == 1, resumed.output
    with Ledger(default_url(plan)) as ledger:
        files = {f.key: f for f in ledger.files()}
        [refused] = ledger.events("refused")
        event = next(m for m in ledger.messages() if orjson.loads(m.files) == ["file:1"])
    assert files["file:1"].state == "failed" and files["file:1"].target_ref is None
    assert "file file:1 (plan.txt) not uploaded" in refused.detail
    assert "does not match its sha256" in refused.detail
    assert files["img:1"].state == "sent"  # the intact file went
    assert event.state == "failed" and "is not uploaded" in event.error
    reconciled = cli("reconcile", archive, "--plan", plan)
    assert reconciled.exit_code == 1 and "1 files not uploaded" in reconciled.output, reconciled.output


def test_a_message_altered_after_sealing_is_refused_before_anything_is_sent(build, homeserver, tmp_path):
    archive = build()
    path = archive / "data" / "messages" / "00001.jsonl"
    path.write_text(path.read_text(encoding="utf-8").replace('"Welcome"', '"Pay 666"'), encoding="utf-8")
    plan = plan_for(tmp_path, archive, homeserver)
    result = cli("import", archive, "--plan", plan)
    assert result.exit_code == 2 and "data/messages/00001.jsonl changed" in result.output, result.output
    with Ledger(default_url(plan)) as ledger:
        assert ledger.migration() is None, "nothing frozen, nothing sent"
