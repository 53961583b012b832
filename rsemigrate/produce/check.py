"""Relativity's documented validator rules beyond the JSON Schema, for reading productions back.

Relativity's validator (a .NET library, not runnable here) answers Passed, PassedWithWarnings or
Failed for an `.rsmf`, a zip or a manifest. The schema part is done in the tests by `jsonschema`
with Relativity's own schema files; this module does the rest, with Relativity's names where its
documentation gives one (docs/productions.md lists them, and ../shared/reference/rsmf.md §8):

    error    EmlMissingVersion, EmlAttachmentCount (anything but exactly one attachment),
             EmlNotZip, ZipMissingManifest, ManifestUnreadable
    warning  ManifestUndefinedProperty, ManifestInvalidConversationParticipant,
             ManifestInvalidEventParticipant, ManifestMissingAvatar, ManifestMissingAttachment,
             ZipUnreferencedFile, and ours: ManifestInvalidReference (a parent, reactor, editor,
             conversation or custodian that is not defined), Eml8Bit, HeaderMismatch
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import Message
from email.policy import default
from typing import Any, Literal

import orjson

from .eml import MANIFEST_NAME, ZIP_NAME

Severity = Literal["error", "warning"]
Outcome = Literal["Passed", "PassedWithWarnings", "Failed"]

#: the keys the 2.0.0 schema defines for each kind of object; anything else is undefined.
KEYS: dict[str, frozenset[str]] = {
    "manifest": frozenset({"version", "participants", "conversations", "events", "eventcollectionid"}),
    "participant": frozenset({"id", "display", "email", "avatar", "account_id", "custom"}),
    "conversation": frozenset({"id", "display", "platform", "type", "participants", "custodian", "icon",
                               "custom"}),
    "event": frozenset({"id", "type", "parent", "body", "participant", "conversation", "timestamp",
                        "deleted", "importance", "direction", "reactions", "attachments", "edits",
                        "read_receipts", "custom"}),
    "reaction": frozenset({"value", "count", "participants"}),
    "attachment": frozenset({"id", "display", "size"}),
    "edit": frozenset({"participant", "timestamp", "previous", "new"}),
    "read_receipt": frozenset({"participant", "timestamp", "action"}),
    "custom": frozenset({"name", "value"}),
}


@dataclass(frozen=True, slots=True)
class Finding:
    severity: Severity
    code: str
    message: str


def outcome(findings: Iterable[Finding]) -> Outcome:
    severities = {f.severity for f in findings}
    return "Failed" if "error" in severities else "PassedWithWarnings" if severities else "Passed"


def check_rsmf(data: bytes) -> list[Finding]:
    """The EML layer, then the zip inside it, then the headers against the manifest."""
    message = message_from_bytes(data, policy=default)
    attachments = [part for part in message.walk() if part.get_content_disposition() == "attachment"]
    findings = []
    if not data.isascii():
        findings.append(Finding("warning", "Eml8Bit", "the message is not 7-bit"))
    if message["X-RSMF-Version"] is None:
        findings.append(Finding("error", "EmlMissingVersion", "no X-RSMF-Version header"))
    names = [part.get_filename() for part in attachments]
    if names != [ZIP_NAME]:
        findings.append(Finding("error", "EmlAttachmentCount",
                                f"exactly one attachment named {ZIP_NAME} is allowed, found {names}"))
    zipped = next((p for p in attachments if p.get_filename() == ZIP_NAME), None)
    if zipped is None:
        return findings
    if zipped["Content-Transfer-Encoding"] != "base64":
        findings.append(Finding("error", "EmlNotBase64", f"{ZIP_NAME} is not base64"))
    payload = zipped.get_payload(decode=True)
    findings += check_zip(payload)
    manifest = _manifest(payload)
    if manifest is not None:
        findings += _headers(message, manifest)
    return findings


def check_zip(data: bytes) -> list[Finding]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        return [Finding("error", "EmlNotZip", f"{ZIP_NAME} is not a zip ({exc})")]
    names = set(archive.namelist())
    if MANIFEST_NAME not in names:
        return [Finding("error", "ZipMissingManifest", f"no {MANIFEST_NAME} at the root of the zip")]
    manifest = _manifest(data)
    if manifest is None:
        return [Finding("error", "ManifestUnreadable", f"{MANIFEST_NAME} is not JSON")]
    return check_manifest(manifest, names - {MANIFEST_NAME})


def check_manifest(manifest: dict[str, Any], zip_files: set[str] | None = None) -> list[Finding]:
    """The manifest's references; `zip_files` (the zip's other entries) also checks files."""
    findings = list(_undefined(manifest))
    people = {p.get("id") for p in _objects(manifest, "participants")}
    conversations = {c.get("id"): c for c in _objects(manifest, "conversations")}
    events = list(_objects(manifest, "events"))
    ids = {(e.get("conversation"), e.get("id")) for e in events if "id" in e}
    referenced: set[str] = set()

    def ref(kind: str, value: Any, where: str, code: str = "ManifestInvalidReference") -> None:
        if value not in people:
            findings.append(Finding("warning", code, f"{where}: {kind} {value!r} is not a participant"))

    for p in _objects(manifest, "participants"):
        if "avatar" in p:
            referenced.add(p["avatar"])
    for cid, conversation in conversations.items():
        for pid in conversation.get("participants", ()):
            ref("participant", pid, f"conversation {cid}", "ManifestInvalidConversationParticipant")
        if conversation.get("custodian", None) not in (None, *conversation.get("participants", ())):
            findings.append(Finding("warning", "ManifestInvalidReference",
                                    f"conversation {cid}: custodian is not one of its participants"))
        if "icon" in conversation:
            referenced.add(conversation["icon"])
    for n, event in enumerate(events):
        where = f"event {event.get('id', f'#{n + 1}')}"
        members = conversations.get(event.get("conversation"), {}).get("participants", ())
        sender = event.get("participant")
        if "participant" in event and (sender not in people or sender not in members):
            # Relativity's sample 4 warns for a defined sender missing from its conversation's list too.
            findings.append(Finding("warning", "ManifestInvalidEventParticipant",
                                    f"{where}: sender {event['participant']!r} is not a participant of its "
                                    "conversation"))
        if "conversation" in event and event["conversation"] not in conversations:
            findings.append(Finding("warning", "ManifestInvalidReference",
                                    f"{where}: conversation {event['conversation']!r} is not defined"))
        if "parent" in event and (event.get("conversation"), event["parent"]) not in ids:
            findings.append(Finding("warning", "ManifestInvalidReference",
                                    f"{where}: parent {event['parent']!r} is not an event of its "
                                    "conversation"))
        for reaction in event.get("reactions", ()):
            for pid in reaction.get("participants", ()):
                ref("reactor", pid, where)
        for item in (*event.get("edits", ()), *event.get("read_receipts", ())):
            ref("participant", item.get("participant"), where)
        referenced.update(a.get("id") for a in event.get("attachments", ()))
    if zip_files is not None:
        findings += _files(manifest, referenced, zip_files)
    return findings


def _files(manifest: dict[str, Any], referenced: set[str], zip_files: set[str]) -> Iterator[Finding]:
    avatars = {p["avatar"] for p in _objects(manifest, "participants") if "avatar" in p}
    for name in sorted(referenced - zip_files, key=str):
        code = "ManifestMissingAvatar" if name in avatars else "ManifestMissingAttachment"
        yield Finding("warning", code, f"the file {name} is not in the zip archive")
    for name in sorted(zip_files - referenced):
        yield Finding("warning", "ZipUnreferencedFile",
                      f"the file {name} in the zip archive does not have a reference")


def _undefined(manifest: dict[str, Any]) -> Iterator[Finding]:
    def extra(kind: str, item: Any, where: str) -> Iterator[Finding]:
        if isinstance(item, dict):
            for key in sorted(set(item) - KEYS[kind]):
                yield Finding("warning", "ManifestUndefinedProperty", f"{where}: undefined property {key!r}")

    yield from extra("manifest", manifest, "manifest")
    for list_name, kind in (("participants", "participant"), ("conversations", "conversation")):
        for item in _objects(manifest, list_name):
            yield from extra(kind, item, f"{kind} {item.get('id')}")
            for custom in item.get("custom", ()):
                yield from extra("custom", custom, f"{kind} {item.get('id')} custom")
    for event in _objects(manifest, "events"):
        where = f"event {event.get('id', '')}".strip()
        yield from extra("event", event, where)
        for list_name, kind in (("reactions", "reaction"), ("attachments", "attachment"), ("edits", "edit"),
                                ("read_receipts", "read_receipt"), ("custom", "custom")):
            for item in event.get(list_name, ()):
                yield from extra(kind, item, f"{where} {kind}")


def _headers(message: Message, manifest: dict[str, Any]) -> Iterator[Finding]:
    events = list(_objects(manifest, "events"))
    stamps = sorted((str(e["timestamp"]) for e in events if "timestamp" in e), key=_instant)
    expected = {
        "X-RSMF-Version": manifest.get("version"),
        "X-RSMF-EventCount": str(len(events)),
        "X-RSMF-AttachmentCount": str(sum(len(e.get("attachments", ())) for e in events)),
        "X-RSMF-BeginDate": stamps[0] if stamps else None,
        "X-RSMF-EndDate": stamps[-1] if stamps else None,
        "X-RSMF-EventCollectionID": manifest.get("eventcollectionid"),
        "X-RSMF-ParticipantCount": str(len(manifest.get("participants", ()))),
    }
    for name, value in expected.items():
        found = message[name]
        if found is not None and value is not None and str(found) != value:
            yield Finding("warning", "HeaderMismatch", f"{name} is {found!r}, the manifest says {value!r}")


def _instant(stamp: str) -> tuple[int, datetime | str]:
    """Order of time stamps: by instant where they parse (fractions differ in length), else as text."""
    try:
        instant = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return 1, stamp
    return 0, instant if instant.tzinfo else instant.replace(tzinfo=UTC)  # Relativity reads these as UTC


def _manifest(zipped: bytes) -> dict[str, Any] | None:
    try:
        with zipfile.ZipFile(io.BytesIO(zipped)) as archive:
            loaded = orjson.loads(archive.read(MANIFEST_NAME))
    except (KeyError, zipfile.BadZipFile, orjson.JSONDecodeError):
        return None
    return loaded if isinstance(loaded, dict) else None


def _objects(manifest: dict[str, Any], name: str) -> Iterator[dict[str, Any]]:
    items = manifest.get(name)
    yield from (item for item in items if isinstance(item, dict)) if isinstance(items, list) else ()
