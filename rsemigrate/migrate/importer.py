"""The import run loop every target shares: exactly-once posting over the ledger, in parallel.

Data flow: a target freezes its plan into the ledger (ledger.py), creates its containers, then
hands each container to `send_messages`, which posts every message in planned order through the
target's `Poster` and records each outcome. Containers run in parallel (`in_parallel`) under one
`RateLimiter`. Ctrl-C (SIGINT) or SIGTERM asks every worker to stop after its current request;
a second Ctrl-C cancels at once. Either way the ledger stays consistent and `--resume` continues.

Exactly once, the rule: a post is marked `sending` before it leaves and `sent` once answered.
Posts must be idempotent on their planned time (the target refuses a second post at the same
time with `Conflict`), so re-sending a `sending` post after a crash can never create a second
copy. On a conflict the target is read back: the post found there is adopted when it is ours;
someone else's post at that time (an existing conversation) moves ours to the next free
millisecond. Nothing here names a platform.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

from ..archive import Archive
from ..errors import InputError, RsemigrateError
from .crashpoint import crash_point
from .dryrun import CheckRequest
from .integrity import refuse_changed
from .ledger import DONE, FAILED, SENDING, SENT, SKIPPED, Container, Ledger, Message

if TYPE_CHECKING:
    from .dryrun import DryRunReport

T = TypeVar("T")
#: how often a post may move to a later millisecond because someone else's post holds its time.
MAX_BUMPS = 20


class Conflict(Exception):
    """The target already holds a post at this message's planned time (HTTP 409 on Teams).

    `maybe_ours`: an earlier attempt at this very post may have been applied (its answer was
    lost), so the post found there is probably ours."""

    def __init__(self, maybe_ours: bool) -> None:
        super().__init__("conflict")
        self.maybe_ours = maybe_ours


class Refused(Exception):
    """The target refused this one write for good (bad payload, unknown parent…): mark it failed."""


class Unavailable(RsemigrateError):
    """The target kept failing or refused access: stop this container (the ledger keeps its state)."""

    exit_code = 1


@dataclass(frozen=True)
class ReadBack:
    """What reading the target back found at a message's planned time."""

    #: False when the target cannot be read (no read permission): nothing is known.
    readable: bool
    target_id: str | None = None
    #: the post found at that time is this message (same author and content).
    ours: bool = False
    #: other times in use on the target near it, to choose a free one.
    taken: frozenset[int] = frozenset()


class Poster(Protocol):
    """How a target posts and finds messages of one container."""

    async def post(self, message: Message, root: Message | None) -> str:
        """Send one post under `root` (None: a new thread); return the target's id. Raise
        `Conflict` when a post with this planned time exists, `Refused` for a permanent refusal."""

    async def find(self, message: Message, root: Message | None) -> ReadBack:
        """Read the target back at `message.created_ms`."""


class ImportView(Protocol):
    """What the admin sees while an import runs (progress bars, notes); the CLI supplies it."""

    def phase(self, text: str) -> None: ...

    def start(self, key: str, label: str, total: int, done: int) -> None: ...

    def advance(self, key: str, n: int = 1) -> None: ...

    def finish(self, key: str) -> None: ...

    def note(self, text: str) -> None: ...


class QuietView:
    """An ImportView that shows nothing (tests, `--json`)."""

    def phase(self, text: str) -> None:
        pass

    def start(self, key: str, label: str, total: int, done: int) -> None:
        pass

    def advance(self, key: str, n: int = 1) -> None:
        pass

    def finish(self, key: str) -> None:
        pass

    def note(self, text: str) -> None:
        pass


@dataclass(frozen=True)
class ImportRequest:
    archive: Path
    plan: Path
    resume: bool = False
    #: run the whole import against the target's built-in emulator instead of the real service.
    rehearse: bool = False
    ledger_url: str | None = None
    #: requests per second per container and overall; None: the plan's [rates].
    per_container_rate: float | None = None
    overall_rate: float | None = None
    #: how many containers are worked on at once; None: enough to reach the overall rate.
    parallel: int | None = None
    #: finish containers even though some posts failed (they are recorded as skipped).
    accept_gaps: bool = False
    view: ImportView = field(default_factory=QuietView)


@dataclass
class ContainerOutcome:
    key: str
    label: str
    posts: int = 0
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    pending: int = 0
    files: int = 0
    files_sent: int = 0
    finished: bool = False
    error: str | None = None


@dataclass
class ImportReport:
    target: str
    mode: str
    ledger: str
    seconds: float = 0.0
    containers: list[ContainerOutcome] = field(default_factory=list)
    requests: int = 0
    throttled: int = 0
    retried: int = 0
    sent_this_run: int = 0
    interrupted: bool = False
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.interrupted and not self.errors and all(
            c.finished and not c.failed and not c.pending for c in self.containers)

    @property
    def exit_code(self) -> int:
        if self.interrupted:
            return 130
        return 0 if self.complete else 1


class Stop:
    """Set by Ctrl-C or SIGTERM: workers finish their current request, record it, and return."""

    def __init__(self) -> None:
        self.requested = False

    def __bool__(self) -> bool:
        return self.requested


@dataclass
class RunContext:
    ledger: Ledger
    view: ImportView
    stop: Stop
    sent: int = 0


def admit(ledger: Ledger, request: ImportRequest, check: Callable[[CheckRequest], DryRunReport]) -> None:
    """Refuse to start what would post twice or post blind: a second run while one holds the
    ledger, a new import over a started ledger, a resume with nothing to resume, an archive that
    no longer matches its seal (integrity.py), and a first run whose dry run is not clean. The
    ledger stays locked until it is closed."""
    ledger.lock()
    started = ledger.migration()
    if started is not None and not request.resume:
        raise InputError(
            f"the ledger {ledger.url} holds a migration started {started.created_at:%Y-%m-%d %H:%M} "
            "UTC: continue it with --resume (a second import would post everything twice)"
        )
    if started is None and request.resume:
        raise InputError(
            f"nothing to resume: the ledger {ledger.url} holds no migration; start without --resume"
        )
    refuse_changed(Archive(request.archive), contents=started is None)
    if started is None:
        report = check(CheckRequest(request.archive, request.plan))
        if not report.clean:
            bad = [p for p in report.problems if p.severity != "warning"]
            raise InputError(
                f"the dry run is not clean ({len(bad)} problem(s), e.g. {bad[0].kind}: {bad[0].where}):"
                f" run `rsemigrate plan check {request.archive} --plan {request.plan}` and fix the plan first"
            )


def run_until_stopped(main: Callable[[Stop], Awaitable[T]]) -> T:
    """Run `main` in a fresh event loop. The first SIGINT/SIGTERM sets the Stop it receives; a
    second one cancels the run outright (still safe: every write was recorded before it left)."""

    async def runner() -> T:
        stop = Stop()
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None

        def on_signal() -> None:
            if stop.requested:
                task.cancel()
            stop.requested = True

        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, on_signal)
        try:
            return await main(stop)
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)

    return asyncio.run(runner())


async def in_parallel(items: Iterable[T], worker: Callable[[T], Awaitable[None]], limit: int) -> None:
    """Run `worker` on every item, at most `limit` at a time."""
    gate = asyncio.Semaphore(max(1, limit))

    async def one(item: T) -> None:
        async with gate:
            await worker(item)

    async with asyncio.TaskGroup() as group:
        for item in items:
            group.create_task(one(item))


async def send_messages(ctx: RunContext, container: Container, poster: Poster) -> None:
    """Post every message of `container` that is not done yet, in planned order.

    Returns when each is sent or failed, or when a stop was requested. A reply whose root failed
    stays planned (it has no thread to go into yet: a later run retries the root, then it).
    `Unavailable` propagates: the container stops where it is and the ledger says where."""
    ledger = ctx.ledger
    messages = ledger.messages(container.key)
    ctx.view.start(container.key, container.name, len(messages), sum(m.state in DONE for m in messages))
    try:
        await _send_all(ctx, container, poster, messages)
    finally:
        ledger.commit()


async def _send_all(ctx: RunContext, container: Container, poster: Poster, messages: list[Message]) -> None:
    ledger = ctx.ledger
    by_key = {m.key: m for m in messages}
    times = {m.created_ms for m in messages}
    for message in messages:
        if ctx.stop:
            return
        if message.state in DONE:
            continue
        root = by_key.get(message.root_key) if message.root_key else None
        if root is not None and root.state != SENT:
            ledger.mark(message, error=f"waits for its thread root {root.key}, which is {root.state}")
            continue
        if root is not None and root.target_id is None:
            found = await poster.find(root, None)
            if found.target_id is None:
                ledger.mark(message, state=FAILED, error=f"the id of its thread root {root.key} is unknown; "
                                                         "read access to the target is needed to recover it")
                continue
            ledger.mark(root, target_id=found.target_id)
            ledger.note("recovered-id", root.key, found.target_id)
        await _send_one(ctx, message, root, poster, times)
        if message.state in DONE:
            ctx.view.advance(container.key)


async def _send_one(ctx: RunContext, message: Message, root: Message | None, poster: Poster,
                    times: set[int]) -> None:
    ledger = ctx.ledger
    for _ in range(MAX_BUMPS):
        ledger.mark(message, state=SENDING)
        crash_point("message-sending")
        try:
            target_id = await poster.post(message, root)
        except Refused as exc:
            ledger.mark(message, state=FAILED, error=str(exc))
            ledger.note("failed", message.key, str(exc))
            return
        except Conflict as conflict:
            if await _settle_conflict(ctx, message, root, poster, times, conflict.maybe_ours):
                return
            continue
        crash_point("message-applied")
        # Committed with the next write-ahead record: if it is lost, the post stays `sending`, and
        # a resume re-sends it, gets a conflict and adopts it. One fsync per post instead of two.
        ledger.mark(message, state=SENT, target_id=target_id, error=None, durable=False)
        ctx.sent += 1
        crash_point("message-recorded")
        return
    ledger.mark(message, state=FAILED, error=f"no free millisecond found after {MAX_BUMPS} tries")


async def _settle_conflict(ctx: RunContext, message: Message, root: Message | None, poster: Poster,
                           times: set[int], maybe_ours: bool) -> bool:
    """Adopt the post found at this time if it is ours (True), or move ours to a free time (False)."""
    ledger = ctx.ledger
    found = await poster.find(message, root)
    if found.ours or (maybe_ours and found.target_id is None):
        # Ours: the write-ahead record says it was sent before, and the target agrees (or cannot
        # be read, or does not show it yet). Never post it a second time.
        ledger.mark(message, state=SENT, target_id=found.target_id, error=None)
        ledger.note("adopted", message.key,
                    f"already on the target as {found.target_id}" if found.target_id else
                    "already on the target (id unknown: no read access)")
        ctx.sent += 1
        return True
    if not found.readable and not maybe_ours:
        ledger.mark(
            message,
            state=FAILED,
            error="the target holds a post at this time, and it cannot be read back to tell whose it is",
        )
        return True
    free = message.created_ms + 1
    while free in times or free in found.taken:
        free += 1
    ledger.note("time-moved", message.key, f"{message.created_ms} → {free}: the target holds another post "
                                           "at the planned millisecond")
    times.discard(message.created_ms)
    times.add(free)
    ledger.mark(message, created_ms=free)
    return False


def accept_gaps(ledger: Ledger, container: Container) -> int:
    """Record every post of `container` that is not sent as skipped (the admin accepts the gap),
    so the container can be finished. Returns how many."""
    gaps = [m for m in ledger.messages(container.key) if m.state not in DONE]
    for m in gaps:
        ledger.mark(m, state=SKIPPED, error=f"accepted gap (--accept-gaps): {m.error or m.state}")
    if gaps:
        ledger.note("accepted-gaps", container.key, str(len(gaps)))
    return len(gaps)


def outcomes(ledger: Ledger, labels: dict[str, str] | None = None) -> list[ContainerOutcome]:
    """Per container: posts by state and files uploaded, from the ledger."""
    found: dict[str, ContainerOutcome] = {}
    containers = ledger.containers()
    for c in containers:
        if not c.is_parent:
            found[c.key] = ContainerOutcome(
                c.key, (labels or {}).get(c.key, c.name), finished=c.finish_state == SENT, error=c.error
            )
    for m in ledger.messages():
        outcome = found.get(m.container_key)
        if outcome is None:
            continue
        outcome.posts += 1
        if m.state == SENT:
            outcome.sent += 1
        elif m.state == FAILED:
            outcome.failed += 1
        elif m.state == SKIPPED:
            outcome.skipped += 1
        else:
            outcome.pending += 1
    for f in ledger.files():
        if f.container_key in found:
            found[f.container_key].files += 1
            found[f.container_key].files_sent += f.state == SENT
    return [o for o in found.values() if o.posts or o.files or not o.finished]
