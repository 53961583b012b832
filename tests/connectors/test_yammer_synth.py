"""The synthetic export generator the benchmark relies on: valid, complete and reproducible."""

import json

from click.testing import CliRunner

from bench.yammer_synth import write_synthetic_export
from connectors.yammer import connector
from rsemigrate.cli import main
from rsemigrate.export.exporter import run_export


def test_a_synthetic_export_reads_whole_and_validates(tmp_path):
    write_synthetic_export(tmp_path / "export", 3000, users=50, groups=5, seed=7)
    info = run_export(connector, tmp_path / "export", tmp_path / "archive")
    counts = info.counts
    assert counts.messages == 3000 and counts.users == 50 and counts.groups == 6  # + All Company
    assert 0 < counts.private_messages < counts.messages and 0 < counts.deleted_messages
    assert counts.threads < counts.messages
    assert 0 < counts.missing_files < counts.attachments  # files not included, link cards external
    assert counts.report == {}
    result = CliRunner().invoke(main, ["validate", str(tmp_path / "archive"), "--json"])
    assert result.exit_code == 0 and json.loads(result.output) == []


def test_the_same_seed_writes_the_same_bytes(tmp_path):
    write_synthetic_export(tmp_path / "a", 500, users=20, groups=3, seed=1)
    write_synthetic_export(tmp_path / "b", 500, users=20, groups=3, seed=1)
    for name in ("Messages.csv", "Users.csv", "Groups.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert (tmp_path / "a" / "Messages.csv").read_bytes()[:3] == b"\xef\xbb\xbf"
