"""Helpers shared by the connector tests: small exports written by the tests themselves (Yammer
CSV, the smallest Slack export and Workplace collection), read by the real connectors, and the
command line run in-process."""

from __future__ import annotations

import csv
import json
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest
from click.testing import Result

from connectors.yammer import read
from rsemigrate.archive.bag import BagWriter
from rsemigrate.archive.reader import FileStore
from rsemigrate.archive.records import Record
from rsemigrate.export.sources import open_source
from rsemigrate.testing import run_cli

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "yammer"
#: the newer Messages.csv layout; tests may pass another header.
MESSAGE_HEADER = [
    "id", "replied_to_id", "parent_id", "thread_id", "conversation_id", "group_id", "group_name",
    "participants", "in_private_group", "in_private_conversation", "scope_type", "sender_id", "sender_type",
    "sender_name", "sender_email", "delegate_id", "body", "html_body", "title", "message_type", "api_url",
    "attachments", "deleted_by_id", "deleted_by_type", "deleted_at", "created_at", "gdpr_delete_url",
]


def message(mid: str, **cells: str) -> dict[str, str]:
    """A Messages.csv row: a root post by user 1 in group 10 unless `cells` say otherwise."""
    return {"id": mid, "thread_id": mid, "group_id": "10", "group_name": "Ten", "sender_id": "1",
            "body": f"message {mid}", "created_at": "2019-03-04T10:00:00Z", **cells}


class YammerExport:
    """An export folder under construction; `read()` returns what the connector yields."""

    def __init__(self, folder: Path, scratch: Path) -> None:
        self.folder = folder
        self._scratch = scratch
        folder.mkdir(parents=True, exist_ok=True)

    def csv(self, name: str, rows: list[dict[str, str]], header: list[str] | None = None, *,
            bom: bool = False) -> Path:
        """Write `name` the way Yammer does: every field quoted, CRLF line ends."""
        header = header or list(dict.fromkeys(k for row in rows for k in row))
        path = self.folder / name
        with open(path, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as fh:
            writer = csv.writer(fh, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
            writer.writerow(header)
            writer.writerows([row.get(column, "") for column in header] for row in rows)
        return path

    def messages(self, *rows: dict[str, str], header: list[str] | None = None) -> Path:
        """Messages.csv, plus a Users.csv and Groups.csv knowing user 1 and group 10 unless the
        test wrote its own, so that only what a test is about shows in the report."""
        if not (self.folder / "Users.csv").exists():
            self.csv("Users.csv", [{"id": "1", "name": "Ann", "email": "ann@example.com"}])
        if not (self.folder / "Groups.csv").exists():
            self.csv("Groups.csv", [{"id": "10", "name": "Ten"}])
        return self.csv("Messages.csv", list(rows), header or MESSAGE_HEADER)

    def read(self) -> list[Record]:
        return read_export(self.folder, self._scratch)

    def by_type(self) -> dict[str, list]:
        """Records by class name (`Message`, `User`…), in the order they came."""
        found: dict[str, list] = defaultdict(list)
        for record in self.read():
            found[type(record).__name__].append(record)
        return found


def read_export(source: Path, scratch: Path) -> list[Record]:
    """Every record the connector yields for `source`, files stored in a throwaway bag."""
    writer = BagWriter(scratch / "bag")  # never sealed: abort() removes its staging folder
    try:
        with open_source(source) as tree:
            files = FileStore(writer)
            return list(read(tree, files))
    finally:
        writer.abort()


@pytest.fixture
def yammer(tmp_path: Path) -> YammerExport:
    return YammerExport(tmp_path / "export", tmp_path)


def cli(*args: object, **env: str) -> Result:
    """`rsemigrate ARGS…` run in-process; keyword arguments add environment variables."""
    return run_cli(*args, env=env)


def assert_sound(archive: Path, counts: Mapping[str, int]) -> None:
    """`validate` and `verify` pass, and `stats --json` gives exactly `counts`."""
    assert cli("validate", archive).exit_code == 0
    assert cli("verify", archive).exit_code == 0
    stats = cli("stats", archive, "--json")
    assert stats.exit_code == 0 and json.loads(stats.output) == counts


def assert_zip_exports_the_same(connector: str, fixture: Path, tmp_path: Path,
                                counts: Mapping[str, int], report: Mapping[str, int]) -> None:
    """The fixture zipped and exported through the command line gives the same counts, soundly."""
    result = cli(
        "export", connector, zipped(fixture, tmp_path / "export.zip"), "-o", tmp_path / "archive", "--json"
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["counts"] == {**counts, "report": report}
    assert cli("validate", tmp_path / "archive").exit_code == 0
    assert cli("verify", tmp_path / "archive").exit_code == 0


def write_json(folder: Path, files: Mapping[str, object]) -> Path:
    """Each `{relative path: JSON value}` written under `folder` (folders made as needed)."""
    for name, value in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value, indent=4), encoding="utf-8")
    return folder


def slack_export(folder: Path) -> Path:
    """The smallest Slack export the reader accepts: one user, one channel, one day of one message."""
    return write_json(
        folder,
        {
            "users.json": [{"id": "U1", "name": "ann", "profile": {"real_name": "Ann"}}],
            "channels.json": [{"id": "C1", "name": "general", "members": ["U1"]}],
            "general/2024-03-01.json": [
                {"type": "message", "user": "U1", "text": "hello", "ts": "1709283600.000100"}
            ],
        },
    )


def workplace_collection(folder: Path) -> Path:
    """The smallest Workplace collection the reader accepts: the three files the collector always saves."""
    return write_json(folder, {"community.json": {"id": "9", "name": "C"},
                               "members/page-0001.json": {"data": [], "paging": {}},
                               "groups/page-0001.json": {"data": [], "paging": {}}})


def zipped(folder: Path, target: Path, extra: Iterable[tuple[str | zipfile.ZipInfo, bytes]] = ()) -> Path:
    """`folder` as a deflated zip at `target`, plus the `extra` entries (hostile ones, say) last."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(folder).as_posix())
        for entry, data in extra:
            zf.writestr(entry, data)
    return target
