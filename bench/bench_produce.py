"""Productions and editions: RSMF speed against plain JSONL, and publishing memory and size.

    .venv/bin/python bench/bench_produce.py                       # RSMF on 100k, publish 1M (cached)
    .venv/bin/python bench/bench_produce.py --publish 100000      # a quicker publish
    .venv/bin/python bench/bench_produce.py --shapes realistic --publish 0   # RSMF, one shape only
    .venv/bin/python bench/bench_produce.py --archive PATH --publish-archive PATH

Archives of two shapes: `realistic` (`realistic_archive(n)`, bench/realistic.py: power-law
communities beside tens of thousands of 2-5 message private conversations) and `flat` (the
synthetic Yammer export's flat shape: 200 groups, 5% private threads; exported once, cached).
  - RSMF: `produce` of the whole archive (day slices), against two baselines measured in the
    same run, both the same events sliced the same way and written as plain JSONL (orjson) into a
    BagIt bag: one JSONL file per slice (what RSMF itself adds: manifest, zip, MIME) and one JSONL
    file for everything (what one file per conversation-day adds on top). Each runs in a fresh
    process, alternated --runs times; the median and range of the ratios are reported, of wall
    time and of CPU time (user + system of the process and its workers; a second view when the
    machine is shared). `produce` runs with --workers processes (default: one per CPU, as the
    CLI), the baselines in one. Goal: <= 3x against the JSONL files of the same slices.
  - publish: one run in a fresh process; wall time, edition size and file count, the number of
    Pagefind indexes, and the peak RSS of the Python process (getrusage) and of the largest
    Pagefind run (sampled from /proc every 2 s: a child's own ru_maxrss starts from its parent's
    memory at the fork), to show memory stays bounded as the archive grows (run it at two sizes
    to compare). Both are printed every minute while it runs, so a run stopped early still shows
    its memory so far.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

OUT = Path(__file__).resolve().parent / "out"


def cpu_seconds() -> float:
    """This process's CPU time and that of its children that have ended (produce's workers)."""
    return sum(u.ru_utime + u.ru_stime for u in map(resource.getrusage, (resource.RUSAGE_SELF,
                                                                        resource.RUSAGE_CHILDREN)))


def child_produce(archive: Path, target: Path, workers: int) -> dict:
    from rsemigrate.archive import Archive
    from rsemigrate.produce import produce
    from rsemigrate.search import Chosen, Selection

    started, cpu = time.perf_counter(), cpu_seconds()
    done = produce(Archive(archive), target, Selection(), Chosen(None), workers=workers)
    return {"seconds": time.perf_counter() - started, "cpu": cpu_seconds() - cpu, "files": done.counts.files,
            "events": done.counts.events, "messages": done.counts.messages, "bytes": done.counts.bytes}


def child_baseline(archive: Path, target: Path, per_slice: bool) -> dict:
    """The same events as plain JSONL in a bag: reading, slicing, serialising and hashing, no RSMF.

    `per_slice`: one JSONL file per slice, as the production has one .rsmf per slice (this isolates
    what RSMF itself costs: manifest, zip, MIME); else one JSONL file for everything.
    """
    import orjson

    from rsemigrate.archive import Archive, BagWriter
    from rsemigrate.produce import Limits
    from rsemigrate.produce.slicing import slices
    from rsemigrate.search import Chosen

    started, cpu = time.perf_counter(), cpu_seconds()
    opened = Archive(archive)
    attachments = {a.id: a for a in opened.attachments()}
    writer = BagWriter(target)
    events = files = size = 0

    def lines(messages):
        nonlocal events
        for message in messages:
            events += 1
            yield orjson.dumps({
                "id": message.id, "type": "message", "parent": message.thread_id,
                "body": message.text, "participant": message.author_id,
                "conversation": message.channel_id, "timestamp": message.created_at.utc,
            }) + b"\n"

    def every_slice():
        for channel in opened.channels():
            yield from slices(channel, None, "", opened.messages(channel.id), Chosen(None), Limits(),
                              attachments)

    if per_slice:
        for piece in every_slice():
            files += 1
            size += writer.write_payload(f"events/{files:06d}.jsonl", lines(piece.messages))
    else:
        everything = (m for piece in every_slice() for m in piece.messages)
        size = writer.write_payload("events.jsonl", lines(everything))
        files = 1
    writer.seal({}, {})
    return {"seconds": time.perf_counter() - started, "cpu": cpu_seconds() - cpu, "events": events,
            "bytes": size, "files": files}


def child_publish(archive: Path, target: Path, search: bool) -> dict:
    from rsemigrate.archive import Archive
    from rsemigrate.publish import publish

    started = time.perf_counter()
    done = publish(Archive(archive), target, search=search)
    seconds = time.perf_counter() - started
    files = size = 0
    for dirpath, _, names in os.walk(target):
        for name in names:
            files += 1
            size += os.path.getsize(os.path.join(dirpath, name))
    return {"seconds": seconds, "messages": done.messages, "threads": done.threads,
            "channels": done.channels, "files": files, "bytes": size, "indexes": done.indexes,
            "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def in_child(*args: str) -> dict:
    out = subprocess.run([sys.executable, __file__, *args], check=True, capture_output=True,
                         text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def fresh(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    return path


def archive_of(shape: str, messages: int) -> Path:
    """The cached archive of one shape: `realistic` (realistic.py) or `flat`."""
    from realistic import realistic_archive

    if shape == "realistic":
        return realistic_archive(messages)
    from bench_export_yammer import export_folder

    from rsemigrate import run_export
    from rsemigrate.registry import source_connector

    archive = OUT / f"archive-flat-{messages}"
    if not (archive / "bagit.txt").exists():
        run_export(source_connector("yammer"), export_folder(messages, "flat"), archive)
    return archive


def bench_rsmf(archive: Path, runs: int, workers: list[int]) -> None:
    produced: dict[int, list[dict]] = {w: [] for w in workers}
    per_slice, single = [], []
    for _ in range(runs):
        for w in workers:
            produced[w].append(in_child("produce", str(archive), str(fresh(OUT / "bench-production")),
                                        str(w)))
        per_slice.append(in_child("baseline-slices", str(archive), str(fresh(OUT / "bench-jsonl"))))
        single.append(in_child("baseline-single", str(archive), str(fresh(OUT / "bench-jsonl"))))
    fresh(OUT / "bench-production")
    fresh(OUT / "bench-jsonl")
    last = produced[workers[0]][-1]
    print(f"RSMF production of {archive.name}: {last['messages']:,} messages -> {last['files']:,} .rsmf "
          f"files, {last['events']:,} events, {last['bytes'] / 1e6:.1f} MB")
    for name, baseline in (("same slices as JSONL files", per_slice), ("one JSONL file", single)):
        print(f"  baseline: {name:<29} wall {_spread(baseline, 'seconds')} s; "
              f"cpu {_spread(baseline, 'cpu')} s; {baseline[-1]['files']:,} file(s)")
    for w, results in produced.items():
        print(f"  produce, {w} worker(s){'':<19} wall {_spread(results, 'seconds')} s; "
              f"cpu {_spread(results, 'cpu')} s")
        for name, baseline in (("same slices as JSONL files", per_slice), ("one JSONL file", single)):
            for measure in ("seconds", "cpu"):
                ratios = [p[measure] / b[measure] for p, b in zip(results, baseline, strict=True)]
                goal = " (goal <= 3x)" if baseline is per_slice else ""
                print(f"    / {name}, {'wall' if measure == 'seconds' else 'cpu '}{goal:<13}"
                      f"{_spread_of(ratios)} x")


def _spread(results: list[dict], measure: str) -> str:
    return _spread_of([r[measure] for r in results])


def _spread_of(values: list[float]) -> str:
    """median (min-max) of the runs"""
    return f"{statistics.median(values):6.2f} ({min(values):.2f}-{max(values):.2f})"


def bench_publish(archive: Path, search: bool) -> None:
    target = fresh(OUT / f"bench-edition-{archive.name}")
    child = subprocess.Popen([sys.executable, __file__, "publish", str(archive), str(target), str(search)],
                             stdout=subprocess.PIPE, text=True)
    started, peaks, shown = time.monotonic(), [0, 0], 0.0
    while child.poll() is None:
        time.sleep(2)
        python, pagefind = _rss_mb(child.pid), sum(map(_rss_mb, _descendants(child.pid)))
        peaks = [max(peaks[0], python), max(peaks[1], pagefind)]
        if time.monotonic() - shown >= 60:
            shown = time.monotonic()
            print(f"  … {shown - started:6.0f} s: RSS python {python:,.0f} MB, pagefind {pagefind:,.0f} MB "
                  f"(peaks so far {peaks[0]:,.0f}, {peaks[1]:,.0f})", flush=True)
    out = child.stdout.read() if child.stdout else ""
    if child.returncode:
        raise SystemExit(f"publish failed ({child.returncode})")
    result = json.loads(out.strip().splitlines()[-1])
    print(f"publish of {archive.name}: {result['messages']:,} messages, {result['channels']:,} channels, "
          f"{result['threads']:,} thread pages, {result['indexes']} Pagefind index(es)")
    print(f"  time {result['seconds']:.1f} s ({result['messages'] / result['seconds']:,.0f} msg/s); "
          f"edition {result['bytes'] / 1e6:,.0f} MB in {result['files']:,} files")
    # Pagefind's peak is sampled: a child's ru_maxrss counts the parent's memory it starts from
    print(f"  peak RSS: python {result['rss_mb']:,.0f} MB, largest pagefind run {peaks[1]:,.0f} MB "
          "(sampled every 2 s)")
    fresh(target)


def _rss_mb(pid: int) -> float:
    """Resident memory of a live process (Linux /proc), 0 once it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    return next((int(line.split()[1]) / 1024 for line in status.splitlines() if line.startswith("VmRSS:")),
                0.0)


def _descendants(pid: int) -> list[int]:
    try:
        children = [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []
    return children + [d for c in children for d in _descendants(c)]


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] in ("produce", "baseline-slices", "baseline-single", "publish"):
        step, archive, target, *rest = sys.argv[1:]
        if step == "publish":
            result = child_publish(Path(archive), Path(target), rest == ["True"])
        elif step == "produce":
            result = child_produce(Path(archive), Path(target), int(rest[0]))
        else:
            result = child_baseline(Path(archive), Path(target), per_slice=step == "baseline-slices")
        print(json.dumps(result))
        return
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=100_000, help="RSMF archive size")
    parser.add_argument("--shapes", default="flat,realistic", help="RSMF archives: flat, realistic or both")
    parser.add_argument("--publish", type=int, default=1_000_000, help="publish archive size (0: skip)")
    parser.add_argument("--archive", type=Path, help="use this archive for RSMF instead of the cached one")
    parser.add_argument("--publish-archive", type=Path, help="use this archive for publish")
    parser.add_argument("--runs", type=int, default=3, help="produce/baseline pairs, alternated")
    parser.add_argument("--workers", help="produce's worker processes, or several counts to compare "
                                           "(1,2); default: one per CPU")
    parser.add_argument("--no-search", action="store_true", help="publish without the Pagefind index")
    parser.add_argument("--skip-rsmf", action="store_true")
    args = parser.parse_args()
    from realistic import realistic_archive

    from rsemigrate.cpus import default_workers

    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} (shared: read ratios)")
    if not args.skip_rsmf:
        for archive in [args.archive] if args.archive else [archive_of(shape, args.messages)
                                                            for shape in args.shapes.split(",")]:
            bench_rsmf(archive, args.runs, [int(w) for w in args.workers.split(",")] if args.workers
                       else [default_workers()])
    if args.publish or args.publish_archive:
        bench_publish(args.publish_archive or realistic_archive(args.publish), not args.no_search)


if __name__ == "__main__":
    main()
