"""The outer layers of an `.rsmf` file: the zip, and the RFC 5322 message carrying it.

Relativity requires exactly one attachment, `rsmf.zip`, base64, and reads `X-RSMF-*` headers that
must agree with the manifest. The message is 7-bit: non-ASCII names go into headers as RFC 2047
encoded words, the text body as quoted-printable, lines end in CRLF and long headers are folded.

The encoding is the stdlib `email` package's own (`Header`, `formataddr`, `format_datetime`);
only the fixed multipart layout around it is written here, byte for byte what the package's
generator writes (a test checks it), because the generator costs 2 ms a file and a production
can hold a hundred thousand files. For the same reason the two costliest steps left, folding long
ASCII headers and quoting the body, are done here by the package's rules, faster, and compared
with the package by property tests. The zip is base64-encoded
as it is read, so a file near 2 GB is never held in memory. Bytes are deterministic (fixed zip
times, a boundary derived from the zip), so producing the same selection twice gives identical
files that dedupe.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import shutil
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.header import Header
from email.utils import format_datetime, formataddr
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

ZIP_NAME = "rsmf.zip"
MANIFEST_NAME = "rsmf_manifest.json"
#: zip entries carry this time, not the production's, so re-runs give the same bytes.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
MANIFEST_LEVEL = 1
CRLF = "\r\n"
#: RFC 5322's recommended line length, where headers are folded.
LINE = 78
#: base64 lines are 76 characters (57 bytes); blocks of whole lines keep the lines whole.
_BASE64_LINE = 76
_BASE64_BLOCK = 57 * 16384
#: control characters would end a header early (header injection) or break the layout.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_SPACES = re.compile("( +)")
#: quoted-printable's longest line (RFC 2045), soft break included.
_QP_LINE = 76


@dataclass(frozen=True, slots=True)
class Headers:
    version: str
    generator: str
    begin: str
    end: str
    events: int
    attachments: int
    participants: tuple[tuple[str, str | None], ...]
    application: str
    collection_id: str
    custodian: str | None
    subject: str
    slice: str


def write_zip(manifest: bytes, files: Iterable[tuple[str, Path]], out: BinaryIO) -> None:
    """`rsmf_manifest.json` then every attachment, flat, deflated, streamed into `out`.

    The manifest is deflated at level 1: half the time of the default level 6 for a tenth more
    bytes (measured on day slices, where deflating it was a tenth of the production's time)."""
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo(MANIFEST_NAME, ZIP_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, manifest, compresslevel=MANIFEST_LEVEL)
        for name, path in files:
            info = zipfile.ZipInfo(name, ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(path, "rb") as src, archive.open(info, "w", force_zip64=True) as dest:
                shutil.copyfileobj(src, dest, 1 << 20)


def message_chunks(headers: Headers, body: str, zipped: BinaryIO) -> Iterator[bytes]:
    """The whole `.rsmf` file, in pieces."""
    digest = hashlib.sha256()
    zipped.seek(0)
    while chunk := zipped.read(1 << 20):
        digest.update(chunk)
    boundary = f"rsmf-{digest.hexdigest()[:32]}"
    yield "".join((
        # always longer than a line: folded before the boundary, as the stdlib does
        "Content-Type: multipart/mixed;", CRLF, f' boundary="{boundary}"', CRLF, "MIME-Version: 1.0", CRLF,
        *(header_line(name, value) for name, value in fields(headers).items() if value is not None),
        CRLF, f"--{boundary}", CRLF,
        'Content-Type: text/plain; charset="utf-8"', CRLF,
        "Content-Transfer-Encoding: quoted-printable", CRLF, CRLF,
        quoted_printable(body), CRLF, f"--{boundary}", CRLF,
        f'Content-Type: application/octet-stream; name="{ZIP_NAME}"', CRLF,
        "Content-Transfer-Encoding: base64", CRLF,
        f'Content-Disposition: attachment; filename="{ZIP_NAME}"', CRLF, CRLF,
    )).encode("ascii")
    zipped.seek(0)
    while block := zipped.read(_BASE64_BLOCK):
        encoded = base64.b64encode(block)
        yield CRLF.encode().join(encoded[i:i + _BASE64_LINE] for i in range(0, len(encoded), _BASE64_LINE))
        yield CRLF.encode()
    yield f"{CRLF}--{boundary}--{CRLF}".encode("ascii")


def quoted_printable(text: str) -> str:
    """`text` in UTF-8 as the stdlib's quoted-printable body encoder writes it (`email.charset`'s
    utf-8 with QP, i.e. `email.quoprimime.body_encode`), lines ending in CRLF; a property test
    compares the two.

    The stdlib quotes every byte but printable ASCII other than `=` (and tab) with a translation
    table, character by character in Python, the costliest step of a file; here binascii's C
    encoder quotes the whole text in one call (a sentinel byte ending each line keeps it from
    quoting a space that ends the line, and its soft breaks and its `=2E` for a dot alone on a
    line are taken out again), and the stdlib's cutting is applied to the lines that need it: those
    longer than a line or ending in a space or tab."""
    lines = _LINE_BREAK.split(text) if "\r" in text else text.split("\n")  # str.split is 10x faster
    quoted = binascii.b2a_qp("x\n".join(lines).encode("utf-8") + b"x")
    quoted_lines = quoted.replace(b"=\n", b"").replace(b"=2E", b".").decode("ascii").split("\n")
    return CRLF.join(_qp_cut(line[:-1]) if len(line) > _QP_LINE + 1 or line.endswith((" x", "\tx"))
                     else line[:-1] for line in quoted_lines)  # each line still ends in its sentinel


def _qp_cut(line: str) -> str:
    """`email.quoprimime.body_encode`'s cutting of one quoted line: pieces of at most 76
    characters ending in a soft break `=` (the `=` of an escape it would split serves as one, the
    escape starting the next piece); a space or tab ending the line is quoted if there is room."""
    pieces = []
    start, last_start = 0, len(line) - 1 - _QP_LINE
    while start <= last_start:
        stop = start + _QP_LINE - 1
        if line[stop - 2] == "=":
            pieces.append(line[start:stop - 1])
            start = stop - 2
        elif line[stop - 1] == "=":
            pieces.append(line[start:stop])
            start = stop - 1
        else:
            pieces.append(line[start:stop] + "=")
            start = stop
    if line and line[-1] in " \t":
        room, quoted = start - last_start, f"={ord(line[-1]):02X}"
        end = quoted if room >= 3 else f"{line[-1]}={CRLF}" if room == 2 else f"={CRLF}{quoted}"
        pieces.append(line[start:-1] + end)
    else:
        pieces.append(line[start:])
    return CRLF.join(pieces)


def fields(headers: Headers) -> dict[str, str | None]:
    """The message's headers in order, values cleaned of control characters; None is left out."""
    sender = (headers.custodian, None) if headers.custodian else next(iter(headers.participants),
                                                                      ("unknown", None))
    return {
        "From": _address(*sender),
        "To": ", ".join(_address(name, email) for name, email in headers.participants),
        "Subject": _clean(headers.subject),
        "Date": rfc5322_date(headers.begin),
        "X-RSMF-Version": headers.version,
        "X-RSMF-Generator": headers.generator,
        "X-RSMF-BeginDate": headers.begin,
        "X-RSMF-EndDate": headers.end,
        "X-RSMF-EventCount": str(headers.events),
        "X-RSMF-AttachmentCount": str(headers.attachments),
        "X-RSMF-Participants": _clean(", ".join(name for name, _ in headers.participants)),
        "X-RSMF-ParticipantCount": str(len(headers.participants)),
        "X-RSMF-Application": _clean(headers.application),
        "X-RSMF-Custodian": _clean(headers.custodian) if headers.custodian else None,
        "X-RSMF-EventCollectionID": headers.collection_id,
        "X-RSMF-Slice": headers.slice,
    }


def rfc5322_date(utc: str) -> str:
    """`format_datetime` of an RFC 3339 UTC time (`…Z`); its day part, the same for every file of a
    day, is formatted once a day instead of once a file (a property test compares the two)."""
    return f"{_day(utc[:10])} {utc[11:19]} +0000"


@lru_cache(maxsize=4096)
def _day(day: str) -> str:
    """`Mon, 04 Mar 2019`"""
    return format_datetime(datetime.fromisoformat(day).replace(tzinfo=UTC))[:16]


def header_line(name: str, value: str) -> str:
    """`Name: value` CRLF, folded and RFC 2047-encoded as the stdlib's `Header` does."""
    if value.isascii() and len(name) + 2 + len(value) <= LINE:
        return f"{name}: {value}{CRLF}"
    if value.isascii() and value.isprintable():
        return f"{name}: {fold_ascii(name, value)}{CRLF}"
    folded = Header(value, "utf-8" if not value.isascii() else None, header_name=name)
    return f"{name}: {folded.encode(linesep=CRLF, maxlinelen=LINE)}{CRLF}"


@lru_cache(maxsize=16384)  # a conversation's people recur day after day
def fold_ascii(name: str, value: str) -> str:
    """What `Header(value, header_name=name).encode(linesep=CRLF, maxlinelen=LINE)` returns for a
    printable ASCII value, five times faster on a long `To`: that and `X-RSMF-Participants` are
    folded in most files, and the stdlib's formatter re-measures its line at every word and scans
    it word by word for a break (a property test compares the two on generated values).

    The stdlib's rule: words are added to the line with the spaces before them; when the line
    passes LINE, it is broken before the last word that follows a `;`, else a `,`, else a space
    (the first word of a line never counts); if there is none, the word goes on a line of its own
    when the line holds the header's name, else the line stays long.
    """
    words = _SPACES.split(value)
    pairs = zip(["", *words[1::2]], words[0::2], strict=True)
    if not words[0]:
        next(pairs)  # a leading space run belongs to the word after it
    lines: list[str] = []
    line = ""
    start = len(name) + 2  # the header's name and ": " are on the first line only
    for space, word in pairs:
        line += space + word
        if start + len(line) <= LINE:
            continue
        # a word followed by spaces ends where the next one's spaces start: the places to break
        cut = line.rfind("; ") + 1 or line.rfind(", ") + 1
        if not cut and space and len(line) > len(space) + len(word):
            cut = len(line) - len(space) - len(word)  # before the last word
        if cut:
            lines.append(line[:cut])
            line, start = line[cut:], 0
        elif start:
            lines.append(line[:len(line) - len(space) - len(word)])
            line, start = (space or " ") + word, 0
    if start or line:
        if not start and line.isspace() and lines:
            lines[-1] += line
        else:
            lines.append(line)
    return CRLF.join(lines)


@lru_cache(maxsize=8192)  # the same people recur in file after file
def _address(name: str, email: str | None) -> str:
    """`Name <address>`, the name in RFC 2047 words when not ASCII; `Name <>` without an address
    (as Relativity's own files write it)."""
    address = email if email and email.isascii() and "@" in email else ""
    return formataddr((_clean(name), _clean(address)), charset="utf-8")


def _clean(value: str) -> str:
    return _CONTROL.sub(" ", value).strip()
