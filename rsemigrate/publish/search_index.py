"""The edition's Pagefind search, built in bounded memory: one index per shard of thread pages.

Pagefind holds everything it indexes in memory until it writes its bundle (1.6 GB for the 30,000
thread pages of a 100,000-message archive), so one run over a large edition has no bound. The
thread pages are therefore split into shards of at most `SHARD_BYTES` of HTML, each indexed by
its own Pagefind run into its own bundle (`pagefind/`, then `pagefind-2/`, ...); the search box
loads the first and merges the others in the browser with Pagefind's documented multisite
option, `mergeIndex` (https://pagefind.app/docs/multisite/), so a query searches them all.

A shard is a set of thread-page buckets: a page lives at `threads/ab/abc….html` (its name a
digest), and a bucket is the pages whose name starts with the same three hex digits. Buckets are
evenly filled, so a shard's size is bounded as long as one bucket (1/4096 of the pages) fits in
a shard: up to 4096 × SHARD_BYTES (64 GB) of thread pages.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..errors import ArchiveError

#: thread-page HTML per Pagefind run; its peak memory grows with what one run indexes.
SHARD_BYTES = 16 << 20
PRIMARY = "pagefind"


@dataclass(frozen=True, slots=True)
class Shard:
    #: the bundle's folder, relative to the edition's data folder.
    bundle: str
    #: bucket prefixes (`abc`) of the pages it indexes.
    buckets: tuple[str, ...]

    @property
    def glob(self) -> str:
        patterns = [f"threads/{b[:2]}/{b}*.html" for b in self.buckets] or ["threads/*/*.html"]
        return patterns[0] if len(patterns) == 1 else "{" + ",".join(patterns) + "}"


def bucket(page: str) -> str:
    """The bucket of a thread page's path (`threads/ab/abc….html` → `abc`)."""
    return page.rsplit("/", 1)[-1][:3]


def plan(sizes: dict[str, int], limit: int = SHARD_BYTES) -> list[Shard]:
    """Buckets in order, packed into shards of at most `limit` bytes (one bucket may exceed it);
    always one shard at least, so an edition without thread pages still has its search box."""
    groups: list[list[str]] = [[]]
    filled = 0
    for name in sorted(sizes):
        if groups[-1] and filled + sizes[name] > limit:
            groups.append([])
            filled = 0
        groups[-1].append(name)
        filled += sizes[name]
    return [Shard(PRIMARY if n == 1 else f"{PRIMARY}-{n}", tuple(group)) for n, group in enumerate(groups, 1)]


def build(site: Path, shards: list[Shard]) -> None:
    """Run Pagefind's binary (from the `pagefind[bin]` wheel) once per shard, one at a time."""
    from pagefind_bin import get_executable

    executable = str(get_executable())
    for shard in shards:
        command = [executable, "--site", str(site), "--glob", shard.glob, "--output-subdir", shard.bundle,
                   "--silent"]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise ArchiveError(f"pagefind failed on {shard.bundle} ({done.returncode}): "
                               f"{done.stderr.strip()[-500:]}")
