"""Benchmark `rsemigrate export slack` against the floor of reading the same day files.

    python bench/bench_export_slack.py [--sizes 100000,1000000] [--shapes flat,realistic] [--runs 1]

For each size, a synthetic workspace export (bench/slack_synth.py) is generated once (cached in
bench/out/), in two shapes (`flat`: 200 conversations; `realistic`: a real workspace's, with
tens of thousands of 2-5 message direct conversations, see slack_synth.py), and two programs run
in fresh subprocesses, in the same run, alternated --runs times (medians, and the range):
- baseline: stdlib json reads every day file and orjson writes each message as a JSONL line;
- export:   the real `rsemigrate export slack` into a new archive.
Peak memory is reported two ways. `max` is os.wait4's ru_maxrss: the largest single process, since
Linux folds in the waited-for descendants as a maximum, not a sum. The export reads the export in
a forked child while the parent spools, so `tree` is also sampled from /proc every 50 ms: the sum
over the process and its descendants of RSS and of PSS (PSS shares the pages the fork still has
in common, so it is what the tree really costs).
Goals (as for Yammer): export/baseline ≤ 3x, peak ≤ 300 MB, growth < 1.5x from the smallest size
to the largest.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.slack_synth import Shape, write_synthetic_export

OUT = Path(__file__).resolve().parent / "out"
BIN = Path(sys.executable).parent

BASELINE = """
import json, os, re, sys, orjson
day = re.compile(r"\\d{4}-\\d{2}-\\d{2}\\.json")
with open(sys.argv[2], "wb") as dst:
    for folder, _, names in os.walk(sys.argv[1]):
        for name in sorted(n for n in names if day.fullmatch(n)):
            with open(os.path.join(folder, name), encoding="utf-8") as src:
                for message in json.load(src):
                    dst.write(orjson.dumps(message) + b"\\n")
"""


@dataclass(frozen=True)
class Run:
    seconds: float
    #: ru_maxrss of the process (the largest of it and its descendants), MB.
    max_mb: float
    #: sampled peak of the process tree's summed RSS and PSS, MB.
    tree_rss_mb: float
    tree_pss_mb: float
    stdout: bytes


def export_folder(size: int, shape: Shape) -> Path:
    folder = OUT / (f"slack-{size}" if shape == "flat" else f"slack-{shape}-{size}")
    done = folder / ".complete"
    if not done.exists():
        shutil.rmtree(folder, ignore_errors=True)
        print(f"generating {size:,} messages in {folder} …", flush=True)
        start = time.perf_counter()
        write_synthetic_export(folder, size, shape=shape)
        done.touch()
        print(f"  generated in {time.perf_counter() - start:.0f} s", flush=True)
    return folder


def _children() -> dict[int, list[int]]:
    """parent pid → child pids, from every /proc/<pid>/stat (no CONFIG_PROC_CHILDREN needed)."""
    found: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    ppid = int(fh.read().rpartition(")")[2].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            found.setdefault(ppid, []).append(int(entry))
    return found


def _kb(path: str, key: str) -> int:
    try:
        with open(path) as fh:
            for line in fh:
                if line.startswith(key):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_kb(pid: int) -> tuple[int, int]:
    """(summed RSS, summed PSS) in kB of `pid` and all its descendants, now."""
    rss = pss = 0
    children = _children()
    todo = [pid]
    while todo:
        p = todo.pop()
        rss += _kb(f"/proc/{p}/status", "VmRSS:")
        pss += _kb(f"/proc/{p}/smaps_rollup", "Pss:")
        todo.extend(children.get(p, ()))
    return rss, pss


def measure(command: list[str]) -> Run:
    """Wall time and peak memory of one fresh child process (and its descendants)."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE)
    peak = [0, 0]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.05):
            rss, pss = tree_kb(proc.pid)
            peak[0], peak[1] = max(peak[0], rss), max(peak[1], pss)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout = proc.stdout.read() if proc.stdout else b""  # small: a summary line or JSON
    _, status, usage = os.wait4(proc.pid, 0)
    stop.set()
    sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"{command[0]} failed with exit code {proc.returncode}")
    return Run(time.perf_counter() - start, usage.ru_maxrss / 1024, peak[0] / 1024, peak[1] / 1024, stdout)


def compare(platform: str, shape: str, sizes: list[int], runs: int, folder_for: Callable[[int], Path],
            baseline: str) -> None:
    """Alternate `runs` baseline/export pairs at each size (the baseline script gets the folder and
    a JSONL path), check the archive holds every message, print the ratios and the peak growth."""
    results: list[tuple[int, Run, Run]] = []
    for size in sizes:
        folder = folder_for(size)
        pairs = []
        for _ in range(runs):
            with tempfile.TemporaryDirectory(dir=OUT) as scratch:
                jsonl = str(Path(scratch, "baseline.jsonl"))
                base = measure([sys.executable, "-c", baseline, str(folder), jsonl])
                export = measure([str(BIN / "rsemigrate"), "export", platform, str(folder),
                                  "-o", str(Path(scratch, "archive")), "--json"])
            written = json.loads(export.stdout)["counts"]["messages"]
            read = int(base.stdout) if base.stdout.strip() else size  # a baseline may count what it read
            if written != size or read != size:
                raise SystemExit(f"the archive holds {written:,} messages and the baseline read {read:,}, "
                                 f"not {size:,}")
            pairs.append((base, export))
        ratios = sorted(export.seconds / base.seconds for base, export in pairs)
        base_s = statistics.median(base.seconds for base, _ in pairs)
        export_s = statistics.median(export.seconds for _, export in pairs)
        base, export = max(pairs, key=lambda pair: pair[1].tree_pss_mb)
        results.append((size, base, export))
        seconds = ", ".join(f"{b.seconds:.1f}/{e.seconds:.1f}" for b, e in pairs)
        print(f"{shape:>9} {size:>10,} messages\n"
              f"  baseline {base_s:7.1f} s {size / base_s:9,.0f} msg/s   max {base.max_mb:5.0f} MB\n"
              f"  export   {export_s:7.1f} s {size / export_s:9,.0f} msg/s   "
              f"max {export.max_mb:5.0f} MB   tree RSS {export.tree_rss_mb:5.0f} MB   "
              f"tree PSS {export.tree_pss_mb:5.0f} MB\n"
              f"  ratio {statistics.median(ratios):4.2f}x "
              f"(runs {', '.join(f'{r:.2f}' for r in ratios)}; baseline/export s {seconds}), "
              f"{(export_s - base_s) / size * 1e6:5.1f} µs/message over baseline", flush=True)
    if len(results) > 1:
        (small, _, first), (large, _, last) = results[0], results[-1]
        print(f"{shape:>9} export peak growth {small:,} → {large:,}: "
              f"max {last.max_mb / first.max_mb:.2f}x, "
              f"tree RSS {last.tree_rss_mb / first.tree_rss_mb:.2f}x, "
              f"tree PSS {last.tree_pss_mb / first.tree_pss_mb:.2f}x")


def command_line(platform: str, description: str | None, folder_for: Callable[..., Path], baseline: str,
                 runs: int = 1) -> None:
    """Parse --sizes, --shapes and --runs and `compare` each shape; `folder_for(size, shape=…)`
    gives the (cached) export."""
    parser = argparse.ArgumentParser(description=description,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100000,1000000", help="comma-separated message counts")
    parser.add_argument("--shapes", default="flat,realistic", help="flat, realistic or both")
    parser.add_argument("--runs", type=int, default=runs, help="alternated baseline/export pairs per size")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    for shape in args.shapes.split(","):
        compare(platform, shape, sizes, args.runs, partial(folder_for, shape=shape), baseline)


if __name__ == "__main__":
    command_line("slack", __doc__, export_folder, BASELINE)
