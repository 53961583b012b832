"""The default search back end: one SQLite file with FTS5, next to the archive.

Each search runs in two steps: select one page of message rowids (driven by FTS5, or by the
base-table filters when they leave only a few candidates to probe), then load those few hits and
their snippets. Counting and hit reports reuse the first step without a page.
"""

from __future__ import annotations

import re
import sqlite3
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import orjson
from sqlalchemy import CursorResult, Engine, create_engine, or_
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, select

from ...archive import Archive
from ...errors import ArchiveError, InputError
from ..backend import (
    MARK_CLOSE,
    MARK_OPEN,
    AttachmentRef,
    BuildProgress,
    BuildReport,
    Hit,
    HitReport,
    Snippet,
    Sort,
    TermHits,
    Thread,
    ThreadMessage,
)
from ..query import From, In, Query, QueryError
from .build import build_index
from .compile import Plan, plan
from .folding import fold
from .tables import FTS_TABLE, SCHEMA_VERSION, AttachmentRow, ChannelRow, MessageRow, MetaRow, PersonRow

#: a text with fewer matches is cheapest to walk in full; filters leaving fewer rows than
#: _FEW_ROWS are cheapest to probe one by one (~10 µs a probe) when the text matches many.
_FEW_MATCHES = 2_000
_FEW_ROWS = 1_000
_EXCERPT = 160
#: the best-matching passage of any column (16 tokens), matches between MARK_OPEN and MARK_CLOSE.
_SNIPPET = (f"snippet({FTS_TABLE}, -1, char({ord(MARK_OPEN)}), char({ord(MARK_CLOSE)}), '…', 16)")
_LIKE_SPECIAL = re.compile(r"([\\%_])")


class SqliteBackend:
    def __init__(self, location: Path) -> None:
        self.location = location
        self._engine: Engine | None = None
        self._session: Session | None = None
        self._last_seq: int | None = None

    # -- lifecycle ----------------------------------------------------------------------------

    def staleness(self, archive: Archive) -> str | None:
        if not self.location.exists():
            return "there is no index yet"
        meta = self._meta()
        if meta.get("schema_version") != SCHEMA_VERSION:
            return "the index was built by another version of rsemigrate"
        if meta.get("seal") != archive.seal():
            return "the archive has changed since the index was built (its seal differs)"
        if meta.get("format_version") != archive.header.format_version:
            return "the archive's format version has changed"
        return None

    def build(self, archive: Archive, progress: BuildProgress) -> BuildReport:
        if self.location.exists():
            self._meta()  # refuses to replace a file that is not an index
        self.close()
        return build_index(archive, self.location, progress)

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
        if self._engine is not None:
            self._engine.dispose()
        self._engine = self._session = self._last_seq = None

    def _meta(self) -> dict[str, str]:
        try:
            meta = {row.key: row.value for row in self.session.exec(select(MetaRow))}
        except DBAPIError:
            meta = {}
        if "schema_version" not in meta:
            self.close()
            raise ArchiveError(
                f"{self.location} is not an rsemigrate search index (or is damaged); refusing to "
                "replace it: delete it, or choose another path with --index"
            )
        return meta

    @property
    def session(self) -> Session:
        if self._session is None:
            uri = f"file:{quote(str(self.location))}?mode=ro"
            self._engine = create_engine("sqlite://", creator=lambda: _connect(uri))
            self._session = Session(self._engine)
        return self._session

    def _rows(self, sql: str, params: Sequence[object] = ()) -> list[tuple]:
        return list(self._execute(sql, params))

    def _execute(self, sql: str, params: Sequence[object] = ()) -> CursorResult:
        return self.session.connection().exec_driver_sql(sql, tuple(params))

    # -- the Resolver the query compiler needs ------------------------------------------------

    @property
    def last_seq(self) -> int:
        if self._last_seq is None:
            self._last_seq = self._rows("SELECT coalesce(max(seq), 0) FROM message")[0][0]
        return self._last_seq

    def people(self, who: str) -> list[int]:
        key = fold(who)
        like = _LIKE_SPECIAL.sub(r"\\\1", key)
        return list(self.session.exec(select(PersonRow.seq).where(or_(
            PersonRow.user_id == who,
            PersonRow.email_key == key,
            PersonRow.name_key == key,
            PersonRow.email_key.like(f"{like}@%", escape="\\"),  # type: ignore[union-attr]
            (" " + PersonRow.name_key + " ").like(f"% {like} %", escape="\\"),
        ))))

    def channels(self, where: str) -> list[int]:
        key = fold(where.removeprefix("#"))
        return list(self.session.exec(select(ChannelRow.seq).where(or_(
            ChannelRow.channel_id == where,
            ChannelRow.group_id == where,
            ChannelRow.name_key == key,
            ChannelRow.group_key == key,
        ))))

    def unmatched(self, query: Query) -> list[From | In]:
        return [name for name in query.names()
                if not (self.people(name.who) if isinstance(name, From) else self.channels(name.where))]

    def first_seq_at(self, micros: int) -> int:
        # Rowids are chronological, so a point in time is found by bisection on rowids.
        seqs = range(1, self.last_seq + 1)
        return bisect_left(seqs, micros, key=self._created_micros) + 1

    def _created_micros(self, seq: int) -> int:
        return self._rows("SELECT at_us FROM message WHERE seq = ?", (seq,))[0][0]

    # -- searching ----------------------------------------------------------------------------

    def search(self, query: Query, *, sort: Sort, limit: int, offset: int) -> list[Hit]:
        with _engine_errors(query):
            compiled = plan(query, self)
            sql, params = self._selection(compiled, sort, snippets=True)
            page = self._rows(f"{sql} LIMIT ? OFFSET ?", (*params, limit, offset))
            return self._hits(page, compiled.match)

    def count(self, query: Query) -> int:
        with _engine_errors(query):
            sql, params = self._selection(plan(query, self), None)
            return self._rows(f"SELECT count(*) FROM ({sql})", params)[0][0]

    def matches(self, query: Query) -> Iterator[tuple[str, str]]:
        with _engine_errors(query):
            sql, params = self._selection(plan(query, self), None)
            rows = self._execute(f"SELECT m.message_id, m.thread_id FROM ({sql}) s"
                                 " JOIN message m ON m.seq = s.seq ORDER BY m.seq", params)
        yield from ((message_id, thread_id) for message_id, thread_id in rows)

    def _selection(self, compiled: Plan, sort: Sort | None, *,
                   snippets: bool = False) -> tuple[str, list[object]]:
        """SQL selecting the matching `seq`s in `sort` order (any order for None).

        With `snippets`, a second column holds the snippet when FTS5 drives the query (computed
        for the returned page only), or NULL.
        """
        match, where = compiled.match, compiled.where
        bounds = [compiled.first_seq, compiled.last_seq]
        direction = "ASC" if sort == "oldest" else "DESC"
        if match is not None and (sort == "relevance" or not where or not self._drive_by_filters(compiled)):
            join = f" CROSS JOIN message m ON m.seq = {FTS_TABLE}.rowid" if where else ""
            snippet = f", {_SNIPPET}" if snippets else ""
            sql = (f"SELECT {FTS_TABLE}.rowid AS seq{snippet} FROM {FTS_TABLE}{join}"
                   f" WHERE {FTS_TABLE} MATCH ? AND {FTS_TABLE}.rowid BETWEEN ? AND ?"
                   + (f" AND {where}" if where else ""))
            order = f"{FTS_TABLE}.rank" if sort == "relevance" else f"{FTS_TABLE}.rowid {direction}"
            params = [match, *bounds, *compiled.params]
        else:
            probe = (f" AND EXISTS (SELECT 1 FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH ?"
                     f" AND {FTS_TABLE}.rowid = m.seq)") if match is not None else ""
            sql = (f"SELECT m.seq AS seq{', NULL' if snippets else ''} FROM message m"
                   " WHERE m.seq BETWEEN ? AND ?"
                   + (f" AND {where}" if where else "") + probe)
            order = f"m.seq {direction}"
            params = [*bounds, *compiled.params, *([match] if match is not None else [])]
        return (f"{sql} ORDER BY {order}" if sort else sql), params

    def _drive_by_filters(self, compiled: Plan) -> bool:
        """Whether to walk the rows the filters keep and probe FTS5 for each, not the reverse.

        Walking FTS5's matches newest first stops after one page when the filters keep many rows,
        but reads every match when they keep few: then probing those few rows is cheaper, unless
        the text itself is rare. Both sides are counted only up to a small cap.
        """
        bounds = (compiled.first_seq, compiled.last_seq)
        matches = self._rows(
            f"SELECT count(*) FROM (SELECT 1 FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH ? AND rowid BETWEEN ?"
            f" AND ? LIMIT {_FEW_MATCHES})", (compiled.match, *bounds))[0][0]
        if matches < _FEW_MATCHES:
            return False
        rows = self._rows(
            f"SELECT count(*) FROM (SELECT 1 FROM message m WHERE m.seq BETWEEN ? AND ? AND {compiled.where}"
            f" LIMIT {_FEW_ROWS})", (*bounds, *compiled.params))[0][0]
        return rows < _FEW_ROWS

    def _hits(self, page: list[tuple[int, str | None]], match: str | None) -> list[Hit]:
        if not page:
            return []
        rows = self._rows(
            "SELECT m.seq, m.message_id, m.thread_id, m.reply_to_id, c.name, c.group_name, p.name,"
            f" p.email, m.created_at, m.deleted, m.private, m.files, substr(m.text, 1, {_EXCERPT * 2})"
            " FROM message m JOIN channel c ON c.seq = m.channel_seq JOIN person p ON p.seq = m.author_seq"
            f" WHERE m.seq IN ({', '.join('?' * len(page))})", [seq for seq, _ in page])
        by_seq = {row[0]: row for row in rows}
        hits = []
        for seq, snippet in page:
            (_, mid, tid, reply_to, channel, group, name, email, at, deleted, private, files,
             head) = by_seq[seq]
            found = snippet or (self._snippet(seq, match) if match is not None else None)
            hits.append(Hit(mid, tid, reply_to, channel, group, name, email, at,
                            Snippet(" ".join(found.split())) if found else _excerpt(head),
                            bool(deleted), bool(private),
                            tuple(files.split("\n")) if files else ()))
        return hits

    def _snippet(self, seq: int, match: str) -> str | None:
        rows = self._rows(f"SELECT {_SNIPPET} FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH ? AND rowid = ?",
                          (match, seq))
        return rows[0][0] if rows else None

    # -- context and reports ------------------------------------------------------------------

    def thread(self, message_id: str) -> Thread:
        session = self.session
        thread_id = session.exec(select(MessageRow.thread_id).where(or_(
            MessageRow.message_id == message_id, MessageRow.thread_id == message_id))).first()
        if thread_id is None:
            raise InputError(f"message {message_id!r} is not in the archive")
        rows = session.exec(
            select(MessageRow, PersonRow).join(PersonRow, PersonRow.seq == MessageRow.author_seq)
            .where(MessageRow.thread_id == thread_id).order_by(MessageRow.seq)).all()
        ids = {aid for message, _ in rows for aid in orjson.loads(message.attachment_ids)}
        stored = {row.attachment_id: row for row in
                  session.exec(select(AttachmentRow).where(AttachmentRow.attachment_id.in_(ids)))}
        channel = session.get(ChannelRow, rows[0][0].channel_seq)
        assert channel is not None  # every message row points at a channel row
        return Thread(thread_id, channel.name, channel.group_name, tuple(
            ThreadMessage(m.message_id, m.reply_to_id, p.name, p.email, m.created_at, m.edited_at,
                          m.deleted_at, m.deleted, m.title, m.text,
                          tuple(_attachment(aid, stored.get(aid)) for aid in orjson.loads(m.attachment_ids)))
            for m, p in rows))

    def hit_report(self, terms: Sequence[Query], *, with_thread_ids: bool) -> HitReport:
        self._execute("CREATE TEMP TABLE term_hit (term_no INTEGER, seq INTEGER, PRIMARY KEY (term_no, seq))"
                   " WITHOUT ROWID")
        try:
            for term_no, query in enumerate(terms):
                with _engine_errors(query):
                    sql, params = self._selection(plan(query, self), None)
                    self._execute(f"INSERT INTO temp.term_hit SELECT ?, seq FROM ({sql})", (term_no, *params))
            self._execute("CREATE INDEX temp.term_hit_seq ON term_hit (seq, term_no)")
            lines = tuple(self._term_hits(term_no, query, with_thread_ids)
                          for term_no, query in enumerate(terms))
            any_hits, any_threads = self._rows(
                "SELECT count(DISTINCT h.seq), count(DISTINCT m.thread_id) FROM temp.term_hit h"
                " JOIN message m ON m.seq = h.seq")[0]
            return HitReport(lines, any_hits, any_threads)
        finally:
            self._execute("DROP TABLE temp.term_hit")

    def _term_hits(self, term_no: int, query: Query, with_thread_ids: bool) -> TermHits:
        hits, unique, threads = self._rows(
            "SELECT count(*), coalesce(sum(NOT EXISTS (SELECT 1 FROM temp.term_hit o WHERE o.seq = h.seq"
            " AND o.term_no != h.term_no)), 0), count(DISTINCT m.thread_id) FROM temp.term_hit h"
            " JOIN message m ON m.seq = h.seq WHERE h.term_no = ?", (term_no,))[0]
        thread_ids = tuple(tid for (tid,) in self._rows(
            "SELECT DISTINCT m.thread_id FROM temp.term_hit h JOIN message m ON m.seq = h.seq"
            " WHERE h.term_no = ? ORDER BY 1", (term_no,))) if with_thread_ids else None
        return TermHits(query, hits, unique, threads, thread_ids)


def _connect(uri: str) -> sqlite3.Connection:
    db = sqlite3.connect(uri, uri=True, check_same_thread=False)
    db.executescript("PRAGMA cache_size=-32000; PRAGMA temp_store=FILE; PRAGMA mmap_size=1073741824;")
    return db


@contextmanager
def _engine_errors(query: Query) -> Iterator[None]:
    """FTS5's own syntax errors (which quoting should prevent) become a QueryError, not a trace."""
    try:
        yield
    except DBAPIError as exc:
        message = str(exc.orig)
        if not message.startswith("fts5"):
            raise
        near = re.search(r'near "([^"]*)"', message)
        position = query.text.find(near[1]) if near else -1
        raise QueryError(f"the search engine rejected it ({message})", query.text,
                         position if position >= 0 else None) from None


def _excerpt(text: str) -> Snippet:
    flat = " ".join(text.split())
    return Snippet(flat if len(flat) <= _EXCERPT else flat[:_EXCERPT].rsplit(" ", 1)[0] + " …")


def _attachment(attachment_id: str, row: AttachmentRow | None) -> AttachmentRef:
    if row is None:
        return AttachmentRef(attachment_id, None, None, None, None)
    return AttachmentRef(attachment_id, row.name, row.status, row.sha256, row.url)
