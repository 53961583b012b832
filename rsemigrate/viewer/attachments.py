"""Attachment downloads straight from the bag, SHA-256 re-checked before and while they stream.

The file is hashed once before the first byte is sent: a mismatch refuses the download and says
so. It is hashed again as it streams; should it change in between, the stream stops short of its
Content-Length, so the browser reports a failed download rather than keeping altered bytes.
Only images on an allow-list, whose first bytes confirm the type, are ever shown inline.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

CHUNK = 1 << 16
#: inline previews: these types only, recognised by their first bytes. Never SVG (it runs script).
IMAGE_MAGIC = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "image/webp": (b"RIFF",),
}


def digest(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def image_type(path: Path) -> str | None:
    """The allow-listed image type the file's first bytes show, or None."""
    with open(path, "rb") as fh:
        head = fh.read(16)
    for media_type, magics in IMAGE_MAGIC.items():
        if head.startswith(magics) and (media_type != "image/webp" or head[8:12] == b"WEBP"):
            return media_type
    return None


class ChangedWhileStreaming(Exception):
    """The stored file no longer matched its digest by the end of the stream."""


def stream_checked(path: Path, sha256: str) -> Iterator[bytes]:
    """The file's bytes; the last chunk is held back until the whole file has matched `sha256`."""
    hasher = hashlib.sha256()
    held = b""
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            hasher.update(chunk)
            if held:
                yield held
            held = chunk
    if hasher.hexdigest() != sha256:
        raise ChangedWhileStreaming(f"{path}: sha256 {hasher.hexdigest()}, expected {sha256}")
    if held:
        yield held
