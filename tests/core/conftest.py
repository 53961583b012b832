from pathlib import Path

import pytest

from rsemigrate.testing import archive_from_records

from .samples import sample_records


@pytest.fixture
def archive(tmp_path) -> Path:
    return archive_from_records(tmp_path, sample_records()).path
