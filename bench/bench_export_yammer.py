"""Benchmark `rsemigrate export yammer` against the floor of reading the same CSV.

    python bench/bench_export_yammer.py [--sizes 100000,1000000] [--runs 3] [--shapes flat,realistic]
                                        [--sources folder,zip]

For each shape and size, a synthetic export (bench/yammer_synth.py) is generated once, unpacked
and zipped (cached in bench/out/). The `flat` shape is 200 groups and 5% private threads; the
`realistic` one is a real network's: power-law communities and 35% of the messages in private
conversations of 2-5 messages (about 100,000 channels at a million messages). Programs run in
fresh subprocesses, so each peak RSS is that run's own (os.wait4 reports it per child):
- baseline: stdlib csv reads the unpacked Messages.csv and orjson writes each row as a JSONL line;
- export:   the real `rsemigrate export yammer` into a new archive, from the folder and from the
            .zip users hand over (the same floor for both).
They alternate --runs times. The machine may be shared (a 2-core VM whose speed drifts by ±10%
within minutes), so each pair's ratio is taken, and the median of those ratios is the figure;
the range is printed beside it.
Goals: export/baseline ≤ 3x (from the .zip on the realistic shape at 1M: ≤ 2.5x), peak RSS ≤ 300 MB,
RSS growth < 1.5x from the smallest size to the largest.
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
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.realistic import realistic_export  # noqa: E402
from bench.yammer_synth import Shape, write_synthetic_export  # noqa: E402

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


def export_folder(size: int, shape: Shape) -> Path:
    if shape == "realistic":
        return realistic_export(size)  # the one the reader benchmarks' archive comes from
    folder = OUT / f"yammer-{size}"
    done = folder / ".complete"
    if not done.exists():
        shutil.rmtree(folder, ignore_errors=True)
        print(f"generating {size:,} messages ({shape}) in {folder} …", flush=True)
        write_synthetic_export(folder, size, shape=shape)
        done.touch()
    return folder


def export_zip(folder: Path) -> Path:
    """The export as the admin downloads it: the same files, deflated, in one .zip (cached)."""
    path = folder.with_suffix(".zip")
    if not path.exists():
        partial = path.with_suffix(".zip.partial")
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
            for file in sorted(folder.glob("*.csv")):
                archive.write(file, file.name)
        partial.rename(path)
    return path


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
    parser.add_argument("--runs", type=int, default=3, help="alternated baseline/export rounds per size")
    parser.add_argument("--shapes", default="flat,realistic", help="flat, realistic or both")
    parser.add_argument("--sources", default="folder,zip", help="export from the folder, the .zip or both")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    sources = args.sources.split(",")
    for shape in args.shapes.split(","):
        peaks: dict[str, list[float]] = {source: [] for source in sources}
        for size in sizes:
            folder = export_folder(size, shape)  # type: ignore[arg-type]
            given = {"folder": folder, "zip": export_zip(folder) if "zip" in sources else folder}
            rounds = []
            for _ in range(args.runs):
                with tempfile.TemporaryDirectory(dir=OUT) as scratch:
                    base = measure([sys.executable, "-c", BASELINE, str(folder / "Messages.csv"),
                                    str(Path(scratch, "baseline.jsonl"))])
                    runs = {source: measure([str(BIN / "rsemigrate"), "export", "yammer", str(given[source]),
                                             "-o", str(Path(scratch, f"archive-{source}")), "--json"])
                            for source in sources}
                rounds.append((base, runs))
            base_s = statistics.median(base[0] for base, _ in rounds)
            base_mb = max(base[1] for base, _ in rounds)
            print(f"{shape:>9} {size:>10,} messages  baseline {base_s:7.2f} s {base_mb:4.0f} MB "
                  f"(runs {', '.join(f'{base[0]:.2f}' for base, _ in rounds)})", flush=True)
            for source in sources:
                ratios = sorted(runs[source][0] / base[0] for base, runs in rounds)
                export_s = statistics.median(runs[source][0] for _, runs in rounds)
                export_mb = max(runs[source][1] for _, runs in rounds)
                peaks[source].append(export_mb)
                print(f"{'':>20}  export from {source:<6} {export_s:7.2f} s {export_mb:4.0f} MB  "
                      f"ratio {statistics.median(ratios):4.2f}x "
                      f"(runs {', '.join(f'{r:.2f}' for r in ratios)})  "
                      f"{(export_s - base_s) / size * 1e6:5.1f} µs/message over baseline", flush=True)
        if len(sizes) > 1:
            for source, peak in peaks.items():
                print(f"{shape:>9} export from {source} peak RSS growth {sizes[0]:,} → {sizes[-1]:,}: "
                      f"{peak[-1] / peak[0]:.2f}x")


if __name__ == "__main__":
    main()
