"""The export under a careless second operator and `kill -9` (issue 18): one run per output,
no orphaned worker, nothing half-written that passes for an archive, and what a killed run left
listed by the next one (and removed when asked)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from bench.yammer_synth import write_synthetic_export
from rsemigrate.cpus import default_workers
from rsemigrate.lock import exclusive, is_held, lock_path
from rsemigrate.testing import archive_from_records, run_cli

from .samples import sample_records

ROOT = Path(__file__).resolve().parents[2]


def rsemigrate(*args: object, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "rsemigrate", *map(str, args)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def test_an_export_to_an_output_another_run_is_writing_is_refused_naming_it(tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from rsemigrate.lock import exclusive
        with exclusive(Path({str(tmp_path / '.archive.lock')!r}), "x"):
            print("held", flush=True)
            time.sleep(60)
    """)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "held\n"
        result = run_cli("export", "slack", source, "-o", tmp_path / "archive")
        assert result.exit_code == 2
        assert f"is in use by another run (PID {holder.pid}, started 20" in result.output
        assert result.output.count("\n") == 1
        assert sorted(p.name for p in tmp_path.iterdir()) == [".archive.lock", "source"]
    finally:
        holder.kill()
        holder.wait()
    assert not is_held(tmp_path / ".archive.lock")  # died with its holder, even by kill -9


def test_a_lock_is_refused_in_the_same_process_too(tmp_path):
    with exclusive(lock_path(tmp_path / "a"), "output a"):
        with pytest.raises(Exception, match=rf"output a is in use by another run \(PID {os.getpid()}"):
            with exclusive(lock_path(tmp_path / "a"), "output a"):
                pass
    assert not lock_path(tmp_path / "a").exists()


def test_a_holder_not_yet_named_in_its_lock_file_is_still_named(tmp_path):
    """A run locks, then writes its PID: one arriving in between found the file empty and said
    "PID ?" (seen in CI with two imports started together). It now looks again for a moment."""
    import fcntl

    path = lock_path(tmp_path / "a")
    fd = os.open(path, os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)  # held, still empty
    later = threading.Timer(0.05, lambda: os.write(fd, b"4242 2026-12-05T19:00:00+00:00\n"))
    later.start()
    try:
        with pytest.raises(Exception, match=r"in use by another run \(PID 4242, started 2026-12-05T19:00"):
            with exclusive(path, "output a"):
                pass
    finally:
        later.join()
        os.close(fd)


@pytest.mark.slow
def test_two_exports_started_together_give_one_archive_and_one_clear_refusal(tmp_path):
    write_synthetic_export(tmp_path / "export", 5000, users=50, groups=5, seed=2)
    runs = [rsemigrate("export", "yammer", tmp_path / "export", "-o", tmp_path / "archive") for _ in range(2)]
    outcomes = sorted((run.wait(timeout=300), *run.communicate()) for run in runs)
    (ok, out, _), (refused, _, err) = outcomes
    assert (ok, refused) == (0, 2), outcomes
    assert "Wrote" in out and "Traceback" not in err and err.count("\n") == 1
    assert "in use by another run (PID" in err or "already exists" in err
    assert run_cli("verify", tmp_path / "archive").exit_code == 0


def test_a_run_killed_while_sealing_leaves_a_folder_verify_refuses_and_the_next_run_lists(tmp_path):
    """Killed between sealing and the rename: the staging folder holds a complete bag, but it
    is still not an archive."""
    script = textwrap.dedent(f"""
        import os, signal, sys
        sys.path.insert(0, {str(ROOT)!r})
        from pathlib import Path
        from tests.core.samples import sample_records
        from rsemigrate.testing import archive_from_records
        os.sync = lambda: os.kill(os.getpid(), signal.SIGKILL)  # the last step before the rename
        archive_from_records(Path({str(tmp_path)!r}), sample_records())
    """)
    assert subprocess.run([sys.executable, "-c", script], timeout=120).returncode == -signal.SIGKILL
    (partial,) = tmp_path.glob(".archive.partial-*")
    assert (partial / "bagit.txt").is_file() and (partial / "tagmanifest-sha256.txt").is_file()
    result = run_cli("verify", partial)
    assert result.exit_code == 2 and "a staging folder of an export that did not finish" in result.output

    listed = run_cli("export", "slack", _slack(tmp_path), "-o", tmp_path / "second")
    assert listed.exit_code == 0, listed.output
    assert f"Left by interrupted exports (not archives; remove them with --clean-partials): {partial}" \
        in listed.output
    assert partial.is_dir()
    cleaned = run_cli("export", "slack", _slack(tmp_path), "-o", tmp_path / "third", "--clean-partials")
    assert cleaned.exit_code == 0 and f"Removed what interrupted exports left: {partial}" in cleaned.output
    assert not list(tmp_path.glob(".*.partial-*"))


def test_a_running_exports_staging_folder_is_not_a_leftover(tmp_path):
    (tmp_path / ".busy.partial-abc").mkdir()
    (tmp_path / ".dead.partial-def").mkdir()
    with exclusive(lock_path(tmp_path / "busy"), "busy"):
        result = run_cli("export", "slack", _slack(tmp_path), "-o", tmp_path / "archive", "--clean-partials")
    assert result.exit_code == 0, result.output
    assert (tmp_path / ".busy.partial-abc").is_dir() and not (tmp_path / ".dead.partial-def").exists()


def _slack(tmp_path: Path) -> Path:
    from tests.connectors.conftest import slack_export

    folder = tmp_path / "slack-export"
    return folder if folder.is_dir() else slack_export(folder)


def _children(pid: int) -> list[int]:
    """Every process below `pid`: the reader, and the workers it starts in turn."""
    found = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            found += map(int, (task / "children").read_text().split())
    except FileNotFoundError:  # it ended meanwhile
        return []
    return found + [grandchild for child in found for grandchild in _children(child)]


def _alive(pid: int) -> bool:
    """Running, not a zombie (a container's PID 1 may never reap what it inherits)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] not in ("Z", "X")
    except FileNotFoundError:
        return False


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads the process tree from /proc")
@pytest.mark.skipif(default_workers() < 2, reason="one CPU: the export starts no worker")
def test_a_killed_export_leaves_no_worker_behind_and_releases_its_caller(tmp_path):
    """kill -9 of the export while its reader worker runs: the worker dies too, at once, and
    nothing keeps the caller's stdout open (it used to hang forever, holding both)."""
    write_synthetic_export(tmp_path / "export", 20000, users=50, groups=5, seed=4)
    run = rsemigrate("export", "yammer", tmp_path / "export", "-o", tmp_path / "archive")
    deadline = time.monotonic() + 60
    while not (workers := _children(run.pid)) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert workers, "the export started no worker"
    expected = 2  # its workers, which read Messages.csv a chunk at a time
    while len(_children(run.pid)) < expected and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.1)  # they are reading
    workers = sorted({*workers, *_children(run.pid)})  # a loaded machine may be writing by now
    assert len(workers) >= expected, f"expected the reader and its workers, found {workers}"
    run.send_signal(signal.SIGKILL)
    run.wait()
    # the caller reads stdout to its end: that must come, not block forever
    finished = threading.Event()

    def read_to_the_end() -> None:
        run.stdout.read(), run.stderr.read()
        finished.set()

    threading.Thread(target=read_to_the_end, daemon=True).start()
    assert finished.wait(10), "a worker still holds the caller's stdout or stderr"
    deadline = time.monotonic() + 10
    while any(map(_alive, workers)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(map(_alive, workers)), f"worker(s) {workers} outlived the export"
    assert not (tmp_path / "archive").exists()
    # every holder of the lock is dead; the kernel drops it once the last one's files are closed
    while is_held(lock_path(tmp_path / "archive")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not is_held(lock_path(tmp_path / "archive"))


def test_an_interrupted_export_frees_its_output_for_the_next_run(tmp_path):
    def records():
        yield from sample_records()[:5]
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        archive_from_records(tmp_path, records())
    assert not lock_path(tmp_path / "archive").exists()
    assert archive_from_records(tmp_path, sample_records()).counts.messages > 0
