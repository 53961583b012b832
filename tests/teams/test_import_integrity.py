"""The import checks the archive against its seal before it sends anything (over the emulator):
a message file altered after sealing is refused before the first run, a stored file edited after
the plan was frozen is never uploaded on --resume, and `plan check` warns."""

import json

import pytest

from rsemigrate.archive import Archive
from rsemigrate.migrate.ledger import Ledger, default_url

from .import_helpers import QUIET_SDK, cli, emulator_for, plan_for, subprocess_cli, target_content

pytestmark = QUIET_SDK


def alter_a_message(archive):
    """Change one message body in place (same length, so the index still points right), the
    manifests (and so the seal) untouched."""
    path = archive / "data" / "messages" / "00001.jsonl"
    text = path.read_text(encoding="utf-8")
    assert '"Welcome"' in text
    path.write_text(text.replace('"Welcome"', '"Pay 666"'), encoding="utf-8")
    return path


def test_a_message_altered_after_sealing_is_refused_before_anything_is_sent(build, tmp_path):
    archive = build()
    seal = Archive(archive).seal()
    alter_a_message(archive)
    assert Archive(archive).seal() == seal
    emulator = emulator_for(archive)
    with emulator:
        plan = plan_for(tmp_path, archive, emulator)
        checked = cli("plan", "check", archive, "--plan", plan, "--json")
        [warning] = [p for p in json.loads(checked.output)["problems"] if p["kind"] == "archive-damaged"]
        assert warning["severity"] == "warning" and "data/messages/00001.jsonl changed" in warning["detail"]
        result = cli("import", archive, "--plan", plan)
        assert result.exit_code == 2, result.output
        [line] = result.output.splitlines()
        assert "changed since it was sealed, so nothing is sent" in line
        assert "data/messages/00001.jsonl changed (it holds the messages of channels g1, g2" in line
        assert not target_content(emulator) and not emulator.tenant.snapshot()["teams"]


@pytest.mark.slow
def test_a_stored_file_edited_after_the_plan_was_frozen_is_not_uploaded_on_resume(build, tmp_path):
    archive = build()
    opened = Archive(archive)
    stored = opened.file_path(next(a for a in opened.attachments() if a.id == "file:1").sha256)
    emulator = emulator_for(archive)
    with emulator:
        plan = plan_for(tmp_path, archive, emulator)
        killed = subprocess_cli("import", archive, "--plan", plan, crash="frozen")
        assert killed.returncode == -9, killed.stdout + killed.stderr
        stored.write_bytes(b"the PLAN")  # same size, other bytes
        resumed = cli("import", archive, "--plan", plan, "--resume")
        assert resumed.exit_code == 1, resumed.output
        assert not [i for i in emulator.tenant.items.values() if not i.folder], "nothing was uploaded"
        with Ledger(default_url(plan)) as ledger:
            [f] = ledger.files()
            [refused] = ledger.events("refused")
        assert f.state == "failed" and f.error == refused.detail
        assert f.error.startswith("file file:1 (") and "does not match its sha256" in f.error
        reconciled = cli("reconcile", archive, "--plan", plan)
        assert reconciled.exit_code == 1 and "1 files not uploaded" in reconciled.output, reconciled.output
