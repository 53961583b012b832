"""Exports built to make a reader lose or mix up content silently (issue 18): case twins, two
binaries claiming one file, values that overflow. Each is refused with one line naming the
entry, or read with every candidate kept or reported; the bytes stored are the named file's."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from rsemigrate.archive import Archive

from .conftest import cli, message, slack_export, write_json, zipped


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_a_case_only_twin_of_messages_csv_is_refused_naming_both(yammer, tmp_path):
    """The twin holding only a header used to win: an archive of 0 of the messages, exit 0."""
    yammer.messages(message("1"), message("2"))
    source = zipped(yammer.folder, tmp_path / "export.zip", [("MESSAGES.CSV", b'"id","body"\r\n')])
    result = cli("export", "yammer", source, "-o", tmp_path / "archive")
    assert result.exit_code == 2, result.output
    assert "'Messages.csv' and 'MESSAGES.CSV' differ only in case" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "archive").exists()
    assert not [p for p in tmp_path.iterdir() if ".partial-" in p.name]


def test_yammer_binaries_claiming_one_file_id_are_kept_or_reported(yammer, tmp_path):
    (yammer.folder / "Files").mkdir(parents=True)
    pdf, png = b"%PDF-1.4 the plan", b"\x89PNG the picture"
    (yammer.folder / "Files" / "999.pdf").write_bytes(pdf)
    (yammer.folder / "Files" / "999.png").write_bytes(png)
    yammer.csv("Files.csv", [{"file_id": "999", "name": "plan.png"}])
    yammer.messages(message("1", attachments="uploadedfile:999"))
    result = cli("export", "yammer", yammer.folder, "-o", tmp_path / "archive", "--json")
    assert result.exit_code == 0, result.output
    archive = Archive(tmp_path / "archive")
    (attachment,) = archive.attachments()
    assert (attachment.name, attachment.sha256) == ("plan.png", sha(png))  # the extension of its name
    (twin,) = [e for e in archive.report() if e.action == "duplicate"]
    assert (twin.record_id, twin.location) == ("uploadedfile:999", "Files/999.pdf")
    assert "Files/999.png was stored" in twin.reason
    assert json.loads(result.output)["counts"]["report"] == {"duplicate": 1}


def test_slack_binary_stored_is_the_one_with_the_file_name(tmp_path):
    export = slack_export(tmp_path / "export")
    day = export / "general" / "2024-03-01.json"
    records = json.loads(day.read_text())
    records[0]["files"] = [{"id": "F0123ABCD", "name": "doc3.pdf", "mimetype": "application/pdf"}]
    write_json(export, {"general/2024-03-01.json": records})
    uploads = export / "__uploads" / "F0123ABCD"
    uploads.mkdir(parents=True)
    (uploads / "aaa.pdf").write_bytes(b"%PDF someone else's")  # sorts first: it used to be stored
    (uploads / "doc3.pdf").write_bytes(b"%PDF doc3")
    result = cli("export", "slack", export, "-o", tmp_path / "archive")
    assert result.exit_code == 0, result.output
    archive = Archive(tmp_path / "archive")
    (attachment,) = archive.attachments()
    assert (attachment.name, attachment.status) == ("doc3.pdf", "present")
    assert attachment.sha256 == sha(b"%PDF doc3")
    (skipped,) = [e for e in archive.report() if e.record_type == "file"]
    assert (skipped.action, skipped.location) == ("skipped", "__uploads/F0123ABCD/aaa.pdf")


def test_slack_binaries_none_of_which_has_the_name_are_all_reported(tmp_path):
    export = slack_export(tmp_path / "export")
    records = json.loads((export / "general" / "2024-03-01.json").read_text())
    records[0]["files"] = [{"id": "F0123ABCD", "name": "doc3.pdf"}]
    write_json(export, {"general/2024-03-01.json": records})
    uploads = export / "__uploads" / "F0123ABCD"
    uploads.mkdir(parents=True)
    for name in ("aaa.pdf", "bbb.pdf"):
        (uploads / name).write_bytes(name.encode())
    assert cli("export", "slack", export, "-o", tmp_path / "archive").exit_code == 0
    archive = Archive(tmp_path / "archive")
    assert [a.status for a in archive.attachments()] == ["external"]
    assert sorted(e.location for e in archive.report() if e.action == "skipped") == [
        "__uploads/F0123ABCD/aaa.pdf", "__uploads/F0123ABCD/bbb.pdf"]


def _slack_with(tmp_path: Path, **fields: object) -> Path:
    export = slack_export(tmp_path / "export")
    records = json.loads((export / "general" / "2024-03-01.json").read_text())
    records[0].update(fields)
    return write_json(export, {"general/2024-03-01.json": records})


@pytest.mark.parametrize("ts", ["999999999999.000100", "253402300800.0"])
def test_a_slack_ts_after_9999_is_quarantined_not_a_traceback(tmp_path, ts):
    result = cli("export", "slack", _slack_with(tmp_path, ts=ts), "-o", tmp_path / "archive", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["counts"]["report"] == {"quarantined": 1}
    (entry,) = Archive(tmp_path / "archive").report()
    assert entry.location == "general/2024-03-01.json record 1" and "after the year 9999" in entry.reason


def test_an_edit_time_after_9999_is_kept_as_it_was(tmp_path):
    edited = {"user": "U1", "ts": "999999999999.5"}
    result = cli("export", "slack", _slack_with(tmp_path, edited=edited), "-o", tmp_path / "archive")
    assert result.exit_code == 0, result.output
    (kept,) = Archive(tmp_path / "archive").messages()
    assert kept.edited_at is None and kept.source["edited"] == edited


@pytest.mark.parametrize("created", [1e300, "1e400", 99999999999999])
def test_a_channel_created_out_of_range_is_kept_as_it_was(tmp_path, created):
    export = slack_export(tmp_path / "export")
    channel = {"id": "C1", "name": "general", "members": ["U1"], "created": created}
    write_json(export, {"channels.json": [channel]})
    assert cli("export", "slack", export, "-o", tmp_path / "archive").exit_code == 0
    (channel,) = Archive(tmp_path / "archive").channels()
    assert channel.created_at is None and channel.source["created"] == created


def test_slack_json_nested_1000_deep_is_one_line_exit_2(tmp_path):
    export = slack_export(tmp_path / "export")
    (export / "general" / "2024-03-01.json").write_text("[" * 1000 + "]" * 1000)
    result = cli("export", "slack", export, "-o", tmp_path / "archive")
    assert result.exit_code == 2, result.output
    assert "general/2024-03-01.json" in result.output and "nested" in result.output
    assert result.output.count("\n") == 1


def test_a_slack_encoding_error_names_its_line(tmp_path):
    export = slack_export(tmp_path / "export")
    day = export / "general" / "2024-03-01.json"
    day.write_bytes(b'[\n  {"type": "message",\n   "text": "caf\xe9",\n   "ts": "1709283600.000100"}\n]')
    result = cli("export", "slack", export, "-o", tmp_path / "archive")
    assert result.exit_code == 2, result.output
    assert "general/2024-03-01.json, line 3:" in result.output


def test_a_runaway_quote_is_named_in_the_summary_with_the_rows_it_swallowed(tmp_path):
    """A quote left open joins the next 265 rows into one quarantined row: exit 0, so the summary
    must say so, with the lines it spans."""
    export = tmp_path / "export"
    export.mkdir()
    (export / "Users.csv").write_text("id,name\n1,Ann\n")
    lines = ["id,thread_id,group_id,sender_id,body,created_at\r\n", "1,1,10,1,hello,2019-03-04T10:00:00Z\r\n",
             '2,2,10,1,"oops,2019-03-04T10:00:00Z\r\n']
    lines += [f"{i},{i},10,1,fine,2019-03-04T10:00:00Z\r\n" for i in range(3, 268)]
    lines += ['268,268,10,1,"closing",2019-03-04T10:00:00Z,x\r\n',
              "269,269,10,1,after,2019-03-04T10:00:00Z\r\n"]
    (export / "Messages.csv").write_text("".join(lines), newline="")
    result = cli("export", "yammer", export, "-o", tmp_path / "archive")
    assert result.exit_code == 0, result.output
    assert "Quarantined, unreadable (1; each kept raw in the report):" in result.output
    assert ("Messages.csv line 3: unreadable row: 7 fields where the header has 6; it spans 267 physical "
            "lines (3-269): a quote left open probably joined several rows into this one") in result.output
    assert [m.id for m in Archive(tmp_path / "archive").messages()] == ["1", "269"]


def test_the_zip_bomb_caps_are_named_and_can_be_raised_on_the_command_line(tmp_path):
    export = slack_export(tmp_path / "export")
    bomb = [(f"__uploads/F0000000{i:02d}/zeros.bin", b"\0" * (1024 * 1024 - 1)) for i in range(70)]
    source = zipped(export, tmp_path / "export.zip", bomb)
    refused = cli("export", "slack", source, "-o", tmp_path / "refused")
    assert refused.exit_code == 2 and "cap 100x, --max-ratio): looks like a zip bomb" in refused.output
    small = cli("export", "slack", source, "-o", tmp_path / "small", "--max-unpacked", "0.01")
    assert small.exit_code == 2 and "more than 10.2 MiB (zip bomb cap --max-unpacked" in small.output
    trusted = cli("export", "slack", source, "-o", tmp_path / "trusted", "--max-ratio", "5000")
    assert trusted.exit_code == 0, trusted.output


def test_a_zip_needing_a_newer_zip_version_is_one_line_exit_2(tmp_path):
    """An entry claiming 'version needed to extract' 6.4 made zipfile raise NotImplementedError:
    a traceback (found by the input fuzz)."""
    source = zipped(slack_export(tmp_path / "export"), tmp_path / "export.zip", [])
    data = bytearray(source.read_bytes())
    central = data.rindex(b"PK\x01\x02")  # the last entry's central directory header
    data[central + 6:central + 8] = (64).to_bytes(2, "little")
    source.write_bytes(bytes(data))
    result = cli("export", "slack", source, "-o", tmp_path / "archive")
    assert result.exit_code == 2, result.output
    assert "export.zip: uses a zip feature this tool cannot read (zip file version 6.4)" in result.output
    assert result.output.count("\n") == 1 and not (tmp_path / "archive").exists()


def test_a_field_nested_too_deep_to_write_quarantines_its_message_alone(tmp_path):
    """300 levels read fine but orjson writes 254 at most: that crashed the export (traceback).
    Now the message is quarantined, whole, as the standard library writes it; the rest is kept."""
    export = slack_export(tmp_path / "export")
    deep = "[" * 300 + '"bottom"' + "]" * 300
    day = '[{"type": "message", "user": "U1", "text": "kept raw", "ts": "1709370000.000100", "x_new": DEEP}]'
    (export / "general" / "2024-03-02.json").write_text(day.replace("DEEP", deep))
    result = cli("export", "slack", export, "-o", tmp_path / "archive")
    assert result.exit_code == 0, result.output
    assert ("  message C1:1709370000.000100: unwritable message: Recursion limit reached (a field nested too "
            "deeply to write as JSON)") in result.output
    archive = Archive(tmp_path / "archive")
    [entry] = [e for e in archive.report() if e.action == "quarantined"]
    raw = json.loads(entry.raw)
    assert raw["text"] == "kept raw" and json.dumps(raw["source"]["x_new"]).count("[") == 300
    assert [m.text for m in archive.messages()] == ["hello"]
    strict = cli("export", "slack", export, "-o", tmp_path / "strict", "--strict")
    assert strict.exit_code == 2 and "unwritable message" in strict.output
