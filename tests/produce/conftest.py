"""An archive made through the real exporter with everything a production must carry, and readers
that take a production apart again (e-mail parser → zip → manifest) without our own writer code."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import jsonschema
import pytest

from rsemigrate.archive import Archive
from rsemigrate.archive.records import (
    Attachment,
    Channel,
    Group,
    Mention,
    Reaction,
    Record,
    User,
)
from rsemigrate.search import Selection, ensure_current, index_location, open_backend, resolve
from tests.search.conftest import at, export, message

RSMF = Path(__file__).resolve().parents[3] / "shared" / "rsmf"
PDF = b"%PDF-1.4 the audit report\n"
PNG = b"\x89PNG\r\n\x1a\n fake image bytes"


def rich_records(files) -> Iterator[Record]:
    yield User("u-ann", "Ann Smith", "ann@example.com")
    yield User("u-zoe", "Zoë Ñúñez", "zoe@example.es")
    yield User("u-bot", "Deploy bot", None, bot=True)
    yield Group("g-fin", "Finance")
    yield Channel("c-fin", "feed", "Finance", group_id="g-fin", member_ids=["u-ann", "u-zoe"])
    yield Channel("c-dm", "direct", "Ann, Zoë", private=True, member_ids=["u-ann", "u-zoe"])
    pdf = files.put(io.BytesIO(PDF))
    png = files.put(io.BytesIO(PNG))
    yield Attachment("f/1", "file", "present", "ref1", name="../audit report.pdf", sha256=pdf.sha256,
                     size=pdf.size, media_type="application/pdf")
    yield Attachment("f2", "image", "present", "ref2", name="chart.png", sha256=png.sha256, size=png.size)
    yield Attachment("f3", "file", "missing", "ref3", name="lost.xlsx")
    yield Attachment("l1", "link", "external", "ref4", url="https://example.com/plan")
    yield message("m1", "c-fin", "u-ann", "Audit budget kickoff @Zoë", "2019-01-01", title="Kickoff",
                  mentions=[Mention("user", "@Zoë", "u-zoe", "Zoë Ñúñez")],
                  reactions=[Reaction("thumbsup", "u-zoe"), Reaction("thumbsup", "u-ann"),
                             Reaction("a-very-long-custom-reaction-name-over-thirty", "u-zoe")],
                  attachment_ids=["f/1", "f2", "f3", "l1"], source={"pinned": True})
    yield message("m2", "c-fin", "u-zoe", "Réponse: the audit needs more time", "2019-01-01",
                  thread="m1", reply_to="m1", edited_at=at("2019-01-01", "12:00:00"))
    yield message("m3", "c-fin", "u-ann", "reply to the reply", "2019-01-02", thread="m1", reply_to="m2")
    yield replace(message("m4", "c-fin", "u-bot", "u-bot joined", "2019-01-02",
                          source={"subtype": "channel_join"}), kind="system")
    yield message("m5", "c-fin", "u-zoe", "removed text", "2019-01-09",
                  deleted_at=at("2019-01-10"), deleted_by_id="u-ann")
    yield message("m6", "c-fin", "u-ann", "Second thread, unrelated", "2019-02-01")
    yield message("m7", "c-dm", "u-ann", "private: budget numbers attached", "2019-01-02",
                  attachment_ids=["f2"])
    yield message("m8", "c-dm", "u-zoe", "merci", "2019-01-02", thread="m7", reply_to="m7")
    # a reply whose root is not in the archive (posted before the export window)
    yield message("m9", "c-dm", "u-zoe", "about the old thing", "2019-01-03", thread="m0", reply_to="m0")


@pytest.fixture(scope="module")
def rich_archive(tmp_path_factory) -> Path:
    return export(tmp_path_factory.mktemp("rich"), rich_records)


def chosen(path: Path, selection: Selection):
    archive = Archive(path)

    def current():
        backend = open_backend(index_location(path, None))
        ensure_current(backend, archive, lambda *args: None)
        return backend

    found, _ = resolve(selection, current)
    return archive, found


@dataclass
class ReadBack:
    """One `.rsmf` taken apart with the stdlib e-mail parser and zipfile."""

    path: Path
    headers: dict[str, str]
    text: str
    attachments: list[str]
    manifest: dict
    zip_files: dict[str, bytes]


def read_back(path: Path) -> ReadBack:
    message = message_from_bytes(path.read_bytes(), policy=default)
    parts = [p for p in message.walk() if p.get_content_disposition() == "attachment"]
    body = message.get_body(("plain",))
    with zipfile.ZipFile(io.BytesIO(parts[0].get_payload(decode=True))) as zipped:
        files = {name: zipped.read(name) for name in zipped.namelist()}
    manifest = json.loads(files.pop("rsmf_manifest.json"))
    return ReadBack(path, {k: str(v) for k, v in message.items()}, body.get_content(),
                    [p.get_filename() for p in parts], manifest, files)


def production_files(production: Path) -> list[ReadBack]:
    return [read_back(p) for p in sorted((production / "data" / "rsmf").glob("*.rsmf"))]


def load_rows(production: Path) -> list[dict[str, str]]:
    with open(production / "data" / "loadfile.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def schema_errors(manifest: dict, *, strict: bool = True) -> list[str]:
    """Relativity's own schema for the manifest's version; `strict` also checks formats (RFC 3339
    date-times, e-mails), which Relativity's .NET validator does more leniently."""
    version = "2_0_0" if str(manifest.get("version")).startswith("2") else "1_0_0"
    name = f"rsmf_schema_{version}.json"
    schema = json.loads((RSMF / name).read_text())
    checker = jsonschema.FormatChecker() if strict else None
    validator = jsonschema.Draft7Validator(schema, format_checker=checker)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(manifest)]
