"""Has the archive changed since it was sealed? The checks a reader makes before it trusts one.

`verify` (bag.py) hashes everything, stored files included: the audit. Readers need less, and
sooner: an import must not send a message or a file that differs from what was sealed, and a
search should say when the archive under its index no longer verifies. So, cheapest first:

    tag files        bagit.txt, bag-info.txt, archive.json and the payload manifest, against the
                     tag manifest (the seal covers it): a few small files, always checked
    record files     the users, channels, message files… listed in the payload manifest: present
                     (`contents=False`, a stat each) or hashed (`contents=True`)
    stored files     one at a time, when they are read (`check_stored`)

A bag whose manifests were rewritten to match an edit has another seal: that is a different
archive, which the plan and the ledger record and compare.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from .bag import MANIFEST, TAGMANIFEST, Finding, _check_files, read_manifest
from .layout import FILES_DIR, stored_file

_STORED = f"data/{FILES_DIR}/"


def check_sealed(bag: Path, *, contents: bool) -> list[Finding]:
    """What changed since sealing, stored files aside: the tag files by digest, then each record and
    message file present (and, with `contents`, by digest). Raises ArchiveError when a manifest is
    missing or malformed."""
    findings = list(_check_files(bag, read_manifest(bag, TAGMANIFEST)))
    payload = read_manifest(bag, MANIFEST)
    records = {path: digest for path, digest in payload.items() if not path.startswith(_STORED)}
    if contents:
        findings += _check_files(bag, records)
    else:
        findings += [Finding("missing", path, "listed in the manifest but absent")
                     for path in sorted(records) if not (bag / path).is_file()]
    return findings


def check_stored(bag: Path, sha256: str, size: int | None = None) -> str | None:
    """Why the stored file with this digest must not be used (missing, another size, other bytes),
    or None when its content is what was sealed. Its name is its digest, and the manifest lists it
    under that name, so hashing its bytes checks it against the manifest."""
    path = bag / "data" / stored_file(sha256)
    if not path.is_file():
        return f"data/{stored_file(sha256)} is missing from the archive"
    if size is not None and (found := path.stat().st_size) != size:
        return f"data/{stored_file(sha256)} has {found} bytes, and {size} were sealed"
    with open(path, "rb") as fh:
        digest = hashlib.file_digest(fh, "sha256").hexdigest()
    if digest != sha256:
        return (f"data/{stored_file(sha256)} does not match its sha256: it changed since the archive was "
                "sealed (rsemigrate verify lists every change)")
    return None
