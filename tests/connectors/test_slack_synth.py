"""The synthetic Slack export the benchmark relies on: valid, complete, reproducible, and holding
the cases the connector must handle at volume."""

import json
from collections import Counter
from pathlib import Path

import pytest

from bench.slack_synth import write_synthetic_export
from connectors.slack import connector
from rsemigrate.archive.reader import Archive
from rsemigrate.export.exporter import run_export

from .conftest import cli


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Archive:
    folder = tmp_path_factory.mktemp("slack-synth")
    write_synthetic_export(folder / "export", 3000, users=60, channels=20, seed=7)
    return Archive(run_export(connector, folder / "export", folder / "archive").path)


def test_a_synthetic_export_reads_whole_and_validates(archive):
    counts = archive.header.counts
    # 58 people and 2 bots listed, plus the legacy webhook rebuilt from its messages (the one report entry)
    assert (counts.messages, counts.users, counts.groups, counts.channels) == (3000, 61, 1, 20)
    assert counts.report == {"degraded": 1}
    assert 0 < counts.private_messages < counts.messages and counts.threads < counts.messages
    assert counts.attachments > 0 and counts.missing_files == 0  # files external, never missing
    assert Counter(c.kind for c in archive.channels()) == {"channel": 18, "direct": 1, "group_direct": 1}
    result = cli("validate", archive.path, "--json")
    assert result.exit_code == 0 and json.loads(result.output) == []


def test_it_holds_the_cases_that_cost_at_volume(archive):
    messages = {m.id: m for m in archive.messages()}
    kinds = Counter(m.kind for m in messages.values())
    subtypes = Counter(m.source.get("subtype") for m in messages.values())
    assert kinds["post"] and kinds["reply"] and kinds["system"]
    assert subtypes["bot_message"] and subtypes["thread_broadcast"] and subtypes["channel_join"]
    later = [m for m in messages.values()
             if m.kind == "reply" and messages[m.thread_id].created_at.utc[:10] != m.created_at.utc[:10]]
    assert later  # replies in later day files than their root
    assert any(m.edited_at for m in messages.values()) and any(m.reactions for m in messages.values())
    mentions = Counter(x.kind for m in messages.values() for x in m.mentions)
    assert mentions.keys() == {"user", "channel", "link", "here"}
    assert {(a.kind, a.status) for a in archive.attachments()} == {
        ("file", "external"), ("image", "external"), ("link", "external")}


def test_the_same_seed_writes_the_same_bytes(tmp_path):
    write_synthetic_export(tmp_path / "a", 500, users=20, channels=8, seed=1)
    write_synthetic_export(tmp_path / "b", 500, users=20, channels=8, seed=1)
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.json"))
    assert len(files) > 5 and files == sorted(
        p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*.json")
    )
    assert all((tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes() for f in files)
    day = next(f for f in files if f.name[0].isdigit())
    assert b'"https:\\/\\/' in (tmp_path / "a" / Path(day)).read_bytes()  # Slack's PHP escaping
