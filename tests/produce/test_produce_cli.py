"""`rsemigrate produce` end to end, on a real Slack export written by another project."""

from __future__ import annotations

from collections import Counter

import orjson
import pytest
from click.testing import CliRunner

from rsemigrate.archive import Archive
from rsemigrate.cli import main
from rsemigrate.export import run_export
from rsemigrate.produce import check_rsmf, production
from rsemigrate.registry import source_connector
from tests.produce.conftest import load_rows, production_files, schema_errors


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def slack_archive(real_data, tmp_path_factory):
    zipped = real_data / "slack-export-viewer-testarchive" / "testarchive.zip"
    return run_export(source_connector("slack"), zipped, tmp_path_factory.mktemp("slack") / "archive").path


def test_a_real_slack_export_round_trips_through_rsmf(slack_archive, tmp_path):
    result = run("produce", slack_archive, "-o", tmp_path / "prod", "--slice", "month",
                 "--custodian", "Records Office")
    assert result.exit_code == 0, result.output
    archive = Archive(slack_archive)
    messages = {m.id: m for m in archive.messages()}
    events: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    for read in production_files(tmp_path / "prod"):
        assert schema_errors(read.manifest) == [], read.path
        assert check_rsmf(read.path.read_bytes()) == []
        for event in read.manifest["events"]:
            events[event["id"]] += 1
            kinds[event["type"]] += 1
            assert event["body"] == messages[event["id"]].text
    assert events == Counter(list(messages))
    assert kinds["join"] == 8  # SOURCE.md: 8 channel_join
    rows = load_rows(tmp_path / "prod")
    assert sum(int(r["event_count"]) for r in rows) == len(messages)
    assert {r["conversation"] for r in rows} == {"enrique", "traveling-sailor"}
    provenance = orjson.loads((tmp_path / "prod" / "production.json").read_bytes())
    assert provenance["counts"]["messages"] == archive.header.counts.messages
    assert run("verify", tmp_path / "prod").exit_code == 0


def test_selection_options_and_unknown_names(slack_archive, tmp_path):
    result = run("produce", slack_archive, "-o", tmp_path / "p1", "--channel", "enrique",
                 "--from", "2016-01-01", "--to", "2030-01-01")
    assert result.exit_code == 0, result.output
    assert {r["conversation"] for r in load_rows(tmp_path / "p1")} == {"enrique"}
    result = run("produce", slack_archive, "-o", tmp_path / "p2", "--person", "nobody-at-all")
    assert result.exit_code == 0
    assert "--person nobody-at-all matches nothing" in result.output
    assert load_rows(tmp_path / "p2") == []


def test_bad_input_is_one_line_exit_2_and_writes_nothing(slack_archive, tmp_path):
    result = run("produce", slack_archive, "-o", tmp_path / "p", "--query", '"unclosed')
    assert result.exit_code == 2 and "invalid query" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "p").exists()
    (tmp_path / "taken").mkdir()
    result = run("produce", slack_archive, "-o", tmp_path / "taken")
    assert result.exit_code == 2 and "already exists" in result.output
    result = run("produce", tmp_path / "nothing-here", "-o", tmp_path / "q")
    assert result.exit_code == 2 and "not a finished rsemigrate archive" in result.output


def test_workers_write_the_same_production(slack_archive, tmp_path, monkeypatch):
    monkeypatch.setattr(production, "BATCH_MESSAGES", 10)  # a batch per conversation or two
    for workers in (1, 3):
        result = run("produce", slack_archive, "-o", tmp_path / f"w{workers}", "--workers", workers)
        assert result.exit_code == 0, result.output
    assert load_rows(tmp_path / "w1") == load_rows(tmp_path / "w3")
    assert (tmp_path / "w1" / "manifest-sha256.txt").read_bytes() == \
        (tmp_path / "w3" / "manifest-sha256.txt").read_bytes()
    assert run("produce", slack_archive, "-o", tmp_path / "w0", "--workers", 0).exit_code == 2
