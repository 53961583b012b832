"""The command line: exit codes 0 / 1 / 2, --help everywhere, JSON that scripts can rely on."""

import json

import pytest
from click.testing import CliRunner

from rsemigrate.cli import main


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def all_commands(group=main, prefix=()):
    import click

    for name in group.list_commands(None):
        command = group.get_command(None, name)
        yield prefix + (name,)
        if isinstance(command, click.Group):
            yield from all_commands(command, prefix + (name,))


@pytest.mark.parametrize("command", [()] + list(all_commands()), ids=lambda c: " ".join(c) or "main")
def test_every_command_has_help(command):
    result = run(*command, "--help")
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output and len(result.output.splitlines()) > 3


def test_stats_json_has_exactly_the_documented_integer_keys(archive):
    result = run("stats", archive, "--json")
    assert result.exit_code == 0, result.output
    stats = json.loads(result.output)
    assert stats == {"users": 2, "groups": 1, "channels": 2, "threads": 2, "messages": 4,
                     "deleted_messages": 1, "private_messages": 1, "attachments": 3, "missing_files": 1}


def test_validate_and_verify_exit_0_then_1_on_problems(archive):
    assert run("validate", archive).exit_code == 0
    assert run("verify", archive).exit_code == 0
    (archive / "data/users.jsonl").write_text('{"id": 1}\n')
    verify = run("verify", archive, "--json")
    assert verify.exit_code == 1
    assert json.loads(verify.output)[0]["path"] == "data/users.jsonl"
    validate = run("validate", archive)
    assert validate.exit_code == 1 and "data/users.jsonl line 1" in validate.output


def test_bad_input_is_exit_2_with_one_line_and_no_traceback(tmp_path):
    result = run("stats", tmp_path / "nothing-here")
    assert result.exit_code == 2
    assert "not a finished rsemigrate archive" in result.output and "Traceback" not in result.output
    bad_zip = tmp_path / "export.zip"
    bad_zip.write_bytes(b"PK\x03\x04 truncated")
    result = run("export", "yammer", bad_zip, "-o", tmp_path / "out")
    assert result.exit_code == 2, result.output
    assert "export.zip" in result.output and not (tmp_path / "out").exists()


def test_unknown_command_or_connector_is_usage_error():
    assert run("export", "myspace", "x", "-o", "y").exit_code == 2
    assert run("frobnicate").exit_code == 2


def test_connectors_lists_the_builtin_yammer_connector():
    result = run("connectors")
    assert result.exit_code == 0 and "yammer" in result.output
