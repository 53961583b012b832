"""Fuzzing the files and text the import side reads (issue 18): a plan, a users mapping CSV, a
ledger, a search query. Whatever they hold, `plan check`, `reconcile --offline` and `search`
answer with an exit code of their interface (0, 1, or 2 with one `Error:` line), never a
traceback. Each example breaks one input of a valid setup: random bytes, a truncation, flipped
or inserted bytes, or for the plan a key set to any TOML value.

Bounded: RSEMIGRATE_FUZZ_EXAMPLES examples per target (default 25); raise it for a longer hunt.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import tomlkit
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from rsemigrate.migrate.ledger import default_url
from rsemigrate.testing import archive_from_records, run_cli
from tests.core.samples import sample_records

from .test_fuzz_inputs import assert_answers, broken, scratch

EXAMPLES = int(os.environ.get("RSEMIGRATE_FUZZ_EXAMPLES", "25"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=os.environ.get("CI") is not None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])
TARGETS = ("teams", "matrix")
MAPPING = "source,target\nu1,ann@contoso.com\n"

toml_values = st.recursive(
    st.booleans() | st.integers(-2**63, 2**63 - 1) | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)


@st.composite
def edited_plan(draw: st.DrawFn, original: str) -> bytes:
    """A valid plan with one key (at any depth) set to any TOML value, or removed."""
    doc = tomlkit.parse(original)
    tables = [doc] + [v for v in _tables(doc)]
    table = draw(st.sampled_from(tables))
    keys = list(table.keys())
    if not keys:
        return original.encode()
    key = draw(st.sampled_from(keys))
    if draw(st.booleans()):
        del table[key]
    else:
        table[key] = draw(toml_values)
    return tomlkit.dumps(doc).encode()


def _tables(table) -> Iterator:
    for value in table.values():
        if isinstance(value, dict):
            yield value
            yield from _tables(value)


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return archive_from_records(tmp_path_factory.mktemp("fuzz"), sample_records()).path


@pytest.fixture(scope="module")
def plans(archive: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A valid starting plan per target (with a users mapping)."""
    folder = tmp_path_factory.mktemp("plans")
    out = {}
    for target in TARGETS:
        path = folder / f"{target}.toml"
        made = run_cli("plan", "init", archive, "--to", target, "-o", path, "--placeholder", "p@contoso.com")
        assert made.exit_code == 0, made.output
        doc = tomlkit.parse(path.read_text(encoding="utf-8"))
        doc["users"]["mapping"] = "users.csv"
        path.write_text(tomlkit.dumps(doc), encoding="utf-8")
        out[target] = path
    return out


@pytest.mark.parametrize("target", TARGETS)
@FUZZ
@given(data=st.data())
def test_any_broken_plan_is_an_answer(target: str, archive: Path, plans: dict[str, Path],
                                      data: st.DataObject) -> None:
    original = plans[target].read_text(encoding="utf-8")
    content = data.draw(edited_plan(original) | broken(original.encode(), False), label="plan")
    with scratch() as work:
        (work / "plan.toml").write_bytes(content)
        (work / "users.csv").write_text(MAPPING, encoding="utf-8")
        assert_answers("plan", "check", archive, "--plan", work / "plan.toml")


@pytest.mark.parametrize("target", TARGETS)
@FUZZ
@given(data=st.data())
def test_any_broken_users_mapping_is_an_answer(target: str, archive: Path, plans: dict[str, Path],
                                               data: st.DataObject) -> None:
    content = data.draw(broken(MAPPING.encode(), False) | st.text(max_size=300).map(str.encode), label="csv")
    with scratch() as work:
        shutil.copy(plans[target], work / "plan.toml")
        (work / "users.csv").write_bytes(content)
        assert_answers("plan", "check", archive, "--plan", work / "plan.toml")


@FUZZ
@given(content=st.binary(max_size=3000))
def test_any_broken_ledger_is_an_answer(archive: Path, plans: dict[str, Path], content: bytes) -> None:
    with scratch() as work:
        plan = work / "plan.toml"
        shutil.copy(plans["teams"], plan)
        (work / "users.csv").write_text(MAPPING, encoding="utf-8")
        Path(default_url(plan).removeprefix("sqlite:///")).write_bytes(content)
        assert_answers("reconcile", archive, "--plan", plan, "--offline")


@FUZZ
@given(query=st.text(max_size=80))
@example(query="0\x00")  # found by this test: a NUL reached FTS5 ("unterminated string")
def test_any_search_query_is_an_answer(archive: Path, query: str,
                                       tmp_path_factory: pytest.TempPathFactory) -> None:
    index = tmp_path_factory.getbasetemp() / "fuzz-index.sqlite"
    for fmt in ("table", "csv"):
        assert_answers("search", archive, "--index", index, "--format", fmt, "--", query)


def test_the_fuzz_setup_is_valid(archive: Path, plans: dict[str, Path]) -> None:
    """The starting points check clean, so what a fuzz example breaks is what it changed."""
    with scratch() as work:
        for target in TARGETS:
            shutil.copy(plans[target], work / "plan.toml")
            (work / "users.csv").write_text(MAPPING, encoding="utf-8")
            result = run_cli("plan", "check", archive, "--plan", work / "plan.toml")
            assert result.exit_code == 0, result.output


@pytest.mark.parametrize("broken_file", ["plan.toml", "users.csv"])
def test_a_plan_or_mapping_not_in_utf8_is_one_line_naming_file_and_line(archive: Path, plans: dict[str, Path],
                                                                        broken_file: str) -> None:
    with scratch() as work:
        shutil.copy(plans["matrix"], work / "plan.toml")
        (work / "users.csv").write_text(MAPPING, encoding="utf-8")
        path = work / broken_file
        path.write_bytes(path.read_bytes().replace(b"\n", "\n# Caf\u00e9\n".encode("cp1252"), 1))
        result = run_cli("plan", "check", archive, "--plan", work / "plan.toml")
        what = "the plan" if broken_file == "plan.toml" else "the users mapping"
        assert result.exit_code == 2
        assert result.output == (f"Error: {path}, line 2: {what} is not UTF-8 text (byte 0xe9): "
                                 "save it as UTF-8\n")
