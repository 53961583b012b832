"""Benchmark `rsemigrate export yammer` against the floor of reading the same CSV.

    python bench/bench_export_yammer.py [--sizes 100000,1000000] [--runs 3]

For each size, a synthetic export is generated once (cached in bench/out/) and two programs run
in fresh subprocesses, so each peak RSS is that run's own (os.wait4 reports it per child):
- baseline: stdlib csv reads Messages.csv and orjson writes each row as a JSONL line;
- export:   the real `rsemigrate export yammer` into a new archive.
They alternate --runs times. The machine may be shared (a 2-core VM whose speed drifts by ±10%
within minutes), so each pair's ratio is taken, and the median of those ratios is the figure;
the range is printed beside it.
Goals: export/baseline ≤ 3x, peak RSS ≤ 300 MB, RSS growth < 1.5x from the smallest size to the largest.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.yammer_synth import write_synthetic_export  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"
BIN = Path(sys.executable).parent

BASELINE = """
import csv, sys, orjson
csv.field_size_limit(1 << 28)
with open(sys.argv[1], encoding="utf-8-sig", newline="") as src, open(sys.argv[2], "wb") as dst:
    rows = csv.reader(src)
    header = next(rows)
    for row in rows:
        dst.write(orjson.dumps(dict(zip(header, row))) + b"\\n")
"""


def export_folder(size: int) -> Path:
    folder = OUT / f"yammer-{size}"
    done = folder / ".complete"
    if not done.exists():
        shutil.rmtree(folder, ignore_errors=True)
        print(f"generating {size:,} messages in {folder} …", flush=True)
        write_synthetic_export(folder, size)
        done.touch()
    return folder


def measure(command: list[str]) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB) of one fresh child process.

    Each starts once the disk has caught up with earlier writes (generating the export, the run
    before): the kernel writing them back meanwhile would slow whichever run came next.
    """
    os.sync()
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"{command[0]} failed with exit code {proc.returncode}")
    return time.perf_counter() - start, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100000,1000000", help="comma-separated message counts")
    parser.add_argument("--runs", type=int, default=3, help="alternated baseline/export pairs per size")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    peaks = []
    for size in sizes:
        folder = export_folder(size)
        pairs = []
        for _ in range(args.runs):
            with tempfile.TemporaryDirectory(dir=OUT) as scratch:
                base = measure([sys.executable, "-c", BASELINE, str(folder / "Messages.csv"),
                                str(Path(scratch, "baseline.jsonl"))])
                export = measure([str(BIN / "rsemigrate"), "export", "yammer", str(folder),
                                  "-o", str(Path(scratch, "archive")), "--json"])
            pairs.append((base, export))
        ratios = sorted(export[0] / base[0] for base, export in pairs)
        base_s = statistics.median(base[0] for base, _ in pairs)
        export_s = statistics.median(export[0] for _, export in pairs)
        base_mb, export_mb = max(base[1] for base, _ in pairs), max(export[1] for _, export in pairs)
        peaks.append(export_mb)
        print(f"{size:>10,} messages  baseline {base_s:7.2f} s {base_mb:6.0f} MB  "
              f"export {export_s:7.2f} s {export_mb:6.0f} MB  ratio {statistics.median(ratios):4.2f}x "
              f"(runs {', '.join(f'{r:.2f}' for r in ratios)})  "
              f"{(export_s - base_s) / size * 1e6:5.1f} µs/message over baseline", flush=True)
    if len(sizes) > 1:
        print(f"export peak RSS growth {sizes[0]:,} → {sizes[-1]:,}: {peaks[-1] / peaks[0]:.2f}x")


if __name__ == "__main__":
    main()
