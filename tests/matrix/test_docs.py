"""docs/matrix.md keeps up with the code: every problem kind and plan key is there."""

import dataclasses
import re
from pathlib import Path

import pytest

from connectors.matrix.plan import DestinationSection, MatrixSection
from rsemigrate.migrate.plan import OptionsSection, PlanHeader, RatesSection, UsersSection

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "matrix.md").read_text(encoding="utf-8")


def problem_kinds():
    pattern = re.compile(r'(?:Problem\(|scan\.problem\()\s*"([a-z-]+)"')
    # the target's own checks, and the ones every target shares
    for path in [
        *(ROOT / "connectors" / "matrix").glob("*.py"),
        ROOT / "rsemigrate" / "migrate" / "drycheck.py",
    ]:
        yield from pattern.findall(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("kind", sorted(set(problem_kinds())))
def test_every_problem_kind_is_documented(kind):
    assert f"`{kind}`" in DOC


@pytest.mark.parametrize("section", [PlanHeader, UsersSection, OptionsSection, RatesSection, MatrixSection,
                                     DestinationSection])
def test_every_plan_key_is_documented(section):
    for f in dataclasses.fields(section):
        assert f"`{f.name}" in DOC, f"{section.__name__}.{f.name}"


def test_the_register_command_is_documented():
    assert "rsemigrate matrix register --plan" in DOC and "app_service_config_files" in DOC
