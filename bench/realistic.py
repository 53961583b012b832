"""A sealed archive of the realistic shape (see yammer_synth), exported once and cached in bench/out/.

Benchmarks of what reads an archive (search, report, viewer, productions) start from it, so they
all measure the same network: power-law communities beside tens of thousands of tiny private
conversations.
"""

from __future__ import annotations

import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"


def realistic_export(messages: int) -> Path:
    """The unpacked synthetic Yammer export of `messages` rows, realistic shape (cached)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from yammer_synth import write_synthetic_export

    folder = OUT / f"yammer-realistic-{messages}"
    if not (folder / "Messages.csv").exists():
        write_synthetic_export(folder.with_suffix(".tmp"), messages, shape="realistic")
        folder.with_suffix(".tmp").rename(folder)
    return folder


def realistic_archive(messages: int) -> Path:
    """The sealed archive of `realistic_export(messages)` (cached)."""
    from rsemigrate import run_export
    from rsemigrate.registry import source_connector

    archive = OUT / f"archive-realistic-{messages}"
    if not (archive / "bagit.txt").exists():
        run_export(source_connector("yammer"), realistic_export(messages), archive)
    return archive


if __name__ == "__main__":
    for size in map(int, sys.argv[1:] or ["100000"]):
        print(realistic_archive(size))
