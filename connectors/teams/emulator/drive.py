"""Channel files: filesFolder, simple uploads, resumable upload sessions, and reading files back.

A user's OneDrive root (`GET /users/{id}/drive/root`) holds the files of chats.

Rules (driveitem-put-content, driveitem-createuploadsession): a simple PUT takes files up to
250 MB; a session takes fragments in order, each under 60 MiB and a multiple of 320 KiB
(327 680 bytes) except the last; `GET` on the session URL returns `nextExpectedRanges`, `DELETE`
cancels it; the session URL needs no Authorization header. `conflictBehavior` fail | replace |
rename applies when the name exists (`fail` answers 409 nameAlreadyExists).
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from urllib.parse import quote

from .call import Call, Reply
from .rules import GraphError, bad, iso
from .state import DriveItem, Tenant, UploadSession
from .teams import channel_of, team_of

FRAGMENT_UNIT = 327_680
MAX_FRAGMENT = 60 * 1024 * 1024
FILES_READ = ("Files.Read.All", "Files.ReadWrite.All", "Sites.Read.All", "Sites.ReadWrite.All")
FILES_WRITE = ("Files.ReadWrite.All", "Sites.ReadWrite.All")
_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+)")


def _folder(t: Tenant, drive: str, parent: str | None, name: str, base: str) -> DriveItem:
    for item in t.items.values():
        if item.drive_id == drive and item.parent_id == parent and item.name.lower() == name.lower():
            return item
    item = DriveItem(t.new_guid(), drive, parent, name, folder=True, etag_guid=t.new_guid())
    item.web_url = f"{base}/_files/{drive}/{item.id}/{quote(name)}"
    t.items[item.id] = item
    return item


def files_folder(call: Call) -> Reply:
    """A new channel's folder answers 404 for its first `files_folder_misses` asks, like a
    SharePoint site still being provisioned (team-post page, note on filesFolder)."""
    call.need(*FILES_READ)
    team, channel = team_of(call), channel_of(call)
    if channel.folder_misses < call.config.files_folder_misses:
        channel.folder_misses += 1
        raise GraphError(404, "NotFound", "The channel's files folder is not provisioned yet.")
    if channel.folder_id is None:
        root = _folder(call.tenant, team.drive_id, None, "root", call.root_url)
        channel.folder_id = _folder(
            call.tenant, team.drive_id, root.id, channel.display_name, call.root_url
        ).id
    return Reply(200, call.tenant.items[channel.folder_id].json())


def user_drive_root(call: Call) -> Reply:
    """A user's OneDrive root (where Teams keeps the files shared in chats)."""
    call.need(*FILES_READ)
    user = call.tenant.find_user(call.params["user"])
    if user is None:
        raise GraphError(404, "itemNotFound", f"No user {call.params['user']}")
    drive = "b!" + user.id.replace("-", "")
    return Reply(200, _folder(call.tenant, drive, None, "root", call.root_url).json())


def _resolve(call: Call) -> tuple[str, str | None, str | None]:
    """(item or parent id, relative path or None, action or None) from the path after /items/."""
    rest = call.params["rest"]
    if ":/" not in rest:
        item, _, action = rest.partition("/")
        return item, None, action or None
    parent, _, tail = rest.partition(":/")
    for action in ("content", "createUploadSession"):
        if tail.endswith(f":/{action}"):
            return parent, tail[: -len(action) - 2], action
    return parent, tail.rstrip(":"), None


def _place(call: Call, parent_id: str, relpath: str) -> tuple[str, str]:
    """(folder id, file name) for a path under a parent; missing folders are created like Graph does."""
    parent = call.tenant.items.get(parent_id)
    if parent is None or not parent.folder or parent.drive_id != call.params["drive"]:
        raise GraphError(404, "itemNotFound", f"No folder {parent_id} in drive {call.params['drive']}")
    parts = PurePosixPath(relpath).parts
    if not parts or any(p in ("..", ".") for p in parts):
        raise bad(f"invalid path {relpath!r}", "invalidRequest")
    folder = parent
    for name in parts[:-1]:
        folder = _folder(call.tenant, folder.drive_id, folder.id, name, call.root_url)
    return folder.id, parts[-1]


def _store(call: Call, drive: str, folder_id: str, name: str, content: bytes, conflict: str) -> Reply:
    t = call.tenant
    existing = next((i for i in t.items.values()
                     if i.parent_id == folder_id and i.name.lower() == name.lower()), None)
    if existing is not None and conflict == "fail":
        raise GraphError(409, "nameAlreadyExists", f"An item named {name!r} already exists")
    if existing is not None and conflict == "rename":
        stem, suffix, n = PurePosixPath(name).stem, PurePosixPath(name).suffix, 1
        while any(
            i.parent_id == folder_id and i.name.lower() == f"{stem} {n}{suffix}".lower()
            for i in t.items.values()
        ):
            n += 1
        name, existing = f"{stem} {n}{suffix}", None
    if existing is not None:
        existing.content, existing.version = content, existing.version + 1
        return Reply(200, existing.json())
    item = DriveItem(t.new_guid(), drive, folder_id, name, content=content, etag_guid=t.new_guid())
    item.web_url = f"{call.root_url}/_files/{drive}/{item.id}/{quote(name)}"
    t.items[item.id] = item
    return Reply(201, item.json())


def drive_item(call: Call) -> Reply:
    """GET/PUT/POST under /drives/{drive}/items/…: item, path lookup, upload, session."""
    target, relpath, action = _resolve(call)
    method = call.method
    if relpath is None:
        call.need(*FILES_READ)
        item = call.tenant.items.get(target)
        if item is None or item.drive_id != call.params["drive"]:
            raise GraphError(404, "itemNotFound", f"No item {target}")
        if action == "children":
            return Reply(
                200, {"value": [i.json() for i in call.tenant.items.values() if i.parent_id == item.id]}
            )
        return Reply(200, item.json())
    folder_id, name = _place(call, target, relpath) if method != "GET" else (target, relpath)
    if method == "GET":
        call.need(*FILES_READ)
        folder, leaf = target, PurePosixPath(relpath)
        for part in leaf.parts:
            found = next((i for i in call.tenant.items.values()
                          if i.parent_id == folder and i.name.lower() == part.lower()), None)
            if found is None:
                raise GraphError(404, "itemNotFound", f"No item at {relpath!r}")
            folder = found.id
        return Reply(200, call.tenant.items[folder].json())
    call.need(*FILES_WRITE)
    if action == "content" and method == "PUT":
        if len(call.body) > call.config.simple_upload_max:
            raise GraphError(
                413,
                "requestBodyTooLarge",
                f"simple upload takes at most {call.config.simple_upload_max} bytes; use an upload session",
            )
        conflict = call.args.get("@microsoft.graph.conflictBehavior", "replace")
        return _store(call, call.params["drive"], folder_id, name, call.body, conflict)
    if action == "createUploadSession" and method == "POST":
        spec = (call.json() or {}).get("item") or {}
        conflict = spec.get("@microsoft.graph.conflictBehavior", "replace")
        if conflict == "fail" and any(i.parent_id == folder_id and i.name.lower() == name.lower()
                                      for i in call.tenant.items.values()):
            raise GraphError(409, "nameAlreadyExists", f"An item named {name!r} already exists")
        session = UploadSession(call.tenant.new_guid(), call.params["drive"], folder_id, name, conflict,
                                call.now_ms + call.config.upload_session_seconds * 1000)
        call.tenant.sessions[session.id] = session
        return Reply(200, {"uploadUrl": f"{call.root_url}/_upload/{session.id}",
                           "expirationDateTime": iso(session.expires_ms), "nextExpectedRanges": ["0-"]})
    raise GraphError(405, "methodNotAllowed", f"{method} is not supported here")


def upload_fragment(call: Call) -> Reply:
    """PUT/GET/DELETE on an upload session URL (no Authorization needed, like the real one)."""
    session = call.tenant.sessions.get(call.params["session"])
    if session is None or session.expires_ms < call.now_ms:
        raise GraphError(404, "itemNotFound", "The upload session does not exist or has expired")
    method = call.method
    status = {
        "expirationDateTime": iso(session.expires_ms),
        "nextExpectedRanges": [f"{len(session.received)}-"],
    }
    if method == "GET":
        return Reply(200, status)
    if method == "DELETE":
        del call.tenant.sessions[session.id]
        return Reply(204)
    match = _RANGE.fullmatch(call.headers.get("content-range", ""))
    if not match:
        raise bad("Content-Range: bytes START-END/TOTAL is required", "invalidRange")
    start, end, total = (int(g) for g in match.groups())
    if len(call.body) != end - start + 1:
        raise bad("the fragment's length does not match its Content-Range", "invalidRange")
    if len(call.body) > MAX_FRAGMENT:
        raise GraphError(413, "requestBodyTooLarge", "a fragment must be smaller than 60 MiB")
    if start != len(session.received) or (session.total is not None and total != session.total):
        raise GraphError(416, "invalidRange", f"expected the range starting at {len(session.received)}")
    if end + 1 < total and len(call.body) % FRAGMENT_UNIT:
        raise bad("fragments must be a multiple of 320 KiB (327,680 bytes), except the last", "invalidRange")
    session.total = total
    session.received += call.body
    if len(session.received) < total:
        return Reply(202, {"expirationDateTime": iso(session.expires_ms),
                           "nextExpectedRanges": [f"{len(session.received)}-"]})
    del call.tenant.sessions[session.id]
    return _store(
        call, session.drive_id, session.parent_id, session.name, bytes(session.received), session.conflict
    )


def download(call: Call) -> Reply:
    item = call.tenant.items.get(call.params["item"])
    if item is None or item.folder:
        raise GraphError(404, "itemNotFound", "No such file")
    return Reply(200, item.content, {"Content-Type": "application/octet-stream"})
