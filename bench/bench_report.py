"""Triage report benchmark: one streaming pass over a 1M-message archive of the realistic shape.

    .venv/bin/python bench/bench_report.py                     # 1,000,000 messages (cached archive)
    .venv/bin/python bench/bench_report.py --messages 100000   # a quicker run

The archive is bench/realistic.py's: power-law communities beside tens of thousands of tiny
private conversations, exported once through the real Yammer connector and cached in bench/out/.
Measured in the same run, each step in a fresh process (so its peak RSS is its own), alternated
--runs times:
  - baseline: one plain orjson pass over the archive's message files (open, iterate lines, loads);
  - report:   `build_report` (every indicator and class, the JSON's content), the streaming part;
  - render:   the HTML page from the built report (charts and sparklines), reported beside it.
The machine may be shared, so CPU seconds are compared as well as wall time; the ratios are the
medians of the per-run ratios. Goals: report <= 1.5x the baseline, peak RSS <= 300 MB.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

GOAL_RATIO, GOAL_RSS_MB = 1.5, 300


def child(step: str, archive: Path) -> dict:
    """One measured step. Imports come before the clock starts, in both steps: what is compared
    is the work on the archive, not the interpreter loading modules."""
    import orjson

    from rsemigrate.report import ReportRequest, build_report, to_html

    wall, cpu = time.perf_counter(), time.process_time()
    if step == "baseline":
        n = 0
        for file in sorted((archive / "data" / "messages").glob("*.jsonl")):
            with open(file, "rb") as fh:
                for line in fh:
                    orjson.loads(line)
                    n += 1
        detail = f"{n} messages"
    else:
        report = build_report(ReportRequest(archive))
        detail = f"{len(report.communities)} communities, {report.network.messages} messages"
        if step == "render":
            wall, cpu = time.perf_counter(), time.process_time()  # the page alone
            detail = f"{len(to_html(report)) / 1e6:.1f} MB of HTML, {len(report.communities)} sparklines"
    return {"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu,
            "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "detail": detail}


def in_child(step: str, archive: Path) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", step, str(archive)],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", nargs=2, metavar=("STEP", "ARCHIVE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], Path(args.child[1]))))
        return
    from realistic import realistic_archive

    archive = realistic_archive(args.messages)
    runs: dict[str, list[dict]] = {"baseline": [], "report": [], "render": []}
    for run in range(args.runs):
        for step in ("baseline", "report"):
            runs[step].append(in_child(step, archive))
            print(f"run {run + 1} {step:<8} {runs[step][-1]['wall']:7.2f} s wall "
                  f"{runs[step][-1]['cpu']:7.2f} s cpu {runs[step][-1]['rss_mb']:6.0f} MB  "
                  f"{runs[step][-1]['detail']}", flush=True)
    runs["render"].append(in_child("render", archive))
    print(f"render: {runs['render'][0]['wall']:.2f} s wall, {runs['render'][0]['cpu']:.2f} s cpu "
          f"({runs['render'][0]['detail']})")
    print(f"\n{archive.name}, {args.runs} alternated runs")
    for measure in ("wall", "cpu"):
        base = [r[measure] for r in runs["baseline"]]
        made = [r[measure] for r in runs["report"]]
        ratios = [m / b for m, b in zip(made, base, strict=True)]
        print(f"{measure:>4}: baseline median {statistics.median(base):.2f} s "
              f"(range {min(base):.2f}-{max(base):.2f}); report median {statistics.median(made):.2f} s "
              f"(range {min(made):.2f}-{max(made):.2f}); ratio median {statistics.median(ratios):.2f} "
              f"(range {min(ratios):.2f}-{max(ratios):.2f}), goal <= {GOAL_RATIO}")
    rss = max(r["rss_mb"] for r in runs["report"])
    print(f"peak RSS: report {rss:.0f} MB (goal <= {GOAL_RSS_MB}), baseline "
          f"{max(r['rss_mb'] for r in runs['baseline']):.0f} MB, render {runs['render'][0]['rss_mb']:.0f} MB")


if __name__ == "__main__":
    main()
