"""in_workers: a connector's per-chunk work in forked processes, results in the order of the chunks."""

from __future__ import annotations

import os
import signal
import tempfile
import time
from pathlib import Path

import pytest

from rsemigrate.errors import RsemigrateError
from rsemigrate.export import in_workers


def _slow_on_evens(n: int) -> tuple[int, int]:
    if n % 2 == 0:
        time.sleep(0.01)  # the other worker gets ahead: the order must not follow it
    return n, os.getpid()


def test_results_come_in_the_order_of_the_items_from_other_processes():
    with in_workers(_slow_on_evens, range(40), workers=2) as results:
        got = list(results)
    assert [n for n, _ in got] == list(range(40))
    assert len({pid for _, pid in got}) == 2 and os.getpid() not in {pid for _, pid in got}


def test_one_item_or_one_worker_runs_here():
    with in_workers(_slow_on_evens, [7], workers=2) as results:
        assert list(results) == [(7, os.getpid())]
    with in_workers(_slow_on_evens, range(3), workers=1) as results:
        assert [pid for _, pid in results] == [os.getpid()] * 3


def _fails_at_five(n: int) -> int:
    if n == 5:
        raise ValueError("item 5 is bad")
    return n


def test_a_failure_in_a_worker_arrives_at_its_items_turn():
    got = []
    with pytest.raises(ValueError, match="item 5 is bad"), \
            in_workers(_fails_at_five, range(20), workers=2) as results:
        got.extend(results)
    assert got == [0, 1, 2, 3, 4]


def test_a_failure_reading_the_items_arrives_after_the_items_before_it():
    def items():
        yield from range(6)
        raise OSError("the zip is corrupt here")

    got = []
    with pytest.raises(OSError, match="corrupt"), in_workers(abs, items(), workers=2) as results:
        got.extend(results)
    assert got == [0, 1, 2, 3, 4, 5]


def _dies_at_three(n: int) -> int:
    if n == 3:
        os.kill(os.getpid(), signal.SIGKILL)
    return n


def test_a_worker_that_dies_is_an_error_not_a_short_result():
    with pytest.raises(RsemigrateError, match="stopped unexpectedly"), \
            in_workers(_dies_at_three, range(10), workers=2) as results:
        list(results)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rpartition(")")[2].split()[0] not in ("Z", "X")
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="reads /proc")
def test_leaving_the_block_early_ends_the_workers_and_leaves_the_items_readable():
    items = ((n, bytes(1 << 20)) for n in range(100))  # a few fill the pipes: the feeding waits
    with in_workers(_first_slow, items, workers=2) as results:
        pids = {next(results)[1], next(results)[1]}
    assert not any(map(_alive, pids))
    rest = [n for n, _ in items]
    assert rest and rest == list(range(100 - len(rest), 100))  # where the feeding stopped


def _first_slow(item: tuple[int, bytes]) -> tuple[int, int]:
    return _slow_on_evens(item[0])


def test_a_batch_unpacks_its_runs_in_place():
    from rsemigrate.export.spool import BodyLog
    from rsemigrate.export.workers import preparing, ready_all, unpacked

    from .samples import sample_records

    records = [r for r in sample_records() if type(r).__name__ == "Message"][:3]
    log = BodyLog(Path(tempfile.mkdtemp()) / "bodies")
    with preparing(log):
        (run,) = ready_all(records[1:])
    log.close()
    assert isinstance(run, bytes)
    got = list(unpacked([("r", "a", b"{}"), ("r", "b", b"{}"), run, ("r", "c", b"{}")]))
    assert [len(part) for part in got] == [2, 2, 1]
    assert [item[1] for item in got[1]] == [m.id for m in records[1:]]
