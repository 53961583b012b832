"""Bad input to `rsemigrate export slack|workplace`, through the command line: a missing index file,
a malformed JSON index, a hostile zip. Each is a clear error naming the file, exit code 2, and
leaves nothing behind: no archive, no staging folder, nothing beside or above the output.

Already covered next door (not repeated): Slack without channels.json and a malformed day file
(test_slack_export.py); Workplace without community.json, a malformed feed page and a page that is
not a Graph page (test_workplace_export.py).
"""

from __future__ import annotations

import stat
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import cli, slack_export, workplace_collection, zipped

#: connector → its smallest valid export, written by conftest.
EXPORTS: dict[str, Callable[[Path], Path]] = {"slack": slack_export, "workplace": workplace_collection}


def everything_under(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")}


def export_fails(connector: str, source: Path, tmp_path: Path) -> str:
    """Run the export into tmp_path/out/archive; assert exit 2 and that it left nothing; its message."""
    (tmp_path / "out").mkdir()
    before = everything_under(tmp_path)
    result = cli("export", connector, source, "-o", tmp_path / "out" / "archive")
    assert result.exit_code == 2, result.output
    assert everything_under(tmp_path) == before  # no archive, no .archive.partial-*, nothing escaped
    assert "Traceback" not in result.output
    return result.output


def test_the_exports_these_tests_start_from_are_valid(tmp_path):
    for connector, write in EXPORTS.items():
        result = cli(
            "export", connector, write(tmp_path / connector), "-o", tmp_path / f"{connector}-archive"
        )
        assert result.exit_code == 0, result.output


@pytest.mark.parametrize(("connector", "missing", "message"), [
    ("slack", "users.json", "no users.json or org_users.json found: the export's user list is missing"),
    ("workplace", "members/page-0001.json", "no members/page-0001.json found: the community's members "
                                            "listing"),
    ("workplace", "groups/page-0001.json", "no groups/page-0001.json found: the community's groups listing"),
])
def test_a_missing_index_file_is_named(tmp_path, connector, missing, message):
    export = EXPORTS[connector](tmp_path / "export")
    (export / missing).unlink()
    assert message in export_fails(connector, export, tmp_path)


@pytest.mark.parametrize(("connector", "name", "text", "where"), [
    ("slack", "users.json", '[\n    {"id": "U1", "name": "ann"\n]', "users.json, line 3: malformed JSON at "
                                                                    "column 1"),
    ("slack", "channels.json", '[\n    {"id": "C1" "name": "general"}\n]',
     "channels.json, line 2: malformed JSON at column 17"),
    ("workplace", "community.json", '{\n    "id": "9",\n    "name": Globex\n}',
     "community.json, line 3: malformed JSON at column 13"),
])
def test_a_malformed_index_file_is_named_with_line_and_column(tmp_path, connector, name, text, where):
    export = EXPORTS[connector](tmp_path / "export")
    (export / name).write_text(text)
    assert where in export_fails(connector, export, tmp_path)


def symlink(name: str, points_to: str) -> tuple[zipfile.ZipInfo, bytes]:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info, points_to.encode()


#: hostile entry → what the refusal says. The bomb is a day file of 72 MiB of blanks (valid JSON,
#: ~1000x compression); real exports compress 5-15x. The ratio is the whole zip's, so its refusal
#: names the zip and the number of entries.
HOSTILE = {
    "dot-dot": (("../../escape.json", b"[]"), "entry '../../escape.json' would escape the export folder"),
    "absolute": (("/tmp/rsemigrate-absolute.json", b"[]"),
                 "entry '/tmp/rsemigrate-absolute.json' would escape the export folder"),
    "symlink": (symlink("general/2024-03-02.json", "/etc/passwd"),
                "entry 'general/2024-03-02.json' is a symbolic link"),
    "zip-bomb": (("general/2024-03-03.json", b"[" + b" " * (72 << 20) + b"]"), "entries expand"),
}


@pytest.mark.parametrize("connector", list(EXPORTS))
@pytest.mark.parametrize("kind", list(HOSTILE))
def test_a_hostile_zip_is_refused_naming_the_entry_before_anything_is_written(tmp_path, connector, kind):
    entry, message = HOSTILE[kind]
    source = zipped(EXPORTS[connector](tmp_path / "export"), tmp_path / "hostile.zip", [entry])
    output = export_fails(connector, source, tmp_path)
    assert f"{source}: {message}" in output and "refused" in output
    assert not Path("/tmp/rsemigrate-absolute.json").exists()
