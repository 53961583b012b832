"""Writing a production in several worker processes gives the same production as one process."""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from rsemigrate.archive import Archive, Attachment, Channel, Record, User, verify
from rsemigrate.errors import ArchiveError, RsemigrateError
from rsemigrate.produce import Options, produce, production
from rsemigrate.search import Chosen, Selection
from tests.produce.conftest import PDF, production_files, schema_errors
from tests.search.conftest import export, message

#: messages per batch in these tests, so that a small archive makes many batches.
BATCH = 6


def many_conversations(files) -> Iterator[Record]:
    """Conversations of 1 to 12 messages over a few days, with replies to roots of earlier days
    (context events) and attachments, then one big enough to be sent to a worker first."""
    yield User("u-ann", "Ann Smith", "ann@example.com")
    yield User("u-zoe", "Zoë Ñúñez", "zoe@example.es")
    pdf = files.put(io.BytesIO(PDF))
    yield Attachment("f1", "file", "present", "ref1", name="report.pdf", sha256=pdf.sha256, size=pdf.size)
    for c in range(20):
        yield Channel(f"c{c}", "direct" if c % 3 else "feed", f"Conversation {c}",
                      member_ids=["u-ann", "u-zoe"])
    yield Channel("c-big", "feed", "Big", member_ids=["u-ann", "u-zoe"])
    for c in range(20):
        for n in range(1 + c % 12):
            root = f"c{c}-m0"
            yield message(f"c{c}-m{n}", f"c{c}", ("u-ann", "u-zoe")[n % 2], f"note {n} of {c}",
                          f"2019-01-0{1 + n // 4}", thread=root if n else None, reply_to=root if n else None,
                          attachment_ids=["f1"] if n == 2 else [])
    for n in range(60):
        yield message(f"big-{n}", "c-big", "u-ann", f"big {n}", f"2019-02-{1 + n // 10:02d}")


@pytest.fixture(scope="module")
def many(tmp_path_factory) -> Path:
    return export(tmp_path_factory.mktemp("many"), many_conversations)


def bag_bytes(production: Path) -> dict[str, bytes]:
    """Every file of the bag, with the time of the run taken out of the provenance."""
    found = {str(p.relative_to(production)): p.read_bytes() for p in production.rglob("*") if p.is_file()}
    provenance = orjson.loads(found.pop("production.json"))
    provenance.pop("created_at")
    found["production.json"] = orjson.dumps(provenance)
    del found["tagmanifest-sha256.txt"]  # it hashes production.json
    return found


def test_any_number_of_workers_gives_the_same_production(many, tmp_path, monkeypatch):
    monkeypatch.setattr(production, "BATCH_MESSAGES", BATCH)
    archive = Archive(many)
    batches = list(production._batches(archive))
    assert len(batches) > 6
    assert production._big_first(batches, 3)[0].channels[0].id == "c-big"  # done out of order
    made = {workers: produce(archive, tmp_path / f"w{workers}", Selection(), Chosen(None), Options(),
                             workers) for workers in (1, 2, 3)}
    one = bag_bytes(made[1].path)
    files = production_files(made[1].path)
    assert len(files) == made[1].counts.files > 20
    assert made[1].counts.messages == sum(1 + c % 12 for c in range(20)) + 60  # each message once
    assert made[1].counts.context_events > 0
    assert sum(len(r.manifest["events"]) for r in files) == made[1].counts.events
    assert all(schema_errors(r.manifest) == [] for r in files)
    for workers in (2, 3):
        assert made[workers].counts == made[1].counts
        assert bag_bytes(made[workers].path) == one
        assert verify(made[workers].path) == []
        assert not (made[workers].path / "unnumbered").exists()


def test_a_workers_error_fails_the_production_without_leaving_one(many, tmp_path, monkeypatch):
    monkeypatch.setattr(production, "BATCH_MESSAGES", BATCH)
    copy = tmp_path / "archive"
    shutil.copytree(many, copy)
    archive = Archive(copy)
    archive.file_path(next(archive.attachments()).sha256).unlink()
    with pytest.raises(ArchiveError, match=r"stored file .* is missing \(attachment f1_report.pdf\)"):
        produce(archive, tmp_path / "prod", Selection(), Chosen(None), Options(), workers=2)
    assert not (tmp_path / "prod").exists()
    assert not list(tmp_path.glob(".prod.partial-*"))


def die(batch) -> None:
    os._exit(1)  # as a worker killed by the OOM killer


def test_a_worker_that_dies_fails_the_production_instead_of_hanging(many, tmp_path, monkeypatch):
    monkeypatch.setattr(production, "BATCH_MESSAGES", BATCH)
    monkeypatch.setattr(production, "_write_batch", die)
    with pytest.raises(RsemigrateError, match="worker process .* ended abruptly"):
        produce(Archive(many), tmp_path / "prod", Selection(), Chosen(None), Options(), workers=2)
    assert not (tmp_path / "prod").exists()
    assert not list(tmp_path.glob(".prod.partial-*"))
