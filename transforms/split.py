"""Splitting: a message over the target's size budget becomes ordered continuation parts.

The body is cut between blocks when possible, else between words, else inside a word; never
inside a tag, an entity or an atomic element (a mention, a file tag, a short link). Each part
re-opens the elements it continues (a list that spans two parts is a list in both). Mentions and
files travel with the part whose body holds their markup; reactions stay on the first part.
Part 2 onwards are posted as replies in the same thread, right after the first part.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace

from bs4 import BeautifulSoup, NavigableString
from bs4.element import Tag

from .draft import Draft

#: measure(draft) -> the size in bytes the target counts against its budget.
Measure = Callable[[Draft], int]

ATOMIC = frozenset({"at", "attachment", "a", "img", "code"})
VOID = frozenset({"br", "hr", "img", "wbr"})
_WORDS = re.compile(r"\S+\s*|\s+")


@dataclass(frozen=True, slots=True)
class _Open:
    node: int
    start: str
    end: str


@dataclass(frozen=True, slots=True)
class _Atom:
    chain: tuple[_Open, ...]
    text: str
    block: int


def _size(s: str) -> int:
    return len(s.encode("utf-8"))


def _start(tag: Tag) -> str:
    attrs = "".join(f' {k}="{html.escape(" ".join(v) if isinstance(v, list) else str(v))}"'
                    for k, v in tag.attrs.items())
    return f"<{tag.name}{attrs}>"


def _pieces(text: str, limit: int) -> Iterator[str]:
    """Escaped pieces of a text node: words, and words longer than `limit` cut by characters."""
    for word in _WORDS.findall(text):
        escaped = html.escape(word, quote=False)
        if _size(escaped) <= limit:
            yield escaped
            continue
        chunk = ""
        for ch in word:
            piece = html.escape(ch, quote=False)
            if _size(chunk) + _size(piece) > limit and chunk:
                yield chunk
                chunk = ""
            chunk += piece
        if chunk:
            yield chunk


def _atoms(fragment: str, limit: int) -> list[_Atom]:
    soup = BeautifulSoup(fragment, "html.parser")
    atoms: list[_Atom] = []

    def visit(child: object, chain: tuple[_Open, ...], block: int) -> None:
        if isinstance(child, NavigableString):
            atoms.extend(_Atom(chain, p, block) for p in _pieces(str(child), limit))
        elif isinstance(child, Tag):
            whole = child.decode(formatter="minimal")
            if child.name in VOID or (child.name in ATOMIC and _size(whole) <= limit):
                atoms.append(_Atom(chain, whole, block))
            else:
                inner = chain + (_Open(id(child), _start(child), f"</{child.name}>"),)
                for grandchild in child.children:
                    visit(grandchild, inner, block)

    for block, child in enumerate(soup.children):
        visit(child, (), block)
    return atoms


def _render(atoms: list[_Atom]) -> str:
    out: list[str] = []
    stack: tuple[_Open, ...] = ()
    for atom in atoms:
        common = 0
        while common < min(len(stack), len(atom.chain)) and stack[common].node == atom.chain[common].node:
            common += 1
        out.extend(o.end for o in reversed(stack[common:]))
        out.extend(o.start for o in atom.chain[common:])
        out.append(atom.text)
        stack = atom.chain
    out.extend(o.end for o in reversed(stack))
    return "".join(out)


def split_html(fragment: str, room: int) -> list[str]:
    """Cut an HTML fragment into pieces of at most `room` UTF-8 bytes each (when possible)."""
    atoms = _atoms(fragment, max(16, room // 4))
    parts: list[list[_Atom]] = []
    current: list[_Atom] = []
    cost = 0
    for atom in atoms:
        prev = current[-1].chain if current else ()
        common = 0
        while common < min(len(prev), len(atom.chain)) and prev[common].node == atom.chain[common].node:
            common += 1
        extra = _size(atom.text) + sum(_size(o.start) + _size(o.end) for o in atom.chain[common:])
        if current and cost + extra > room:
            # Prefer to break between top-level blocks when that keeps the part at least half full.
            cut = next((i for i in range(len(current) - 1, 0, -1)
                        if current[i].block != current[i - 1].block), None)
            if cut is not None and _size(_render(current[:cut])) >= room // 2:
                parts.append(current[:cut])
                current = current[cut:]
            else:
                parts.append(current)
                current = []
            cost = _size(_render(current))
            prev = current[-1].chain if current else ()
            common = 0
            while common < min(len(prev), len(atom.chain)) and prev[common].node == atom.chain[common].node:
                common += 1
            extra = _size(atom.text) + sum(_size(o.start) + _size(o.end) for o in atom.chain[common:])
        current.append(atom)
        cost += extra
    if current:
        parts.append(current)
    return [_render(p) for p in parts] or [""]


def split_long(drafts: Iterable[Draft], budget: int, measure: Measure,
               continuation: str = "(continued, part {part} of {parts})") -> Iterator[Draft]:
    """Yield each draft, or its parts when `measure(draft)` exceeds `budget`.

    A message that cannot be brought under the budget this way (its mentions or files alone
    exceed it) is yielded whole; the dry run measures every part again and refuses it.
    """
    for draft in drafts:
        if measure(draft) <= budget:
            yield draft
            continue
        fixed = measure(replace(draft, html=""))  # part 1 keeps the reactions, which count too
        marker = f"<p><em>{html.escape(continuation.format(part=999, parts=999))}</em></p>"
        room = budget - fixed - _size(marker) - 64
        if room < 256:
            yield draft
            continue
        chunks = split_html(draft.html, room)
        if len(chunks) < 2:
            yield draft
            continue
        n = len(chunks)
        for i, chunk in enumerate(chunks, 1):
            head = "" if i == 1 else (
                f"<p><em>{html.escape(continuation.format(part=i, parts=n))}</em></p>")
            part = replace(
                draft,
                html=head + chunk,
                mentions=[m for m in draft.mentions if m.markup in chunk],
                files=[f for f in draft.files if f.markup in chunk],
                reactions=draft.reactions if i == 1 else [],
                degradations=list(draft.degradations) if i == 1 else [],
                root_id=draft.root_id if i == 1 else (draft.root_id or draft.message.id),
                part=i,
                parts=n,
            )
            if i == 1:
                part.degrade("split", str(n))
            yield part
