"""Search over a sealed archive, for auditors: any message, in context, in milliseconds.

    query.py     the query language: text -> a typed `Query` tree (parsed once, for every back end)
    backend.py   the `SearchBackend` protocol, its result types, where the index lives
    sqlite/      the default back end: SQLite FTS5 in one file beside the archive
    render.py    search results as a listing, JSON or CSV
    thread.py    a thread as an indented tree, stored attachments re-verified
    hits.py      search-term hit reports
    selection.py what a production or an edition takes: a query, channels, people, dates

The index is derived data: it records the archive's seal and is rebuilt whenever the seal
changes. It never lives inside the bag, whose fixity it would break. See docs/search.md.
"""

from .backend import SearchBackend, ensure_current, index_location, open_backend
from .query import From, Query, parse
from .selection import Chosen, Selection, resolve
from .thread import build_tree, render_thread, thread_json

__all__ = [
    "Chosen",
    "From",
    "Query",
    "SearchBackend",
    "Selection",
    "build_tree",
    "ensure_current",
    "index_location",
    "open_backend",
    "parse",
    "render_thread",
    "resolve",
    "thread_json",
]
