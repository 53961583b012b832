"""Benchmark: the Teams import into the Graph emulator at Graph's documented limits, then unlimited.

Run: `.venv/bin/python bench/bench_import_teams.py [--shape communities|realistic] [--channels 20]
[--messages 500]`.

Shapes: `communities`, 20 communities × 500 messages (each its own team, so channel posts at
50/s are the binding limit); `realistic`, a synthetic Yammer network (bench/yammer_synth.py:
power-law communities beside many 2-5 message private conversations, which become group chats,
so per-team, per-chat and chat-post limits all bind somewhere).

The emulator runs in its own process throttling at the documented limits (4 requests/s per team,
channel or chat; 50/s channel posts; 20/s chat posts; 10/s POST /teams; 30/s other Teams calls)
and records every request; `rsemigrate import` runs as a real subprocess with the plan's limits
(the same figures). Reported:
- the documented ceiling of the run: for the requests it made, the shortest time every limit
  allows at once (max over the limits of requests counted / rate); the rate the binding limit
  (the one that sets that time) actually got between its first and last request, as a share of
  its documented rate (goal: at least 97%); the whole run's time against the ceiling (set-up,
  account look-ups and completion are sequential, so below that); sustained requests/s against 50;
- the share of 429 answers (goal: under 0.5%);
- the same import with every limit removed (emulator and client): its wall time is the client's
  own overhead (plus the emulator's, on the same cores). The machine may be loaded: compare
  ratios within one run, not seconds across runs.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.communities import community_archive  # noqa: E402

TENANT = 50.0
LIMITS = ("per_team_rps", "channel_posts_rps", "chat_posts_rps", "team_creates_rps", "teams_calls_rps")
SECRET = "bench-secret"


def serve(port_file: str, stop: multiprocessing.synchronize.Event, log_file: str, throttled: bool,
          upns: list[str]) -> None:
    """The emulator process: serve until told to stop, then write, for every request, its time,
    status and the documented limits it counts toward."""
    from connectors.teams.emulator import UNLIMITED, App, EmulatorConfig, GraphEmulator, Limits, User

    config = EmulatorConfig(apps=[App(secret=SECRET)], users=[User.make(u) for u in upns], seed=None,
                            limits=Limits() if throttled else UNLIMITED)
    emulator, documented = GraphEmulator(config), GraphEmulator(EmulatorConfig(limits=Limits()))
    seen: list[tuple[float, int, list[tuple[str, float]]]] = []
    dispatch = emulator._dispatch

    def recording(request, environ):  # type: ignore[no-untyped-def]
        response = dispatch(request, environ)
        if request.path.startswith("/v1.0/"):
            limits = documented.limits_of(request.method, request.path)
            seen.append((time.time(), response.status_code, limits))
        return response

    emulator._dispatch = recording  # type: ignore[method-assign]
    with emulator as url:
        Path(port_file).write_text(url)
        stop.wait()
    Path(log_file).write_text(json.dumps(seen))


def ceiling_seconds(seen: list[tuple[float, int, list[tuple[str, float]]]]) -> tuple[float, float]:
    """The shortest time Graph's documented limits allow for these requests (429s not counted),
    and the share of its rate that the binding limit (the one that sets that time) got while it
    was in use: its requests per second between its first and its last request."""
    times: dict[str, list[float]] = {}
    rates: dict[str, float] = {}
    for at, status, buckets in seen:
        if status == 429:
            continue
        for name, rate in buckets:
            if rate > 0:
                times.setdefault(name, []).append(at)
                rates[name] = rate
    if not times:
        return 0.0, float("nan")
    binding = max(times, key=lambda name: len(times[name]) / rates[name])
    used = times[binding]
    achieved = (len(used) - 1) / (max(used) - min(used)) if len(used) > 1 else float("nan")
    return len(used) / rates[binding], achieved / rates[binding]


def run(archive: Path, workdir: Path, throttled: bool) -> dict[str, float]:
    import tomlkit

    from rsemigrate.archive.reader import Archive

    upns = [u.email for u in Archive(archive).users() if u.email] + ["migration.placeholder@contoso.com"]
    port_file, log_file = workdir / "url", workdir / "requests.json"
    port_file.unlink(missing_ok=True)
    stop = multiprocessing.Event()
    server = multiprocessing.Process(
        target=serve, args=(str(port_file), stop, str(log_file), throttled, upns)
    )
    server.start()
    while not port_file.exists():
        time.sleep(0.05)
    url = port_file.read_text()
    plan = workdir / "plan.toml"
    plan.unlink(missing_ok=True)
    for stale in workdir.glob("plan.ledger.sqlite*"):
        stale.unlink()
    rsemigrate = [sys.executable, "-m", "rsemigrate"]
    subprocess.run(rsemigrate + ["plan", "init", str(archive), "--to", "teams", "-o", str(plan),
                                 "--placeholder", "migration.placeholder@contoso.com"], check=True, cwd=ROOT,
                   capture_output=True)
    doc = tomlkit.parse(plan.read_text())
    doc["teams"]["graph_url"], doc["teams"]["login_url"] = url + "/v1.0", url
    doc["teams"]["tenant_id"], doc["teams"]["client_id"] = "11111111-1111-1111-1111-111111111111", \
        "00000000-0000-0000-0000-0000000e0a11"
    plan.write_text(tomlkit.dumps(doc))
    if not throttled:
        for limit in LIMITS:
            doc["teams"][limit] = 1_000_000.0
        plan.write_text(tomlkit.dumps(doc))
    rates = [] if throttled else ["--per-channel", "1000000", "--tenant", "1000000"]
    began = time.monotonic()
    done = subprocess.run(rsemigrate + ["import", str(archive), "--plan", str(plan), "--json", *rates],
                          cwd=ROOT, capture_output=True, text=True, check=False,
                          env=os.environ | {"RSEMIGRATE_TEAMS_CLIENT_SECRET": SECRET})
    wall = time.monotonic() - began
    stop.set()
    server.join()
    if done.returncode != 0:
        raise SystemExit(f"import failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    report = json.loads(done.stdout)
    seen = json.loads(log_file.read_text())
    times = sorted(t for t, _, _ in seen)
    lo, hi = times[len(times) * 5 // 100], times[len(times) * 95 // 100]
    window = [t for t in times if lo <= t <= hi]
    span = times[-1] - times[0]
    ceiling, binding_share = ceiling_seconds(seen)
    return {"wall_s": wall, "import_s": report["seconds"], "requests": len(seen), "requests_span_s": span,
            "ceiling_s": ceiling, "of_ceiling": ceiling / span if span else float("nan"),
            "binding_share": binding_share,
            "sustained_rps": (len(window) - 1) / (hi - lo) if hi > lo else float("nan"),
            "overall_rps": len(seen) / span if span else float("nan"),
            "share_429": sum(1 for _, s, _ in seen if s == 429) / len(seen),
            "posts": sum(c["sent"] for c in report["containers"])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, default=20)
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--shape", choices=["flat", "realistic"], default="flat",
                        help="realistic: as many messages again in 2-5 message private conversations")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        work = Path(tmp)
        began = time.monotonic()
        archive = community_archive(work, args.channels, args.messages, users=50, shape=args.shape)
        print(f"archive ({args.shape}): {args.channels} × {args.messages} messages built in "
              f"{time.monotonic() - began:.1f} s")
        ceilings = run(archive, work, throttled=True)
        print(f"at the documented limits: {ceilings['posts']} posts, {ceilings['requests']} requests in "
              f"{ceilings['requests_span_s']:.1f} s (process {ceilings['wall_s']:.1f} s)")
        print(f"  documented ceiling for these requests {ceilings['ceiling_s']:.1f} s; the binding limit ran "
              f"at {100 * ceilings['binding_share']:.1f}% of its rate while in use (goal ≥ 97%); the whole "
              f"run, set-up and completion included, at {100 * ceilings['of_ceiling']:.1f}% of the ceiling")
        print(f"  sustained throughput {ceilings['sustained_rps']:.1f} requests/s = "
              f"{100 * ceilings['sustained_rps'] / TENANT:.1f}% of 50/s; "
              f"overall {ceilings['overall_rps']:.1f}/s")
        print(f"  429 answers: {100 * ceilings['share_429']:.2f}% of requests (goal < 0.5%)")
        free = run(archive, work, throttled=False)
        print(
            f"without limits: {free['posts']} posts, {free['requests']} requests in "
            f"{free['requests_span_s']:.1f} s "
            f"({free['overall_rps']:.0f} requests/s); process wall time {free['wall_s']:.1f} s "
            f"(import {free['import_s']:.1f} s with account look-ups and the freeze; the rest is start-up "
            "and "
            "the dry run); limited / unlimited time ratio "
            f"{ceilings['requests_span_s'] / free['requests_span_s']:.1f}"
        )


if __name__ == "__main__":
    main()
