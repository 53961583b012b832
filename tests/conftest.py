"""Fixtures shared by every test package (the real browser lives in tests/browser.py)."""

from pathlib import Path

import pytest

pytest_plugins = ["tests.browser"]

#: Exports written by other projects, beside the checkout (CI copies shared/ there); never copied in.
REAL_DATA = Path(__file__).resolve().parents[2] / "shared" / "real-data"


@pytest.fixture(scope="session")
def real_data() -> Path:
    """`../shared/real-data/`: fail, not skip, when it is absent, since it is the reference."""
    if not REAL_DATA.is_dir():
        pytest.fail(f"{REAL_DATA} is missing: the real-data tests need shared/ beside the checkout")
    return REAL_DATA
