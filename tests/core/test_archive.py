"""The archive writer: a BagIt bag that independent tools accept, sealed only when complete."""

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import bagit
import jsonschema
import pytest

from rsemigrate.archive import bag
from rsemigrate.archive.reader import Archive
from rsemigrate.archive.records import Channel, MessageSpan
from rsemigrate.archive.schema import schemas
from rsemigrate.archive.validate import validate
from rsemigrate.errors import ArchiveError, InputError, RsemigrateError
from rsemigrate.export import exporter
from rsemigrate.export.spool import Spool
from rsemigrate.testing import archive_from_records, run_cli

from .samples import message, sample_records


def test_bag_is_valid_for_the_bagit_package(archive):
    b = bagit.Bag(str(archive))
    b.validate()  # raises on any problem, including the tag manifest
    assert set(b.algorithms) == {"sha256"}
    assert "data/report.jsonl" in b.payload_entries()


def test_every_record_validates_against_the_published_schema(archive):
    docs = schemas()
    checked = 0
    for relpath, name in [
        ("users.jsonl", "user"),
        ("groups.jsonl", "group"),
        ("channels.jsonl", "channel"),
        ("attachments.jsonl", "attachment"),
        ("report.jsonl", "report"),
        ("message_index.jsonl", "message_span"),
    ] + [(f"messages/{p.name}", "message") for p in (archive / "data/messages").iterdir()]:
        validator = jsonschema.Draft202012Validator(docs[f"{name}.schema.json"])
        for line in (archive / "data" / relpath).read_text().splitlines():
            validator.validate(json.loads(line))
            checked += 1
    jsonschema.Draft202012Validator(docs["archive.schema.json"]).validate(
        json.loads((archive / "archive.json").read_text()))
    assert checked == 2 + 1 + 2 + 3 + 1 + 2 + 4


def test_schema_rejects_a_record_with_an_unknown_field():
    validator = jsonschema.Draft202012Validator(schemas()["group.schema.json"])
    with pytest.raises(jsonschema.ValidationError):
        validator.validate({"id": "g", "name": "n", "description": None, "private": False, "deleted": False,
                            "external": False, "created_at": None, "updated_at": None, "source": {},
                            "colour": "red"})


def test_identical_files_are_stored_once(archive):
    stored = [p for p in (archive / "data/files").rglob("*") if p.is_file()]
    assert len(stored) == 1
    atts = {a.id: a for a in Archive(archive).attachments()}
    assert atts["file:1"].sha256 == atts["file:2"].sha256 == stored[0].name
    assert atts["file:3"].status == "missing" and atts["file:3"].sha256 is None


def test_messages_are_grouped_by_channel_in_time_order(tmp_path):
    records = sample_records()[:6] + [
        message("late", at="2021-01-01T00:00:00Z"),
        message("early", at="2019-01-01T00:00:00Z"),
        message("tie-b", at="2020-01-01T00:00:00Z"),
        message("tie-a", at="2020-01-01T00:00:00+00:00"),
    ]
    path = archive_from_records(tmp_path, records).path
    assert [m.id for m in Archive(path).messages("g1")] == ["early", "tie-a", "tie-b", "late"]


def test_header_counts_and_provenance(archive):
    header = Archive(archive).header
    c = header.counts
    assert (c.users, c.groups, c.channels, c.messages, c.threads) == (2, 1, 2, 4, 2)
    assert (c.deleted_messages, c.private_messages, c.attachments, c.missing_files) == (1, 1, 3, 1)
    assert c.report == {"skipped": 1}
    assert header.window.first == "2020-01-01T10:00:00Z" and header.window.last == "2020-01-03T08:00:00Z"
    [event] = header.events
    assert event.action == "export" and event.input_sha256 == header.source.input_sha256
    assert header.source.network_name == "Sample"


def test_verify_names_changed_missing_and_extra_files(archive):
    assert bag.verify(archive) == []
    (archive / "data/users.jsonl").write_text("tampered\n")
    (archive / "data/groups.jsonl").unlink()
    (archive / "data/smuggled.txt").write_text("x")
    found = {(f.kind, f.path) for f in bag.verify(archive)}
    assert ("changed", "data/users.jsonl") in found
    assert ("missing", "data/groups.jsonl") in found
    assert ("extra", "data/smuggled.txt") in found
    assert any(kind == "oxum" for kind, _ in found)


def test_verify_names_anything_extra_at_the_top_of_the_bag(archive):
    """Top-level files sit outside `data/`, so the payload manifest never saw them."""
    (archive / "notes.txt").write_text("smuggled")
    (archive / "fetch.txt").write_text("https://example.com/x 10 data/x\n")  # BagIt's fetch, unsigned
    (archive / "extra-folder").mkdir()
    found = [(f.kind, f.path) for f in bag.verify(archive)]
    assert found == [("extra", "extra-folder"), ("extra", "fetch.txt"), ("extra", "notes.txt")]
    result = run_cli("verify", archive)
    assert result.exit_code == 1
    assert "extra: notes.txt: at the top of the bag but in no manifest" in result.output


def test_verify_detects_an_edited_header(archive):
    text = (archive / "archive.json").read_text().replace('"Sample"', '"Other"')
    (archive / "archive.json").write_text(text)
    assert [(f.kind, f.path) for f in bag.verify(archive)] == [("changed", "archive.json")]


def test_existing_output_is_refused(tmp_path):
    (tmp_path / "archive").mkdir()
    with pytest.raises(ArchiveError, match="already exists"):
        archive_from_records(tmp_path, sample_records())


def test_an_interrupted_export_leaves_nothing_that_looks_like_an_archive(tmp_path):
    def records():
        yield from sample_records()[:5]
        raise KeyboardInterrupt  # Ctrl-C in the middle of reading

    with pytest.raises(KeyboardInterrupt):
        archive_from_records(tmp_path, records())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["archive-source"]
    with pytest.raises(ArchiveError, match="not a finished"):
        Archive(tmp_path / "archive")


def test_a_killed_export_leaves_only_a_partial_folder(tmp_path):
    """kill -9 cannot run cleanup: what is left must not pass for an archive."""
    script = textwrap.dedent(f"""
        import os, signal, sys
        sys.path.insert(0, {str(Path(__file__).parents[2])!r})
        from tests.core.samples import sample_records
        from rsemigrate.testing import archive_from_records, run_cli
        MAIN = os.getpid()
        def records():
            yield from sample_records()
            os.kill(MAIN, signal.SIGKILL)  # the export process itself, wherever the reader runs
            yield from []
        archive_from_records(__import__('pathlib').Path({str(tmp_path)!r}), records())
    """)
    proc = subprocess.run([sys.executable, "-c", script], timeout=60)
    assert proc.returncode == -9
    # The lock file stays too, but nobody holds it: it blocks no later run (see test_export_crash.py).
    leftovers = [p.name for p in tmp_path.iterdir() if p.name not in ("archive-source", ".archive.lock")]
    assert len(leftovers) == 1 and leftovers[0].startswith(".archive.partial-")
    assert not (tmp_path / leftovers[0] / "bagit.txt").exists()
    assert not (tmp_path / "archive").exists()


def test_a_reader_that_dies_is_an_error_and_leaves_nothing(tmp_path):
    def records():
        yield from sample_records()
        os.kill(os.getpid(), signal.SIGKILL)  # the reader process, killed mid-export
        yield from []

    with pytest.raises(RsemigrateError, match="worker process stopped unexpectedly"):
        archive_from_records(tmp_path, records())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["archive-source"]


def test_an_error_in_the_reader_arrives_as_itself(tmp_path):
    def records():
        yield from sample_records()[:3]
        raise InputError("bad cell", file="Messages.csv", line=7, column="body")

    with pytest.raises(InputError, match="Messages.csv, line 7, column 'body': bad cell"):
        archive_from_records(tmp_path, records())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["archive-source"]


def _spans_tile_their_files(path: Path) -> list[MessageSpan]:
    """The index's spans, after checking that they cover every message file byte for byte."""
    spans = list(Archive(path).spans())
    for file in {span.file for span in spans}:
        mine = sorted((s for s in spans if s.file == file), key=lambda s: s.offset)
        ends = [0] + [s.offset + s.length for s in mine]
        assert [s.offset for s in mine] == ends[:-1] and ends[-1] == (path / "data" / file).stat().st_size
    return spans


@pytest.mark.parametrize("workers", [1, 2])
def test_channels_are_packed_whole_into_numbered_message_files(tmp_path, monkeypatch, workers):
    """Thousands of conversations must not mean thousands of files: channels share message files,
    each channel contiguous, and a file is closed once it passes MESSAGE_FILE_SIZE. With two
    writers, the worker's channels (twice as long here) make more files: the names still run 1, 2…"""
    monkeypatch.setattr(exporter, "MESSAGE_FILE_SIZE", 2_000)
    monkeypatch.setattr(exporter, "_PARALLEL_FROM", 1 if workers == 2 else 10**9)
    channels = [Channel(f"dm-{n}", "direct", f"DM {n}", private=True) for n in range(40)]
    lengths = {n: 6 if n % exporter._MODULUS in exporter._THEIRS else 3 for n in range(40)}
    messages = [message(f"m{n}-{i}", channel=f"dm-{n}", at=f"2020-01-01T10:0{i}:00Z")
                for i in range(6) for n in range(40) if i < lengths[n]]
    path = archive_from_records(tmp_path, [*sample_records()[:6], *channels, *messages]).path

    files = sorted(p.name for p in (path / "data/messages").iterdir())
    assert 4 < len(files) < 40 and files == [f"{n:05d}.jsonl" for n in range(1, len(files) + 1)]
    spans = _spans_tile_their_files(path)
    assert {s.channel_id: s.count for s in spans} == {f"dm-{n}": lengths[n] for n in range(40)}
    archive = Archive(path)
    for n in (0, 17, 39):
        assert [m.id for m in archive.messages(f"dm-{n}")] == [f"m{n}-{i}" for i in range(lengths[n])]
        assert archive.message_count(f"dm-{n}") == lengths[n]
    assert sum(1 for _ in archive.messages()) == sum(lengths.values())
    assert list(validate(archive)) == []
    assert bag.verify(path) == []


def test_a_span_cannot_point_outside_the_message_files(archive):
    index = archive / "data/message_index.jsonl"
    span = json.loads(index.read_text().splitlines()[0])
    index.write_text(json.dumps({**span, "file": "../../archive.json"}) + "\n")
    with pytest.raises(ArchiveError, match="data/message_index.jsonl line 1: file: String should match"):
        list(Archive(archive).messages())


def test_reader_refuses_another_major_format_version(archive):
    header = json.loads((archive / "archive.json").read_text())
    header["format_version"] = "2.0"
    (archive / "archive.json").write_text(json.dumps(header))
    with pytest.raises(ArchiveError, match="format version 2.0"):
        Archive(archive)


@pytest.mark.parametrize("workers", [1, 2])
def test_dangling_authors_and_channels_are_reported_with_their_counts(tmp_path, monkeypatch, workers):
    """An author or channel missing from the export is reported once, with how many messages
    refer to it; a copy that de-duplication discarded does not count. The checks run in a thread
    beside the message writers, one of them a forked process with two workers."""
    monkeypatch.setattr(exporter, "_PARALLEL_FROM", 1 if workers == 2 else 10**9)
    records = [*sample_records(),
               message("x1", author="u-gone"), message("x2", author="u-gone", at="2020-01-02T00:00:00Z"),
               message("y1", channel="c-gone"),
               message("d2", channel="dm-1", author="u-stale"),  # replaced below by a copy by u1
               message("d2", channel="dm-1", author="u1")]
    path = archive_from_records(tmp_path, records).path
    archive = Archive(path)
    report = {(r.action, r.record_type, r.record_id): r.reason for r in archive.report()}
    assert (
        report[("missing", "user", "u-gone")]
        == "user u-gone wrote 2 message(s) but is not in the export's users"
    )
    assert report[("missing", "channel", "c-gone")] == ("channel c-gone holds 1 message(s) but is not in "
                                                        "the export's channels")
    assert ("missing", "user", "u-stale") not in report
    assert report[("duplicate", "message", "d2")] == "exported 2 times; the last copy was kept"
    counts = archive.header.counts
    assert (counts.messages, counts.private_messages) == (4 + 3 + 1, 2)
    assert [str(p) for p in validate(archive)] == []


def test_a_failure_here_ends_the_reader_process_at_once(tmp_path, monkeypatch):
    """The reader must not outlive a failure of the export: it would go on writing into the
    staging folder being removed, and could bring parts of it back."""
    def endless():
        yield from sample_records()
        n = 0
        while True:
            n += 1
            yield message(f"m-{n}")

    def failing_add(self, items):
        raise OSError("disk full")

    monkeypatch.setattr(Spool, "add_all", failing_add)
    try:
        archive_from_records(tmp_path, endless())
    except OSError as exc:  # checked while the failure is in flight, before anything is collected
        assert str(exc) == "disk full"
        assert multiprocessing.active_children() == []
    else:
        pytest.fail("the export did not fail")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["archive-source"]


def test_an_archive_without_its_message_index_is_refused(archive):
    """Without the index its messages would silently seem absent."""
    (archive / "data/message_index.jsonl").unlink()
    with pytest.raises(ArchiveError, match="no data/message_index.jsonl, so its messages cannot be found"):
        Archive(archive)


def test_each_payload_file_starts_its_way_to_disk_once_written(tmp_path, monkeypatch):
    """The seal syncs before its rename; each payload file, once closed, is already on its way to
    disk (Linux: fadvise DONTNEED starts the writeback), so the seal's sync has little left."""
    if not hasattr(os, "posix_fadvise"):
        pytest.skip("no posix_fadvise here: the writeback starts at the seal")
    asked = []
    monkeypatch.setattr(os, "posix_fadvise", lambda fd, offset, length, advice: asked.append(
        (os.readlink(f"/proc/self/fd/{fd}"), advice)))
    path = archive_from_records(tmp_path, sample_records()).path
    started = {name.split("/data/", 1)[1] for name, advice in asked
               if advice == os.POSIX_FADV_DONTNEED and "/data/" in name}  # under the staging folder
    payload = {p.relative_to(path / "data").as_posix() for p in (path / "data").rglob("*.jsonl")}
    assert "messages/00001.jsonl" in payload and started >= payload
