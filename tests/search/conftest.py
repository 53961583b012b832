"""Small archives made through the real exporter, and a CLI runner for the search commands."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner, Result

from rsemigrate.archive.reader import FileStore
from rsemigrate.archive.records import Attachment, Body, Channel, Group, Message, Record, Timestamp, User
from rsemigrate.cli import main
from rsemigrate.export.connector import Connector
from rsemigrate.export.exporter import run_export

Records = Callable[[FileStore], Iterable[Record]]


def at(day: str, time: str = "10:00:00") -> Timestamp:
    return Timestamp(f"{day}T{time}Z", f"{day}T{time}Z")


def message(mid: str, channel: str, author: str, text: str, day: str, *, thread: str | None = None,
            reply_to: str | None = None, **fields: object) -> Message:
    return Message(id=mid, channel_id=channel, thread_id=thread or mid, author_id=author,
                   created_at=at(day), body=Body("plain", text), text=text, reply_to_id=reply_to,
                   kind="reply" if reply_to else "post", **fields)  # type: ignore[arg-type]


def export(tmp_path: Path, records: Records, name: str = "archive") -> Path:
    """Run the real exporter over a connector that yields `records(files)`."""
    def read(tree: object, files: FileStore) -> Iterator[Record]:
        yield from records(files)

    source = tmp_path / f"{name}-source"
    source.mkdir(exist_ok=True)
    return run_export(Connector("test", "records made by a test", read), source, tmp_path / name).path


PEOPLE = [
    User("u-ann", "Ann Smith", "ann@example.com"),
    User("u-bob", "Bob Martin", "Bob.Martin@Example.org"),
    User("u-eve", "Ève Dupré", "eve@example.fr"),
]
PLACES = [
    Group("g-fin", "Finance"),
    Group("g-codir", "Comité de direction"),
    Channel("c-fin", "feed", "Finance", group_id="g-fin"),
    Channel("c-gen", "channel", "général", group_id="g-codir"),
    Channel("c-dm", "direct", "Ann, Bob", private=True, member_ids=["u-ann", "u-bob"]),
]
REPORT = b"%PDF-1.4 incident report\n"


def sample_records(files: FileStore) -> Iterator[Record]:
    """A French/English corpus where each query feature has a known answer (see test_query.py)."""
    yield from PEOPLE
    yield from PLACES
    stored = files.put(io.BytesIO(REPORT))
    yield Attachment("a-pdf", "file", "present", "ref", name="incident.pdf", sha256=stored.sha256,
                     size=stored.size)
    yield Attachment("a-link", "link", "external", "ref", url="https://example.com/plan")
    yield Attachment("a-lost", "file", "missing", "ref", name="lost.xlsx")
    yield message("m1", "c-fin", "u-ann", "Le budget de la Sécurité est validé", "2019-01-01")
    yield message("m2", "c-fin", "u-bob", "Réunion budget annulée", "2019-01-02", thread="m1", reply_to="m1")
    yield message("m3", "c-fin", "u-eve", "La mise à jour du budget est prévue", "2019-01-03",
                  thread="m1", reply_to="m2", edited_at=at("2019-01-04"))
    yield message("m4", "c-gen", "u-ann", "Audit incident report attached", "2019-02-01",
                  attachment_ids=["a-pdf", "a-link"])
    yield message("m5", "c-gen", "u-bob", "The audit found one minor incident", "2019-02-02")
    yield message("m6", "c-gen", "u-eve", "audit of the servers went well and then much later on a "
                  "completely unrelated day somebody reported an incident", "2019-02-03")
    yield message("m7", "c-dm", "u-ann", "confidential conformity review", "2019-03-01")
    yield message("m8", "c-dm", "u-bob", "conforme ou pas ? budget", "2019-03-02",
                  deleted_at=at("2019-03-05"), deleted_by_id="u-bob")
    yield message("m9", "c-gen", "u-eve", "Comité meeting moved, see the plan", "2019-03-03",
                  edited_at=at("2019-03-04"), attachment_ids=["a-lost"])
    yield message("m10", "c-fin", "u-bob", "reply to a lost post about the budget", "2019-03-04",
                  thread="m0", reply_to="m0")


class Cli:
    """The rsemigrate command line, run in-process."""

    @staticmethod
    def run(*args: str | Path) -> Result:
        return CliRunner().invoke(main, [str(arg) for arg in args])

    def ok(self, *args: str | Path) -> Result:
        result = self.run(*args)
        assert result.exit_code == 0, result.output
        return result

    def hits(self, archive: Path, query: str, *options: str) -> list[dict]:
        return orjson.loads(self.ok("search", archive, query, "--format", "json", *options).stdout)

    def ids(self, archive: Path, query: str, *options: str) -> list[str]:
        """Message ids found by `query`, in the order printed (newest first unless sorted otherwise)."""
        return [hit["message_id"] for hit in self.hits(archive, query, *options)]


class Build:
    """Record builders and the exporter, for tests that need an archive of their own."""

    at = staticmethod(at)
    message = staticmethod(message)
    sample_records = staticmethod(sample_records)
    report = REPORT

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path

    def archive(self, records: Records = sample_records, name: str = "archive") -> Path:
        return export(self.tmp_path, records, name)


@pytest.fixture(scope="session")
def cli() -> Cli:
    return Cli()


@pytest.fixture
def build(tmp_path: Path) -> Build:
    return Build(tmp_path)


@pytest.fixture(scope="session")
def sample(tmp_path_factory: pytest.TempPathFactory, cli: Cli) -> Path:
    """The sample archive, indexed once for the whole session: tests must not change it."""
    path = export(tmp_path_factory.mktemp("sample"), sample_records)
    cli.ok("index", path)
    return path
