"""Benchmark: messages per second into a local Synapse, against bare `PUT /send` calls in the same run.

Run: `.venv/bin/python bench/bench_import_matrix.py [--rooms 4] [--messages 500] [--parallel 6]`.

Synapse (SQLite, loopback, the appservice registered with `rate_limited: false`) is installed and
started exactly as the tests do (tests/matrix/synapse.py). In the same run, against the same
server:
- baseline: the same number of messages as bare `PUT /rooms/{id}/send/m.room.message/{txn}`
  calls (with `user_id` and `ts`, as the import sends them), one after another from a minimal
  httpx loop, into rooms of the same sizes; measured before and after the import, averaged;
- the import: `rsemigrate import` as a real process (no client-side rate limit), its events
  read from the ledger: the sending phase is the span between the first and the last event
  recorded; the whole command (start-up, dry run, freeze, accounts, rooms) is reported apart.
Goal: the import's sending rate at least 80% of the baseline.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.communities import community_archive  # noqa: E402


def baseline(url: str, token: str, rooms: int, messages: int, tag: str) -> float:
    """Messages per second of a minimal sequential loop of bare PUT /send calls."""
    import httpx

    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60) as http:
        user = "@rsemigrate_bench.baseline:localhost"
        http.post("/_matrix/client/v3/register", json={"type": "m.login.application_service",
                                                       "username": user[1:].split(":")[0]})
        targets = []
        for _ in range(rooms):
            room = http.post("/_matrix/client/v3/createRoom", json={"preset": "private_chat"}).json()[
                "room_id"
            ]
            http.post(f"/_matrix/client/v3/rooms/{room}/invite", json={"user_id": user})
            http.post(f"/_matrix/client/v3/rooms/{room}/join", params={"user_id": user})
            targets.append(room)
        began = time.perf_counter()
        for r, room in enumerate(targets):
            for n in range(messages):
                body = {"msgtype": "m.text", "body": f"Message {n} " + "lorem ipsum " * 20}
                answer = http.put(f"/_matrix/client/v3/rooms/{room}/send/m.room.message/{tag}-{r}-{n}",
                                  params={"user_id": user, "ts": 1_577_836_800_000 + n}, json=body)
                answer.raise_for_status()
        return rooms * messages / (time.perf_counter() - began)


def run_import(archive: Path, work: Path, url: str, registration: Path, parallel: int) -> dict[str, float]:
    import tomlkit

    from rsemigrate.migrate.ledger import Ledger, default_url

    plan = work / "plan.toml"
    rsemigrate = [sys.executable, "-m", "rsemigrate"]
    subprocess.run(
        rsemigrate + ["plan", "init", str(archive), "--to", "matrix", "-o", str(plan)],
        check=True,
        cwd=ROOT,
        capture_output=True,
    )
    doc = tomlkit.parse(plan.read_text())
    doc["matrix"]["homeserver_url"], doc["matrix"]["registration"] = url, str(registration)
    plan.write_text(tomlkit.dumps(doc))
    began, cpu = time.monotonic(), _children_cpu()
    done = subprocess.run(rsemigrate + ["import", str(archive), "--plan", str(plan), "--json", "--parallel",
                                        str(parallel), "--per-channel", "1000000", "--tenant", "1000000"],
                          cwd=ROOT, capture_output=True, text=True, check=False)
    wall, cpu = time.monotonic() - began, _children_cpu() - cpu
    if done.returncode != 0:
        raise SystemExit(f"import failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    report = json.loads(done.stdout)
    with Ledger(default_url(plan)) as ledger:
        stamps = sorted(m.updated_at.timestamp() for m in ledger.messages() if m.updated_at)
    events = len(stamps)
    return {"wall_s": wall, "import_s": report["seconds"], "events": events,
            "sending_s": stamps[-1] - stamps[0], "requests": report["requests"], "cpu_s": cpu}


def _children_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    from connectors.matrix.appservice import read_tokens
    from tests.matrix.synapse import Homeserver, ensure_installed

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rooms", type=int, default=4)
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--shape", choices=["flat", "realistic"], default="flat",
                        help="realistic: as many messages again in 2-5 message private conversations")
    parser.add_argument("--parallel", type=int, default=6)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-matrix-") as tmp:
        work = Path(tmp)
        began = time.monotonic()
        python = ensure_installed()
        print(f"synapse ready to start in {time.monotonic() - began:.1f} s (installed if it was not)")
        archive = community_archive(work, args.rooms, args.messages, users=20, shape=args.shape)
        bootstrap = work / "bootstrap.toml"
        bootstrap.write_text('[plan]\ntarget = "matrix"\n[matrix]\nregistration = "registration.yaml"\n')
        subprocess.run(
            [sys.executable, "-m", "rsemigrate", "matrix", "register", "--plan", str(bootstrap)],
            check=True,
            cwd=ROOT,
            capture_output=True,
        )
        server = Homeserver(python, work / "hs", work / "registration.yaml")
        server.configure()
        began = time.monotonic()
        server.start()
        print(f"synapse started in {time.monotonic() - began:.1f} s on {server.url}")
        try:
            token = read_tokens(server.registration).as_token
            before = baseline(server.url, token, args.rooms, args.messages, "before")
            result = run_import(archive, work, server.url, server.registration, args.parallel)
            time.sleep(5)  # let Synapse finish the background work the import queued
            after = baseline(server.url, token, args.rooms, args.messages, "after")
        finally:
            server.stop()
    base = max(before, after)  # the stricter reference: Synapse slows down as its database grows
    rate = result["events"] / result["sending_s"]
    print(f"baseline (bare PUT /send, sequential): {before:.1f} msg/s before the import, {after:.1f} after")
    print(f"import: {result['events']:.0f} events sent in {result['sending_s']:.1f} s = {rate:.1f} msg/s "
          f"({args.parallel} rooms in parallel) = {100 * rate / base:.0f}% of the faster baseline, "
          f"{100 * rate / ((before + after) / 2):.0f}% of their mean (goal ≥ 80%)")
    print(
        f"  whole command {result['wall_s']:.1f} s (import phase {result['import_s']:.1f} s with accounts "
        "and rooms, "
        f"{result['requests']:.0f} requests; the rest is start-up, the dry run and the freeze) = "
        f"{result['events'] / result['wall_s']:.1f} msg/s end to end"
    )
    print(
        f"  the import process used {result['cpu_s']:.1f} s of CPU: "
        f"{1000 * result['cpu_s'] / result['events']:.1f} ms "
        "per event, all phases included (the homeserver's share of the two cores is the rest)"
    )


if __name__ == "__main__":
    main()
