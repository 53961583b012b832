"""The default search back end: one SQLite file with FTS5, next to the archive.

Each search runs in two steps: select one page of message rowids (driven by FTS5, or by the
base-table filters when they leave only a few candidates to probe), then load those few hits and
their snippets. Counting and hit reports reuse the first step without a page.
"""

from __future__ import annotations

import re
import sqlite3
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import quote

import orjson

from ...errors import ArchiveError, InputError
from ..backend import (
    MARK_CLOSE,
    MARK_OPEN,
    AttachmentRef,
    BuildProgress,
    BuildReport,
    ChannelSummary,
    Facets,
    Hit,
    HitReport,
    Snippet,
    Sort,
    TermHits,
    Thread,
    ThreadMessage,
)
from ..query import From, In, Query, QueryError
from .compile import Plan, plan
from .folding import fold
from .tables import FTS_TABLE, SCHEMA_VERSION

if TYPE_CHECKING:
    from ...archive import Archive

#: a text with fewer matches is cheapest to walk in full; filters leaving fewer rows than
#: _FEW_ROWS are cheapest to probe one by one (~10 µs a probe) when the text matches many.
_FEW_MATCHES = 2_000
_FEW_ROWS = 1_000
_EXCERPT = 160
#: how many planning answers a connection keeps (a dict cleared when full: they are cheap to redo).
_REMEMBERED = 256
#: the channels `in:` names; each OR term has an index (tables.CHANNEL_INDEXES).
CHANNEL_LOOKUP = ("SELECT seq FROM channel"
                  " WHERE channel_id = ? OR group_id = ? OR name_key = ? OR group_key = ?")
#: what `facets` counts, per matching message.
_FACET_COLUMNS = "m.channel_seq, m.author_seq, substr(m.created_at, 1, 4), m.has_attachment"
#: the best-matching passage of any column (16 tokens), matches between MARK_OPEN and MARK_CLOSE.
_SNIPPET = (f"snippet({FTS_TABLE}, -1, char({ord(MARK_OPEN)}), char({ord(MARK_CLOSE)}), '…', 16)")
_LIKE_SPECIAL = re.compile(r"([\\%_])")
_K = TypeVar("_K")
_V = TypeVar("_V")


class SqliteBackend:
    def __init__(self, location: Path) -> None:
        self.location = location
        self._db: sqlite3.Connection | None = None
        self._last_seq: int | None = None
        #: answers that depend only on the (immutable) index, asked again by every page.
        self._decisions: dict[Plan, bool] = {}
        self._first_seqs: dict[int, int] = {}

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

    def built_from(self) -> str | None:
        if not self.location.exists():
            return None
        try:
            meta = self._meta()
        except ArchiveError:  # not an index: building over it says so
            return None
        return meta.get("seal") if meta.get("schema_version") == SCHEMA_VERSION else None

    def build(self, archive: Archive, progress: BuildProgress) -> BuildReport:
        if self.location.exists():
            self._meta()  # refuses to replace a file that is not an index
        self.close()
        # with the export package: a search on a current index needs neither
        from .build import build_index

        return build_index(archive, self.location, progress)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
        self._db = self._last_seq = None
        self._decisions.clear()  # a build may follow: nothing known of the old index stays
        self._first_seqs.clear()

    def _meta(self) -> dict[str, str]:
        try:
            meta = dict(self._rows("SELECT key, value FROM meta"))
        except sqlite3.DatabaseError:
            meta = {}
        if "schema_version" not in meta:
            self.close()
            raise ArchiveError(
                f"{self.location} is not an rsemigrate search index (or is damaged); refusing to "
                "replace it: delete it, or choose another path with --index"
            )
        return meta

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            self._db = _connect(f"file:{quote(str(self.location))}?mode=ro")
        return self._db

    def _rows(self, sql: str, params: Sequence[object] = ()) -> list[tuple]:
        return self._execute(sql, params).fetchall()

    def _execute(self, sql: str, params: Sequence[object] = ()) -> sqlite3.Cursor:
        return self.db.execute(sql, tuple(params))

    # -- the Resolver the query compiler needs ------------------------------------------------

    @property
    def last_seq(self) -> int:
        if self._last_seq is None:
            self._last_seq = self._rows("SELECT coalesce(max(seq), 0) FROM message")[0][0]
        return self._last_seq

    def people(self, who: str) -> list[int]:
        key = fold(who)
        like = _LIKE_SPECIAL.sub(r"\\\1", key)
        return [seq for (seq,) in self._rows(
            "SELECT seq FROM person WHERE user_id = ? OR email_key = ? OR name_key = ?"
            " OR email_key LIKE ? ESCAPE '\\' OR (' ' || name_key || ' ') LIKE ? ESCAPE '\\'",
            (who, key, key, f"{like}@%", f"% {like} %"))]

    def channels(self, where: str) -> list[int]:
        key = fold(where.removeprefix("#"))
        return [seq for (seq,) in self._rows(CHANNEL_LOOKUP, (where, where, key, key))]

    def unmatched(self, query: Query) -> list[From | In]:
        return [name for name in query.names()
                if not (self.people(name.who) if isinstance(name, From) else self.channels(name.where))]

    def first_seq_at(self, micros: int) -> int:
        # Rowids are chronological, so a point in time is found by bisection on rowids.
        return _remembered(self._first_seqs, micros, lambda: bisect_left(
            range(1, self.last_seq + 1), micros, key=self._created_micros) + 1)

    def _created_micros(self, seq: int) -> int:
        return self._rows("SELECT at_us FROM message WHERE seq = ?", (seq,))[0][0]

    # -- searching ----------------------------------------------------------------------------

    def search(self, query: Query, *, sort: Sort, limit: int, offset: int) -> list[Hit]:
        with _engine_errors(query):
            compiled = plan(query, self)
            sql, params = self._selection(compiled, sort, snippets=True)
            page = self._rows(f"{sql} LIMIT ? OFFSET ?", (*params, limit, offset))
            return self._hits(page, compiled.match)

    def count(self, query: Query, *, limit: int | None = None) -> int:
        with _engine_errors(query):
            sql, params = self._selection(plan(query, self), None)
            if limit is not None:
                sql, params = f"{sql} LIMIT ?", [*params, limit]
            return self._rows(f"SELECT count(*) FROM ({sql})", params)[0][0]

    def matches(self, query: Query) -> Iterator[tuple[str, str]]:
        with _engine_errors(query):
            sql, params = self._selection(plan(query, self), None)
            rows = self._execute(f"SELECT m.message_id, m.thread_id FROM ({sql}) s"
                                 " JOIN message m ON m.seq = s.seq ORDER BY m.seq", params)
        yield from ((message_id, thread_id) for message_id, thread_id in rows)

    def _selection(self, compiled: Plan, sort: Sort | None, *, snippets: bool = False,
                   facets: bool = False) -> tuple[str, list[object]]:
        """SQL selecting the matching `seq`s in `sort` order (any order for None).

        With `snippets`, a second column holds the snippet when FTS5 drives the query (computed
        for the returned page only), or NULL. With `facets`, the columns are instead what facets
        count, read from the message row the selection already joins (not looked up again).
        """
        match, where = compiled.match, compiled.where
        bounds = [compiled.first_seq, compiled.last_seq]
        direction = "ASC" if sort == "oldest" else "DESC"
        if match is not None and (sort == "relevance" or not where or not self._drive_by_filters(compiled)):
            join = f" CROSS JOIN message m ON m.seq = {FTS_TABLE}.rowid" if where or facets else ""
            columns = _FACET_COLUMNS if facets else f"{FTS_TABLE}.rowid AS seq" + (
                f", {_SNIPPET}" if snippets else "")
            sql = (f"SELECT {columns} FROM {FTS_TABLE}{join}"
                   f" WHERE {FTS_TABLE} MATCH ? AND {FTS_TABLE}.rowid BETWEEN ? AND ?"
                   + (f" AND {where}" if where else ""))
            order = f"{FTS_TABLE}.rank" if sort == "relevance" else f"{FTS_TABLE}.rowid {direction}"
            params = [match, *bounds, *compiled.params]
        else:
            probe = (f" AND EXISTS (SELECT 1 FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH ?"
                     f" AND {FTS_TABLE}.rowid = m.seq)") if match is not None else ""
            columns = _FACET_COLUMNS if facets else f"m.seq AS seq{', NULL' if snippets else ''}"
            sql = (f"SELECT {columns} FROM message m WHERE m.seq BETWEEN ? AND ?"
                   + (f" AND {where}" if where else "") + probe)
            order = f"m.seq {direction}"
            params = [*bounds, *compiled.params, *([match] if match is not None else [])]
        return (f"{sql} ORDER BY {order}" if sort else sql), params

    def _drive_by_filters(self, compiled: Plan) -> bool:
        """Whether to walk the rows the filters keep and probe FTS5 for each, not the reverse.

        Walking FTS5's matches newest first stops after one page when the filters keep many rows,
        but reads every match when they keep few: then probing those few rows is cheaper, unless
        the text itself is rare. Both sides are counted only up to a small cap; the answer is
        kept, since a page of hits and its facets ask it twice and the index never changes.
        """
        return _remembered(self._decisions, compiled, lambda: self._few_rows_for_many_matches(compiled))

    def _few_rows_for_many_matches(self, compiled: Plan) -> bool:
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
            f" p.email, m.created_at, m.deleted, m.private, m.files, substr(m.text, 1, {_EXCERPT * 2}),"
            " p.user_id FROM message m JOIN channel c ON c.seq = m.channel_seq"
            " JOIN person p ON p.seq = m.author_seq"
            f" WHERE m.seq IN ({', '.join('?' * len(page))})", [seq for seq, _ in page])
        by_seq = {row[0]: row for row in rows}
        hits = []
        for seq, snippet in page:
            (_, mid, tid, reply_to, channel, group, name, email, at, deleted, private, files,
             head, user_id) = by_seq[seq]
            found = snippet or (self._snippet(seq, match) if match is not None else None)
            hits.append(Hit(mid, tid, reply_to, channel, group, name, email, at,
                            Snippet(" ".join(found.split())) if found else _excerpt(head),
                            bool(deleted), bool(private),
                            tuple(files.split("\n")) if files else (), user_id))
        return hits

    def _snippet(self, seq: int, match: str) -> str | None:
        rows = self._rows(f"SELECT {_SNIPPET} FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH ? AND rowid = ?",
                          (match, seq))
        return rows[0][0] if rows else None

    # -- context and reports ------------------------------------------------------------------

    def thread(self, message_id: str) -> Thread:
        found = self._rows("SELECT thread_id FROM message WHERE message_id = ? OR thread_id = ? LIMIT 1",
                           (message_id, message_id))
        if not found:
            raise InputError(f"message {message_id!r} is not in the archive")
        [(thread_id,)] = found
        rows = self._rows(
            "SELECT m.channel_seq, m.message_id, m.reply_to_id, p.name, p.email, m.created_at, m.edited_at,"
            " m.deleted_at, m.deleted, m.title, m.text, p.user_id, m.record_at, m.attachment_ids"
            " FROM message m"
            " JOIN person p ON p.seq = m.author_seq WHERE m.thread_id = ? ORDER BY m.seq", (thread_id,))
        attachments = [orjson.loads(row[-1]) for row in rows]
        ids = sorted({aid for listed in attachments for aid in listed})
        stored = {row[0]: row for row in self._rows(
            "SELECT attachment_id, name, status, sha256, url FROM attachment"
            f" WHERE attachment_id IN ({', '.join('?' * len(ids))})", ids)} if ids else {}
        [(channel, group, channel_id)] = self._rows(
            "SELECT name, group_name, channel_id FROM channel WHERE seq = ?", (rows[0][0],))
        return Thread(thread_id, channel, group, tuple(
            ThreadMessage(mid, reply_to, name, email, created, edited, deleted_at, bool(deleted), title, text,
                          tuple(_attachment(aid, stored.get(aid)) for aid in listed), user_id, record_at)
            for (_, mid, reply_to, name, email, created, edited, deleted_at, deleted, title, text, user_id,
                 record_at, _), listed in zip(rows, attachments, strict=True)), channel_id)

    def attachment(self, attachment_id: str) -> AttachmentRef | None:
        rows = self._rows("SELECT attachment_id, name, status, sha256, url FROM attachment"
                          " WHERE attachment_id = ? LIMIT 1", (attachment_id,))
        return _attachment(attachment_id, rows[0]) if rows else None

    def facets(self, query: Query, *, cap: int, top: int) -> Facets:
        with _engine_errors(query):
            sql, params = self._selection(plan(query, self), "newest", facets=True)
            # One more than the cap tells whether there are more; the few columns are counted here.
            rows = self._rows(f"{sql} LIMIT ?", (*params, cap + 1))
        capped = len(rows) > cap
        rows = rows[:cap]
        channels = Counter(row[0] for row in rows).most_common(top)
        authors = Counter(row[1] for row in rows).most_common(top)
        years = sorted(Counter(int(row[2]) for row in rows).items(), reverse=True)
        channel_rows = {seq: row for seq, *row in self._rows(
            f"SELECT seq, channel_id, name, group_name FROM channel WHERE seq IN ({_marks(channels)})",
            [seq for seq, _ in channels])}
        people = {seq: row for seq, *row in self._rows(
            f"SELECT seq, user_id, name, email FROM person WHERE seq IN ({_marks(authors)})",
            [seq for seq, _ in authors])}
        return Facets(len(rows), capped, tuple((*channel_rows[seq], n) for seq, n in channels),
                      tuple((*people[seq], n) for seq, n in authors), tuple(years),
                      sum(row[3] for row in rows))

    def channel_summaries(self) -> list[ChannelSummary]:
        # One pass over the channel index: the count and the newest seq of every channel.
        return [ChannelSummary(*row) for row in self._rows(
            "SELECT c.channel_id, c.kind, c.name, c.group_id, c.group_name, coalesce(n.messages, 0),"
            " m.created_at FROM channel c LEFT JOIN (SELECT channel_seq, count(*) AS messages, max(seq) AS"
            " newest FROM message GROUP BY channel_seq) n ON n.channel_seq = c.seq"
            " LEFT JOIN message m ON m.seq = n.newest ORDER BY c.seq")]

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


def _remembered(cache: dict[_K, _V], key: _K, compute: Callable[[], _V]) -> _V:
    """`cache[key]`, computed on first use; the cache is emptied when full (_REMEMBERED)."""
    if key in cache:
        return cache[key]
    if len(cache) >= _REMEMBERED:
        cache.clear()
    cache[key] = found = compute()
    return found


def _marks(values: Sequence[object]) -> str:
    return ", ".join("?" * len(values)) or "NULL"


def _connect(uri: str) -> sqlite3.Connection:
    db = sqlite3.connect(uri, uri=True, check_same_thread=False)
    db.executescript("PRAGMA cache_size=-32000; PRAGMA temp_store=FILE; PRAGMA mmap_size=1073741824;")
    return db


@contextmanager
def _engine_errors(query: Query) -> Iterator[None]:
    """FTS5's own syntax errors (which quoting should prevent) become a QueryError, not a trace."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        message = str(exc)
        if not message.startswith("fts5"):
            raise
        near = re.search(r'near "([^"]*)"', message)
        position = query.text.find(near[1]) if near else -1
        raise QueryError(f"the search engine rejected it ({message})", query.text,
                         position if position >= 0 else None) from None


def _excerpt(text: str) -> Snippet:
    flat = " ".join(text.split())
    return Snippet(flat if len(flat) <= _EXCERPT else flat[:_EXCERPT].rsplit(" ", 1)[0] + " …")


def _attachment(attachment_id: str, row: tuple | None) -> AttachmentRef:
    """`row`: the attachment table's (attachment_id, name, status, sha256, url), None when absent."""
    return AttachmentRef(*row) if row else AttachmentRef(attachment_id, None, None, None, None)
