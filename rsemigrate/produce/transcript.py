"""The text body of an `.rsmf`: what Relativity indexes as Extracted Text.

Relativity's sample lays events out in time order as sender, blank line, body, reactions, blank
line, so proximity hits in the text line up with what the Viewer shows; we do the same, with the
time and the marks (edited, deleted, context) a reader of the bare text needs.
"""

from __future__ import annotations

from typing import Any


def transcript(manifest: dict[str, Any]) -> str:
    names = {p["id"]: p.get("display") or p["id"] for p in manifest["participants"]}
    conversation = manifest["conversations"][0]
    lines = [f"{conversation.get('display') or conversation['id']} ({conversation['platform']})", ""]
    for event in manifest["events"]:
        marks = [event["type"]] if event["type"] != "message" else []
        marks += ["edited"] * bool(event.get("edits")) + ["deleted"] * bool(event.get("deleted"))
        marks += [f"reply to {event['parent']}"] if "parent" in event else []
        if any(c["name"] == "context" for c in event.get("custom", ())):
            marks.append("context")
        sender = names.get(event.get("participant", ""), event.get("participant", ""))
        lines.append(f"{sender}  {event['timestamp']}" + (f"  [{', '.join(marks)}]" if marks else ""))
        lines += ["", event.get("body") or ""]
        for reaction in event.get("reactions", ()):
            lines.append(f"{reaction['value']} x{reaction.get('count', 1)}")
        for attachment in event.get("attachments", ()):
            lines.append(f"attachment: {attachment.get('display') or attachment['id']}")
        lines.append("")
    return "\n".join(lines)
