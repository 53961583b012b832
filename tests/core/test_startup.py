"""The interactive commands start without the heavy libraries: `--help` and `search` on a
current index must answer in a fraction of a second, and SQLAlchemy alone takes a quarter."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from rsemigrate.cli import main

HEAVY = ("sqlalchemy", "sqlmodel", "pydantic", "msgraph", "azure", "kiota_abstractions", "asyncio", "rich")
#: what a fresh interpreter runs: the command, then which heavy packages it loaded.
_PROBE = """
import json, sys
from rsemigrate.cli import main
try:
    main(sys.argv[1:], standalone_mode=False)
finally:
    sys.stdout.flush()
    print(json.dumps([name for name in json.loads(sys.stdin.read()) if name in sys.modules]), file=sys.stderr)
"""


def _loaded(*args: object, heavy: tuple[str, ...] = HEAVY) -> list[str]:
    """Which of `heavy` a fresh interpreter running `rsemigrate ARGS` loaded."""
    done = subprocess.run([sys.executable, "-c", _PROBE, *map(str, args)], capture_output=True, text=True,
                          input=json.dumps(heavy), check=True)
    return json.loads(done.stderr.strip().splitlines()[-1])


@pytest.fixture
def indexed(archive: Path) -> Path:
    from click.testing import CliRunner

    assert CliRunner().invoke(main, ["index", str(archive)]).exit_code == 0
    return archive


def test_help_loads_nothing_heavy() -> None:
    assert _loaded("--help") == []


def test_search_on_a_current_index_loads_nothing_heavy(indexed: Path) -> None:
    # nor the entry points' machinery: only `--help` and the targets' commands list plugins
    assert _loaded("search", indexed, "hello", "--count", heavy=(*HEAVY, "importlib.metadata")) == []


def test_the_probe_sees_what_a_command_loads() -> None:
    """Asking for the ledger does load SQLAlchemy, so the two tests above can fail."""
    probe = "import sys; from rsemigrate.migrate import Ledger; print(sorted(sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert "'sqlalchemy'" in loaded and "'sqlmodel'" in loaded
