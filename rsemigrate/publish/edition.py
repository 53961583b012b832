"""A static HTML edition of an archive, for reading it decades on without this tool.

    EDITION/                      a BagIt bag (`rsemigrate verify` checks every file)
      index.html                  a tag file that opens data/index.html
      edition.json                provenance: the archive and its seal, tool, time, counts
      data/index.html             channels by group, the search box
      data/people.html, about.html
      data/channels/<slug>/index.html      the channel's months
      data/channels/<slug>/<YYYY-MM>.html  its messages that month, oldest first
      data/threads/<ab>/<digest>.html      one page per thread: what Pagefind indexes
      data/files/<sha256>/<name>           the attachments themselves
      data/pagefind/, pagefind-2/, ...     Pagefind's search indexes (search_index.py) and UI

Memory stays bounded: channels stream month by month; each rendered message also goes to a
scratch SQLite file in the staging folder (outside the payload, deleted before sealing), from
which thread pages are written one at a time; Pagefind indexes them in shards of bounded size.
Nothing is written outside the output folder.
"""

from __future__ import annotations

import hashlib
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.resources import files as package_files
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from ..archive import Archive, Attachment, BagWriter, Channel, HashingWriter, Message, format_utc, tool
from ..errors import ArchiveError
from ..search import Chosen, Selection
from . import pages, search_index

PROVENANCE_FILE = "edition.json"
STATIC = ("edition.css", "search.js")
#: rendered messages inserted per scratch-database transaction.
_BATCH = 5000


@dataclass(frozen=True, slots=True)
class Listed:
    """A channel as the index lists it: all that is kept of it once its pages are written."""

    group: str
    name: str
    kind: str
    folder: str
    messages: int


@dataclass(frozen=True, slots=True)
class Published:
    path: Path
    seal: str
    channels: int
    threads: int
    messages: int
    files: int
    search: bool
    #: Pagefind indexes (bundles) the search box merges; 0 without search.
    indexes: int = 0


def publish(archive: Archive, target: Path, *, search: bool = True, selection: Selection | None = None,
            chosen: Chosen | None = None, shard_bytes: int = search_index.SHARD_BYTES) -> Published:
    """The edition of the whole archive, or of a selection (resolved into `chosen`); Pagefind
    indexes the thread pages in shards of about `shard_bytes` (search_index.py)."""
    chosen = chosen or Chosen(None)
    header = archive.header
    users = {u.id: u for u in archive.users()}
    attachments = {a.id: a for a in archive.attachments()}
    groups = {g.id: g for g in archive.groups()}
    generator = tool()
    edition = {
        "name": header.source.network_name or f"{header.source.platform} archive",
        "platform": header.source.platform, "archive_id": header.archive_id, "seal": archive.seal(),
        "tool": f"{generator.name} {generator.version}", "created_at": format_utc(datetime.now(UTC)),
    }
    writer = BagWriter(target)
    out = _Out(writer)
    try:
        with tempfile.TemporaryDirectory(prefix="scratch-", dir=writer.root) as scratch:
            with closing(sqlite3.connect(Path(scratch) / "threads.sqlite")) as db:
                db.execute("CREATE TABLE m (page TEXT, channel INTEGER, seq INTEGER, title TEXT, html TEXT)")
                listed: list[Listed] = []
                authored: dict[str, int] = {}
                linked: set[str] = set()
                for channel in archive.channels():
                    kept = (m for m in archive.messages(channel.id) if chosen.keeps(m))
                    done = _channel(channel, kept, len(listed), groups, users, attachments, edition, db, out,
                                    authored, linked)
                    if done.messages:
                        listed.append(done)
                threads, sizes = _threads(db, edition, out, listed)
        messages = sum(c.messages for c in listed)
        # a selection publishes only the files its messages link to; the whole archive, every file
        stored = _files(archive, [a for a in attachments.values() if chosen.message_ids is None
                                  or a.id in linked], out)
        shards = search_index.plan(sizes, shard_bytes) if search else []
        _index_pages(listed, users, authored, edition, out, threads, stored, [s.bundle for s in shards[1:]])
        if shards:
            search_index.build(writer.data, shards)
            _record_bundles(writer, shards)
        info = {**edition, "format": "rsemigrate-edition", "format_version": "1.0", "search": search,
                "search_indexes": [s.bundle for s in shards],
                "selection": selection.describe() if selection else None,
                "counts": {"channels": len(listed), "threads": threads, "messages": messages,
                           "files": stored}}
        seal = writer.seal(
            {PROVENANCE_FILE: orjson.dumps(info, option=orjson.OPT_INDENT_2),
             "index.html": pages.template("root.html").render(edition=edition).encode()},
            {"Bag-Software-Agent": edition["tool"],
             "External-Description": f"HTML edition of archive {header.archive_id}",
             "Internal-Sender-Description": f"source archive seal {edition['seal']}"})
    except BaseException:
        writer.abort()
        raise
    return Published(target, seal, len(listed), threads, messages, stored, search, len(shards))


class _Out:
    """Payload files written through the bag's hashing writer, so sealing re-reads nothing."""

    def __init__(self, writer: BagWriter) -> None:
        self.writer = writer

    def page(self, relpath: str, html: str) -> None:
        self.writer.write_payload(relpath, iter([html.encode()]))

    def render(self, relpath: str, template: str, **context: Any) -> None:
        """A page written as its template renders it, piece by piece."""
        page = self.stream(relpath)
        for piece in pages.template(template).generate(**context):
            page.write(piece)
        page.close()

    def stream(self, relpath: str) -> _Stream:
        return _Stream(self.writer, relpath)

    def copy(self, relpath: str, src: BinaryIO) -> None:
        self.writer.write_payload(relpath, iter(lambda: src.read(1 << 20), b""))


class _Stream:
    """A page written piece by piece (a month of a busy channel does not fit a string)."""

    def __init__(self, writer: BagWriter, relpath: str) -> None:
        self.writer, self.relpath = writer, relpath
        path = writer.data / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        self.out = HashingWriter(path)

    def write(self, text: str) -> None:
        self.out.write(text.encode())

    def close(self) -> None:
        self.out.close()
        self.writer.record(self.relpath, self.out.hexdigest(), self.out.size)


def _channel(channel: Channel, messages: Iterator[Message], number: int, groups: dict, users: dict,
             attachments: dict, edition: dict[str, Any], db: sqlite3.Connection, out: _Out,
             authored: dict[str, int], linked: set[str]) -> Listed:
    """The channel's month pages and index (none without messages); its messages also go to the
    scratch database, and the attachments they link to into `linked`."""
    folder = f"channels/{pages.slug(channel.name, channel.id)}"
    group = groups.get(channel.group_id) if channel.group_id else None
    view = {"name": channel.name, "kind": channel.kind, "group": group.name if group else None,
            "description": channel.description}
    months: list[dict[str, Any]] = []
    page: _Stream | None = None
    rows: list[tuple] = []
    seq = 0
    for seq, message in enumerate(messages, 1):
        month = message.created_at.utc[:7]
        if not months or months[-1]["label"] != month:
            if page:
                _end(page, edition)
            months.append({"label": month, "href": f"{month}.html", "messages": 0})
            page = out.stream(f"{folder}/{month}.html")
            page.write(pages.template("month_head.html").render(
                title=f"{channel.name} {month}", channel=view, month=month, root="../../", edition=edition))
        months[-1]["messages"] += 1
        authored[message.author_id] = authored.get(message.author_id, 0) + 1
        linked.update(message.attachment_ids)
        assert page is not None
        html = pages.message_html(message, users, attachments)  # once: sanitising is the cost
        page.write(html)
        title = (message.title or message.text[:80]) if message.id == message.thread_id else None
        rows.append((pages.thread_path(channel.id, message.thread_id), number, seq, title, html))
        if len(rows) >= _BATCH:
            _insert(db, rows)
    _insert(db, rows)
    if page:
        _end(page, edition)
    view["messages"] = seq
    if seq:
        out.page(f"{folder}/index.html", pages.template("channel.html").render(
            title=channel.name, channel=view, months=months, root="../../", edition=edition))
    return Listed(group.name if group else _kind_group(channel), channel.name, channel.kind, folder, seq)


def _insert(db: sqlite3.Connection, rows: list[tuple]) -> None:
    with db:
        db.executemany("INSERT INTO m VALUES (?, ?, ?, ?, ?)", rows)
    rows.clear()


def _end(page: _Stream, edition: dict[str, Any]) -> None:
    page.write(pages.template("foot.html").render(edition=edition))
    page.close()


def _threads(db: sqlite3.Connection, edition: dict[str, Any], out: _Out,
             listed: list[Listed]) -> tuple[int, dict[str, int]]:
    """Every thread page, one at a time, from the scratch database; the count of pages and their
    bytes per search bucket."""
    db.execute("CREATE INDEX m_page ON m (page, seq)")
    count = 0
    sizes: dict[str, int] = {}
    for path, number in db.execute("SELECT DISTINCT page, channel FROM m ORDER BY page"):
        channel = listed[number]
        fragments = db.execute("SELECT title, html FROM m WHERE page = ? ORDER BY seq", (path,)).fetchall()
        title = next((t for t, _ in fragments if t), None) or f"Thread in {channel.name}"
        page = out.stream(path)
        page.write(pages.template("thread_head.html").render(
            title=title, channel=channel, messages=len(fragments), root="../../", edition=edition,
            channel_href=f"../../{channel.folder}/index.html"))
        for _, html in fragments:
            page.write(html)
        page.write("</article>\n")
        _end(page, edition)
        count += 1
        name = search_index.bucket(path)
        sizes[name] = sizes.get(name, 0) + page.out.size
    return count, sizes


def _files(archive: Archive, attachments: list[Attachment], out: _Out) -> int:
    written: set[str] = set()
    for attachment in attachments:
        if attachment.status != "present" or not attachment.sha256:
            continue
        relpath = pages.file_path(attachment)
        if relpath in written:
            continue
        source = archive.file_path(attachment.sha256)
        if not source.is_file():
            raise ArchiveError(f"{archive.path}: stored file {source.relative_to(archive.path)} of "
                               f"attachment {attachment.id} is missing; run `rsemigrate verify` on it")
        with open(source, "rb") as fh:
            out.copy(relpath, fh)
        written.add(relpath)
    return len(written)


def _index_pages(listed: list[Listed], users: dict, authored: dict[str, int],
                 edition: dict[str, Any], out: _Out, threads: int, files: int, merged: list[str]) -> None:
    """The channel index (its search box merging the `merged` Pagefind bundles), people, about."""
    by_group: dict[str, list[Listed]] = {}
    for channel in listed:
        by_group.setdefault(channel.group, []).append(channel)
    groups = [{"name": name, "channels": channels} for name, channels in by_group.items()]
    counts = {"channels": len(listed), "threads": threads, "messages": sum(c.messages for c in listed),
              "files": files}
    edition = {**edition, **counts}
    # streamed: with a hundred thousand conversations the page is tens of megabytes
    out.render("index.html", "index.html", title="Channels", groups=groups, root="", edition=edition,
               merged=merged)
    people = [{"user": u, "messages": authored.get(u.id, 0), "anchor": pages.key(u.id)}
              for u in sorted(users.values(), key=lambda u: u.name.casefold())]
    out.page("people.html", pages.template("people.html").render(
        title="People", people=people, root="", edition=edition))
    out.page("about.html", pages.template("about.html").render(title="About", root="", edition=edition))
    static = package_files("rsemigrate.publish") / "static"
    for name in STATIC:
        out.page(name, (static / name).read_text(encoding="utf-8"))


def _kind_group(channel: Channel) -> str:
    return "Private conversations" if channel.kind in ("direct", "group_direct") else "Channels"


def _record_bundles(writer: BagWriter, shards: list[search_index.Shard]) -> None:
    """Enter the files Pagefind wrote into the bag's manifest."""
    for shard in shards:
        for path in sorted(_walk(writer.data / shard.bundle)):
            relpath = path.relative_to(writer.data).as_posix()
            with open(path, "rb") as fh:
                digest, size = _digest(fh)
            writer.record(relpath, digest, size)


def _walk(folder: Path) -> Iterator[Path]:
    return (p for p in folder.rglob("*") if p.is_file())


def _digest(fh: BinaryIO) -> tuple[str, int]:
    data = hashlib.file_digest(fh, "sha256")
    return data.hexdigest(), fh.tell()

