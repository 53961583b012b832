"""Keep each connector doc's field-coverage table generated from the connector's declarations.

    python -m rsemigrate.export.coverage_docs docs/     (or `make coverage-docs`)

A doc holds the table between `<!-- coverage NAME -->` and `<!-- /coverage -->`, NAME being an
installed connector; everything between the markers is rewritten from `Connector.coverage`, so
the doc cannot say something the reader does not do. The test suite checks they are in step.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from .census import coverage_markdown

_BLOCK = re.compile(r"(<!-- coverage (\w+) -->\n)(.*?)(<!-- /coverage -->)", re.DOTALL)


def generated(text: str) -> str:
    """`text` with every coverage block rewritten from its connector's declarations."""
    from ..registry import connectors

    found = connectors()

    def fill(match: re.Match[str]) -> str:
        connector = found.get(match[2])
        if connector is None:
            raise ValueError(f"coverage block names {match[2]!r}, which is no installed connector")
        return f"{match[1]}\n{coverage_markdown(connector.coverage)}\n{match[4]}"

    return _BLOCK.sub(fill, text)


def main(folder: str = "docs") -> int:
    for path in sorted(Path(folder).glob("*.md")):
        text = path.read_text(encoding="utf-8")
        if (new := generated(text)) != text:
            path.write_text(new, encoding="utf-8")
            print(f"updated {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(*sys.argv[1:2]))
