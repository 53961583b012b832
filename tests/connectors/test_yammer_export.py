"""The bundled sample export (fixtures/yammer, see its README) end to end: export, validate,
verify, stats. The expected numbers were counted by hand from the fixture's rows."""

import zipfile
from collections import Counter
from dataclasses import asdict
from pathlib import Path

import pytest
from click.testing import CliRunner

from connectors.yammer import connector
from rsemigrate.archive.reader import Archive
from rsemigrate.cli import main
from rsemigrate.export.exporter import run_export

from .conftest import FIXTURE, assert_sound, assert_zip_exports_the_same, message

COUNTS = {"users": 13, "groups": 7, "channels": 9, "threads": 19, "messages": 58, "deleted_messages": 2,
          "private_messages": 6, "attachments": 11, "missing_files": 2}
REPORT = {"degraded": 2, "duplicate": 1, "missing": 2, "quarantined": 1}
PER_CHANNEL = {"8401921": 16, "8401922": 8, "8401923": 13, "8401924": 2, "8401925": 3, "8401930": 3,
               "all-company": 7, "private-2000337749565437": 3, "private-2000337749565440": 3}


def cli(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args])


def zipped(folder: Path, target: Path) -> Path:
    """The fixture as the admin UI delivers it: one zip, here with a top folder."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, f"export-2019-07-01/{path.relative_to(folder).as_posix()}")
    return target


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return run_export(connector, FIXTURE, tmp_path_factory.mktemp("export") / "archive").path


def test_the_sample_export_has_the_counted_numbers(archive):
    header = Archive(archive).header
    assert {**asdict(header.counts), "report": None} == {**COUNTS, "report": None}
    assert header.counts.report == REPORT
    assert (header.source.network_id, header.source.network_name) == ("1876543", "Contoso France")
    assert (header.window.first, header.window.last) == ("2018-12-01T10:00:00Z", "2019-06-10T09:45:00Z")
    assert header.window.requested_since.utc == "2018-12-01T00:00:00Z"  # type: ignore[union-attr]


def test_messages_per_channel_and_stored_files(archive):
    opened = Archive(archive)
    assert Counter(m.channel_id for m in opened.messages()) == PER_CHANNEL
    # six distinct contents: the two identical photos are stored once
    assert len([p for p in (archive / "data/files").rglob("*") if p.is_file()]) == 6


def test_the_duplicated_row_counts_once_and_the_later_copy_wins(archive):
    opened = Archive(archive)
    copies = [m for m in opened.messages() if m.id == "2000337749565404"]
    assert [m.body.content for m in copies] == [
        "Est-ce que la réunion sera enregistrée ? (pour les collègues de Lyon)"]
    duplicates = [r for r in opened.report() if r.action == "duplicate"]
    assert [(r.record_type, r.record_id) for r in duplicates] == [("message", "2000337749565404")]


def test_replies_whose_root_is_outside_the_export_are_kept_and_reported_missing(archive):
    opened = Archive(archive)
    orphans = [m for m in opened.messages("8401921") if m.thread_id == "2000337749000001"]
    assert [(m.id, m.reply_to_id) for m in orphans] == [
        ("2000337749565443", "2000337749000001"), ("2000337749565444", "2000337749565443")]
    missing = [r for r in opened.report() if r.action == "missing"]
    assert {(r.record_type, r.record_id) for r in missing} == {("message", "2000337749000001")}
    assert len(missing) == 2  # once as a thread root, once as a reply parent


def test_validate_verify_and_stats_agree(archive):
    assert_sound(archive, COUNTS)


def test_french_text_is_searchable_as_written(archive):
    texts = [m.text for m in Archive(archive).messages()]
    assert sum("Sécurité" in t for t in texts) == 4
    assert sum("réunion" in t for t in texts) == 7
    announcement = next(m for m in Archive(archive).messages("8401921") if m.kind == "announcement")
    assert announcement.title == "Réunion générale du 12 mars"
    assert "Merci à @Bob Jones pour l'organisation ; l'équipe @Sécurité & Conformité présentera" \
        in announcement.text


def test_the_zipped_sample_exports_the_same_through_the_command_line(tmp_path):
    assert_zip_exports_the_same("yammer", FIXTURE, tmp_path, COUNTS, REPORT)


def test_bad_input_exits_2_with_file_line_and_column_and_leaves_nothing(yammer, tmp_path):
    yammer.messages(message("1"), header=["thread_id", "sender_id", "body", "created_at"])
    result = cli("export", "yammer", yammer.folder, "-o", tmp_path / "archive")
    assert result.exit_code == 2
    assert "Messages.csv, line 1, column 'id': required column 'id' is missing" in result.output
    assert not any(p.name.startswith(".archive") or p.name == "archive" for p in tmp_path.iterdir())

