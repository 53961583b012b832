"""Case- and accent-folding of names, kept apart from the schema so the index reader (a child
process) starts without importing SQLModel."""

from __future__ import annotations

import unicodedata


def fold(value: str) -> str:
    """Case- and accent-insensitive form of a name, as the FTS tokenizer folds the text."""
    if value.isascii():  # most names: nothing to decompose (a tenth of the index reader's time)
        return value.casefold().strip()
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold().strip()
