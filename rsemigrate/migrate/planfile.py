"""Reading a plan file (TOML) so that every mistake names its key and its line.

`tomllib` parses; pydantic validates the sections against dataclasses with unknown keys
forbidden (a typo is an error, not a silently ignored option). Neither reports where a *valid*
TOML key sits, so `PlanDocument.line` finds it by scanning the text: table headers and key lines
are parsed with tomllib itself, which keeps quoting and escapes exact.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import TypeAdapter, ValidationError

from ..errors import InputError

T = TypeVar("T")
KeyPath = tuple[str | int, ...]

_HEADER = re.compile(r"^\s*(\[\[?)([^\[\]]+?)\]\]?\s*(?:#.*)?$")
_BARE = r"[A-Za-z0-9_-]+"
_QUOTED = r"\"(?:[^\"\\]|\\.)*\"|'[^']*'"
_KEY = re.compile(rf"^\s*((?:{_BARE}|{_QUOTED})(?:\s*\.\s*(?:{_BARE}|{_QUOTED}))*)\s*=")


class PlanError(InputError):
    """A plan that cannot be used: the message names the file, the line and the key."""


def read_text_input(path: Path, what: str, *, encoding: str = "utf-8") -> str:
    """A text file an admin wrote (a plan, a users mapping), or an error naming it, and the line
    of a byte that is not UTF-8 (a file saved in a legacy code page)."""
    try:
        return path.read_text(encoding=encoding)
    except OSError as exc:
        raise PlanError(f"cannot read {what}: {exc.strerror}", file=str(path)) from None
    except UnicodeDecodeError as exc:
        raise PlanError(f"{what} is not UTF-8 text (byte 0x{exc.object[exc.start]:02x}): save it as UTF-8",
                        file=str(path), line=exc.object[: exc.start].count(b"\n") + 1) from None


def _key_parts(dotted: str) -> tuple[str, ...] | None:
    """Split a TOML dotted key exactly as TOML does (quotes, escapes), using tomllib itself."""
    try:
        node: Any = tomllib.loads(f"{dotted} = 0")
    except tomllib.TOMLDecodeError:
        return None
    parts: list[str] = []
    while isinstance(node, dict) and len(node) == 1:
        (key, node), = node.items()
        parts.append(key)
    return tuple(parts)


def _index_lines(text: str) -> dict[KeyPath, int]:
    lines: dict[KeyPath, int] = {}
    table: KeyPath = ()
    arrays: dict[tuple[str, ...], int] = {}
    in_string: str | None = None
    for lineno, line in enumerate(text.splitlines(), 1):
        if in_string:
            if line.count(in_string) % 2 == 1:
                in_string = None
            continue
        if header := _HEADER.match(line):
            parts = _key_parts(header[2].strip())
            if parts is None:
                continue
            if header[1] == "[[":
                arrays[parts] = arrays.get(parts, -1) + 1
                table = parts + (arrays[parts],)
            else:
                table = parts
            lines.setdefault(table, lineno)
            continue
        if key := _KEY.match(line):
            parts = _key_parts(key[1])
            if parts is not None:
                lines.setdefault(table + parts, lineno)
            rest = line[key.end():]
            for quote in ('"""', "'''"):
                if rest.count(quote) % 2 == 1:
                    in_string = quote
    return lines


@dataclass
class PlanDocument:
    """A parsed plan file: its data, and where each key is written."""

    path: Path
    text: str
    data: dict[str, Any]
    _lines: dict[KeyPath, int] = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, path: Path) -> PlanDocument:
        text = read_text_input(path, "the plan")
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            message = str(exc)
            found = re.search(r"\(at line (\d+), column (\d+)\)", message)
            detail = re.sub(r"\s*\(at line \d+, column \d+\)", "", message)
            if found:
                raise PlanError(f"not valid TOML: {detail} (column {found[2]})", file=str(path),
                                line=int(found[1])) from None
            raise PlanError(f"not valid TOML: {detail}", file=str(path)) from None
        return cls(path, text, data, _index_lines(text))

    def line(self, key: KeyPath) -> int | None:
        """Line of `key`, or of its nearest written ancestor (inline tables, defaults)."""
        for end in range(len(key), 0, -1):
            if key[:end] in self._lines:
                return self._lines[key[:end]]
        return None

    def error(self, key: KeyPath, message: str) -> PlanError:
        dotted = dotted_key(key)
        return PlanError(f"{dotted}: {message}" if dotted else message, file=str(self.path),
                         line=self.line(key))

    def section(self, key: KeyPath, cls: type[T]) -> T:
        """Validate the table at `key` (missing: empty) into `cls`, naming key and line on error."""
        node: Any = self.data
        for part in key:
            node = node.get(part, {}) if isinstance(node, dict) else {}
        try:
            return TypeAdapter(cls).validate_python(node)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = key + tuple(p for p in first["loc"] if not str(p).startswith("function-"))
            raise self.error(where, _message(first)) from None


def _message(error: Any) -> str:
    if error["type"] == "unexpected_keyword_argument" or error["type"] == "extra_forbidden":
        return "unknown key (check the spelling; see the comments `plan init` writes)"
    if error["type"] == "missing" or error["type"] == "missing_argument":
        return "required key is missing"
    return str(error["msg"])


def dotted_key(key: KeyPath) -> str:
    out: list[str] = []
    for part in key:
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif re.fullmatch(_BARE, part):
            out.append(("." if out else "") + part)
        else:
            out.append(("." if out else "") + '"' + part.replace("\\", "\\\\").replace('"', '\\"') + '"')
    return "".join(out)
