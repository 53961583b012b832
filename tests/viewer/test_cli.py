"""`rsemigrate serve`: refusals before any work, users added, the URL printed and served."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from rsemigrate.cli import main
from rsemigrate.viewer import read_users


def test_a_non_loopback_host_without_auth_is_refused_before_indexing(archives, tmp_path):
    result = CliRunner().invoke(main, ["serve", str(archives[1]), "--host", "0.0.0.0"])
    assert result.exit_code == 2 and "--host 0.0.0.0 exposes the archive" in result.output


def test_add_user_asks_for_the_password_twice_and_stores_a_hash(tmp_path):
    users = tmp_path / "users.txt"
    result = CliRunner().invoke(main, ["serve", "unused", "--auth", str(users), "--add-user", "auditor"],
                                input="s3cret pass\ns3cret pass\n")
    assert result.exit_code == 0, result.output
    assert list(read_users(users)) == ["auditor"] and "s3cret" not in users.read_text()


@pytest.mark.slow
def test_serve_prints_the_url_and_serves_the_archive(archives, tmp_path):
    log = tmp_path / "access.jsonl"
    rsemigrate = Path(sys.executable).with_name("rsemigrate")
    child = subprocess.Popen([rsemigrate, "serve", archives[1], "--port", "0", "--access-log", log],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = child.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+/", line)[0]
        assert "ops budget review" in httpx.get(f"{url}t/n1", timeout=30).text
        assert '"action":"thread"' in log.read_text()
    finally:
        child.terminate()
        child.wait(10)
