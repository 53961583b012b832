"""Messages.csv read a chunk at a time by worker processes gives exactly what one pass gives.

Each test reads the same export twice: in one chunk (one pass, in this process) and cut into
chunks of a few hundred bytes read by two forked workers (see connectors/yammer/messages.py), and
compares every record, in order. The exports hold what makes a row depend on the rows before it
(a sender or group missing from the directory, mentions of them, conversations spread over
chunks, attachments named twice) and what makes a cut fall inside a row (a stray quote, bodies
of many lines).
"""

from __future__ import annotations

import pytest

from connectors.yammer import messages, table
from rsemigrate.errors import InputError
from rsemigrate.export import parallel

from .conftest import MESSAGE_HEADER, YammerExport, cli, message, read_export

CHUNK_SIZES = [150, 700, 4000]


@pytest.fixture
def two_workers(monkeypatch):
    monkeypatch.setattr(parallel, "default_workers", lambda: 2)


def _network(yammer: YammerExport) -> YammerExport:
    yammer.csv("Users.csv", [{"id": str(u), "name": f"User {u}", "email": f"u{u}@example.com",
                              "state": "active"} for u in range(1, 6)])
    yammer.csv("Groups.csv", [{"id": "10", "name": "Ten", "private": "false"}])
    rows = []
    for n in range(1, 121):
        mid = str(1000 + n)
        cells: dict[str, str] = {"body": f"message {n} [[user:{1 + n % 5}]]"}
        if n % 4 == 0:  # private conversations, their rows far apart
            thread = str(1000 + (n % 12) + 4)
            cells |= {"thread_id": thread, "in_private_conversation": "true", "group_id": "",
                      "participants": f"user:{1 + n % 3},user:{2 + n % 4}"}
        if n % 7 == 0:
            cells["attachments"] = f"uploadedfile:{n % 3}, opengraphobject:[{n % 2} : https://x.test/{n % 2}]"
        if n % 9 == 0:
            cells["body"] = f'a body of\r\nseveral "quoted" lines\r\n{n}'
        rows.append(message(mid, **cells))
    # a sender absent from Users.csv, first seen in the middle, mentioned before and after
    rows[10]["body"] = "before: [[user:77]]"
    rows[60] |= {"sender_id": "77", "sender_name": "Late Comer"}
    rows[100]["body"] = "after: [[user:77]]"
    rows[30] |= {"group_id": "55", "group_name": "Not in Groups.csv"}  # then its group is known
    rows[90] |= {"group_id": "55", "group_name": "Another name"}
    rows[40]["thread_id"] = ""  # degraded: the root of its own thread
    rows[50]["created_at"] = "yesterday"  # quarantined
    rows[70]["attachments"] = "uploadedfile:1, not a token"  # degraded: kept in source
    rows[80]["extra_column"] = "census"  # an undeclared column
    yammer.messages(*rows, header=[*MESSAGE_HEADER, "extra_column"])
    return yammer


def _in_chunks(monkeypatch, export, scratch, size: int) -> list:
    monkeypatch.setattr(messages, "CHUNK_SIZE", size)
    return read_export(export, scratch)


@pytest.mark.parametrize("size", CHUNK_SIZES)
def test_chunks_read_by_workers_give_the_records_of_one_pass(yammer, tmp_path, monkeypatch, two_workers,
                                                             size):
    export = _network(yammer).folder
    whole = read_export(export, tmp_path / "whole")
    assert _in_chunks(monkeypatch, export, tmp_path / "chunks", size) == whole
    kinds = {type(r).__name__ for r in whole}
    assert {"Message", "User", "Group", "Channel", "Attachment", "ReportEntry"} <= kinds
    late = next(m for m in whole if getattr(m, "id", None) == "1101")
    assert late.text == "after: @Late Comer"  # the name a row before it revealed


def test_a_stray_quote_that_misleads_the_cuts_is_caught_and_read_in_order(yammer, tmp_path, monkeypatch,
                                                                        two_workers):
    export = _network(yammer).folder
    path = export / "Messages.csv"
    lines = path.read_bytes().split(b"\r\n")
    # an unquoted cell holding a quote: csv reads it as it is, but the quote count turns odd
    lines[5] = lines[5].replace(b'"message 5', b'message 5 "stray', 1)
    lines[5] = lines[5].replace(b'[[user:1]]"', b'[[user:1]]', 1)
    path.write_bytes(b"\r\n".join(lines))
    restarted = []
    real = messages._physical_lines
    monkeypatch.setattr(messages, "_physical_lines", lambda blocks: restarted.append(1) or real(blocks))
    whole = read_export(export, tmp_path / "whole")
    assert any(getattr(m, "id", None) == "1005" and "stray" in m.body.content for m in whole)
    assert _in_chunks(monkeypatch, export, tmp_path / "chunks", 700) == whole
    assert restarted, "no cut fell inside a row: the test did not test the fallback"


def test_a_quote_left_open_spans_chunks_as_it_spans_rows(yammer, tmp_path, monkeypatch, two_workers):
    export = _network(yammer).folder
    path = export / "Messages.csv"
    lines = path.read_bytes().split(b"\r\n")
    at = next(i for i, line in enumerate(lines) if line.startswith(b'"1020"'))
    lines[at] = lines[at][:-1]  # the last cell's closing quote is lost: the rows after it join
    path.write_bytes(b"\r\n".join(lines))
    whole = read_export(export, tmp_path / "whole")
    assert any("fields where the header has" in getattr(r, "reason", "") for r in whole)  # two rows joined
    assert _in_chunks(monkeypatch, export, tmp_path / "chunks", 300) == whole


def test_a_cut_forced_inside_a_long_cell_is_caught(yammer, tmp_path, monkeypatch, two_workers):
    yammer.csv("Users.csv", [{"id": "1", "name": "Ann"}])
    rows = [message(str(n), body=("line\r\n" * 200) if n % 3 == 0 else f"short {n}") for n in range(1, 40)]
    export = yammer.messages(*rows).parent
    whole = read_export(export, tmp_path / "whole")
    monkeypatch.setattr(table, "MAX_CHUNK", 500)  # no row end within 500 bytes: cut at a line end
    assert _in_chunks(monkeypatch, export, tmp_path / "chunks", 300) == whole


def test_invalid_utf8_in_a_later_chunk_is_named_as_in_one_pass(yammer, tmp_path, monkeypatch, two_workers):
    export = _network(yammer).folder
    path = export / "Messages.csv"
    data = path.read_bytes()
    at = data.index(b"message 100 ")
    path.write_bytes(data[:at] + b"\xff" + data[at:])
    with pytest.raises(InputError) as whole:
        read_export(export, tmp_path / "whole")
    with pytest.raises(InputError) as chunked:
        _in_chunks(monkeypatch, export, tmp_path / "chunks", 300)
    assert str(chunked.value) == str(whole.value)
    assert "line" in str(whole.value) and "body" in str(whole.value)


def test_an_export_read_in_chunks_writes_the_same_archive(yammer, tmp_path, monkeypatch, two_workers):
    """Through the export itself: the workers prepare messages into body logs of their own."""
    export = _network(yammer).folder

    def payload(archive) -> list[str]:
        manifest = (archive / "manifest-sha256.txt").read_text().splitlines()
        return sorted(line for line in manifest if "header" not in line)

    assert cli("export", "yammer", export, "-o", tmp_path / "whole").exit_code == 0
    monkeypatch.setattr(messages, "CHUNK_SIZE", 300)
    result = cli("export", "yammer", export, "-o", tmp_path / "chunks")
    assert result.exit_code == 0, result.output
    assert payload(tmp_path / "chunks") == payload(tmp_path / "whole")
    assert cli("verify", tmp_path / "chunks").exit_code == 0


def test_the_real_attachment_cells_read_in_chunks_as_in_one_pass(real_data, tmp_path, monkeypatch,
                                                                 two_workers):
    export = real_data / "yammer-attachment-cells" / "export"
    whole = read_export(export, tmp_path / "whole")
    assert sum(type(r).__name__ == "Attachment" for r in whole) >= 4
    assert _in_chunks(monkeypatch, export, tmp_path / "chunks", 100) == whole
