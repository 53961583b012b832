"""`rsemigrate serve` with several worker processes: one socket, sessions, the verify result and the
access log shared by all of them, and no worker outliving the server.

To reach one worker in particular, the others are stopped (SIGSTOP): a new connection can then only
be accepted by the one left running.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson
import pytest

from rsemigrate.viewer import add_user

pytestmark = pytest.mark.slow
RSEMIGRATE = Path(sys.executable).with_name("rsemigrate")
PASSWORD = "correct horse"


@dataclass
class Served:
    process: subprocess.Popen
    url: str
    tmp: Path  # the server's TMPDIR: its private state directory is made there

    def children(self) -> set[int]:
        return children(self.process.pid)

    def workers(self, count: int) -> list[int]:
        """The worker pids, once the background verify (the one other child) has ended."""
        deadline = time.monotonic() + 30
        while len(found := self.children()) != count:
            assert time.monotonic() < deadline, f"expected {count} workers, found {found}"
            time.sleep(0.05)
        return sorted(found)


def children(pid: int) -> set[int]:
    """The live (not zombie) child processes of `pid`, from /proc."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(stat.parent.name))
    return found


def state(pid: int) -> str:
    """The process's state letter (R, S, T stopped, Z zombie...), or "" when it is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return ""


def alive(pid: int) -> bool:
    return state(pid) not in ("", "Z")


@contextmanager
def serving(archive: Path, tmp: Path, *options: str,
            command: list[str | Path] | None = None) -> Iterator[Served]:
    env = {**os.environ, "TMPDIR": str(tmp)}
    process = subprocess.Popen([*(command or [RSEMIGRATE]), "serve", archive, "--port", "0", *options],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env,
                               start_new_session=True)  # a process group of its own, as in a terminal
    try:
        line = process.stdout.readline()  # type: ignore[union-attr]
        url = re.search(r"http://127\.0\.0\.1:\d+", line)
        assert url, line
        yield Served(process, url[0], tmp)
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            raise


@contextmanager
def only(worker: int, others: list[int]) -> Iterator[None]:
    """Every other worker stopped: new connections go to `worker`."""
    stopped = [pid for pid in others if pid != worker]
    for pid in stopped:
        os.kill(pid, signal.SIGSTOP)
        while state(pid) != "T":  # stopped for sure before any connection is made
            time.sleep(0.01)
    try:
        yield
    finally:
        for pid in stopped:
            os.kill(pid, signal.SIGCONT)


def get(url: str, **kwargs) -> httpx.Response:  # type: ignore[no-untyped-def]
    return httpx.get(url, timeout=20, **kwargs)  # a new connection each time


def private_dirs(tmp: Path) -> list[Path]:
    return list(tmp.glob("rsemigrate-serve-*"))


@pytest.fixture
def users(tmp_path: Path) -> Path:
    path = tmp_path / "users.txt"
    add_user(path, "auditor", PASSWORD)
    return path


def test_a_login_and_the_verify_result_reach_every_worker_and_a_logout_ends_the_session_everywhere(
        archives, users, tmp_path):
    log = tmp_path / "access.jsonl"
    options = ("--workers", "2", "--auth", str(users), "--access-log", str(log))
    with serving(archives[0], tmp_path, *options) as s:
        first, second = workers = s.workers(2)
        [state_dir] = private_dirs(tmp_path)
        assert state_dir.stat().st_mode & 0o777 == 0o700
        with only(first, workers):
            login = httpx.post(f"{s.url}/login", data={"user": "auditor", "password": PASSWORD}, timeout=20)
            assert login.status_code == 303
        cookies = {"rsemigrate_session": login.cookies["rsemigrate_session"]}
        stored = b"".join(path.read_bytes() for path in state_dir.iterdir())
        assert cookies["rsemigrate_session"].encode() not in stored  # only its hash is kept
        with only(second, workers):
            assert get(f"{s.url}/t/m1", cookies=cookies).status_code == 200
            assert get(f"{s.url}/a/hostile/verify.json", cookies=cookies).json() == {"state": "passed",
                                                                                   "findings": []}
            assert "Verified just now" in get(f"{s.url}/a/hostile/", cookies=cookies).text
            assert httpx.post(f"{s.url}/logout", cookies=cookies, timeout=20).status_code == 303
        with only(first, workers):
            assert get(f"{s.url}/a/hostile/verify.json", cookies=cookies).status_code == 303  # signed out
        assert get(f"{s.url}/t/m1", cookies=cookies).status_code == 303
    records = [orjson.loads(line) for line in log.read_bytes().splitlines()]
    assert [(r["who"], r["action"]) for r in records] == [("auditor", "login"), ("auditor", "thread")]
    assert not private_dirs(tmp_path)  # removed at exit


def test_sigterm_stops_every_worker_and_a_dead_worker_is_replaced(archives, tmp_path):
    with serving(archives[1], tmp_path, "--workers", "2") as s:
        workers = s.workers(2)
        os.kill(workers[0], signal.SIGKILL)
        deadline = time.monotonic() + 20
        while len(replaced := s.children() - {workers[0]}) != 2:
            assert time.monotonic() < deadline, replaced
            time.sleep(0.05)
        assert "ops budget review" in get(f"{s.url}/t/n1").text
        s.process.send_signal(signal.SIGTERM)
        assert s.process.wait(15) == 0
        assert not any(alive(pid) for pid in replaced | set(workers))
        assert not private_dirs(tmp_path)


def test_ctrl_c_stops_the_server_and_every_worker(archives, tmp_path):
    with serving(archives[1], tmp_path, "--workers", "2") as s:
        workers = s.workers(2)
        os.killpg(s.process.pid, signal.SIGINT)  # Ctrl-C reaches the terminal's whole process group
        assert s.process.wait(15) == 0
        assert not any(alive(pid) for pid in workers)
        assert not private_dirs(tmp_path)


def test_workers_stop_by_themselves_when_the_server_is_killed(archives, tmp_path):
    with serving(archives[1], tmp_path, "--workers", "2") as s:
        workers = s.workers(2)
        s.process.kill()
        s.process.wait(10)
        deadline = time.monotonic() + 10
        while any(alive(pid) for pid in workers):
            assert time.monotonic() < deadline, "a worker outlived its server"
            time.sleep(0.05)
        assert not private_dirs(tmp_path)  # the last of them removed the server's shared state


def test_the_background_verify_runs_once_whatever_the_number_of_workers(archives, tmp_path):
    runs = tmp_path / "runs.txt"
    counting = textwrap.dedent(f"""
        import os, sys
        from rsemigrate.viewer import server
        real = server.verify_shelf
        def counted(shelf):
            with open({str(runs)!r}, "a") as out:
                out.write(f"{{os.getpid()}}\\n")
            real(shelf)
        server.verify_shelf = counted
        from rsemigrate.cli import main
        main(sys.argv[1:])
    """)
    with serving(archives[1], tmp_path, "--workers", "3", command=[sys.executable, "-c", counting]) as s:
        s.workers(3)
        for _ in range(6):
            assert get(f"{s.url}/a/second/verify.json").json()["state"] == "passed"
    assert len(runs.read_text().splitlines()) == 1


def test_concurrent_records_from_several_processes_are_whole_lines(tmp_path):
    """The server opens the log once and every worker appends to it: 4 processes, 2,000 records
    each, large enough that interleaved writes would show."""
    log = tmp_path / "access.jsonl"
    script = textwrap.dedent(f"""
        import os
        from pathlib import Path
        from rsemigrate.viewer import AccessLog
        log = AccessLog(Path({str(log)!r}))
        pids = []
        for n in range(4):
            pid = os.fork()
            if pid == 0:
                for i in range(2000):
                    log.record("auditor", "search", worker=n, i=i, query="budget " * (i % 700))
                os._exit(0)
            pids.append(pid)
        assert all(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0 for pid in pids)
    """)
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120)
    records = [orjson.loads(line) for line in log.read_bytes().split(b"\n")[:-1]]  # each line whole JSON
    assert sorted((r["worker"], r["i"]) for r in records) == [(n, i) for n in range(4) for i in range(2000)]
    assert all(r["query"] == "budget " * (r["i"] % 700) for r in records)
