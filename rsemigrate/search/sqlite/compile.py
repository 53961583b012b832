"""Translates a parsed `Query` into one FTS5 MATCH expression plus SQL on the message table.

The plan follows what was measured on a million messages: text goes to FTS5 in one MATCH; the
top-level filters stay on the base table (never inside the FTS query, which can be catastrophic
for numeric filters); date bounds become rowid bounds because rowids are chronological, and
FTS5 applies rowid ranges itself. Anything FTS5 cannot express (a filter inside an OR, a NOT
with nothing to subtract from) becomes a `rowid IN (MATCH …)` condition, so every query the
parser accepts runs, the common shapes fast.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ..query import After, And, Before, Flag, From, In, Near, Node, Not, Or, Phrase, Query, Word
from .tables import FTS_TABLE

_FLAG_COLUMNS = {"attachment": "has_attachment", "deleted": "deleted", "private": "private",
                 "reply": "reply", "edited": "edited"}


class Resolver(Protocol):
    """The lookups a plan needs from the index."""

    last_seq: int

    def people(self, who: str) -> list[int]:
        """Seqs of the persons `from:who` names."""

    def channels(self, where: str) -> list[int]:
        """Seqs of the channels `in:where` names (the channel itself or its group)."""

    def first_seq_at(self, micros: int) -> int:
        """The first seq created at or after `micros`; last_seq + 1 when none is."""


@dataclass(frozen=True, slots=True)
class Plan:
    #: FTS5 expression every result matches, None for a query without positive text.
    match: str | None
    #: SQL condition on `message m` ("" for none) and its parameters.
    where: str
    params: tuple[object, ...]
    first_seq: int
    last_seq: int


def plan(query: Query, resolver: Resolver) -> Plan:
    first, last = 1, resolver.last_seq
    positive: list[Node] = []
    negative: list[Node] = []
    rest: list[Node] = []
    for part in query.conjuncts():
        if isinstance(part, After):
            first = max(first, resolver.first_seq_at(part.micros))
        elif isinstance(part, Before):
            last = min(last, resolver.first_seq_at(part.micros) - 1)
        elif fts(part) is not None:
            positive.append(part)
        elif isinstance(part, Not) and fts(part.item) is not None:
            negative.append(part)
        else:
            rest.append(part)
    match = fts(And((*positive, *negative))) if positive else None
    if match is None:
        rest = negative + rest
    params: list[object] = []
    where = " AND ".join(_condition(part, resolver, params) for part in rest)
    return Plan(match, where, tuple(params), first, last)


def fts(node: Node) -> str | None:
    """The FTS5 expression for a text-only node, or None when FTS5 cannot express it alone.

    Every term is quoted, so punctuation in it ("ver1.1", "l'équipe") can never be FTS5 syntax.
    """
    match node:
        case Word(text, prefix) | Phrase(text, prefix):
            return _quote(text) + ("*" if prefix else "")
        case Near(terms, distance):
            return f"NEAR({' '.join(str(fts(term)) for term in terms)}, {distance})"
        case Or(items):
            parts = [fts(item) for item in items]
            return None if None in parts else "(" + " OR ".join(parts) + ")"  # type: ignore[arg-type]
        case And(items):
            # FTS5's NOT is binary ("a NOT b"): it needs something positive to subtract from.
            kept = [fts(item) for item in items if not isinstance(item, Not)]
            dropped = [fts(item.item) for item in items if isinstance(item, Not)]
            if not kept or None in kept or None in dropped:
                return None
            expression = "(" + " AND ".join(kept) + ")"  # type: ignore[arg-type]
            for excluded in dropped:
                expression = f"({expression} NOT {excluded})"
            return expression
    return None


def _quote(text: str) -> str:
    # FTS5 reads the query as a C string: a NUL would end it inside the quotes. The tokenizer
    # never indexes a NUL, so dropping it changes no match.
    return '"' + text.replace("\0", "").replace('"', '""') + '"'


def _condition(node: Node, resolver: Resolver, params: list[object]) -> str:
    """SQL for any node on `message m`; text becomes a rowid set from FTS5."""
    if (expression := fts(node)) is not None:
        params.append(expression)
        return f"m.seq IN (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH ?)"
    match node:
        case And(items):
            return "(" + " AND ".join(_condition(item, resolver, params) for item in items) + ")"
        case Or(items):
            return "(" + " OR ".join(_condition(item, resolver, params) for item in items) + ")"
        case Not(item):
            return f"NOT {_condition(item, resolver, params)}"
        case From(who):
            return _among("m.author_seq", resolver.people(who))
        case In(where):
            return _among("m.channel_seq", resolver.channels(where))
        case After(micros):
            params.append(micros)
            return "m.at_us >= ?"
        case Before(micros):
            params.append(micros)
            return "m.at_us < ?"
        case Flag(name):
            return f"m.{_FLAG_COLUMNS[name]}"
    raise AssertionError(f"unhandled query node {node!r}")


def _among(column: str, seqs: list[int]) -> str:
    # Seqs are integers read from the index itself, so inlining them is safe; no parameter limit.
    return f"{column} IN ({', '.join(map(str, seqs))})" if seqs else "0"
