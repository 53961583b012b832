"""Search over a sealed archive, for auditors: any message, in context, in milliseconds.

    query.py     the query language: text -> a typed `Query` tree (parsed once, for every back end)
    backend.py   the `SearchBackend` protocol and its result types
    index.py     where the index lives, which back end opens it, when it is rebuilt
    sqlite/      the default back end: SQLite FTS5 in one file beside the archive
    render.py    search results as a listing, JSON or CSV
    thread.py    a thread as an indented tree, stored attachments re-verified
    hits.py      search-term hit reports
    escapes.py   CSV cells a spreadsheet will not run, terminal text without control characters
    selection.py what a production or an edition takes: a query, channels, people, dates

The index is derived data: it records the archive's seal and is rebuilt whenever the seal
changes. It never lives inside the bag, whose fixity it would break. See docs/search.md.
"""

from .backend import AttachmentRef, ChannelSummary, Facets, Hit, SearchBackend, Thread
from .hits import read_terms, write_term_report_csv, write_term_report_json
from .index import ensure_current, index_location, is_current, open_backend
from .query import From, Query, QueryError, parse
from .render import FIELDS, hit_record, write_hits_csv, write_hits_json, write_hits_table
from .selection import Chosen, Selection, resolve
from .thread import build_tree, render_thread, thread_json

__all__ = [
    "Chosen",
    "FIELDS",
    "AttachmentRef",
    "ChannelSummary",
    "Facets",
    "From",
    "Hit",
    "Query",
    "QueryError",
    "SearchBackend",
    "Thread",
    "Selection",
    "build_tree",
    "ensure_current",
    "hit_record",
    "index_location",
    "is_current",
    "open_backend",
    "parse",
    "read_terms",
    "render_thread",
    "resolve",
    "resolve",
    "thread_json",
    "write_hits_csv",
    "write_hits_json",
    "write_hits_table",
    "write_term_report_csv",
    "write_term_report_json",
]
