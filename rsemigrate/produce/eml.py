"""The outer layers of an `.rsmf` file: the zip, and the RFC 5322 message carrying it.

Relativity requires exactly one attachment, `rsmf.zip`, base64, and reads `X-RSMF-*` headers that
must agree with the manifest. The message is written under the 7-bit rule: non-ASCII names go
into headers as RFC 2047 encoded words (the stdlib `email` package does it with `utf8=False`) and
the text body as quoted-printable. Bytes are deterministic (fixed zip times, a boundary derived
from the content), so producing the same selection twice gives identical files that dedupe.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from email import charset, encoders
from email.header import Header
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import format_datetime, formataddr
from pathlib import Path
from typing import BinaryIO

import orjson

ZIP_NAME = "rsmf.zip"
MANIFEST_NAME = "rsmf_manifest.json"
#: zip entries carry this time, not the production's, so re-runs give the same bytes.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
#: lines folded at 78 characters and ended by CRLF; nothing 8-bit is ever given to it.
POLICY = compat32.clone(linesep="\r\n", max_line_length=78)
_QP_UTF8 = charset.Charset("utf-8")
_QP_UTF8.body_encoding = charset.QP
#: base64 lines are 76 characters (57 bytes); blocks of whole lines keep the lines whole.
_BASE64_LINE = 76
_BASE64_BLOCK = 57 * 16384
#: stands for the zip while the stdlib lays the message out; its base64 is then replaced by the zip's.
_PLACEHOLDER = b"\x00rsmf.zip placeholder\x00"


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


def write_zip(manifest: dict, files: Iterable[tuple[str, Path]], out: BinaryIO) -> None:
    """`rsmf_manifest.json` then every attachment, flat, deflated, streamed into `out`."""
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo(MANIFEST_NAME, ZIP_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, orjson.dumps(manifest))
        for name, path in files:
            info = zipfile.ZipInfo(name, ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(path, "rb") as src, archive.open(info, "w", force_zip64=True) as dest:
                shutil.copyfileobj(src, dest, 1 << 20)


def message_chunks(headers: Headers, body: str, zipped: BinaryIO) -> Iterator[bytes]:
    """The whole `.rsmf` file, in pieces: the zip is base64-encoded as it is read, so a slice near
    2 GB is never held in memory. The bytes are exactly those of `as_bytes(message(...))`."""
    digest = hashlib.sha256()
    zipped.seek(0)
    while chunk := zipped.read(1 << 20):
        digest.update(chunk)
    text = as_bytes(message(headers, body, _PLACEHOLDER, digest.hexdigest()))
    head, found, tail = text.rpartition(base64.b64encode(_PLACEHOLDER))  # the attachment comes last
    assert found, "the stdlib's base64 layout changed"
    yield head
    zipped.seek(0)
    first = True
    while block := zipped.read(_BASE64_BLOCK):
        encoded = base64.b64encode(block)
        yield (b"" if first else b"\r\n") + b"\r\n".join(
            encoded[i:i + _BASE64_LINE] for i in range(0, len(encoded), _BASE64_LINE))
        first = False
    yield tail


def message(headers: Headers, body: str, zipped: bytes, zip_sha256: str) -> MIMEMultipart:
    """The `.rsmf` message with `zipped` attached; the boundary is derived from the zip's digest.

    Built with the stdlib's classic MIME classes: its newer `EmailMessage` API parses every
    header it is given and cost 20 ms a file here, ten times the rest of the production.
    """
    message = MIMEMultipart("mixed", boundary=f"rsmf-{zip_sha256[:32]}")
    sender = (headers.custodian, None) if headers.custodian else next(iter(headers.participants),
                                                                      ("unknown", None))
    fields = {
        "From": _address(*sender),
        "To": ", ".join(_address(name, email) for name, email in headers.participants),
        "Subject": headers.subject,
        "Date": format_datetime(datetime.fromisoformat(headers.begin)),
        "X-RSMF-Version": headers.version,
        "X-RSMF-Generator": headers.generator,
        "X-RSMF-BeginDate": headers.begin,
        "X-RSMF-EndDate": headers.end,
        "X-RSMF-EventCount": str(headers.events),
        "X-RSMF-AttachmentCount": str(headers.attachments),
        "X-RSMF-Participants": ", ".join(name for name, _ in headers.participants),
        "X-RSMF-ParticipantCount": str(len(headers.participants)),
        "X-RSMF-Application": headers.application,
        "X-RSMF-Custodian": headers.custodian,
        "X-RSMF-EventCollectionID": headers.collection_id,
        "X-RSMF-Slice": headers.slice,
    }
    for name, value in fields.items():
        if value is not None:
            message[name] = value if value.isascii() else Header(value, "utf-8", header_name=name)
    text = MIMEText(body, "plain", _QP_UTF8)
    attachment = MIMEApplication(zipped, "octet-stream", encoders.encode_base64, name=ZIP_NAME)
    attachment.add_header("Content-Disposition", "attachment", filename=ZIP_NAME)
    for part in (text, attachment):
        del part["MIME-Version"]  # the stdlib repeats it on each part; RFC 2045 wants it at the top
        message.attach(part)
    return message


def as_bytes(message: MIMEMultipart) -> bytes:
    """RFC 5322 lines end in CRLF."""
    return message.as_bytes(policy=POLICY)


def _address(name: str, email: str | None) -> str:
    """`Name <address>`, the name in RFC 2047 words when not ASCII; `Name <>` without an address
    (as Relativity's own files write it)."""
    address = email if email and email.isascii() and "@" in email else ""
    return formataddr((name, address), charset="utf-8")
