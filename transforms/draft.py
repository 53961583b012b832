"""The message being prepared for a target, and the bookkeeping every pass shares.

A `Draft` wraps one neutral `Message` on its way to a target: the passes fill in who the author
becomes, the safe HTML, the mentions, files and reactions that survive, the planned time, and the
list of degradations applied (never silently: each is counted by the dry run). Nothing here names
a platform; targets pass their own renderers (how a mention or a file tag is written) and limits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Literal

from rsemigrate.archive import Attachment, Mention, Message

MappingMethod = Literal["explicit", "email", "placeholder", "none"]


@dataclass(slots=True, frozen=True)
class Identity:
    """Who a source user becomes on the target.

    `target` is the target account (UPN, object id, Matrix id…); it is the placeholder account
    when `method` is "placeholder", and None when nobody can stand in ("none").
    """

    source_id: str
    name: str
    target: str | None
    method: MappingMethod

    @property
    def mapped(self) -> bool:
        """True when the target account is the person themself, not a stand-in."""
        return self.method in ("explicit", "email")


@dataclass(slots=True)
class OutMention:
    """A mention that survives as a real mention. `markup` is the exact HTML that renders it."""

    id: int
    text: str
    user: Identity
    markup: str


@dataclass(slots=True)
class FileRef:
    """A file to upload before the message is posted. `markup` is its tag in the body.

    `tag_id` is a stable stand-in for the id the target assigns at upload (Teams: the GUID in the
    drive item's eTag); it has the same length, so sizes measured at planning time are exact.
    """

    attachment: Attachment
    tag_id: str
    markup: str


@dataclass(slots=True)
class OutReaction:
    kind: str
    user: Identity
    at: str | None = None


@dataclass(slots=True, frozen=True)
class Degradation:
    """One fallback applied to one message; `kind` is a stable key from `DEGRADATIONS`."""

    kind: str
    detail: str = ""


@dataclass(slots=True)
class Draft:
    """One message (or one part of a split message) as it will be written to the target."""

    message: Message
    #: key of the target container (a channel or chat of the plan) this message goes to.
    container: str
    author: Identity | None = None
    html: str = ""
    #: mentions found in the body, in the order of their sentinels (see markup.protect).
    refs: list[Mention] = field(default_factory=list)
    mentions: list[OutMention] = field(default_factory=list)
    files: list[FileRef] = field(default_factory=list)
    reactions: list[OutReaction] = field(default_factory=list)
    degradations: list[Degradation] = field(default_factory=list)
    #: source id of the thread root this draft is posted under; None: it is a root itself.
    root_id: str | None = None
    part: int = 1
    parts: int = 1
    #: planned creation time, milliseconds since the epoch (set by timestamps.assign_times).
    created_ms: int | None = None

    @property
    def key(self) -> str:
        """Unique key of this draft: the message id, plus the part number for continuations."""
        return self.message.id if self.part == 1 else f"{self.message.id}#{self.part}"

    def degrade(self, kind: str, detail: str = "") -> None:
        self.degradations.append(Degradation(kind, detail))


#: every degradation a pass may apply, with the fallback an admin sees in the dry-run report.
DEGRADATIONS: dict[str, str] = {
    "placeholder-author": "posted as the placeholder account; the original author's name is shown",
    "unmapped-mention": "mention of an unmapped person kept as plain text with the name",
    "unknown-format": "body in an unknown markup, imported as escaped plain text",
    "unsafe-markup": "markup outside the allow-list removed (its text is kept)",
    "inline-image": "inline image replaced by a link to it",
    "split": "message over the size budget posted as ordered continuation parts",
    "missing-file": "file missing from the archive: a visible note names it",
    "file-skipped": "file not migrated (plan option files = \"skip\"): a visible note names it",
    "link-card": "link card or page posted as a plain link",
    "unsafe-link": "link card whose URL is not http(s) or mailto (javascript:…) shown as text, not a link",
    "unsupported-attachment": "poll, module or page without a link: a visible note names it",
    "reactions-summary": "reactions posted as a summary line",
    "reaction-unmapped": "reaction by an unmapped person counted in a summary line",
    "reaction-unsupported": "reaction of a kind the target cannot show (a custom emoji) counted in a note",
    "reactions-skipped": "reactions left out (plan option reactions = \"skip\")",
    "edited": "final text imported with an \"(edited)\" marker",
    "deleted-kept": "deleted message imported with a \"(deleted)\" marker",
    "deleted-root-tombstone": "deleted thread root replaced by a tombstone line to keep its replies",
    "system-as-text": "system event imported as an italic text line",
    "orphan-reply": "reply whose thread root is not in the archive posted as a new thread with a note",
    "nested-reply": "reply to a reply posted flat in the thread with an \"In reply to\" line",
    "kind-as-text": "announcement, poll, praise, question or event posted as a normal message with a label",
    "time-nudged": "creation time moved forward by a few milliseconds to be unique in the channel",
}

Pass = Callable[[Iterable[Draft]], Iterator[Draft]]


def chain(*passes: Pass) -> Pass:
    """Compose passes left to right into one pass."""

    def run(drafts: Iterable[Draft]) -> Iterator[Draft]:
        stream: Iterable[Draft] = drafts
        for p in passes:
            stream = p(stream)
        yield from stream

    return run


def each(fn: Callable[[Draft], Draft]) -> Pass:
    """Lift a one-draft function into a pass."""

    def run(drafts: Iterable[Draft]) -> Iterator[Draft]:
        for draft in drafts:
            yield fn(draft)

    return run
