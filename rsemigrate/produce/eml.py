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
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from pathlib import Path
from typing import BinaryIO

import orjson

ZIP_NAME = "rsmf.zip"
MANIFEST_NAME = "rsmf_manifest.json"
#: zip entries carry this time, not the production's, so re-runs give the same bytes.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
#: lines folded at 78 characters, CRLF, no 8-bit anywhere.
POLICY = SMTP.clone(cte_type="7bit", max_line_length=78)
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
    2 GB is never held in memory. The bytes are exactly those of `message(...).as_bytes()`."""
    digest = hashlib.sha256()
    zipped.seek(0)
    while chunk := zipped.read(1 << 20):
        digest.update(chunk)
    text = message(headers, body, _PLACEHOLDER, digest.hexdigest()).as_bytes()
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


def message(headers: Headers, body: str, zipped: bytes, zip_sha256: str) -> EmailMessage:
    """The `.rsmf` message with `zipped` attached; the boundary is derived from the zip's digest."""
    message = EmailMessage(policy=POLICY)
    sender = next(iter(headers.participants), ("unknown", None))
    message["From"] = _address(headers.custodian, None) if headers.custodian else _address(*sender)
    message["To"] = [_address(name, email) for name, email in headers.participants]
    message["Subject"] = headers.subject
    message["Date"] = _rfc5322_date(headers.begin)
    message["X-RSMF-Version"] = headers.version
    message["X-RSMF-Generator"] = headers.generator
    message["X-RSMF-BeginDate"] = headers.begin
    message["X-RSMF-EndDate"] = headers.end
    message["X-RSMF-EventCount"] = str(headers.events)
    message["X-RSMF-AttachmentCount"] = str(headers.attachments)
    message["X-RSMF-Participants"] = ", ".join(name for name, _ in headers.participants)
    message["X-RSMF-ParticipantCount"] = str(len(headers.participants))
    message["X-RSMF-Application"] = headers.application
    if headers.custodian:
        message["X-RSMF-Custodian"] = headers.custodian
    message["X-RSMF-EventCollectionID"] = headers.collection_id
    message["X-RSMF-Slice"] = headers.slice
    message.set_content(body, subtype="plain", charset="utf-8", cte="quoted-printable")
    message.add_attachment(zipped, maintype="application", subtype="octet-stream", filename=ZIP_NAME,
                           cte="base64", params={"name": ZIP_NAME})
    for part in message.iter_attachments():
        del part["MIME-Version"]  # the stdlib repeats it on each part; RFC 2045 wants it at the top
    message.set_boundary(f"rsmf-{zip_sha256[:32]}")
    return message


def _address(name: str, email: str | None) -> Address:
    if email and email.isascii():
        user, _, domain = email.partition("@")
        try:
            return Address(display_name=name, username=user, domain=domain)
        except ValueError:
            pass
    return Address(display_name=name, username="", domain="")  # `Name <>`, as Relativity writes


def _rfc5322_date(utc: str) -> str:
    return format_datetime(datetime.fromisoformat(utc))
