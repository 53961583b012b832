"""The bundled Workplace sample (fixtures/workplace, in the collector's layout; see its README) end
to end: export, validate, verify, stats, the zip, bad input. Numbers counted by hand from the files."""

import json
import zipfile
from dataclasses import asdict
from pathlib import Path

import pytest
from click.testing import CliRunner

from connectors.workplace import connector
from rsemigrate.archive.reader import Archive
from rsemigrate.cli import main
from rsemigrate.errors import InputError, UnsafeInputError
from rsemigrate.export.exporter import run_export

from .conftest import assert_sound, assert_zip_exports_the_same, workplace_collection

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "workplace"
COUNTS = {"users": 7, "groups": 5, "channels": 5, "threads": 8, "messages": 14, "deleted_messages": 0,
          "private_messages": 0, "attachments": 8, "missing_files": 2}
#: degraded: the two media files not saved, the non-member author rebuilt, the post without `from`.
REPORT = {"degraded": 4, "quarantined": 2, "skipped": 1}


def cli(*args: object, **env: str):
    return CliRunner().invoke(main, [str(a) for a in args], env=env or None)


def zipped(folder: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, f"globex-2024-05-02/{path.relative_to(folder).as_posix()}")
    return target


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return run_export(connector, FIXTURE, tmp_path_factory.mktemp("workplace") / "archive").path


def test_the_sample_collection_has_the_counted_numbers(archive):
    header = Archive(archive).header
    assert {**asdict(header.counts), "report": None} == {**COUNTS, "report": None}
    assert header.counts.report == REPORT
    assert (header.source.network_id, header.source.network_name) == (
        "10000000000000001",
        "Globex Corporation",
    )
    assert (header.window.first, header.window.last) == ("2023-01-10T09:00:00Z", "2023-06-02T08:00:00Z")


def test_nothing_lost_every_saved_post_and_comment_is_in_the_archive_or_the_report(archive):
    saved = sum(len(json.loads(p.read_text())["data"]) for folder in ("feed", "comments")
                for p in FIXTURE.glob(f"groups/*/{folder}/**/page-*.json"))
    opened = Archive(archive)
    quarantined = [r for r in opened.report() if r.action == "quarantined" and r.record_type == "message"]
    assert saved == 15
    assert sum(1 for _ in opened.messages()) + len(quarantined) == saved


def test_validate_verify_and_stats_agree(archive):
    assert_sound(archive, COUNTS)


def test_the_zipped_sample_exports_the_same_through_the_command_line(tmp_path):
    assert_zip_exports_the_same("workplace", FIXTURE, tmp_path, COUNTS, REPORT)


def test_a_folder_that_is_no_collection_is_a_clear_error(tmp_path):
    (tmp_path / "export" / "groups").mkdir(parents=True)
    result = cli("export", "workplace", tmp_path / "export", "-o", tmp_path / "archive")
    assert result.exit_code == 2 and "no community.json found" in result.output
    assert not (tmp_path / "archive").exists()


def test_a_malformed_page_names_file_line_and_column(tmp_path):
    export = workplace_collection(tmp_path / "export")
    (export / "groups" / "1" / "feed").mkdir(parents=True)
    (export / "groups" / "1" / "feed" / "page-0001.json").write_text('{"data": [\n  {"id": "1_2",}\n]}')
    result = cli("export", "workplace", export, "-o", tmp_path / "archive")
    assert result.exit_code == 2
    assert "groups/1/feed/page-0001.json, line 2: malformed JSON at column" in result.output
    assert [p.name for p in tmp_path.iterdir()] == ["export"]


def test_a_page_that_is_not_a_graph_page_is_a_clear_error(tmp_path):
    export = workplace_collection(tmp_path / "export")
    (export / "members" / "page-0001.json").write_text('[{"id": "1"}]')
    with pytest.raises(InputError, match=r"members/page-0001.json, line 1: expected a Graph API page"):
        run_export(connector, export, tmp_path / "archive")


def test_a_time_in_an_unknown_form_is_quarantined_or_with_strict_stops_naming_the_file(tmp_path):
    export = workplace_collection(tmp_path / "export")
    (export / "groups" / "1" / "feed").mkdir(parents=True)
    (export / "groups" / "1" / "feed" / "page-0001.json").write_text(
        '{"data": [{"id": "1_2", "created_time": "yesterday"},'
        ' {"id": "1_3", "created_time": "2024-01-01T10:00:00+0000"}]}')
    info = run_export(connector, export, tmp_path / "archive")
    assert info.counts.messages == 1 and info.counts.report["quarantined"] == 1
    with pytest.raises(InputError, match=r"groups/1/feed/page-0001.json record 1: unrecognised timestamp"):
        run_export(connector, export, tmp_path / "strict", strict=True)


def test_a_hostile_zip_is_refused_before_anything_is_written(tmp_path):
    with zipfile.ZipFile(tmp_path / "evil.zip", "w") as zf:
        zf.writestr("community.json", "{}")
        zf.writestr("/etc/evil.json", "{}")
    with pytest.raises(UnsafeInputError):
        run_export(connector, tmp_path / "evil.zip", tmp_path / "archive")
    assert not (tmp_path / "archive").exists()
