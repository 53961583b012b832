"""The import ledger: the frozen plan, and a write-ahead record of every write to the target.

Why: an import gives no second chance, so each write is recorded *before* it is sent (`sending`)
and again once its answer is known (`sent` with the target's id, or `failed` with the reason).
After any interruption (Ctrl-C, a crash, `kill -9` at any instant) the ledger says exactly which
writes may have happened, and `--resume` settles those before anything else. Nothing here names
a platform: a Teams import and a Matrix import keep the same tables.

    migration   one row: the archive (id, seal), the frozen plan, the app identity that owns it
    container   a conversation (channel, chat, room) or its parent (team): created, then finished
    file        an upload into a container
    message     a post, in posting order per container; its planned time is its idempotency key
    member      who is added to a parent once it is finished
    skip        what the plan leaves out, per container and reason
    event       an append-only audit trail (conflicts, recoveries, failures, phases)
    run         each run of the import

Every state column moves planned → sending → sent | failed | skipped; `sending` means "this write
may have reached the target", and is committed before the write leaves. SQLite is the default
(WAL, synchronous=FULL: a committed state survives kill -9 and power loss); any SQLAlchemy URL
works.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Self, TypeVar

from sqlalchemy import Index, UniqueConstraint, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import registry
from sqlmodel import Field, Session, SQLModel, create_engine, select

from ..errors import InputError
from ..lock import exclusive, lock_path

State = Literal["planned", "sending", "sent", "failed", "skipped"]
PLANNED: State = "planned"
SENDING: State = "sending"
SENT: State = "sent"
FAILED: State = "failed"
SKIPPED: State = "skipped"
DONE = frozenset({SENT, SKIPPED})
#: bump when the meaning of a table changes; an older ledger is then refused, never misread.
LEDGER_FORMAT = 1
T = TypeVar("T", bound="LedgerTable")


def now() -> datetime:
    return datetime.now(UTC)


class LedgerTable(SQLModel, registry=registry()):
    """Base of the ledger's tables: their own metadata, apart from any other SQLModel schema."""


class Migration(LedgerTable, table=True):
    __tablename__ = "migration"
    id: int = Field(default=1, primary_key=True)
    ledger_format: int = LEDGER_FORMAT
    target: str
    #: "live", or "rehearsal" for a run against the built-in emulator.
    mode: str
    archive_id: str
    archive_seal: str
    #: the plan as frozen at the first run: canonical JSON of what decides the content.
    plan: str
    plan_path: str
    #: the app identity that owns the migration (only it may import into or finish its containers).
    owner: str
    tenant: str
    #: source user ids whose own account was not found at freeze time (they post as the placeholder).
    unresolved: str = "[]"
    tool_version: str = ""
    created_at: datetime = Field(default_factory=now)
    completed_at: datetime | None = None


class Run(LedgerTable, table=True):
    __tablename__ = "run"
    id: int | None = Field(default=None, primary_key=True)
    mode: str
    pid: int
    started_at: datetime = Field(default_factory=now)
    ended_at: datetime | None = None
    #: running, completed, gaps, interrupted or failed.
    outcome: str = "running"


class Container(LedgerTable, table=True):
    __tablename__ = "container"
    key: str = Field(primary_key=True)
    #: target-defined kind (Teams: team, general, new-channel, existing-channel, chat).
    kind: str
    name: str
    #: a parent holds conversations (a team), not messages.
    is_parent: bool = False
    parent_key: str | None = Field(default=None, index=True)
    position: int
    #: when the target must believe it was created (ms since the epoch): before its first message.
    planned_ms: int | None = None
    state: str = PLANNED
    target_id: str | None = None
    #: target-specific facts learned while creating it (JSON): an operation URL, a files folder…
    detail: str = "{}"
    #: the final step (Teams: completeMigration), once everything in it is sent.
    finish_state: str = PLANNED
    attempts: int = 0
    error: str | None = None

    def facts(self) -> dict[str, Any]:
        return dict(json.loads(self.detail))


class File(LedgerTable, table=True):
    __tablename__ = "file"
    __table_args__ = (UniqueConstraint("container_key", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    container_key: str = Field(index=True)
    #: the archive's attachment id.
    key: str
    name: str
    sha256: str
    size: int
    #: where it goes, relative to the container's files folder.
    path: str
    #: posting order of the first message that needs it.
    position: int
    #: whose storage it goes into when not the container's (a chat's files live in their author's).
    owner: str | None = None
    state: str = PLANNED
    target_id: str | None = None
    #: the id a message must quote to reference it (Teams: the eTag GUID).
    target_ref: str | None = None
    url: str | None = None
    #: a resumable upload in progress, and when its URL expires (ms since the epoch).
    upload_url: str | None = None
    upload_expires_ms: int | None = None
    attempts: int = 0
    error: str | None = None


class Message(LedgerTable, table=True):
    __tablename__ = "message"
    __table_args__ = (
        UniqueConstraint("container_key", "key"),
        UniqueConstraint("container_key", "created_ms"),
        Index("message_order", "container_key", "seq"),
    )
    id: int | None = Field(default=None, primary_key=True)
    container_key: str
    seq: int
    key: str
    root_key: str | None = None
    #: planned creation time (ms since the epoch): unique per container, the idempotency key.
    created_ms: int
    #: target account id of the author, the original author's name, and whether a stand-in posts.
    author: str
    author_name: str
    fallback: bool = False
    #: the frozen payload (target JSON without ids only known at send time) and its digest.
    payload: str
    payload_sha256: str
    #: digest of the normalised text, to recognise the message when reading the target back.
    content_hash: str
    #: attachment ids of the files this post references (JSON list).
    files: str = "[]"
    state: str = PLANNED
    target_id: str | None = None
    attempts: int = 0
    error: str | None = None
    updated_at: datetime | None = None


class Member(LedgerTable, table=True):
    __tablename__ = "member"
    __table_args__ = (UniqueConstraint("parent_key", "account"),)
    id: int | None = Field(default=None, primary_key=True)
    parent_key: str = Field(index=True)
    account: str
    name: str
    role: str = "member"
    state: str = PLANNED
    error: str | None = None


class Skip(LedgerTable, table=True):
    __tablename__ = "skip"
    container_key: str = Field(primary_key=True)
    reason: str = Field(primary_key=True)
    count: int


class Event(LedgerTable, table=True):
    __tablename__ = "event"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=now)
    run: int | None = None
    kind: str
    key: str
    detail: str = ""


@dataclass(frozen=True)
class Frozen:
    """Everything a first run writes in one transaction: the plan, frozen."""

    migration: Migration
    containers: Sequence[Container]
    files: Sequence[File]
    messages: Sequence[Message]
    members: Sequence[Member]
    skips: Sequence[Skip]


class ResumeRefused(InputError):
    """The ledger belongs to another archive, plan or app identity: continuing would mix them."""


def default_url(plan: Path) -> str:
    """The ledger beside the plan: `plan.toml` → `plan.ledger.sqlite`."""
    return f"sqlite:///{plan.resolve().with_suffix('.ledger.sqlite')}"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _engine(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    try:
        engine = create_engine(url)
    except Exception as exc:  # noqa: BLE001 - SQLAlchemy raises several kinds for a bad URL
        raise InputError(f"cannot use the ledger URL {url!r}: {exc}") from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def ledger_lock_path(url: str) -> Path:
    """The lock file of a ledger: beside an SQLite ledger; for a database server, one per URL in the
    temporary folder (so it keeps two runs apart on one machine only)."""
    if url.startswith("sqlite:///"):
        return lock_path(Path(url.removeprefix("sqlite:///")).resolve())
    digest = hashlib.sha256(url.encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f".rsemigrate-ledger-{digest}.lock"


def shown_url(url: str) -> str:
    """The ledger URL as messages show it: without a password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - SQLAlchemy raises several kinds for a bad URL
        return url


class Ledger:
    """One ledger database, used from one thread. Each state change is its own transaction."""

    def __init__(self, url: str, *, locked: bool = False) -> None:
        """Open (and create) the ledger; `locked` takes its lock first (see `lock`), so two runs
        never even create its tables together."""
        self.url = url
        self._held = ExitStack()
        self._locked = False
        if locked:
            self.lock()
        try:
            self._engine = _engine(url)
            LedgerTable.metadata.create_all(self._engine)
        except DBAPIError as exc:
            self._held.close()
            raise InputError(f"cannot open the ledger {shown_url(url)}: {exc.orig} (it is not a ledger, "
                             "or it is damaged: restore it from a copy)") from None
        except BaseException:
            self._held.close()
            raise
        self._session = Session(self._engine, expire_on_commit=False)
        self.run_id: int | None = None

    def lock(self) -> None:
        """Hold the ledger for this process until `close()` (again: nothing). Why: two runs over one
        ledger (two imports started together, or two `--resume`) would both post; the second is
        refused at once with the holder's PID and start time (`LockedError`, exit 2). The kernel
        drops the lock when the holder dies, even by kill -9, so a crash never blocks the resume."""
        if not self._locked:
            what = f"the ledger {shown_url(self.url)}"
            self._held.enter_context(exclusive(ledger_lock_path(self.url), what))
            self._locked = True

    def close(self) -> None:
        self._session.close()
        self._engine.dispose()
        self._held.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ── the frozen plan ────────────────────────────────────────────────────────────────────────

    def migration(self) -> Migration | None:
        found = self._session.get(Migration, 1)
        if found is not None and found.ledger_format != LEDGER_FORMAT:
            raise InputError(f"the ledger {self.url} has format {found.ledger_format}; this tool reads "
                             f"format {LEDGER_FORMAT}: finish it with the version that started it")
        return found

    def freeze(self, frozen: Frozen) -> None:
        """Write the plan in one transaction: a crash leaves either all of it or nothing."""
        if self.migration() is not None:
            raise InputError(f"the ledger {self.url} already holds a migration")
        s = self._session
        try:
            s.add_all([frozen.migration, *frozen.containers, *frozen.files, *frozen.messages,
                       *frozen.members, *frozen.skips])
            s.commit()
        except Exception:
            s.rollback()
            raise

    def differences(self, current: Migration, *, identity: bool = True) -> list[str]:
        """Why `current` (what this run would freeze) is not the ledger's migration, if it is not."""
        found = self.migration()
        assert found is not None
        reasons: list[str] = []
        if identity and (found.owner != current.owner or found.tenant != current.tenant):
            reasons.append(
                f"it is owned by app {found.owner} in tenant {found.tenant}, and this run signs in as app "
                f"{current.owner} in tenant {current.tenant}. Only the app that put a conversation in "
                "migration "
                "mode may import into it or finish it: resume with that app's credentials"
            )
        if found.archive_id != current.archive_id:
            reasons.append(
                f"it was started from archive {found.archive_id}, and this is archive {current.archive_id}"
            )
        elif found.archive_seal != current.archive_seal:
            reasons.append(
                f"the archive changed since it was started (seal {found.archive_seal[:12]}… is now "
                f"{current.archive_seal[:12]}…): restore the archive it was started from "
                "(`rsemigrate verify` names changed files)"
            )
        if found.plan != current.plan:
            changed = _changed_keys(json.loads(found.plan), json.loads(current.plan))
            names = ", ".join(changed[:10]) + (" …" if len(changed) > 10 else "")
            reasons.append(f"the plan changed since it was started ({names}): undo those edits, since the "
                           "messages already imported were planned with the old values")
        if found.target != current.target or found.mode != current.mode:
            reasons.append(f"it is a {found.mode} {found.target} migration, and this run is a "
                           f"{current.mode} {current.target} one")
        return reasons

    def refuse_resume(self, current: Migration) -> None:
        """Raise ResumeRefused, explaining why, when `current` differs from the ledger's migration."""
        reasons = self.differences(current)
        if reasons:
            raise ResumeRefused(f"cannot resume the migration in {self.url}: " + "; ".join(reasons) + ".")

    # ── runs and the audit trail ───────────────────────────────────────────────────────────────

    def start_run(self, mode: str) -> None:
        run = Run(mode=mode, pid=os.getpid())
        self._session.add(run)
        self._session.commit()
        self.run_id = run.id

    def end_run(self, outcome: str) -> None:
        run = self._session.get(Run, self.run_id) if self.run_id is not None else None
        if run is not None:
            run.ended_at, run.outcome = now(), outcome
            if outcome == "completed":
                migration = self.migration()
                assert migration is not None
                migration.completed_at = now()
            self._session.commit()

    def note(self, kind: str, key: str, detail: str = "") -> None:
        self._session.add(Event(run=self.run_id, kind=kind, key=key, detail=detail))
        self._session.commit()

    def events(self, kind: str | None = None) -> list[Event]:
        query = select(Event).order_by(Event.id)  # type: ignore[arg-type]
        if kind is not None:
            query = query.where(Event.kind == kind)
        return list(self._session.exec(query))

    # ── reading ────────────────────────────────────────────────────────────────────────────────

    def containers(self) -> list[Container]:
        return list(self._session.exec(select(Container).order_by(Container.position)))  # type: ignore[arg-type]

    def container(self, key: str) -> Container:
        found = self._session.get(Container, key)
        if found is None:
            raise KeyError(key)
        return found

    def messages(self, container_key: str | None = None) -> list[Message]:
        query = select(Message).order_by(Message.container_key, Message.seq)  # type: ignore[arg-type]
        if container_key is not None:
            query = query.where(Message.container_key == container_key)
        return list(self._session.exec(query))

    def files(self, container_key: str | None = None) -> list[File]:
        query = select(File).order_by(File.container_key, File.position)  # type: ignore[arg-type]
        if container_key is not None:
            query = query.where(File.container_key == container_key)
        return list(self._session.exec(query))

    def members(self, parent_key: str) -> list[Member]:
        return list(
            self._session.exec(select(Member).where(Member.parent_key == parent_key).order_by(Member.id))
        )  # type: ignore[arg-type]

    def skips(self) -> list[Skip]:
        return list(self._session.exec(select(Skip)))

    # ── writing ────────────────────────────────────────────────────────────────────────────────

    def mark(self, row: T, *, durable: bool = True, **values: Any) -> T:
        """Change a row and commit (one transaction per state change).

        `durable=False` leaves the change to be committed with the next one: only for a change
        whose loss is harmless, like `sent` after a post, which a resume finds again by its key
        (the write-ahead `sending` before a request is always durable). Setting `state` to sending
        counts an attempt; a message also gets its `updated_at`."""
        for name, value in values.items():
            setattr(row, name, value)
        if values.get("state") == SENDING and hasattr(row, "attempts"):
            row.attempts += 1  # type: ignore[attr-defined]
        if isinstance(row, Message):
            row.updated_at = now()
        self._session.add(row)
        if durable:
            self._session.commit()
        return row

    def commit(self) -> None:
        """Commit changes marked `durable=False`."""
        self._session.commit()

    def mark_all(self, rows: Iterable[LedgerTable], **values: Any) -> None:
        for row in rows:
            for name, value in values.items():
                setattr(row, name, value)
            self._session.add(row)
        self._session.commit()


def _changed_keys(old: Any, new: Any, prefix: str = "") -> list[str]:
    """Dotted paths where two JSON documents differ."""
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[str] = []
        for key in sorted(set(old) | set(new)):
            path = f"{prefix}.{key}" if prefix else key
            if key not in old or key not in new:
                out.append(path)
            else:
                out.extend(_changed_keys(old[key], new[key], path))
        return out
    return [] if old == new else [prefix or "(plan)"]
