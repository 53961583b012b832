"""docs/teams.md keeps up with the code: every degradation, problem kind and plan key is there."""

import dataclasses
import re
from pathlib import Path

import pytest

from connectors.teams.plan import ConnectionSection, DestinationSection, TeamSection
from rsemigrate.migrate.plan import OptionsSection, PlanHeader, RatesSection, UsersSection
from transforms.draft import DEGRADATIONS

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "teams.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("kind", sorted(DEGRADATIONS))
def test_every_degradation_is_documented(kind):
    assert f"`{kind}`" in DOC


def problem_kinds():
    pattern = re.compile(r'(?:Problem\(|scan\.problem\()\s*"([a-z-]+)"')
    # the target's own checks, and the ones every target shares
    for path in [
        *(ROOT / "connectors" / "teams").glob("*.py"),
        ROOT / "rsemigrate" / "migrate" / "drycheck.py",
    ]:
        yield from pattern.findall(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("kind", sorted(set(problem_kinds())))
def test_every_problem_kind_is_documented(kind):
    assert f"`{kind}`" in DOC


@pytest.mark.parametrize("section", [PlanHeader, UsersSection, OptionsSection, RatesSection,
                                     ConnectionSection, TeamSection, DestinationSection])
def test_every_plan_key_is_documented(section):
    for f in dataclasses.fields(section):
        assert f"`{f.name}" in DOC, f"{section.__name__}.{f.name}"


def test_the_docs_say_it_is_an_emulator():
    assert "It is an emulator, not Microsoft Graph" in DOC
