"""The bundled Slack samples (fixtures/slack, see its README) end to end: export, validate, verify,
stats, the zip, bad input. The expected numbers were counted by hand from the fixture's files."""

import json
import zipfile
from collections import Counter
from dataclasses import asdict
from pathlib import Path

import pytest

from connectors.slack import connector
from connectors.slack.emulator import FilesEmulator
from rsemigrate.archive.reader import Archive
from rsemigrate.errors import InputError, UnsafeInputError
from rsemigrate.export.exporter import run_export

from .conftest import assert_sound, assert_zip_exports_the_same, cli

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "slack"
WORKSPACE = FIXTURES / "workspace"
GRID = FIXTURES / "grid"
COUNTS = {"users": 10, "groups": 1, "channels": 9, "threads": 25, "messages": 31, "deleted_messages": 0,
          "private_messages": 3, "attachments": 8, "missing_files": 1}
REPORT = {"degraded": 6, "missing": 2, "quarantined": 2}
PER_CHANNEL = {"C01GENERAL": 12, "C02RANDOM": 8, "C03PROJ": 3, "C04ARCH": 2, "G01SECRET": 2, "D01AB": 2,
               "G02MPIM": 1, "unlisted:stray-folder": 1}
TOKEN = "xoxp-1111-2222-test-token"


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return run_export(connector, WORKSPACE, tmp_path_factory.mktemp("slack") / "archive").path


def test_the_sample_export_has_the_counted_numbers(archive):
    header = Archive(archive).header
    assert {**asdict(header.counts), "report": None} == {**COUNTS, "report": None}
    assert header.counts.report == REPORT
    assert (header.window.first, header.window.last) == (
        "2024-03-01T09:00:00.000100Z",
        "2024-03-11T08:00:00.000100Z",
    )
    assert Counter(m.channel_id for m in Archive(archive).messages()) == PER_CHANNEL


def test_nothing_lost_every_source_message_is_in_the_archive_or_the_report(archive):
    source_records = sum(len(json.loads(p.read_text())) for p in WORKSPACE.glob("*/20??-??-??.json"))
    opened = Archive(archive)
    quarantined = [r for r in opened.report() if r.action == "quarantined" and r.record_type == "message"]
    assert source_records == 32
    assert sum(1 for _ in opened.messages()) + len(quarantined) == source_records


def test_validate_verify_and_stats_agree(archive):
    assert_sound(archive, COUNTS)


def test_the_zipped_sample_exports_the_same_through_the_command_line(tmp_path):
    assert_zip_exports_the_same("slack", WORKSPACE, tmp_path, COUNTS, REPORT)


def test_enterprise_grid_org_export_with_per_workspace_folders(tmp_path):
    info = run_export(connector, GRID, tmp_path / "archive")
    assert (info.counts.users, info.counts.groups, info.counts.channels, info.counts.messages) == (3, 3, 3, 4)
    assert info.counts.report == {}
    opened = Archive(info.path)
    channels = {c.id: (c.name, c.group_id) for c in opened.channels()}
    # two channels called "general" in two workspaces stay apart, keyed by their ids
    assert channels == {"C10GEN": ("general", "workspace:teams/Sales"),
                        "C20GEN": ("general", "workspace:teams/Engineering"),
                        "D30ADABOB": ("Direct message: Ada Lovelace, Bob Stone", "workspace")}
    assert {u.id for u in opened.users()} == {"W01ADA", "W02BOB", "W03CY"}
    assert next(u for u in opened.users() if u.id == "W03CY").guest
    assert cli("validate", info.path).exit_code == 0 and cli("verify", info.path).exit_code == 0


def test_with_a_token_files_are_downloaded_and_refusals_reported_and_the_token_stays_out(tmp_path):
    emulator = FilesEmulator(TOKEN, {"F02PHOTO": b"\x89PNG team photo", "F05SLOW": b"<svg/>"},
                             statuses={"F03SECRET": 403}, signin={"F04SIGNIN"}, throttle={"F05SLOW": 1})
    with emulator as url:
        result = cli("export", "slack", WORKSPACE, "-o", tmp_path / "archive", "--files-url", url, "--json",
                     SLACK_TOKEN=TOKEN)
    assert result.exit_code == 0, result.output
    counts = json.loads(result.output)["counts"]
    assert (counts["attachments"], counts["missing_files"], counts["report"]["degraded"]) == (8, 3, 8)
    status = {a.id: a.status for a in Archive(tmp_path / "archive").attachments()}
    assert status == {
        "F01PLAN": "present",
        "F02PHOTO": "present",
        "F03SECRET": "missing",
        "F04SIGNIN": "missing",
        "F05SLOW": "present",
        "F06GONE": "missing",
        "F07GDRIVE": "external",
        "C01GENERAL:1709380800.000600:card:1": "external",
    }
    everything = b"".join(p.read_bytes() for p in (tmp_path / "archive").rglob("*") if p.is_file())
    assert TOKEN.encode() not in everything and TOKEN not in result.output
    assert cli("verify", tmp_path / "archive").exit_code == 0


def test_the_token_can_come_from_a_file(tmp_path):
    (tmp_path / "token").write_text(TOKEN + "\n")
    with FilesEmulator(TOKEN, {"F02PHOTO": b"png", "F05SLOW": b"svg"}) as url:
        result = cli("export", "slack", WORKSPACE, "-o", tmp_path / "archive", "--files-url", url,
                     "--token-file", tmp_path / "token", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["counts"]["missing_files"] == 3  # F03, F04 refused, F06 deleted


def test_a_missing_index_file_is_a_clear_error_and_leaves_nothing(tmp_path):
    export = tmp_path / "export"
    (export / "general").mkdir(parents=True)
    (export / "users.json").write_text("[]")
    (export / "general" / "2024-03-01.json").write_text("[]")
    result = cli("export", "slack", export, "-o", tmp_path / "archive")
    assert result.exit_code == 2
    assert "no channels.json found" in result.output
    assert not (tmp_path / "archive").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["export"]


def test_a_missing_user_list_is_a_clear_error(tmp_path):
    (tmp_path / "export").mkdir()
    (tmp_path / "export" / "channels.json").write_text("[]")
    with pytest.raises(InputError, match="no users.json or org_users.json"):
        run_export(connector, tmp_path / "export", tmp_path / "archive")


def test_a_malformed_day_file_names_file_line_and_column(tmp_path):
    export = tmp_path / "export"
    (export / "general").mkdir(parents=True)
    (export / "users.json").write_text("[]")
    (export / "channels.json").write_text('[{"id": "C1", "name": "general"}]')
    (export / "general" / "2024-03-01.json").write_text('[\n  {"ts": "1.000001",\n   "text": oops}\n]')
    result = cli("export", "slack", export, "-o", tmp_path / "archive")
    assert result.exit_code == 2
    assert "general/2024-03-01.json, line 3: malformed JSON at column" in result.output
    assert not (tmp_path / "archive").exists()


def test_a_hostile_zip_is_refused_before_anything_is_written(tmp_path):
    with zipfile.ZipFile(tmp_path / "evil.zip", "w") as zf:
        zf.writestr("channels.json", "[]")
        zf.writestr("users.json", "[]")
        zf.writestr("../../escape.json", "[]")
    with pytest.raises(UnsafeInputError, match="would escape"):
        run_export(connector, tmp_path / "evil.zip", tmp_path / "archive")
    assert not (tmp_path / "archive").exists() and not (tmp_path.parent / "escape.json").exists()
