"""The planned content of a Matrix import, and the content its rooms really show.

Both sides are reduced to the same tuples, one per event: (room name, source key, sender,
origin_server_ts, event type, what it says (msgtype, body, formatted body, or a reaction's key),
thread root key, replied-to key, is_falling_back, annotated key, file (name, mimetype, size, sha256
of the bytes downloaded back)). The read-back side knows nothing of the ledger but the room ids:
every other value comes from the client-server API, relations resolved through the keys the
events themselves carry.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from connectors.matrix.appservice import read_tokens
from connectors.matrix.plan import load_plan
from connectors.matrix.prepare import drafts, prepare, room_events
from connectors.matrix.render import SOURCE
from rsemigrate.archive.reader import Archive
from rsemigrate.migrate.ledger import Ledger, default_url
from transforms.identities import user_mapping

Row = tuple[Any, ...]


def _says(content: dict[str, Any]) -> tuple[Any, ...]:
    relates = content.get("m.relates_to") or {}
    return content.get("msgtype"), content.get("body"), content.get("formatted_body"), relates.get("key")


def planned_content(archive_path: Path, plan_path: Path) -> Counter[Row]:
    archive = Archive(archive_path)
    plan = load_plan(plan_path, archive)
    prep = prepare(archive, plan, user_mapping(plan.common))
    out: Counter[Row] = Counter()
    for room in plan.rooms:
        for e in room_events(prep, drafts(prep, room)):
            att = e.attachment
            file = (
                (att.name, att.media_type or "application/octet-stream", att.size, att.sha256)
                if att
                else None
            )
            out[
                (
                    room.name,
                    e.key,
                    e.sender,
                    e.created_ms,
                    e.event_type,
                    _says(e.content),
                    e.thread,
                    e.reply_to,
                    e.falling_back,
                    e.annotates,
                    file,
                )
            ] += 1
    return out


def room_ids(plan_path: Path) -> list[str]:
    with Ledger(default_url(plan_path)) as ledger:
        return [c.target_id for c in ledger.containers() if not c.is_parent and c.target_id]


def room_content(server_url: str, registration: Path, rooms: list[str]) -> Counter[Row]:
    token = read_tokens(registration).as_token
    out: Counter[Row] = Counter()
    with httpx.Client(base_url=server_url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as http:
        for room_id in rooms:
            name = http.get(f"/_matrix/client/v3/rooms/{quote(room_id)}/state/m.room.name/").json()["name"]
            events = _events(http, room_id)
            keys = {e["event_id"]: e["content"][SOURCE]["key"] for e in events if SOURCE in e["content"]}
            for e in events:
                out[_row(http, name, e, keys)] += 1
    return out


def _events(http: httpx.Client, room_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    start = None
    while True:
        params = {"dir": "f", "limit": 1000} | ({"from": start} if start else {})
        page = http.get(f"/_matrix/client/v3/rooms/{quote(room_id)}/messages", params=params).json()
        found += [
            e for e in page["chunk"] if e["type"] in ("m.room.message", "m.reaction") and e.get("content")
        ]
        if not page["chunk"] or "end" not in page:
            return found
        start = page["end"]


def _row(http: httpx.Client, room: str, e: dict[str, Any], keys: dict[str, str]) -> Row:
    content = e["content"]
    relates = content.get("m.relates_to") or {}
    thread = keys.get(relates["event_id"]) if relates.get("rel_type") == "m.thread" else None
    reply = relates.get("m.in_reply_to", {}).get("event_id")
    annotates = keys.get(relates["event_id"]) if relates.get("rel_type") == "m.annotation" else None
    file = None
    if "url" in content:
        server, media = content["url"].removeprefix("mxc://").split("/", 1)
        data = http.get(f"/_matrix/client/v1/media/download/{server}/{media}").content
        file = (content["body"], content["info"]["mimetype"], len(data), hashlib.sha256(data).hexdigest())
    return (
        room,
        content.get(SOURCE, {}).get("key"),
        e["sender"],
        e["origin_server_ts"],
        e["type"],
        _says(content),
        thread,
        keys.get(reply) if reply else None,
        bool(relates.get("is_falling_back", False)),
        annotates,
        file,
    )
