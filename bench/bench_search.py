"""Search benchmark: index build speed, query latency and index size on a synthetic archive.

    .venv/bin/python bench/bench_search.py                    # 1,000,000 messages (cached)
    .venv/bin/python bench/bench_search.py --messages 100000  # a quicker run
    .venv/bin/python bench/bench_search.py --shape realistic  # a real network's shape

Two shapes. `flat` (the default): 1,000 channels. `realistic`: the Yammer network of
bench/realistic.py, power-law communities beside private conversations of 2-5 messages (about
100,000 channels at a million messages), exported through the Yammer connector; its names differ,
so the name filters below find nobody there, and the build figures are what it is for.

The archive is written through the real exporter by an in-process connector that yields
French/English messages with Zipf-distributed words, and cached under bench/out/. Every figure
is compared with a baseline measured in the same run on the same machine:
  - build: a bare FTS5 table (same tokenizer) filled by executemany with the same texts. Both
    start without a file (deleting a previous one is not timed) and run in fresh processes,
    alternated --builds times; the medians and the median of the ratios are reported, since
    the machine may be shared (the build uses two processes, the baseline one);
  - queries: a linear scan of the messages JSONL (orjson.loads, then a substring test).
Goals: build <= 2x the baseline whatever the number of channels, peak RSS <= 300 MB, p95 <= 50 ms
newest-first, >= 20x faster than the scan. Build growth from 100,000 to 1,000,000 messages (<= 11x):
run both sizes and compare the medians.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import orjson

from rsemigrate.archive.reader import Archive
from rsemigrate.archive.records import Attachment, Body, Channel, Group, Message, Record, Timestamp, User
from rsemigrate.errors import ArchiveError
from rsemigrate.export.connector import Connector
from rsemigrate.export.exporter import run_export
from rsemigrate.search import open_backend
from rsemigrate.search.query import parse
from rsemigrate.search.sqlite.build import build_index
from rsemigrate.search.sqlite.tables import TOKENIZER

OUT = Path(__file__).parent / "out"
USERS, GROUPS, CHANNELS, DIRECT = 5_000, 50, 900, 100
#: the most frequent words, in rank order, then a long tail of made-up words with a few real rare ones.
COMMON = (
    "le de la the et to les des of and un a est en une pour du in que is sur on we qui for nous with "
    "projet budget réunion sécurité mise à jour client équipe this meeting project update comité vous "
    "conformité contrat facture planning livraison audit rapport serveur données annulé validé prévue "
    "review security release customer invoice contract strategy deadline conforme confidentiel "
    "incident déploiement réseau stratégie délai économie"
).split()
RARE = "hôpital naïve forêt noël garçon élève été crème café société français".split()
SYLLABLES = "ka ré lo mi tu pa sé no vi da go fé ri su ba ché lu mo ni té ze qua bri dé flo".split()
QUERIES = [  # (label, query); rare, common, phrases, prefixes, NEAR, filters, filter-only
    ("common word", "projet"), ("common word", "budget"), ("accent-folded", "securite"),
    ("rare word", "hôpital"), ("rare word", "naïve"), ("rare made-up word", "viréflo"),
    ("absent word", "kabrimo"),
    ("two words", "budget réunion"), ("phrase", '"mise à jour"'), ("phrase", '"security update"'),
    ("prefix", "confor*"), ("prefix", "livr*"), ("NEAR", "NEAR(audit incident, 5)"),
    ("boolean", "budget (reunion OR comite) -annule"), ("OR", "facture OR invoice"),
    ("text + author", "budget from:user42@example.com"), ("text + group", "projet in:group-7"),
    ("text + dates", "audit after:2016-01-01 before:2016-03-01"),
    ("text + flag", "contrat has:attachment"), ("text + deleted", "incident is:deleted"),
    ("text + private", "confidentiel is:private"), ("rare + reply", "forêt is:reply"),
    ("filter only", "from:user7@example.com"), ("filter only", "is:deleted"),
    ("filter only", "in:group-3 after:2017-06-01"), ("negation only", "-budget is:edited"),
]
SCAN_QUERIES = ["projet", "hôpital", "viréflo", "incident", "facture"]


def vocabulary(size: int = 30_000) -> tuple[list[str], list[float]]:
    rng = random.Random(7)
    tail = {"".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))) for _ in range(size)}
    words = COMMON + sorted(tail - set(COMMON))[: size - len(COMMON) - len(RARE)]
    for i, word in enumerate(RARE):
        words.insert(2_000 + 2_000 * i, word)
    weights = [1 / (rank + 1) ** 1.07 for rank in range(len(words))]
    return words, weights


def synthetic(n: int) -> Iterator[Record]:
    """Users, groups, channels and `n` messages in threads, timestamps increasing."""
    rng = random.Random(42)
    words, weights = vocabulary()
    cumulative = list(_accumulate(weights))
    yield from (User(f"u{i}", f"User {i} Dupont", f"user{i}@example.com") for i in range(USERS))
    yield from (Group(f"g{i}", f"group-{i}") for i in range(GROUPS))
    yield from (Channel(f"c{i}", "feed", f"channel-{i}", group_id=f"g{i % GROUPS}") for i in range(CHANNELS))
    yield from (Channel(f"d{i}", "direct", f"dm-{i}", private=True) for i in range(DIRECT))
    channels = [f"c{i}" for i in range(CHANNELS)] + [f"d{i}" for i in range(DIRECT)]
    yield from (Attachment(f"a{i}", "link", "external", f"ref{i}", name=f"{rng.choice(words)}-{i}.pdf",
                           url=f"https://example.com/{i}") for i in range(n // 20))
    clock = datetime(2015, 1, 1, tzinfo=UTC)
    open_threads: dict[str, list[str]] = {}
    for i in range(n):
        clock += timedelta(seconds=rng.randint(1, 150))
        stamp = clock.strftime("%Y-%m-%dT%H:%M:%SZ")
        channel = rng.choice(channels)
        thread = open_threads.get(channel)
        mid = f"m{i}"
        if thread is None or rng.random() < 0.3 or len(thread) > 12:
            thread = open_threads[channel] = [mid]
            reply_to = None
        else:
            reply_to = rng.choice(thread)
            thread.append(mid)
        text = " ".join(rng.choices(words, cum_weights=cumulative, k=rng.randint(8, 30)))
        yield Message(
            id=mid, channel_id=channel, thread_id=thread[0], author_id=f"u{rng.randrange(USERS)}",
            created_at=Timestamp(stamp, stamp), body=Body("plain", text), text=text, reply_to_id=reply_to,
            kind="reply" if reply_to else "post",
            edited_at=Timestamp(stamp, stamp) if rng.random() < 0.03 else None,
            deleted_at=Timestamp(stamp, stamp) if rng.random() < 0.01 else None,
            attachment_ids=[f"a{rng.randrange(n // 20)}"] if rng.random() < 0.05 else [],
        )


def _accumulate(weights: list[float]) -> Iterator[float]:
    total = 0.0
    for weight in weights:
        total += weight
        yield total


def archive_for(n: int) -> Path:
    """The cached synthetic archive of `n` messages, exported on first use."""
    path = OUT / f"search-{n}" / "archive"
    try:
        Archive(path)
    except ArchiveError:  # never exported, or by a build that wrote another layout
        shutil.rmtree(path.parent, ignore_errors=True)
        source = path.parent / "source"
        source.mkdir(parents=True, exist_ok=True)
        connector = Connector("synthetic", "benchmark corpus", lambda tree, files: synthetic(n))
        started = time.monotonic()
        run_export(connector, source, path)
        print(f"exported {n:,} messages in {time.monotonic() - started:.0f} s: {path}", file=sys.stderr)
    return path


def texts(archive: Archive) -> Iterator[str]:
    for _, line in archive.message_lines():
        yield orjson.loads(line)["text"]


# -- measured in subprocesses, so peak memory is the build's alone ------------------------------

def child_build(archive: Path, index: Path) -> dict:
    index.unlink(missing_ok=True)  # like the baseline: freeing an old 400 MB file is not building
    report = build_index(Archive(archive), index, lambda phase, advance, total: None)
    return {"seconds": report.seconds, "messages": report.messages, "max_rss_kb": _max_rss(),
            "reader_max_rss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}


def child_baseline(archive: Path, index: Path) -> dict:
    corpus = [(text,) for text in texts(Archive(archive))]
    index.unlink(missing_ok=True)
    db = sqlite3.connect(index, isolation_level=None)
    db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;")
    started = time.monotonic()
    db.execute(f"CREATE VIRTUAL TABLE bare USING fts5(text, tokenize='{TOKENIZER}')")
    db.execute("BEGIN")
    db.executemany("INSERT INTO bare (text) VALUES (?)", corpus)
    db.execute("COMMIT")
    seconds = time.monotonic() - started
    db.close()
    size = index.stat().st_size
    index.unlink()
    return {"seconds": seconds, "size": size, "text_bytes": sum(len(t.encode()) for (t,) in corpus)}


def fts_bytes(index: Path) -> int:
    """Bytes of the FTS5 shadow tables (SQLite's dbstat table)."""
    with sqlite3.connect(index) as db:
        return db.execute("SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'message_fts%'").fetchone()[0]


def _channels(archive: Path) -> int:
    with open(archive / "data" / "message_index.jsonl", "rb") as spans:
        return sum(1 for _ in spans)


def _max_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def in_child(step: str, archive: Path, index: Path) -> dict:
    out = subprocess.run([sys.executable, __file__, step, str(archive), str(index)],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


# -- queries ------------------------------------------------------------------------------------

def timed(function, repeat: int) -> float:
    """Median wall time of `repeat` calls after one warm-up call, in seconds."""
    function()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def scan(archive: Archive, word: str) -> int:
    found = 0
    for _, line in archive.message_lines():
        found += word in orjson.loads(line)["text"].lower()
    return found


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--shape", choices=["flat", "realistic"], default="flat")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--builds",
        type=int,
        default=3,
        help="build/baseline pairs, alternated; medians are reported (the machine may be shared)",
    )
    args = parser.parse_args()

    if args.shape == "realistic":
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from realistic import realistic_archive

        archive_path = realistic_archive(args.messages)
        index_path = archive_path.with_name(f"{archive_path.name}.index.sqlite")
    else:
        archive_path = archive_for(args.messages)
        index_path = archive_path.parent / "archive.index.sqlite"
    builds, bases = [], []
    for _ in range(args.builds):
        builds.append(in_child("child-build", archive_path, index_path))
        bases.append(in_child("child-baseline", archive_path, archive_path.parent / "baseline.sqlite"))
    ratios = sorted(build["seconds"] / base["seconds"] for build, base in zip(builds, bases, strict=True))
    build_s = statistics.median(build["seconds"] for build in builds)
    base_s = statistics.median(base["seconds"] for base in bases)
    build, base = builds[-1], bases[-1]
    rows = [
        ("messages", f"{build['messages']:,}", f"{args.shape} shape, {_channels(archive_path):,} channels"),
        (
            "index build (median)",
            f"{build_s:.1f} s",
            f"{build['messages'] / build_s:,.0f} msg/s; runs: "
            + ", ".join(f"{b['seconds']:.1f}" for b in builds),
        ),
        (
            "baseline: bare FTS5 executemany (median)",
            f"{base_s:.1f} s",
            f"{build['messages'] / base_s:,.0f} msg/s; runs: "
            + ", ".join(f"{b['seconds']:.1f}" for b in bases),
        ),
        (
            "build / baseline (goal <= 2), median",
            f"{statistics.median(ratios):.2f}x",
            "runs, sorted: " + ", ".join(f"{r:.2f}" for r in ratios),
        ),
        (
            "build peak RSS",
            f"{max(b['max_rss_kb'] for b in builds) / 1024:.0f} MB",
            f"+ {max(b['reader_max_rss_kb'] for b in builds) / 1024:.0f} MB in the reader process",
        ),
        ("text size", f"{base['text_bytes'] / 1e6:.0f} MB", ""),
        (
            "index file / text",
            f"{index_path.stat().st_size / base['text_bytes']:.2f}x",
            f"{index_path.stat().st_size / 1e6:.0f} MB (holds a copy of the text)",
        ),
        (
            "  of which the FTS5 index / text",
            f"{fts_bytes(index_path) / base['text_bytes']:.2f}x",
            "(the rest: message table with the text, secondary indexes)",
        ),
        ("baseline FTS5 table / text", f"{base['size'] / base['text_bytes']:.2f}x", "(text copy + index)"),
    ]

    archive = Archive(archive_path)
    backend = open_backend(index_path)
    latencies: dict[str, float] = {}
    counting: list[float] = []
    for label, text in QUERIES:
        query = parse(text)
        page = partial(backend.search, query, sort="newest", limit=20, offset=0)
        latencies[text] = timed(page, args.repeat)
        counting.append(timed(partial(backend.count, query), args.repeat))
        rows.append((f"  {label}: {text}", f"{latencies[text] * 1000:.2f} ms",
                     f"{backend.count(query):,} hits, counted in {counting[-1] * 1000:.1f} ms"))
    values = list(latencies.values())
    rows += [
        ("query p50 (newest-first, top 20)", f"{percentile(values, 0.5) * 1000:.2f} ms", ""),
        ("query p95 (goal <= 50 ms)", f"{percentile(values, 0.95) * 1000:.2f} ms", ""),
        ("--count p95", f"{percentile(counting, 0.95) * 1000:.2f} ms", ""),
    ]
    ratios = []
    for word in SCAN_QUERIES:
        scanned = timed(partial(scan, archive, word), 1)
        indexed = latencies.get(word) or timed(
            partial(backend.search, parse(word), sort="newest", limit=20, offset=0), args.repeat)
        ratios.append(scanned / indexed)
        rows.append((f"  linear scan: {word}", f"{scanned * 1000:.0f} ms", f"{ratios[-1]:,.0f}x slower"))
    rows.append(("index vs scan, worst (goal >= 20x)", f"{min(ratios):,.0f}x", ""))
    backend.close()

    width = max(len(label) for label, _, _ in rows)
    for label, value, note in rows:
        print(f"{label:<{width}}  {value:>12}  {note}")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] in ("child-build", "child-baseline"):
        step = child_build if sys.argv[1] == "child-build" else child_baseline
        print(json.dumps(step(Path(sys.argv[2]), Path(sys.argv[3]))))
    else:
        main()
