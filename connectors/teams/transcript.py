"""A readable transcript per conversation of what the emulated Teams holds after a rehearsal.

It is what users would see, in the order Teams shows it (threads by their root's time, replies
under them), as plain text an admin can read or diff: who, when (UTC), the text, mentions,
files with their new location, reactions. Made from the emulator's state snapshot.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

from bs4 import BeautifulSoup

from .render import iso_ms

_BLOCKS = re.compile(r"</(p|div|li|h[1-6]|blockquote|pre|tr)>|<br\s*/?>", re.IGNORECASE)


def _text(html: str) -> str:
    text = BeautifulSoup(_BLOCKS.sub(lambda m: m.group(0) + "\n", html), "html.parser").get_text()
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


def _when(ms: int) -> str:
    return iso_ms(ms).replace("T", " ").removesuffix("Z") + " UTC"


def _message(m: dict[str, Any], names: dict[str, str], reply: bool) -> list[str]:
    p = m["payload"]
    author = ((p.get("from") or {}).get("user") or {})
    who = names.get(author.get("id", ""), author.get("displayName", "?"))
    head, indent = ("    ↳ ", "          ") if reply else ("", "    ")
    out = [f"{head}{_when(m['createdMs'])}  {who}"]
    out += [f"{indent}{line}" for line in _text(p["body"]["content"]).splitlines()]
    for a in p.get("attachments") or []:
        out.append(f"{indent}[file] {a.get('name')} → {a.get('contentUrl')}")
    reactions = Counter(r.get("reactionType") for r in p.get("reactions") or [])
    if reactions:
        out.append(f"{indent}reactions: " + ", ".join(f"{k} ×{n}" for k, n in sorted(reactions.items())))
    return out


def conversation_text(title: str, conv: dict[str, Any], names: dict[str, str]) -> str:
    messages = sorted(conv["messages"], key=lambda m: m["createdMs"])
    replies: dict[str, list[dict[str, Any]]] = {}
    for m in messages:
        if m.get("replyTo"):
            replies.setdefault(m["replyTo"], []).append(m)
    out = [title, (f"created {_when(conv['createdMs'])}; migration {conv.get('migrationMode') or 'none'}; "
                   f"{len(messages)} messages"), "=" * 100]
    for m in messages:
        if m.get("replyTo"):
            continue
        out += [""] + _message(m, names, reply=False)
        for reply in replies.get(m["id"], []):
            out += _message(reply, names, reply=True)
    return "\n".join(out) + "\n"


def write_transcripts(snapshot: dict[str, Any], folder: Path) -> list[Path]:
    """One text file per channel and chat of the snapshot; returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    names = {u["id"]: u["displayName"] for u in snapshot["users"]}
    written: list[Path] = []

    def write(stem: str, title: str, conv: dict[str, Any]) -> None:
        path = folder / (re.sub(r"[^\w.-]+", "_", stem).strip("_")[:100] + ".txt")
        path.write_text(conversation_text(title, conv, names), encoding="utf-8")
        written.append(path)

    for team in snapshot["teams"]:
        for channel in team["channels"]:
            write(f"{team['displayName']}-{channel['displayName']}",
                  f"Team {team['displayName']!r}, channel {channel['displayName']!r}", channel)
    for chat in snapshot["chats"]:
        members = ", ".join(names.get(m, m) for m in chat["members"])
        write(f"chat-{chat.get('topic') or chat['id']}", f"Group chat {chat.get('topic')!r} ({members})", chat)
    return written
