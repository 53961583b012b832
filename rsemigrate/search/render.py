"""Search results as a readable listing, or as JSON / CSV with the same fields for tools."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from typing import Any, TextIO

import click
import orjson

from .backend import Hit

#: the fields of a hit in JSON and CSV, in this order.
FIELDS = ("message_id", "thread_id", "reply_to_id", "channel", "group", "author_name", "author_email",
          "created_at", "snippet", "deleted", "private", "attachments")


def hit_record(hit: Hit) -> dict[str, Any]:
    """A hit as JSON-ready values; the snippet marks matches with [ ]."""
    return {
        "message_id": hit.message_id,
        "thread_id": hit.thread_id,
        "reply_to_id": hit.reply_to_id,
        "channel": hit.channel,
        "group": hit.group,
        "author_name": hit.author_name,
        "author_email": hit.author_email,
        "created_at": hit.created_at,
        "snippet": hit.snippet.marked(),
        "deleted": hit.deleted,
        "private": hit.private,
        "attachments": list(hit.attachments),
    }


def write_hits_json(hits: Sequence[Hit], out: TextIO) -> None:
    out.write(orjson.dumps([hit_record(hit) for hit in hits], option=orjson.OPT_INDENT_2).decode() + "\n")


def write_hits_csv(hits: Sequence[Hit], out: TextIO) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FIELDS)
    for hit in hits:
        record = hit_record(hit)
        record["attachments"] = "; ".join(hit.attachments)
        writer.writerow("true" if value is True else "false" if value is False else value
                        for value in record.values())


def write_hits_table(hits: Sequence[Hit], *, styled: bool) -> None:
    """Two lines a hit: who, where, when and the id; then the snippet, matches highlighted.

    On a terminal matches are shown in reverse video; elsewhere they are marked with [ ].
    """
    for hit in hits:
        place = f"#{hit.channel}" + (f" ({hit.group})" if hit.group else "")
        author = hit.author_name + (f" <{hit.author_email}>" if hit.author_email else "")
        flags = "".join(f"  [{flag}]" for flag, on in (("deleted", hit.deleted), ("private", hit.private))
                        if on)
        header = f"{hit.created_at}  {author}  {place}  id {hit.message_id}{flags}"
        click.echo(click.style(header, bold=True) if styled else header)
        if styled:
            snippet = "".join(click.style(text, reverse=True) if match else text
                              for text, match in hit.snippet.parts())
        else:
            snippet = hit.snippet.marked()
        click.echo(f"    {snippet}")
        if hit.attachments:
            click.echo(f"    attachments: {'; '.join(hit.attachments)}")
