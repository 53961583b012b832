"""The bundled Teams collection (fixtures/teams, as `collect teams` saves it; see its README) end to
end: export, validate, verify, stats, the zip, nothing lost. Numbers counted by hand from the files."""

import json
import shutil
import zipfile
from dataclasses import asdict
from pathlib import Path

import pytest

from connectors.teams import connector
from rsemigrate.archive.reader import Archive
from rsemigrate.errors import InputError
from rsemigrate.export.exporter import run_export

from .conftest import assert_sound, assert_zip_exports_the_same

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "teams"
TENANT = "4b7e2a91-3c5d-4e6f-8a9b-0c1d2e3f4a5b"
#: 6 people + Release Bot + teams:system; 2 teams; 5 channels + 3 chats; 14 + 5 + 2 + 3 channel messages
#: and 9 chat messages; deleted: G6, M7 (R4's emptied body is no deletion); 8 attachments, HC2 missing.
COUNTS = {"users": 8, "groups": 2, "channels": 8, "threads": 24, "messages": 33, "deleted_messages": 2,
          "private_messages": 9, "attachments": 8, "missing_files": 1}
#: degraded: Erin rebuilt, R4's empty body, HC2 refused, Salaries refused, Old roadmap gone;
#: quarantined: the membership without userId and the message without id; skipped: Partners' messages.
REPORT = {"degraded": 5, "quarantined": 2, "skipped": 1}


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return run_export(connector, FIXTURE, tmp_path_factory.mktemp("teams") / "archive").path


def zipped(folder: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, f"contoso-2024-06/{path.relative_to(folder).as_posix()}")
    return target


def saved_messages(folder: Path) -> int:
    """Every message item the collection holds: roots, their replies (the /replies pages where saved,
    else the expansion), chat messages."""
    total = 0
    for page in folder.glob("**/messages/page-*.json"):
        for item in json.loads(page.read_text())["value"]:
            total += 1
            replies = page.parent.parent / "replies" / str(item.get("id"))
            if replies.is_dir():
                total += sum(len(json.loads(p.read_text())["value"]) for p in replies.glob("page-*.json"))
            else:
                total += len(item.get("replies") or [])
    return total


def test_the_sample_collection_has_the_counted_numbers(archive):
    header = Archive(archive).header
    assert {**asdict(header.counts), "report": None} == {**COUNTS, "report": None}
    assert header.counts.report == REPORT
    assert (header.source.platform, header.source.network_id, header.source.network_name) == (
        "teams",
        TENANT,
        None,
    )
    assert (header.window.first, header.window.last) == ("2024-03-01T08:00:00Z", "2024-05-02T09:30:00Z")


def test_nothing_lost_every_saved_message_is_in_the_archive_or_the_report(archive):
    opened = Archive(archive)
    quarantined = [r for r in opened.report() if r.action == "quarantined" and r.record_type == "message"]
    assert saved_messages(FIXTURE) == 34
    assert sum(1 for _ in opened.messages()) + len(quarantined) == 34


def test_validate_verify_and_stats_agree(archive):
    assert_sound(archive, COUNTS)


def test_the_zipped_sample_exports_the_same_through_the_command_line(tmp_path):
    assert_zip_exports_the_same("teams", FIXTURE, tmp_path, COUNTS, REPORT)


def test_stored_files_are_the_saved_bytes(archive):
    opened = Archive(archive)
    spec = next(a for a in opened.attachments() if a.name == "Design spec.docx")
    saved = FIXTURE / "files" / "3f2504e0-4f89-41d3-9a0c-0305e82c3301.bin"
    assert opened.file_path(spec.sha256).read_bytes() == saved.read_bytes()


def test_an_unfinished_collection_is_refused(tmp_path):
    folder = shutil.copytree(FIXTURE, tmp_path / "collection")
    state = json.loads((folder / "collect.json").read_text())
    (folder / "collect.json").write_text(json.dumps({**state, "finished_at": None}))
    with pytest.raises(InputError, match=r"collect.json: the collection is not finished.*run the same"):
        run_export(connector, folder, tmp_path / "archive")
    assert not (tmp_path / "archive").exists()
