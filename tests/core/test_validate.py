"""validate: schema and referential integrity, with known gaps accepted only when reported."""

import json

from rsemigrate.archive.reader import Archive
from rsemigrate.archive.records import ReportEntry
from rsemigrate.archive.validate import validate
from rsemigrate.testing import archive_from_records

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


def test_each_missing_thread_root_and_reply_target_is_reported_once_with_its_count(tmp_path):
    """Replies to their thread's root are looked up through the root (most replies are), the
    others one by one: the counts are the same either way."""
    records = sample_records() + [
        message("t", at="2020-02-01T00:00:00Z"),
        message("r1", thread="gone", reply_to="gone", at="2020-02-01T00:01:00Z"),
        message("r2", thread="gone", reply_to="gone", at="2020-02-01T00:02:00Z"),
        message("r3", thread="gone", reply_to="r1", at="2020-02-01T00:03:00Z"),
        message("r4", thread="t", reply_to="lost", at="2020-02-01T00:04:00Z"),
        message("r5", thread="t", reply_to="t", at="2020-02-01T00:05:00Z"),
    ]
    path = archive_from_records(tmp_path, records).path
    missing = sorted(r.reason for r in Archive(path).report() if r.action == "missing")
    assert missing == [
        "message gone is answered by 2 exported message(s) but is not in the export itself; the "
        "replies are kept",
        "message gone is the root of a thread whose 3 message(s) were exported without it (outside the "
        "export window?); they are kept",
        "message lost is answered by 1 exported message(s) but is not in the export itself; the "
        "replies are kept",
    ]
    assert problems(path) == []


def rewrite_line(path, relpath, lineno, change):
    file = path / "data" / relpath
    lines = file.read_text().splitlines()
    record = json.loads(lines[lineno - 1])
    change(record)
    lines[lineno - 1] = json.dumps(record)
    file.write_text("\n".join(lines) + "\n")
    respan(path)


def respan(path):
    """Re-measure the index's byte offsets after a message file was edited (its lines keep
    their spans), so that a test sees the problem it made and not a length mismatch too."""
    index = path / "data/message_index.jsonl"
    spans = [json.loads(line) for line in index.read_text().splitlines()]
    for span in spans:
        lines = (path / "data" / span["file"]).read_bytes().splitlines(keepends=True)
        span["offset"] = sum(map(len, lines[:span["first_line"] - 1]))
        span["length"] = sum(map(len, lines[span["first_line"] - 1:span["first_line"] - 1 + span["count"]]))
    index.write_text("".join(json.dumps(span) + "\n" for span in spans))


def test_a_dangling_reference_not_in_the_report_is_a_problem(archive):
    rewrite_line(archive, "messages/00001.jsonl", 2, lambda r: r.update(reply_to_id="nowhere"))
    assert problems(archive) == [
        "data/messages/00001.jsonl line 2: message m2: reply parent nowhere is not in the archive "
        "and not reported as known missing"]


def test_unknown_author_attachment_and_channel_are_problems(archive):
    rewrite_line(
        archive, "messages/00001.jsonl", 1, lambda r: r.update(author_id="ghost", attachment_ids=["x"])
    )
    rewrite_line(archive, "messages/00001.jsonl", 4, lambda r: r.update(channel_id="elsewhere"))
    found = problems(archive)
    assert any("author ghost" in p for p in found)
    assert any("attachment x" in p for p in found)
    assert any("belongs to channel elsewhere" in p for p in found)
    assert any("channel elsewhere is not in the archive" in p for p in found)


def test_a_record_that_breaks_the_schema_names_file_line_and_field(archive):
    rewrite_line(archive, "users.jsonl", 2, lambda r: r.update(state="on holiday"))
    rewrite_line(archive, "messages/00001.jsonl", 3, lambda r: r["created_at"].update(utc="yesterday"))
    found = problems(archive)
    assert any(p.startswith("data/users.jsonl line 2: state:") for p in found)
    assert any(p.startswith("data/messages/00001.jsonl line 3: created_at.utc:") for p in found)


def test_out_of_order_messages_and_wrong_counts_are_problems(archive):
    file = archive / "data/messages/00001.jsonl"
    lines = file.read_text().splitlines()
    file.write_text("\n".join([lines[1], lines[0], *lines[2:]]) + "\n")
    respan(archive)
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
    (archive / "data/messages/00002.jsonl").write_text("")
    assert problems(archive) == [
        "data/messages/00002.jsonl: message file that data/message_index.jsonl does not list"]


def edit_index(path, change):
    index = path / "data/message_index.jsonl"
    spans = [json.loads(line) for line in index.read_text().splitlines()]
    change(spans)
    index.write_text("".join(json.dumps(span) + "\n" for span in spans))


def test_spans_must_tile_their_file(archive):
    """Every byte of a message file belongs to exactly one channel's span."""
    def overlap(spans):
        spans[1]["offset"] -= 10
        spans[1]["length"] += 10

    edit_index(archive, overlap)
    found = problems(archive)
    assert any(p.startswith("data/messages/00001.jsonl: channel dm-1's span starts at byte ")
               and p.endswith(", line 4") for p in found)
    assert any("channel dm-1's span is 1 lines" in p and "the file holds 2 lines" in p for p in found)


def test_a_span_must_hold_what_it_says(archive):
    edit_index(archive, lambda spans: spans[0].update(count=2))
    found = problems(archive)
    assert any("channel g1's span is 2 lines" in p and "the file holds 3 lines" in p for p in found)
    assert any("channel dm-1's span starts at byte" in p and "ends at byte" in p and p.endswith("line 3")
               for p in found)


def test_index_entries_of_no_channel_twice_or_of_no_file_are_problems(archive):
    def damage(spans):
        spans.append({**spans[0], "channel_id": "ghost"})
        spans.append(dict(spans[0]))
        spans[1]["file"] = "messages/00009.jsonl"

    edit_index(archive, damage)
    found = problems(archive)
    assert (
        "data/message_index.jsonl line 3: span of channel ghost, which is neither in data/channels.jsonl nor "
        "reported missing"
        in found
    )
    assert "data/message_index.jsonl line 4: channel g1 has a second span" in found
    assert "data/message_index.jsonl: lists data/messages/00009.jsonl, which does not exist" in found
    assert any(
        p.startswith("data/messages/00001.jsonl:") and "spans" in p and "end at byte" in p for p in found
    )


def test_reported_missing_author_is_accepted(tmp_path):
    records = sample_records() + [message("x", author="u-gone"),
                                  ReportEntry("missing", "user", "u-gone", "not exported")]
    assert problems(archive_from_records(tmp_path, records).path) == []
