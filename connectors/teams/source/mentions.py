"""Mentions: each `<at id="n">…</at>` of a body matched with entry `n` of the message's `mentions[]`.

| `mentioned`                                   | mention kind | target              |
|-----------------------------------------------|--------------|---------------------|
| `user`                                        | user         | the user's id       |
| `application` (a bot)                         | user         | the app's id        |
| `conversation`, conversationIdentityType channel | channel   | the channel's id    |
| `conversation`, team                          | group        | the team's id       |
| `conversation`, chat ("everyone" in a chat)   | all          | —                   |
| `tag`                                         | tag          | the tag's id        |

`raw` is the exact `<at …>…</at>` span, so a target can find and replace it in the kept body.
Teams splits a name of several words into one span per word, each its own entry for the same person
(`<at id="0">Megan</at>&nbsp;<at id="1">Bowen</at>`): such a run is one mention whose `raw` is the
whole run, so a target shows the person once. A span with no entry (seen in messages edited after a
mention was removed) is kept as a `user` mention without a target and reported; an entry with no
span keeps its `mentionText` as `raw`.
"""

from __future__ import annotations

from typing import Any

from rsemigrate.archive import Mention, MentionKind, ReportEntry

from .markup import AtSpan, only_space
from .wire import obj

_CONVERSATION_KINDS: dict[str, MentionKind] = {"channel": "channel", "team": "group", "chat": "all"}


def mentions(content: str, spans: list[AtSpan], entries: Any, message_id: str,
             location: str) -> tuple[list[Mention], list[ReportEntry]]:
    by_index = {int(e["id"]): e for e in entries if isinstance(e, dict) and str(e.get("id", "")).isdigit()} \
        if isinstance(entries, list) else {}
    found: dict[str, Mention] = {}
    problems: list[ReportEntry] = []
    used: set[int] = set()
    run: list[tuple[AtSpan, Mention]] = []

    def close_run() -> None:
        if run:
            first, last = run[0][0], run[-1][0]
            raw = content[first.start:last.end] if len(run) > 1 else first.raw
            mention = run[0][1]
            found.setdefault(raw, Mention(mention.kind, raw, mention.target_id, mention.name))
            run.clear()

    for span in spans:
        entry = by_index.get(span.index)
        if entry is None:
            close_run()
            found.setdefault(span.raw, Mention("user", span.raw, None, span.text or None))
            problems.append(
                ReportEntry(
                    "degraded",
                    "message",
                    message_id,
                    f"mention {span.raw!r} has no entry in mentions[]: kept as text, its target is unknown",
                    location=location,
                )
            )
            continue
        used.add(span.index)
        mention = _mention(entry, span.raw, span.text)
        if run and not (
            mention.target_id
            and (run[-1][1].kind, run[-1][1].target_id) == (mention.kind, mention.target_id)
            and only_space(content[run[-1][0].end : span.start])
        ):
            close_run()
        run.append((span, mention))
    close_run()
    for index, entry in by_index.items():
        if index not in used:
            text = str(entry.get("mentionText") or "")
            found.setdefault(f"{index}:{text}", _mention(entry, text, text))
    return list(found.values()), problems


def _mention(entry: dict[str, Any], raw: str, text: str) -> Mention:
    mentioned = obj(entry.get("mentioned"))
    name = str(entry.get("mentionText") or text) or None
    for key in ("user", "application"):
        node = mentioned.get(key)
        if isinstance(node, dict):
            return Mention("user", raw, _id(node), node.get("displayName") or name)
    conversation = mentioned.get("conversation")
    if isinstance(conversation, dict):
        kind = _CONVERSATION_KINDS.get(str(conversation.get("conversationIdentityType")), "channel")
        return Mention(
            kind, raw, None if kind == "all" else _id(conversation), conversation.get("displayName") or name
        )
    tag = mentioned.get("tag")
    if isinstance(tag, dict):
        return Mention("tag", raw, _id(tag), tag.get("displayName") or name)
    return Mention("user", raw, None, name)


def _id(node: dict[str, Any]) -> str | None:
    return str(node["id"]) if node.get("id") else None
