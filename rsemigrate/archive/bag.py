"""BagIt 1.0 (RFC 8493) with SHA-256: a streaming writer and a verifier.

The writer hashes every payload byte as it is written, so sealing never re-reads the payload,
and it works in a staging folder that only becomes the bag by a final rename: an interrupted
run leaves a folder named `.NAME.partial-…` without `bagit.txt`, never something that looks
finished. The `bagit` package validates what we write in the tests; it is not used here
because it bags in place, changes the working directory and hashes twice.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import BinaryIO, Literal

from ..errors import ArchiveError

ALGORITHM = "sha256"
MANIFEST = f"manifest-{ALGORITHM}.txt"
TAGMANIFEST = f"tagmanifest-{ALGORITHM}.txt"
_CHUNK = 1 << 20
#: a staging folder: `.NAME.partial-RANDOM`, NAME being the archive it becomes.
_STAGING = re.compile(r"\.(?P<name>.+)\.partial-[^/]+")
#: room kept free for the tag files on top of the manifest's size, checked before sealing.
_SEAL_MARGIN = 4 << 20

def _encode_path(path: str) -> str:
    # RFC 8493 §2.1.3: only CR, LF and % are percent-encoded in manifest paths.
    return path.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _decode_path(path: str) -> str:
    return path.replace("%0A", "\n").replace("%0D", "\r").replace("%25", "%")


class HashingWriter:
    """A binary file that hashes and counts what is written to it.

    Small writes (one JSONL line each) are gathered into ~1 MiB blocks first: hashing and
    writing a block costs the same as one line, so this halves the cost of writing messages.
    """

    def __init__(self, path: Path) -> None:
        self._fh = open(path, "wb")
        self._hash = hashlib.sha256()
        self._pending: list[bytes] = []
        self._pending_size = 0
        self.size = 0

    def write(self, data: bytes) -> None:
        self._pending.append(data)
        self._pending_size += len(data)
        if self._pending_size >= _CHUNK:
            self._flush()

    def _flush(self) -> None:
        block = b"".join(self._pending)
        self._hash.update(block)
        self._fh.write(block)
        self.size += len(block)
        self._pending.clear()
        self._pending_size = 0

    @property
    def position(self) -> int:
        """Bytes written so far, buffered ones included: where the next write lands."""
        return self.size + self._pending_size

    def hexdigest(self) -> str:
        return self._hash.hexdigest()

    def close(self) -> None:
        self._flush()
        self._fh.flush()
        _start_writeback(self._fh.fileno())
        self._fh.close()


def _start_writeback(fd: int) -> None:
    """Start writing a finished file to disk now, without waiting: the seal's sync, which makes the
    bag durable before its rename, then finds little left to write (a gigabyte of message files
    took it up to 1.5 s). On Linux, POSIX_FADV_DONTNEED starts the writeback (PostgreSQL flushes
    its data files this way where sync_file_range is missing); elsewhere this does nothing."""
    with suppress(AttributeError, OSError):
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)


class BagWriter:
    """Builds a bag in a staging folder beside `target`, then renames it into place."""

    def __init__(self, target: Path) -> None:
        if target.exists():
            raise ArchiveError(f"{target} already exists; choose a new output path")
        target.parent.mkdir(parents=True, exist_ok=True)
        self.target = target
        self.root = Path(tempfile.mkdtemp(prefix=f".{target.name}.partial-", dir=target.parent))
        self.data = self.root / "data"
        self.data.mkdir()
        self._manifest = open(self.root / MANIFEST, "w", encoding="utf-8", newline="\n")
        self._octets = 0
        self._files = 0

    def record(self, relpath: str, digest: str, size: int) -> None:
        """Enter a payload file (path relative to `data/`) that is already in place."""
        self._manifest.write(f"{digest}  data/{_encode_path(relpath)}\n")
        self._octets += size
        self._files += 1

    def write_payload(self, relpath: str, chunks: Iterator[bytes]) -> int:
        """Write a payload file from chunks, hashing as it goes; returns its size."""
        digest, size = write_file(self.data / relpath, chunks)
        self.record(relpath, digest, size)
        return size

    def seal(self, tag_files: dict[str, bytes], bag_info: dict[str, str]) -> str:
        """Write the tag files and manifests, rename into place; returns the seal."""
        self._manifest.close()
        needed = _SEAL_MARGIN + 2 * (self.root / MANIFEST).stat().st_size + sum(map(len, tag_files.values()))
        if (free := shutil.disk_usage(self.root).free) < needed:
            raise OSError(errno.ENOSPC, f"{free} bytes free, {needed} needed to seal", str(self.root))
        info = {
            **bag_info,
            "Bagging-Date": date.today().isoformat(),
            "Payload-Oxum": f"{self._octets}.{self._files}",
        }
        tags = {
            "bagit.txt": b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n",
            "bag-info.txt": "".join(f"{k}: {v}\n" for k, v in info.items()).encode(),
            **tag_files,
        }
        for name, content in tags.items():
            (self.root / name).write_bytes(content)
        lines = [
            f"{_file_sha256(self.root / name)}  {name}\n" for name in (*tags, MANIFEST)
        ]
        (self.root / TAGMANIFEST).write_text("".join(lines), encoding="utf-8", newline="\n")
        os.sync()  # one flush of everything before the rename makes the bag durable
        try:
            os.rename(self.root, self.target)
        except OSError as exc:
            if not self.target.exists():
                raise
            raise ArchiveError(f"{self.target} was created by something else while this export ran; "
                               "nothing was written over it") from exc
        return seal_of(self.target)

    def abort(self) -> None:
        """Remove the staging folder, whatever state it is in (a full disk fails the close)."""
        with suppress(OSError):
            self._manifest.close()
        shutil.rmtree(self.root, ignore_errors=True)


def staging_name(path: Path) -> str | None:
    """The archive name a staging folder was building, None if `path` is not one."""
    match = _STAGING.fullmatch(path.name)
    return match["name"] if match else None


def staging_folders(parent: Path) -> list[Path]:
    """Staging folders in `parent`: running exports' and those interrupted runs left behind."""
    if not parent.is_dir():
        return []
    return sorted(p for p in parent.iterdir() if p.is_dir() and staging_name(p) is not None)


def _file_sha256(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, ALGORITHM).hexdigest()


def seal_of(bag: Path) -> str:
    """The bag's seal: the digest of its tag manifest, which covers every other digest."""
    path = bag / TAGMANIFEST
    if not path.is_file():
        raise ArchiveError(f"{bag}: no {TAGMANIFEST}; not a sealed rsemigrate archive")
    return _file_sha256(path)


FindingKind = Literal["changed", "missing", "extra", "oxum", "malformed"]


@dataclass(frozen=True)
class Finding:
    kind: FindingKind
    path: str
    detail: str


def read_manifest(bag: Path, name: str) -> dict[str, str]:
    """path -> digest; a malformed line is an ArchiveError naming it."""
    entries: dict[str, str] = {}
    manifest = bag / name
    if not manifest.is_file():
        raise ArchiveError(f"{bag}: {name} is missing; not a sealed rsemigrate archive")
    try:
        with open(manifest, encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                digest, sep, path = line.rstrip("\n").partition(" ")
                path = path.lstrip(" ")
                if not sep or len(digest) != 64 or not path:
                    raise ArchiveError(f"{manifest}: line {lineno} is not 'DIGEST  PATH'")
                path = _decode_path(path)
                if path.startswith("/") or ".." in Path(path).parts:
                    raise ArchiveError(f"{manifest}: line {lineno} names a path outside the bag: {path!r}")
                entries[path] = digest.lower()
    except UnicodeDecodeError as exc:
        raise ArchiveError(f"{manifest}: not UTF-8 (byte {exc.start}); the manifest was damaged") from None
    return entries


def verify(bag: Path) -> list[Finding]:
    """Completeness and fixity of payload and tag files; every finding names its file."""
    if staging_name(bag.absolute()) is not None:
        raise ArchiveError(f"{bag}: a staging folder of an export that did not finish (even sealed, it "
                           "was never renamed into place); not an archive")
    if not (bag / "bagit.txt").is_file():
        raise ArchiveError(f"{bag}: no bagit.txt; not an archive (or an unfinished export)")
    findings: list[Finding] = []
    tag_entries = read_manifest(bag, TAGMANIFEST)
    findings += _check_files(bag, tag_entries)
    payload = read_manifest(bag, MANIFEST)
    findings += _check_files(bag, payload)
    on_disk = {
        Path(dirpath, f).relative_to(bag).as_posix()
        for dirpath, _, files in os.walk(bag / "data")
        for f in files
    }
    findings += [
        Finding("extra", path, "in the payload but not in the manifest")
        for path in sorted(on_disk - payload.keys())
    ]
    # Top level: only the tag files the tag manifest covers, the tag manifest itself and data/.
    known = tag_entries.keys() | {TAGMANIFEST, "data"}
    findings += [
        Finding("extra", entry.name, "at the top of the bag but in no manifest")
        for entry in sorted(bag.iterdir()) if entry.name not in known
    ]
    findings += _check_oxum(bag, payload)
    return findings


def _check_files(bag: Path, entries: dict[str, str]) -> Iterator[Finding]:
    for path, expected in sorted(entries.items()):
        full = bag / path
        if not full.is_file():
            yield Finding("missing", path, "listed in the manifest but absent")
            continue
        found = _file_sha256(full)
        if found != expected:
            yield Finding("changed", path, f"sha256 expected {expected}, found {found}")


def _check_oxum(bag: Path, payload: dict[str, str]) -> list[Finding]:
    path = bag / "bag-info.txt"
    info = path.read_bytes().decode("utf-8", "replace") if path.is_file() else ""
    oxum = next((line.split(":", 1)[1].strip() for line in info.splitlines()
                 if line.startswith("Payload-Oxum:")), None)
    if oxum is None:
        return [Finding("oxum", "bag-info.txt", "no Payload-Oxum")]
    octets = sum((bag / p).stat().st_size for p in payload if (bag / p).is_file())
    actual = f"{octets}.{len(payload)}"
    if actual == oxum:
        return []
    return [Finding("oxum", "bag-info.txt", f"Payload-Oxum {oxum}, payload is {actual}")]


def write_file(path: Path, chunks: Iterator[bytes]) -> tuple[str, int]:
    """Write a new file from chunks, returning (sha256, size) computed on the way."""
    path.parent.mkdir(parents=True, exist_ok=True)
    out = HashingWriter(path)
    try:
        for chunk in chunks:
            out.write(chunk)
    finally:
        out.close()
    return out.hexdigest(), out.size


def copy_hashing(src: BinaryIO, dest: Path) -> tuple[str, int]:
    """Copy a stream to `dest`, returning (sha256, size) computed on the way."""
    out = HashingWriter(dest)
    try:
        while chunk := src.read(_CHUNK):
            out.write(chunk)
    finally:
        out.close()
    return out.hexdigest(), out.size
