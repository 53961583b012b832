"""Benchmark: import 20 channels × 500 messages into the Graph emulator, with and without ceilings.

Run: `.venv/bin/python bench/bench_import_teams.py [--channels 20] [--messages 500]`.

The emulator runs in its own process with the documented ceilings (5 requests/s per channel, 50
for the tenant) and records every request it answers; `rsemigrate import` runs as a real
subprocess with its limiter set to the same ceilings. Reported:
- sustained throughput: Graph requests per second between the 5th and 95th percentile of their
  arrival times, against the 50/s tenant ceiling (goal: at least 90%);
- the share of 429 answers (goal: under 2%; the client-side limiter should prevent them);
- the same import with the ceilings removed (emulator unthrottled, client limiter off): its wall
  time is the client's own overhead (plus the emulator's, on the same two cores).
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

PER_CHANNEL, TENANT = 5.0, 50.0
SECRET = "bench-secret"


def serve(port_file: str, stop: multiprocessing.synchronize.Event, log_file: str, throttled: bool,
          upns: list[str]) -> None:
    """The emulator process: serve until told to stop, then write (time, status) of every request."""
    from connectors.teams.emulator import App, EmulatorConfig, GraphEmulator, User

    config = EmulatorConfig(apps=[App(secret=SECRET)], users=[User.make(u) for u in upns], seed=None,
                            per_channel_rps=PER_CHANNEL if throttled else 0, tenant_rps=TENANT if throttled else 0)
    emulator = GraphEmulator(config)
    seen: list[tuple[float, int]] = []
    dispatch = emulator._dispatch

    def recording(request, environ):  # type: ignore[no-untyped-def]
        response = dispatch(request, environ)
        if request.path.startswith("/v1.0/"):
            seen.append((time.time(), response.status_code))
        return response

    emulator._dispatch = recording  # type: ignore[method-assign]
    with emulator as url:
        Path(port_file).write_text(url)
        stop.wait()
    Path(log_file).write_text(json.dumps(seen))


def run(archive: Path, workdir: Path, throttled: bool) -> dict[str, float]:
    import tomlkit

    from rsemigrate.archive.reader import Archive

    upns = [u.email for u in Archive(archive).users() if u.email] + ["migration.placeholder@contoso.com"]
    port_file, log_file = workdir / "url", workdir / "requests.json"
    port_file.unlink(missing_ok=True)
    stop = multiprocessing.Event()
    server = multiprocessing.Process(target=serve, args=(str(port_file), stop, str(log_file), throttled, upns))
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
    rates = ["--per-channel", str(PER_CHANNEL), "--tenant", str(TENANT)] if throttled else \
        ["--per-channel", "1000000", "--tenant", "1000000"]
    began = time.monotonic()
    done = subprocess.run(rsemigrate + ["import", str(archive), "--plan", str(plan), "--json", "--parallel", "20", *rates],
                          cwd=ROOT, capture_output=True, text=True, check=False,
                          env=os.environ | {"RSEMIGRATE_TEAMS_CLIENT_SECRET": SECRET})
    wall = time.monotonic() - began
    stop.set()
    server.join()
    if done.returncode != 0:
        raise SystemExit(f"import failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    report = json.loads(done.stdout)
    seen = json.loads(log_file.read_text())
    times = sorted(t for t, _ in seen)
    lo, hi = times[len(times) * 5 // 100], times[len(times) * 95 // 100]
    window = [t for t in times if lo <= t <= hi]
    return {"wall_s": wall, "import_s": report["seconds"], "requests": len(seen),
            "requests_span_s": times[-1] - times[0],
            "sustained_rps": (len(window) - 1) / (hi - lo) if hi > lo else float("nan"),
            "overall_rps": len(seen) / (times[-1] - times[0]),
            "share_429": sum(1 for _, s in seen if s == 429) / len(seen),
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
        print(f"archive: {args.channels} channels × {args.messages} messages built in {time.monotonic() - began:.1f} s")
        ceilings = run(archive, work, throttled=True)
        print(f"with ceilings ({PER_CHANNEL:g}/s per channel, {TENANT:g}/s tenant): {ceilings['posts']} posts, "
              f"{ceilings['requests']} requests in {ceilings['requests_span_s']:.1f} s (process {ceilings['wall_s']:.1f} s)")
        print(f"  sustained throughput {ceilings['sustained_rps']:.1f} requests/s = "
              f"{100 * ceilings['sustained_rps'] / TENANT:.1f}% of the ceiling (goal ≥ 90%); "
              f"overall {ceilings['overall_rps']:.1f}/s")
        print(f"  429 answers: {100 * ceilings['share_429']:.2f}% of requests (goal < 2%)")
        free = run(archive, work, throttled=False)
        print(f"without ceilings: {free['posts']} posts, {free['requests']} requests in {free['requests_span_s']:.1f} s "
              f"({free['overall_rps']:.0f} requests/s); process wall time {free['wall_s']:.1f} s "
              f"(import {free['import_s']:.1f} s with account look-ups and the freeze; the rest is start-up and "
              "the dry run)")


if __name__ == "__main__":
    main()
