"""validate: schema and referential integrity, with known gaps accepted only when reported."""

import json

from rsemigrate.archive import Archive
from rsemigrate.records import ReportEntry
from rsemigrate.testing import archive_from_records
from rsemigrate.validate import validate

from .samples import message, sample_records


def problems(path):
    return [str(p) for p in validate(Archive(path))]


def test_a_sound_archive_has_no_problems(archive):
    assert problems(archive) == []


def test_orphan_reply_is_accepted_because_the_export_reported_its_root_missing(tmp_path):
    records = sample_records() + [message("r1", thread="gone", reply_to="gone", at="2020-02-01T00:00:00Z")]
    path = archive_from_records(tmp_path, records).path
    missing = [r for r in Archive(path).report() if r.action == "missing"]
    assert {(r.record_type, r.record_id) for r in missing} == {("message", "gone")}
    assert problems(path) == []


def rewrite_line(path, relpath, lineno, change):
    file = path / "data" / relpath
    lines = file.read_text().splitlines()
    record = json.loads(lines[lineno - 1])
    change(record)
    lines[lineno - 1] = json.dumps(record)
    file.write_text("\n".join(lines) + "\n")


def test_a_dangling_reference_not_in_the_report_is_a_problem(archive):
    rewrite_line(archive, "messages/g1.jsonl", 2, lambda r: r.update(reply_to_id="nowhere"))
    assert problems(archive) == [
        "data/messages/g1.jsonl line 2: message m2: reply parent nowhere is not in the archive "
        "and not reported as known missing"]


def test_unknown_author_attachment_and_channel_are_problems(archive):
    rewrite_line(archive, "messages/g1.jsonl", 1, lambda r: r.update(author_id="ghost", attachment_ids=["x"]))
    rewrite_line(archive, "messages/dm-1.jsonl", 1, lambda r: r.update(channel_id="elsewhere"))
    found = problems(archive)
    assert any("author ghost" in p for p in found)
    assert any("attachment x" in p for p in found)
    assert any("belongs to channel elsewhere" in p for p in found)
    assert any("channel elsewhere is not in the archive" in p for p in found)


def test_a_record_that_breaks_the_schema_names_file_line_and_field(archive):
    rewrite_line(archive, "users.jsonl", 2, lambda r: r.update(state="on holiday"))
    rewrite_line(archive, "messages/g1.jsonl", 3, lambda r: r["created_at"].update(utc="yesterday"))
    found = problems(archive)
    assert any(p.startswith("data/users.jsonl line 2: state:") for p in found)
    assert any(p.startswith("data/messages/g1.jsonl line 3: created_at.utc:") for p in found)


def test_out_of_order_messages_and_wrong_counts_are_problems(archive):
    file = archive / "data/messages/g1.jsonl"
    lines = file.read_text().splitlines()
    file.write_text("\n".join([lines[1], lines[0], lines[2]]) + "\n")
    header = json.loads((archive / "archive.json").read_text())
    header["counts"]["messages"] = 99
    (archive / "archive.json").write_text(json.dumps(header))
    found = problems(archive)
    assert any("older than the line before it" in p for p in found)
    assert "archive.json: counts.messages is 99 but the payload holds 4" in found


def test_present_attachment_without_stored_content_is_a_problem(archive):
    for f in (archive / "data/files").rglob("*"):
        if f.is_file():
            f.unlink()
    assert any("is 'present' but its content" in p for p in problems(archive))


def test_a_stray_message_file_is_a_problem(archive):
    (archive / "data/messages/nobody.jsonl").write_text("")
    assert "data/messages/nobody.jsonl: message file of no channel in data/channels.jsonl" in problems(archive)


def test_reported_missing_author_is_accepted(tmp_path):
    records = sample_records() + [message("x", author="u-gone"),
                                  ReportEntry("missing", "user", "u-gone", "not exported")]
    assert problems(archive_from_records(tmp_path, records).path) == []
