"""Search-term hit reports: how many messages and threads each term of a list finds.

The terms file holds one query a line, in the search syntax; blank lines and lines starting with
`#` are ignored. `unique_hits` counts the messages a term finds and no other term does: the
number that tells a reviewer which terms drive the review set.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import orjson

from ..errors import InputError
from .backend import HitReport
from .escapes import csv_cell
from .query import Query, QueryError, parse

CSV_FIELDS = ("line", "term", "hits", "unique_hits", "threads")


@dataclass(frozen=True, slots=True)
class Term:
    line: int
    query: Query


def read_terms(path: Path) -> list[Term]:
    """Every term of the file, parsed; a bad one is an error naming the file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the terms file ({exc})") from None
    terms = []
    for line_no, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            terms.append(Term(line_no, parse(line.strip())))
        except QueryError as exc:
            raise QueryError(exc.reason, exc.query, exc.position, where=f"{path} line {line_no}") from None
    if not terms:
        raise InputError(f"{path}: no search terms (one query a line; # starts a comment)")
    return terms


def write_term_report_csv(terms: list[Term], report: HitReport, out: TextIO) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for term, found in zip(terms, report.terms, strict=True):
        row = (term.line, term.query.text, found.hits, found.unique_hits, found.threads)
        writer.writerow(map(csv_cell, row))


def write_term_report_json(
    terms: list[Term], report: HitReport, out: TextIO, *, archive: str, seal: str
) -> None:
    document: dict[str, Any] = {
        "archive": archive,
        "seal": seal,
        "terms": [
            {"line": term.line, "term": term.query.text, "hits": found.hits,
             "unique_hits": found.unique_hits, "threads": found.threads,
             "thread_ids": list(found.thread_ids or ())}
            for term, found in zip(terms, report.terms, strict=True)
        ],
        "any_term": {"hits": report.any_hits, "threads": report.any_threads},
    }
    out.write(orjson.dumps(document, option=orjson.OPT_INDENT_2).decode() + "\n")
