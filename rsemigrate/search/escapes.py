"""What search output must not carry from hostile message content.

- A spreadsheet opening a CSV runs a cell that starts like a formula (`=HYPERLINK(…)`,
  `@SUM(…)`, `+cmd|…`). OWASP's CSV injection advice: a cell starting with `=`, `+`, `-`, `@`,
  a tab or a carriage return gets a leading `'`, so it is read as text. The JSON output keeps
  values exactly; only CSV cells change.
- A terminal obeys escape sequences (`\\x1b]…` can set the title, write a hyperlink, or, on some
  terminals, answer back) and bidi overrides reorder what is shown. Text printed to a terminal
  keeps tabs and newlines and loses every other control character (Unicode category Cc), and
  the bidi embedding, override and isolate characters. JSON keeps them (escaped, harmless).
"""

from __future__ import annotations

import re

#: first characters that make a spreadsheet read a cell as a formula (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def csv_cell(value: object) -> object:
    """A CSV cell value a spreadsheet will not run: text starting like a formula gets a `'`."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def terminal_text(text: str) -> str:
    """`text` without the control characters a terminal would obey (see the module doc)."""
    return _CONTROLS.sub("", text)
