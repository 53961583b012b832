"""Read-only access to an export, whether a .zip or an unpacked folder.

Nothing is ever extracted to disk: entries are streamed straight out of the zip, so an entry
named `../../etc/passwd` could not escape even if it got through. It does not get through: the
zip's whole directory is checked before any record is read (no `..`, no absolute path, no link,
no duplicate name, no two names equal but for case, total size and compression ratio under the
caps), because a half-read malicious export must not leave a half-written archive behind.
Names that differ only in case are refused in folders too: readers look files up ignoring case
(export tools disagree on it), so a twin would make one of them silently pick a side.

Zip reads are bounded by the declared size and checked against the CRC, so the declared sizes
checked here are the real ones; a lying or truncated entry raises mid-read, which `open()` turns
into an `UnsafeInputError` naming the entry. A large entry (a million-row Messages.csv) is inflated
by ISA-L, three times as fast as zlib (672 MB: 0.34 s of CPU against 0.94 s), in a thread a few
blocks ahead of its reader: ISA-L lets go of the GIL, so that work runs on another core. `zipfile`
still opens the entry first, so its checks (local header, name, encryption, method) are the same.
"""

from __future__ import annotations

import hashlib
import io
import os
import queue
import stat
import struct
import threading
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from isal import isal_zlib

from ..errors import InputError, UnsafeInputError

_CHUNK = 1 << 20
#: entries at least this large are inflated ahead by a thread (a thread per small file would cost more).
_READ_AHEAD_FROM = 16 << 20
#: blocks of `_CHUNK` bytes inflated ahead of the reader at most.
_READ_AHEAD_DEPTH = 2


@dataclass(frozen=True)
class SourceLimits:
    """Zip-bomb caps, over the whole zip: a bomb of many small entries is as big as one of one
    huge entry. A real export compresses ~2-15x (text ~5-15x, files barely); a bomb ~1000x.
    The ratio is measured per zip, not per entry, so one long repetitive field is no bomb."""

    #: what all entries may unpack to, together.
    max_total_bytes: int = 200 * 1024**3
    #: unpacked size / compressed size of all entries together.
    max_ratio: float = 100.0
    #: a zip unpacking to less than this is not ratio-checked: it cannot fill a disk.
    ratio_floor_bytes: int = 64 * 1024**2


class SourceTree:
    """The files of an export, by relative POSIX path."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = path.name

    def names(self) -> list[str]:
        raise NotImplementedError

    def open(self, name: str) -> BinaryIO:
        raise NotImplementedError

    def size(self, name: str) -> int:
        raise NotImplementedError

    def digest(self) -> str:
        """sha256 of the input as handed over, recorded in the provenance event."""
        raise NotImplementedError

    def close(self) -> None:
        pass

    def find(self, filename: str) -> str | None:
        """The shallowest entry whose base name is `filename`, ignoring case."""
        wanted = filename.lower()
        hits = [n for n in self.names() if PurePosixPath(n).name.lower() == wanted]
        return min(hits, key=lambda n: (n.count("/"), n)) if hits else None

    def __enter__(self) -> SourceTree:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_source(path: Path, limits: SourceLimits = SourceLimits()) -> SourceTree:
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    if path.is_dir():
        return FolderSource(path)
    if zipfile.is_zipfile(path):
        return ZipSource(path, limits)
    raise InputError(f"{path}: neither a folder nor a readable .zip file (corrupt or truncated?)")


class FolderSource(SourceTree):
    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.root = path.resolve()
        self._names: list[str] = []
        for dirpath, dirnames, filenames in os.walk(self.root):
            for entry in (*dirnames, *filenames):
                full = Path(dirpath, entry)
                if full.is_symlink() and not full.resolve().is_relative_to(self.root):
                    raise UnsafeInputError(
                        f"{full.relative_to(self.root)} is a link pointing outside the export; refused"
                    )
            self._names.extend(
                Path(dirpath, f).relative_to(self.root).as_posix() for f in filenames
            )
        self._names.sort()
        _refuse_case_twins(path, self._names)

    def names(self) -> list[str]:
        return self._names

    def open(self, name: str) -> BinaryIO:
        return open(self.root / name, "rb")

    def size(self, name: str) -> int:
        return (self.root / name).stat().st_size

    def digest(self) -> str:
        listing = hashlib.sha256()
        for name in self._names:
            with self.open(name) as fh:
                listing.update(f"{hashlib.file_digest(fh, 'sha256').hexdigest()}  {name}\n".encode())
        return listing.hexdigest()


class ZipSource(SourceTree):
    def __init__(self, path: Path, limits: SourceLimits) -> None:
        super().__init__(path)
        try:
            self._zip = zipfile.ZipFile(path)
            infos = self._zip.infolist()
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise UnsafeInputError(f"{path}: corrupt or truncated zip ({exc})") from exc
        except NotImplementedError as exc:  # an entry made by a newer zip version than Python reads
            raise UnsafeInputError(f"{path}: uses a zip feature this tool cannot read ({exc}); unpack it "
                                   "with another tool and export the folder") from exc
        self._infos: dict[str, zipfile.ZipInfo] = {}
        total = packed = 0
        for info in infos:
            name = _check_entry(path, info)
            if name is None:
                continue
            if name in self._infos:
                raise UnsafeInputError(f"{path}: entry {name!r} appears twice; refusing an ambiguous export")
            self._infos[name] = info
            total += info.file_size
            packed += info.compress_size
            if total > limits.max_total_bytes:
                raise UnsafeInputError(
                    f"{path}: entries unpack to more than {_size(limits.max_total_bytes)} "
                    "(zip bomb cap --max-unpacked; raise it only for a trusted export)"
                )
        ratio = total / max(packed, 1)
        if total >= limits.ratio_floor_bytes and ratio > limits.max_ratio:
            raise UnsafeInputError(
                f"{path}: entries expand {ratio:.0f}x together ({len(self._infos)} entries, {_size(packed)} "
                f"to {_size(total)}; cap {limits.max_ratio:g}x, --max-ratio): looks like a zip bomb; refused"
            )
        _refuse_case_twins(path, self._infos)

    def names(self) -> list[str]:
        return sorted(self._infos)

    def open(self, name: str) -> BinaryIO:
        try:
            raw = self._zip.open(self._infos[name])
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as exc:
            raise UnsafeInputError(f"{self.path}: entry {name!r} is corrupt ({exc})") from exc
        except (NotImplementedError, RuntimeError) as exc:  # a newer zip version, a method, encryption
            raise UnsafeInputError(f"{self.path}: entry {name!r} uses a zip feature this tool cannot read "
                                   f"({exc}); unpack it with another tool and export the folder") from exc
        label, info = f"{self.path}: entry {name!r}", self._infos[name]
        if info.file_size < _READ_AHEAD_FROM:
            return io.BufferedReader(_GuardedStream(raw, label), _CHUNK)
        if info.compress_type == zipfile.ZIP_DEFLATED:
            raw.close()  # zipfile checked the entry; ISA-L inflates it
            blocks = _inflated(self.path, info, label)
            return io.BufferedReader(_ReadAhead(blocks, blocks.close), _CHUNK)
        guarded = _GuardedStream(raw, label)
        return io.BufferedReader(_ReadAhead(iter(lambda: guarded.read(_CHUNK), b""), guarded.close),
                                 _CHUNK)

    def size(self, name: str) -> int:
        return self._infos[name].file_size

    def digest(self) -> str:
        with open(self.path, "rb") as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest()

    def close(self) -> None:
        self._zip.close()


def _refuse_case_twins(path: Path, names: Iterable[str]) -> None:
    """Refuse two names equal but for case (`Messages.csv`, `MESSAGES.CSV`), naming both."""
    seen: dict[str, str] = {}
    for name in names:
        if (twin := seen.setdefault(name.casefold(), name)) != name:
            raise UnsafeInputError(f"{path}: entries {twin!r} and {name!r} differ only in case; readers "
                                   "match names ignoring case, so one would hide the other; refused")


def _size(n: int) -> str:
    return f"{n / 1024**2:,.1f} MiB"


def _check_entry(path: Path, info: zipfile.ZipInfo) -> str | None:
    """The entry's safe relative name, None for a directory; raises for anything dangerous."""
    raw = info.filename
    name = raw.replace("\\", "/")
    parts = PurePosixPath(name).parts
    if name.startswith("/") or (len(name) > 1 and name[1] == ":") or ".." in parts:
        raise UnsafeInputError(f"{path}: entry {raw!r} would escape the export folder; refused")
    if stat.S_ISLNK(info.external_attr >> 16):
        raise UnsafeInputError(f"{path}: entry {raw!r} is a symbolic link; refused")
    if info.is_dir():
        return None
    return "/".join(p for p in parts if p not in ("", "."))


class _GuardedStream(io.RawIOBase):
    """Turns zipfile's mid-read failures (bad CRC, truncated data) into a clear UnsafeInputError."""

    def __init__(self, raw: BinaryIO, label: str) -> None:
        self._raw, self._label = raw, label

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        try:
            data = self._raw.read(len(buffer))
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
            raise UnsafeInputError(f"{self._label} is corrupt or truncated ({exc})") from exc
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._raw.close()
        super().close()


#: the local file header (APPNOTE.TXT 4.3.7): its fixed part, and where the lengths of the name and
#: of the extra field that come between it and the entry's data are.
_LOCAL_HEADER = 30
_LOCAL_LENGTHS = struct.Struct("<HH")
_LOCAL_LENGTHS_AT = 26


def _inflated(path: Path, info: zipfile.ZipInfo, label: str) -> Iterator[bytes]:
    """The blocks of a deflated entry, inflated by ISA-L and checked as `zipfile` checks them:
    never more than the declared size, and at the end the declared size and CRC-32."""
    try:
        with open(path, "rb") as fh:
            fh.seek(info.header_offset + _LOCAL_LENGTHS_AT)
            name_length, extra_length = _LOCAL_LENGTHS.unpack(fh.read(_LOCAL_LENGTHS.size))
            fh.seek(info.header_offset + _LOCAL_HEADER + name_length + extra_length)
            inflater = isal_zlib.decompressobj(-15)  # a raw deflate stream, as in every zip
            left, size, crc, pending = info.compress_size, 0, 0, b""
            while not inflater.eof:
                if not pending and left and (pending := fh.read(min(left, _CHUNK))):
                    left -= len(pending)
                # A block at most: what the inflater holds comes out with no more input given.
                block = inflater.decompress(pending, _CHUNK)
                if not (block or pending):
                    break  # the data ended before the deflate stream did
                pending = inflater.unconsumed_tail
                size += len(block)
                if size > info.file_size:
                    break
                crc = zlib.crc32(block, crc)
                yield block
    except (isal_zlib.error, OSError, struct.error) as exc:
        raise UnsafeInputError(f"{label} is corrupt or truncated ({exc})") from exc
    if not inflater.eof or size != info.file_size or crc != info.CRC:
        raise UnsafeInputError(f"{label} is corrupt or truncated (inflates to {size:,} bytes with CRC "
                               f"{crc:08x}; declared: {info.file_size:,} bytes, CRC {info.CRC:08x})")


class _ReadAhead(io.RawIOBase):
    """`blocks`, taken by a thread up to `_READ_AHEAD_DEPTH` blocks ahead; its failure (a corrupt
    entry) is raised here, where the block it could not read is asked for. `close` (if given) is
    called once the thread stopped."""

    def __init__(self, blocks: Iterator[bytes], close: Callable[[], None] | None = None) -> None:
        self._source, self._close_source = blocks, close
        self._blocks: queue.Queue[bytes | BaseException] = queue.Queue(_READ_AHEAD_DEPTH)
        self._block = memoryview(b"")
        self._eof = False
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._fill, name="rsemigrate-read-ahead", daemon=True)
        self._thread.start()

    def _fill(self) -> None:
        try:
            for block in self._source:
                if self._closing.is_set():
                    return
                self._blocks.put(block)
            self._blocks.put(b"")
        except BaseException as exc:  # the reader gets it instead of its next block
            self._blocks.put(exc)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if not self._block and not self._eof:
            block = self._blocks.get()
            if isinstance(block, BaseException):
                self._blocks.put(block)  # the thread has stopped: every later read fails alike
                raise block
            self._block, self._eof = memoryview(block), not block
        n = min(len(buffer), len(self._block))
        buffer[:n] = self._block[:n]
        self._block = self._block[n:]
        return n

    def close(self) -> None:
        """Stop the thread (it may be waiting for room in the queue) before closing the entry."""
        self._closing.set()
        while self._thread.is_alive():
            with suppress(queue.Empty):
                self._blocks.get_nowait()
            self._thread.join(0.01)
        if self._close_source is not None:
            self._close_source()
        super().close()
