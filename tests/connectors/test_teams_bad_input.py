"""Bad input to `rsemigrate export teams`, through the command line, as for the other sources
(test_source_bad_input.py): a missing index file, malformed JSON, a hostile zip. Each is a clear
error naming the file, exit code 2, and leaves nothing behind."""

from __future__ import annotations

import json

import pytest

from connectors.teams.source import wire

from .conftest import zipped
from .test_source_bad_input import HOSTILE, export_fails
from .test_teams_reader import graph_message, write_collection

MESSAGES = f"{wire.Conversation.channel('t1', 'c1').messages}/page-0001.json"


def test_the_smallest_collection_these_tests_start_from_is_valid(tmp_path):
    from .conftest import cli

    result = cli(
        "export", "teams", write_collection(tmp_path / "c", [graph_message("1")]), "-o", tmp_path / "a"
    )
    assert result.exit_code == 0, result.output


def test_a_folder_without_collect_json_is_no_collection(tmp_path):
    folder = write_collection(tmp_path / "export", [])
    (folder / "collect.json").unlink()
    assert "no collect.json found: not a Teams collection" in export_fails("teams", folder, tmp_path)


def test_collect_json_without_its_request_is_named(tmp_path):
    folder = write_collection(tmp_path / "export", [])
    (folder / "collect.json").write_text('{"graph_url": "https://graph.microsoft.com/v1.0"}')
    assert 'collect.json, line 1: no "request" object' in export_fails("teams", folder, tmp_path)


@pytest.mark.parametrize(("name", "text", "where"), [
    ("collect.json", '{\n  "request": {"teams": ["t1"]},\n  "finished_at": 2024-06-03\n}',
     "collect.json, line 3: malformed JSON at column 22"),
    ("teams/t1/team.json", '{"id": "t1",\n "displayName": "T",,\n}',
     "teams/t1/team.json, line 2: malformed JSON at column"),
    (MESSAGES, '{"value": [\n  {"id": "1", "body": {"content": "<p>hi</p>"}\n]}',
     f"{MESSAGES}, line 3: malformed JSON at column 1"),
])
def test_a_malformed_file_is_named_with_line_and_column(tmp_path, name, text, where):
    folder = write_collection(tmp_path / "export", [graph_message("1")])
    (folder / name).write_text(text)
    assert where in export_fails("teams", folder, tmp_path)


def test_a_page_that_is_not_a_graph_page_is_named(tmp_path):
    folder = write_collection(tmp_path / "export", [])
    (folder / MESSAGES).write_text(json.dumps([graph_message("1")]))
    assert f"{MESSAGES}, line 1: expected a Graph page" in export_fails("teams", folder, tmp_path)


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_a_hostile_zip_is_refused_naming_the_entry_before_anything_is_written(tmp_path, kind):
    entry, message = HOSTILE[kind]
    source = zipped(
        write_collection(tmp_path / "export", [graph_message("1")]), tmp_path / "hostile.zip", [entry]
    )
    output = export_fails("teams", source, tmp_path)
    assert f"{source}: {message}" in output and "refused" in output
