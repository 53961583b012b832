"""Benchmark `rsemigrate export teams` against the floor of reading the same page files.

    python bench/bench_export_teams.py [--sizes 100000,1000000] [--shapes flat,realistic] [--runs 3]

For each shape and size, a synthetic collection (bench/teams_synth.py, laid out as `collect
teams` saves one) is generated once (cached in bench/out/): `flat` is 100 conversations, teams'
channels and a few chats; `realistic` a real tenant's, with 35% of the messages in 1:1 and group
chats of 2-5 messages (about 100,000 chats at a million messages). Two programs run in fresh
subprocesses, alternated --runs times; each pair's ratio is taken and the median of those
ratios is the figure, with the range beside it (the machine may be shared):
- baseline: orjson reads every message page (channel roots with their inline replies, /replies
  pages, chat messages) and writes each message as a JSONL line;
- export:   the real `rsemigrate export teams` into a new archive.
Peak memory as in bench_export_slack.py: `max` is os.wait4's ru_maxrss (the largest single
process), `tree` the sampled sum of RSS and PSS over the process and its descendants.
Goals (as for Yammer and Slack): export/baseline ≤ 3x, peak ≤ 300 MB, growth < 1.5x from the
smallest size to the largest.
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.bench_export_slack import command_line  # noqa: E402
from bench.teams_synth import Shape, write_synthetic_collection  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"

BASELINE = """
import os, re, sys, orjson
page = re.compile(r"page-\\d{4,}\\.json")
written = 0
with open(sys.argv[2], "wb") as dst:
    for folder, _, names in os.walk(sys.argv[1]):
        parts = folder.split(os.sep)
        if parts[-1] != "messages" and parts[-2:-1] != ["replies"]:
            continue
        for name in sorted(n for n in names if page.fullmatch(n)):
            with open(os.path.join(folder, name), "rb") as src:
                items = orjson.loads(src.read())["value"]
            for item in items:
                replies = item.pop("replies", None) or []
                if item.get("replies@odata.nextLink"):  # its /replies pages hold them all
                    replies = []
                for message in (item, *replies):
                    dst.write(orjson.dumps(message) + b"\\n")
                    written += 1
print(written)
"""


def collection_folder(size: int, shape: Shape) -> Path:
    folder = OUT / f"teams-{shape}-{size}"
    done = folder / ".complete"
    if not done.exists():
        shutil.rmtree(folder, ignore_errors=True)
        print(f"generating {size:,} messages ({shape}) in {folder} …", flush=True)
        start = time.perf_counter()
        written = write_synthetic_collection(folder, size, shape=shape)
        done.touch()
        print(f"  {written.teams:,} teams, {written.channels:,} channels, {written.chats:,} chats, "
              f"generated in {time.perf_counter() - start:.0f} s", flush=True)
    return folder


if __name__ == "__main__":
    command_line("teams", __doc__, collection_folder, BASELINE, runs=3)
