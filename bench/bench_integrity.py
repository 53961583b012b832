"""What the import's and search's seal checks cost (issue 18), against the reads they guard.

    .venv/bin/python bench/bench_integrity.py                    # 100,000 messages, realistic shape
    .venv/bin/python bench/bench_integrity.py --messages 20000 --runs 3

On the cached realistic archive (bench/realistic.py: power-law communities beside many tiny
private conversations), each figure is a median over --runs, alternated with its baseline in
the same run (the machine may be shared):
  - first-run check (`check_sealed(contents=True)`: tag files, every record and message file
    hashed) against the baseline the import pays anyway: decoding every message (`Archive.messages`);
  - the search commands' check (`contents=False`: tag files hashed, record files stat-ed) against
    opening the archive (`Archive(path)` and its channel index);
  - a stored file checked before its upload (`check_stored`) against reading its bytes.
Goal: the first-run check well under the decode it guards (ratio < 0.5); the search check a few
milliseconds.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from realistic import realistic_archive  # noqa: E402

from rsemigrate.archive import Archive, check_sealed, check_stored  # noqa: E402


def timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def spread(values: list[float], unit: float = 1000, digits: int = 1) -> str:
    """median (range min-max)"""
    return (f"{statistics.median(values) * unit:.{digits}f} "
            f"({min(values) * unit:.{digits}f}-{max(values) * unit:.{digits}f})")


def compare(label: str, check: Callable[[], object], baseline: Callable[[], object], runs: int) -> None:
    pairs = [(timed(check), timed(baseline)) for _ in range(runs)]
    checks, bases = [c for c, _ in pairs], [b for _, b in pairs]
    print(f"{label}: check {spread(checks)} ms, baseline {spread(bases)} ms, "
          f"ratio {spread([c / b for c, b in pairs], 1, 3)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    path = realistic_archive(args.messages)
    archive = Archive(path)
    stored = [a for a in archive.attachments() if a.sha256 and a.status == "present"]
    print(f"archive: {path.name}, {sum(1 for _ in archive.spans())} channels with messages, "
          f"{len(stored)} stored files")

    def decode_all() -> int:
        return sum(1 for _ in Archive(path).messages())

    def open_archive() -> int:
        return Archive(path).message_count("none")

    compare("first-run check vs decoding every message", lambda: check_sealed(path, contents=True),
            decode_all, args.runs)
    compare("search check vs opening the archive", lambda: check_sealed(path, contents=False),
            open_archive, args.runs)
    if stored:
        compare("stored files checked vs read",
                lambda: [check_stored(path, a.sha256, a.size) for a in stored],
                lambda: [archive.file_path(a.sha256).read_bytes() for a in stored], args.runs)
    print(f"max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
