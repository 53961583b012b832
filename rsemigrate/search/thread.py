"""A thread as an auditor reads it: each reply under what it answers, oldest first.

A reply to a reply nests twice. A reply whose parent is not in the archive hangs under the
thread's root, marked as such; when the root itself is missing (posted before the export
window, say), a placeholder "root not in archive" stands in for it. Stored attachment files are
re-hashed every time a thread is shown, so a file changed since the archive was sealed shows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from .backend import AttachmentRef, Thread, ThreadMessage

if TYPE_CHECKING:
    from ..archive import Archive

AttachmentStatus = Literal["verified", "changed", "missing", "external"]
PLACEHOLDER = "root not in archive"


@dataclass(frozen=True, slots=True)
class CheckedAttachment:
    ref: AttachmentRef
    status: AttachmentStatus
    detail: str

    @property
    def label(self) -> str:
        return self.ref.name or self.ref.url or self.ref.attachment_id


@dataclass(slots=True, eq=False)
class ThreadNode:
    #: None for the placeholder standing in for a root that is not in the archive.
    message: ThreadMessage | None
    attachments: tuple[CheckedAttachment, ...] = ()
    replies: list[ThreadNode] = field(default_factory=list)
    #: the id this message answers, when that message is not in the archive.
    missing_parent: str | None = None

    def walk(self) -> Iterator[ThreadNode]:
        yield self
        for reply in self.replies:
            yield from reply.walk()


def build_tree(thread: Thread, archive: Archive) -> ThreadNode:
    """The thread's root node (or placeholder), replies attached in chronological order."""
    nodes = {m.message_id: ThreadNode(m, tuple(check_attachment(archive, a) for a in m.attachments))
             for m in thread.messages}
    root = nodes.get(thread.thread_id) or ThreadNode(None)
    parents: dict[str, ThreadNode] = {}
    for message in thread.messages:
        node = nodes[message.message_id]
        if node is root:
            continue
        parent = nodes.get(message.reply_to_id) if message.reply_to_id else None
        if parent is None or parent is node:
            parent = root
            # The placeholder already says the root is missing; any other lost parent is marked.
            if message.reply_to_id not in (None, *nodes) and not (
                    root.message is None and message.reply_to_id == thread.thread_id):
                node.missing_parent = message.reply_to_id
        parent.replies.append(node)
        parents[message.message_id] = parent
    # Replies that answer each other in a loop (damaged data) are unreachable: hang them on the root.
    reached = {id(node) for node in root.walk()}
    for message in thread.messages:
        node = nodes[message.message_id]
        if id(node) not in reached:
            parents[message.message_id].replies.remove(node)
            root.replies.append(node)
            reached.update(id(n) for n in node.walk())
    return root


def check_attachment(archive: Archive, ref: AttachmentRef) -> CheckedAttachment:
    """Re-verify a stored file against the digest recorded at export."""
    if ref.status is None:
        return CheckedAttachment(ref, "missing", "the archive has no record of this attachment")
    if ref.status == "external":
        return CheckedAttachment(ref, "external", "kept as a link, not stored in the archive")
    if ref.status == "missing" or not ref.sha256:
        return CheckedAttachment(ref, "missing", "not captured at export (see data/report.jsonl)")
    path = archive.file_path(ref.sha256)
    if not path.is_file():
        where = path.relative_to(archive.path)
        return CheckedAttachment(ref, "missing", f"stored file {where} is gone")
    with open(path, "rb") as fh:
        found = hashlib.file_digest(fh, "sha256").hexdigest()
    if found != ref.sha256:
        return CheckedAttachment(ref, "changed", f"stored file changed since sealing: sha256 {found}, "
                                                 f"expected {ref.sha256}")
    return CheckedAttachment(ref, "verified", f"sha256 {ref.sha256} re-checked")


def render_thread(thread: Thread, root: ThreadNode, focus: str) -> Iterator[str]:
    """The tree as text lines; the message asked for is marked with ◀."""
    where = f"#{thread.channel}" + (f" ({thread.group})" if thread.group else "")
    yield f"Thread {thread.thread_id} in {where}: {len(thread.messages)} message(s) in the archive"
    yield from _node_lines(root, "", "", focus, thread.thread_id)


def _node_lines(node: ThreadNode, head: str, guide: str, focus: str, thread_id: str) -> Iterator[str]:
    message = node.message
    body = guide + ("│   " if node.replies else "    ")
    if message is None:
        yield f"{head}[{PLACEHOLDER}: thread {thread_id}]"
    else:
        marks = [f"edited {message.edited_at}" if message.edited_at else "",
                 f"DELETED {message.deleted_at or ''}".strip() if message.deleted else "",
                 f"answers {node.missing_parent}, which is not in the archive" if node.missing_parent else ""]
        flags = "".join(f"  [{mark}]" for mark in marks if mark)
        pointer = "  ◀" if message.message_id == focus else ""
        author = message.author_name + (f" <{message.author_email}>" if message.author_email else "")
        yield f"{head}{message.created_at}  {author}  id {message.message_id}{flags}{pointer}"
        lines = ([message.title] if message.title else []) + (message.text.splitlines() or ["(no text)"])
        for line in lines:
            yield f"{body}{line}"
        for attachment in node.attachments:
            yield f"{body}attachment {attachment.label}: {attachment.status} ({attachment.detail})"
    for i, reply in enumerate(node.replies):
        last = i == len(node.replies) - 1
        head, below = ("└── ", "    ") if last else ("├── ", "│   ")
        yield from _node_lines(reply, guide + head, guide + below, focus, thread_id)


def thread_json(thread: Thread, root: ThreadNode) -> dict[str, Any]:
    return {"thread_id": thread.thread_id, "channel": thread.channel, "group": thread.group,
            "messages": len(thread.messages), "root": _node_json(root, thread.thread_id)}


def _node_json(node: ThreadNode, thread_id: str) -> dict[str, Any]:
    replies = [_node_json(reply, thread_id) for reply in node.replies]
    message = node.message
    if message is None:
        return {"placeholder": PLACEHOLDER, "message_id": thread_id, "replies": replies}
    return {
        "message_id": message.message_id,
        "reply_to_id": message.reply_to_id,
        "missing_parent": node.missing_parent,
        "author_name": message.author_name,
        "author_email": message.author_email,
        "created_at": message.created_at,
        "edited_at": message.edited_at,
        "deleted": message.deleted,
        "deleted_at": message.deleted_at,
        "title": message.title,
        "text": message.text,
        "attachments": [{"attachment_id": a.ref.attachment_id, "name": a.label, "status": a.status,
                         "detail": a.detail, "sha256": a.ref.sha256} for a in node.attachments],
        "replies": replies,
    }
