"""A read-only browser window onto archives, for auditors: `rsemigrate serve`.

    shelf.py        the archives served: reader, index, people, a background verify each
    app.py          the WSGI app: routes, sign-in, security headers
    pages.py        the pages (overview, channels, timeline, thread, search, person, files)
    body.py         message bodies through the shared markup conversion and nh3
    attachments.py  downloads streamed from the bag, SHA-256 re-checked; image previews
    auth.py         the users file (hashed passwords) and cookie sessions
    state.py        what every worker process sees alike: sessions, verify results (SQLite)
    server.py       pre-forked worker processes on one socket, supervised by the parent
    accesslog.py    who viewed, searched and downloaded what: append-only JSONL

It writes nothing into any archive; its only files are the index beside each archive and the
access log (and, while it runs, a private directory holding the shared state). See docs/viewer.md.
"""

from ..cpus import default_workers
from .accesslog import AccessLog, default_location
from .app import Viewer
from .auth import Sessions, add_user, read_users
from .server import LOOPBACK, check_exposure, serve
from .shelf import Shelved, open_shelf, verify_shelf
from .state import SharedState, Verification

__all__ = [
    "LOOPBACK",
    "AccessLog",
    "Sessions",
    "SharedState",
    "Shelved",
    "Verification",
    "Viewer",
    "add_user",
    "check_exposure",
    "default_location",
    "default_workers",
    "open_shelf",
    "read_users",
    "serve",
    "verify_shelf",
]
