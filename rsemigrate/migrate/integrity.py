"""The import sends nothing it has not checked against the archive's seal.

The plan and the ledger record the archive's seal (the digest of its tag manifest), but an edit
that leaves the manifests alone keeps the seal: only hashing finds it. So:

    first run   the tag files and every record and message file are hashed against the bag's
                manifests before the plan is frozen: a message altered after sealing is refused,
                naming its file and the channels whose messages it holds
    resume      the tag files, and every record and message file present (the posts come from
                the ledger, frozen at the first run, not from the archive)
    each file   hashed just before it is uploaded: one edited after the plan was frozen is
                recorded as failed with the reason (its posts wait), never uploaded

`plan check` warns with the same findings (`archive_damage`).
"""

from __future__ import annotations

from ..archive import Archive, check_sealed, check_stored
from ..errors import InputError
from .dryrun import Problem
from .ledger import FAILED, File, Ledger

#: findings named in one message; the rest are counted.
NAMED = 3


class ArchiveChanged(InputError):
    """The archive no longer matches its seal: the import refuses to send from it."""


def _findings(archive: Archive, contents: bool) -> list[str]:
    findings = check_sealed(archive.path, contents=contents)
    if not findings:
        return []
    channels: dict[str, list[str]] = {}
    for span in archive.spans():
        channels.setdefault(f"data/{span.file}", []).append(span.channel_id)
    out = []
    for f in findings:
        held = channels.get(f.path, [])
        shown = ", ".join(held[:5]) + (" …" if len(held) > 5 else "")
        what = f" (it holds the messages of channel{'s' * (len(held) > 1)} {shown})" if held else ""
        out.append(f"{f.path} {f.kind}{what}")
    return out


def _summary(found: list[str]) -> str:
    more = f"; and {len(found) - NAMED} more" if len(found) > NAMED else ""
    return "; ".join(found[:NAMED]) + more


def refuse_changed(archive: Archive, *, contents: bool) -> None:
    """Raise ArchiveChanged naming what differs from the seal (see the module doc)."""
    found = _findings(archive, contents)
    if found:
        raise ArchiveChanged(f"{archive.path} changed since it was sealed, so nothing is sent from it: "
                             f"{_summary(found)}. Restore it from a copy (`rsemigrate verify {archive.path}` "
                             "lists every change)")


def archive_damage(archive: Archive) -> list[Problem]:
    """A warning for the dry run when the archive no longer matches its seal (stored files aside:
    the dry run checks each of those on its own)."""
    found = _findings(archive, contents=True)
    if not found:
        return []
    return [Problem("archive-damaged", "warning", "archive", f"the archive changed since it was sealed, and "
                    f"the import will refuse it until it verifies: {_summary(found)}")]


def refuse_stored_file(ledger: Ledger, archive: Archive, f: File) -> bool:
    """Check a stored file just before its upload; when it is not what was sealed, record it as
    failed, naming it and why, and return True (it must not be sent)."""
    reason = check_stored(archive.path, f.sha256, f.size)
    if reason is None:
        return False
    error = f"file {f.key} ({f.name}) not uploaded: {reason}"
    ledger.mark(f, state=FAILED, error=error)
    ledger.note("refused", f"file {f.key}", error)
    return True
