"""A full disk during export or indexing (issue 18): one clear line, exit 2, and nothing left
behind: the staging folder (or partial index) is removed even when the cleanup itself meets the
full disk.

The real thing first, on a 4 MiB tmpfs mounted for the test (needs root, as in CI's container;
skipped elsewhere); then the same paths through fault-injection seams, which run everywhere.
"""

from __future__ import annotations

import errno
import shutil
import subprocess
from pathlib import Path

import pytest

from bench.yammer_synth import write_synthetic_export
from rsemigrate.archive import bag
from rsemigrate.errors import DiskFullError
from rsemigrate.export import Connector, run_export
from rsemigrate.export.spool import BodyLog
from rsemigrate.testing import archive_from_records, run_cli

from .samples import sample_records


@pytest.fixture
def small_disk(tmp_path: Path):
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(disk)],
                             capture_output=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def test_an_export_that_fills_the_disk_is_one_line_and_leaves_nothing(tmp_path, small_disk):
    write_synthetic_export(tmp_path / "export", 8000, users=50, groups=5, seed=5)
    result = run_cli("export", "yammer", tmp_path / "export", "-o", small_disk / "archive")
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"Error: {small_disk}: the disk is full (")
    assert "the unfinished archive was removed" in result.output and result.output.count("\n") == 1
    assert list(small_disk.iterdir()) == []  # no staging folder, no lock file
    assert shutil.disk_usage(small_disk).used < 64 * 1024


def test_an_index_that_fills_the_disk_is_one_line_and_leaves_nothing(tmp_path, small_disk):
    write_synthetic_export(tmp_path / "export", 20000, users=50, groups=5, seed=6)
    assert run_cli("export", "yammer", tmp_path / "export", "-o", tmp_path / "archive").exit_code == 0
    result = run_cli("index", tmp_path / "archive", "--index", small_disk / "archive.index.sqlite")
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"Error: {small_disk}: the disk is full (")
    assert result.output.count("\n") == 1
    assert list(small_disk.iterdir()) == []


def _failing_reader(tree, files):
    yield from sample_records()[:3]
    raise OSError(errno.ENOSPC, "No space left on device", "spool/bodies")


def test_a_full_disk_in_the_reader_worker_is_one_line(tmp_path):
    (tmp_path / "src").mkdir()
    with pytest.raises(DiskFullError, match="the disk is full .*No space left on device"):
        run_export(Connector("full", "fills the disk", _failing_reader), tmp_path / "src", tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src"]


def test_the_staging_folder_is_removed_even_when_closing_it_meets_the_full_disk(tmp_path, monkeypatch):
    def seal_on_a_full_disk(self, *args):
        self._manifest.write("x" * 10_000)  # buffered: the close that flushes it fails
        self._manifest.close = lambda: (_ for _ in ()).throw(OSError(errno.ENOSPC, "No space left"))
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(bag.BagWriter, "seal", seal_on_a_full_disk)
    with pytest.raises(DiskFullError):
        archive_from_records(tmp_path, sample_records())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["archive-source"]


def test_free_space_is_checked_before_sealing(tmp_path, monkeypatch):
    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr(bag.shutil, "disk_usage", lambda path: usage._replace(free=1024))
    with pytest.raises(DiskFullError, match=r"1024 bytes free, \d+ needed to seal"):
        archive_from_records(tmp_path, sample_records())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["archive-source"]


def test_a_full_disk_under_the_body_log_is_raised_and_the_log_closed(tmp_path):
    """A block the body log cannot write fails the export there and then: nothing is dropped
    silently, and the file is closed all the same."""
    log = BodyLog(tmp_path / "bodies")
    file = log._fh

    class Full:
        def write(self, data: bytes) -> int:
            raise OSError(errno.ENOSPC, "No space left on device", "spool/bodies")

        def close(self) -> None:
            file.close()

    log._fh = Full()
    with pytest.raises(OSError, match="No space left on device"):
        try:
            for _ in range(20_000):
                log.append(b"x" * 1000)
        finally:
            log.close()
    assert file.closed
