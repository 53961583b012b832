"""The one query language of every search back end, parsed once into a small typed tree.

    budget "mise à jour" OR reunion* -annulé NEAR(audit incident, 5) (a OR b)
    from:ann in:"Comité de direction" after:2019-01-01 before:2019-07-01T12:00:00Z
    has:attachment is:deleted is:private is:reply is:edited

Words are ANDed; `OR`, `AND`, `NOT` are operators only in capitals (FTS5's convention), so
`or` stays searchable. Every error names its position, so the CLI can point at it with a caret.
Back ends translate the tree (`sqlite/compile.py` for FTS5); none of them re-parses the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

from ..errors import InputError

FlagName = Literal["attachment", "deleted", "private", "reply", "edited"]
FLAGS: dict[str, tuple[FlagName, ...]] = {
    "has": ("attachment",),
    "is": ("deleted", "private", "reply", "edited"),
}
FILTERS = ("from", "in", "after", "before", *FLAGS)
DEFAULT_NEAR = 10


@dataclass(frozen=True, slots=True)
class Word:
    text: str
    prefix: bool = False


@dataclass(frozen=True, slots=True)
class Phrase:
    words: str
    prefix: bool = False


@dataclass(frozen=True, slots=True)
class Near:
    """Terms within `distance` tokens of each other, in any order."""

    terms: tuple[Word | Phrase, ...]
    distance: int = DEFAULT_NEAR


@dataclass(frozen=True, slots=True)
class From:
    """Author: an e-mail address, the part before `@`, a display name or one word of it."""

    who: str


@dataclass(frozen=True, slots=True)
class In:
    """A channel or group, by name (case and accents ignored) or id."""

    where: str


@dataclass(frozen=True, slots=True)
class After:
    """Created at or after this instant (microseconds since the epoch, UTC)."""

    micros: int


@dataclass(frozen=True, slots=True)
class Before:
    """Created strictly before this instant, so `after:D1 before:D2` is the half-open [D1, D2)."""

    micros: int


@dataclass(frozen=True, slots=True)
class Flag:
    name: FlagName


@dataclass(frozen=True, slots=True)
class And:
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not:
    item: Node


Text = Word | Phrase | Near
Filter = From | In | After | Before | Flag
Node = Text | Filter | And | Or | Not


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed query: the text as typed (for messages and logs) and its tree."""

    text: str
    root: Node

    def conjuncts(self) -> tuple[Node, ...]:
        """The top-level parts that must all hold: back ends plan these separately."""
        return self.root.items if isinstance(self.root, And) else (self.root,)

    def names(self) -> list[From | In]:
        """Every `from:` and `in:` filter, wherever it sits in the tree, in order."""
        found: list[From | In] = []
        stack = [self.root]
        while stack:
            node = stack.pop()
            if isinstance(node, From | In):
                found.append(node)
            elif isinstance(node, And | Or):
                stack.extend(reversed(node.items))
            elif isinstance(node, Not):
                stack.append(node.item)
        return found


class QueryError(InputError):
    """A query that cannot be parsed; the message repeats it with a caret under the fault."""

    def __init__(self, reason: str, query: str, position: int | None, *, where: str | None = None) -> None:
        self.reason, self.query, self.position = reason, query, position
        lines = [f"{where + ': ' if where else ''}invalid query: {reason}", f"  {query}"]
        if position is not None:
            lines.append("  " + " " * position + "^")
        super().__init__("\n".join(lines))


def parse(text: str) -> Query:
    """Parse `text`; raises QueryError saying what is wrong and where."""
    if control := _CONTROL.search(text):  # the index's tokenizer splits on them; NUL even breaks it
        raise QueryError(f"it holds a control character (U+{ord(control[0]):04X}), which no word can match",
                         _CONTROL.sub("\ufffd", text), control.start())
    tokens = _Lexer(text).tokens()
    if not tokens:
        raise QueryError("the query is empty", text, None)
    return Query(text, _Parser(text, tokens).parse())


# ---------------------------------------------------------------------------------------------
# Lexer: text -> tokens, each with the position it starts at.

TokenKind = Literal["(", ")", "OR", "AND", "NOT", "-", "term", "filter"]
_KEYWORDS = {"OR", "AND", "NOT"}
_FILTER = re.compile(r"([A-Za-z]+):")
#: control characters that are not white space (those separate words like a space does).
_CONTROL = re.compile("[\x00-\x08\x0e-\x1b\x7f-\x9f]")
_BARE_END = re.compile(r'[\s()"]')
_NEAR_WORD_END = re.compile(r'[\s()",]')
_NEAR_DISTANCE = re.compile(r"\s*,\s*(\d+)\s*\)")


@dataclass(frozen=True, slots=True)
class _Token:
    kind: TokenKind
    at: int
    node: Node | None = None


class _Lexer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, reason: str, at: int) -> QueryError:
        return QueryError(reason, self.text, at)

    def tokens(self) -> list[_Token]:
        out: list[_Token] = []
        while (token := self._next()) is not None:
            out.append(token)
        return out

    def _next(self) -> _Token | None:
        text = self.text
        while self.pos < len(text) and text[self.pos].isspace():
            self.pos += 1
        if self.pos >= len(text):
            return None
        at, char = self.pos, text[self.pos]
        if char in "()":
            self.pos += 1
            return _Token(char, at)  # type: ignore[arg-type]
        if char == "-" and self.pos + 1 < len(text) and not text[self.pos + 1].isspace() \
                and text[self.pos + 1] != ")":
            self.pos += 1
            return _Token("-", at)
        if char == '"':
            return _Token("term", at, self._phrase())
        bare = self._bare()
        if bare in _KEYWORDS:
            return _Token(bare, at)  # type: ignore[arg-type]
        if bare == "NEAR" and text[self.pos:self.pos + 1] == "(":
            return _Token("term", at, self._near(at))
        if match := _FILTER.match(bare):
            return _Token("filter", at, self._filter(match[1].lower(), at, at + match.end()))
        return _Token("term", at, self._word(bare, at))

    def _bare(self) -> str:
        end = _BARE_END.search(self.text, self.pos)
        stop = end.start() if end else len(self.text)
        bare, self.pos = self.text[self.pos:stop], stop
        return bare

    def _quoted(self) -> str:
        """The text between double quotes starting at `pos`; the closing quote is consumed."""
        start = self.pos
        close = self.text.find('"', start + 1)
        if close < 0:
            raise self.fail("this quote is never closed", start)
        self.pos = close + 1
        return self.text[start + 1:close]

    def _phrase(self) -> Phrase:
        at = self.pos
        words = self._quoted()
        if not _searchable(words):
            raise self.fail("this phrase has no letters or digits to search for", at)
        prefix = self.text.startswith("*", self.pos)
        self.pos += prefix
        return Phrase(" ".join(words.split()), prefix)

    def _word(self, bare: str, at: int) -> Word:
        prefix = bare.endswith("*")
        word = bare.rstrip("*") if prefix else bare
        if "*" in word:
            raise self.fail("'*' can only end a word (prefix search, e.g. confor*)", at + word.index("*"))
        if not _searchable(word):
            raise self.fail(f"{bare!r} has no letters or digits to search for "
                            "(quote it with words around it, or remove it)", at)
        return Word(word, prefix)

    def _near(self, at: int) -> Near:
        self.pos += 1  # the "("
        terms: list[Word | Phrase] = []
        distance = DEFAULT_NEAR
        while True:
            while self.pos < len(self.text) and self.text[self.pos].isspace():
                self.pos += 1
            if self.pos >= len(self.text):
                raise self.fail("NEAR( is never closed", at)
            char = self.text[self.pos]
            if char == ")":
                self.pos += 1
                break
            if char == ",":
                match = _NEAR_DISTANCE.match(self.text, self.pos)
                if not match:
                    raise self.fail("expected a whole number and ')' after the comma, "
                                    "e.g. NEAR(audit incident, 5)", self.pos)
                distance, self.pos = int(match[1]), match.end()
                break
            if char == '"':
                terms.append(self._phrase())
            elif char == "(":
                raise self.fail("NEAR takes words and \"phrases\", not groups", self.pos)
            else:
                start = self.pos
                end = _NEAR_WORD_END.search(self.text, start)
                self.pos = end.start() if end else len(self.text)
                terms.append(self._word(self.text[start:self.pos], start))
        if len(terms) < 2:
            raise self.fail("NEAR needs at least two terms, e.g. NEAR(audit incident, 5)", at)
        return Near(tuple(terms), distance)

    def _filter(self, name: str, at: int, value_at: int) -> Filter:
        if name not in FILTERS:
            raise self.fail(f"unknown filter '{name}:' (known: {', '.join(f + ':' for f in FILTERS)}); "
                            "to search for the text itself, put it in quotes", at)
        self.pos = value_at
        value = self._quoted() if self.text.startswith('"', value_at) else self._bare()
        if not value.strip():
            raise self.fail(f"'{name}:' needs a value, e.g. {name}:{_EXAMPLES[name]}", at)
        if name == "from":
            return From(value.strip())
        if name == "in":
            return In(value.strip())
        if name in ("after", "before"):
            micros = self._instant(value, value_at)
            return After(micros) if name == "after" else Before(micros)
        allowed = FLAGS[name]
        if value.lower() not in allowed:
            raise self.fail(f"'{name}:' takes {' or '.join(allowed)}, not {value!r}", value_at)
        return Flag(value.lower())  # type: ignore[arg-type]

    def _instant(self, value: str, at: int) -> int:
        from ..archive import parse_timestamp, utc_micros  # pydantic with them: only dates need it

        try:
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                return utc_micros(date.fromisoformat(value).isoformat() + "T00:00:00Z")
            return utc_micros(parse_timestamp(value).utc)
        except ValueError:
            raise self.fail(f"{value!r} is not a date: use YYYY-MM-DD (UTC) or RFC 3339 "
                            "with a zone, e.g. 2019-03-04T10:00:00Z", at) from None


_EXAMPLES = {"from": "ann@example.com", "in": '"Comité de direction"', "after": "2019-01-01",
             "before": "2019-07-01", "has": "attachment", "is": "deleted"}


def _searchable(text: str) -> bool:
    """Whether FTS tokenizers would find a token in `text` (letters and digits are tokens)."""
    return any(char.isalnum() for char in text)


# ---------------------------------------------------------------------------------------------
# Parser: recursive descent over the tokens.
#
#   query := or EOF        or := and ("OR" and)*        and := unary (["AND"] unary)*
#   unary := ("-" | "NOT") unary | "(" or ")" | term | filter


class _Parser:
    def __init__(self, text: str, tokens: list[_Token]) -> None:
        self.text = text
        self.tokens = tokens
        self.i = 0

    def fail(self, reason: str, at: int | None) -> QueryError:
        return QueryError(reason, self.text, at)

    def peek(self) -> _Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def parse(self) -> Node:
        node = self.or_()
        if (extra := self.peek()) is not None:
            raise self.fail("unexpected ')' (no '(' to close)", extra.at)
        return node

    def or_(self) -> Node:
        items = [self.and_()]
        while (token := self.peek()) is not None and token.kind == "OR":
            self.take()
            items.append(self.and_())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def and_(self) -> Node:
        items: list[Node] = []
        while (token := self.peek()) is not None and token.kind not in ("OR", ")"):
            if token.kind == "AND":
                self.take()
                if not items:
                    raise self.fail("AND needs a search term on its left", token.at)
                continue
            items.append(self.unary())
        if not items:
            before, after = self.tokens[self.i - 1] if self.i else None, self.peek()
            for token in (before, after):
                if token is not None and token.kind == "OR":
                    raise self.fail("OR needs a search term on both sides", token.at)
            assert after is not None  # an empty query or group is refused before we get here
            raise self.fail("unexpected ')' (no '(' to close)", after.at)
        if self.tokens[self.i - 1].kind == "AND":
            raise self.fail("AND needs a search term on its right", self.tokens[self.i - 1].at)
        return items[0] if len(items) == 1 else And(tuple(items))

    def unary(self) -> Node:
        token = self.take()
        if token.kind in ("-", "NOT"):
            following = self.peek()
            if following is None or following.kind in ("OR", "AND", ")"):
                raise self.fail(f"'{token.kind}' must be followed by a term to exclude", token.at)
            return Not(self.unary())
        if token.kind == "(":
            following = self.peek()
            if following is None:  # nothing after it: an and_() below would find no term at all
                raise self.fail("this '(' is never closed", token.at)
            if following.kind == ")":
                raise self.fail("empty parentheses", token.at)
            node = self.or_()
            close = self.peek()
            if close is None or close.kind != ")":
                raise self.fail("this '(' is never closed", token.at)
            self.take()
            return node
        assert token.node is not None, token  # the loop in and_() stops at OR, AND and ')'
        return token.node
