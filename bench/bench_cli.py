"""How fast the interactive commands answer: whole processes, as a user runs them.

    .venv/bin/python bench/bench_cli.py [--messages 1000000] [--runs 10]

Three commands run in fresh processes, alternated --runs times; medians and ranges are printed:
- baseline: `python -c pass`, the interpreter's own start-up, measured in the same run;
- `rsemigrate --help`;
- `rsemigrate search` on a warm index of the realistic archive (bench/realistic.py; built first
  if missing, untimed): a common word, newest first, the first page.
The machine may be shared, so the ratios to the baseline are printed too, and each process's
CPU time (user + system, from os.wait4): on a busy machine wall time waits for a core, CPU time
much less so. Goals: search <= 200 ms, --help <= 120 ms (medians).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from realistic import realistic_archive  # noqa: E402

BIN = Path(sys.executable).parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    archive = realistic_archive(args.messages)
    subprocess.run([BIN / "rsemigrate", "index", archive], check=True, stdout=subprocess.DEVNULL)  # warm
    commands = {
        "baseline: python -c pass": [sys.executable, "-c", "pass"],
        "rsemigrate --help": [BIN / "rsemigrate", "--help"],
        "rsemigrate search (warm index)": [BIN / "rsemigrate", "search", archive, "projet", "--limit", "20"],
    }
    times: dict[str, list[float]] = {label: [] for label in commands}
    cpu: dict[str, list[float]] = {label: [] for label in commands}
    for _ in range(args.runs):
        for label, command in commands.items():
            started = time.perf_counter()
            child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            _, status, usage = os.wait4(child.pid, 0)
            times[label].append(time.perf_counter() - started)
            cpu[label].append(usage.ru_utime + usage.ru_stime)
            if os.waitstatus_to_exitcode(status):
                raise SystemExit(f"{label} failed")
    base = statistics.median(times["baseline: python -c pass"])
    print(f"{args.messages:,} messages in the archive, {args.runs} alternated runs each")
    for label, samples in times.items():
        median = statistics.median(samples)
        print(f"  {label:<32} median {median * 1000:6.0f} ms  range {min(samples) * 1000:5.0f}–"
              f"{max(samples) * 1000:5.0f} ms  {median / base:5.1f}x the interpreter's start-up;  "
              f"CPU median {statistics.median(cpu[label]) * 1000:4.0f} ms")


if __name__ == "__main__":
    main()
