"""Fuzzing every file the command line reads (issue 18): whatever the bytes, an answer, never a
traceback. Each example takes a bundled fixture (a valid export of each platform, or a valid
archive), breaks one of its files — random bytes, a truncation, flipped bytes, or for JSON any
JSON value, deeply nested ones included — and runs the real command in-process. It must exit
0 (read, problems reported), 1 (validate/verify found problems) or 2 (one line naming the
input); an exception escaping to click is a failure, shown with its traceback.

Bounded: RSEMIGRATE_FUZZ_EXAMPLES examples per target (default 25, ~1-2 min in all); raise it
for a longer hunt. Hypothesis keeps failing examples in .hypothesis/ and replays them first; on
CI (`CI` set) the examples are derandomised, so a run there never fails by chance. What it found
stays tested as explicit examples.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from rsemigrate.testing import archive_from_records, run_cli
from tests.core.samples import sample_records

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
EXAMPLES = int(os.environ.get("RSEMIGRATE_FUZZ_EXAMPLES", "25"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=os.environ.get("CI") is not None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

#: connector → the fixture export it reads.
SOURCES = {"yammer": FIXTURES / "yammer", "slack": FIXTURES / "slack" / "workspace",
           "workplace": FIXTURES / "workplace", "teams": FIXTURES / "teams"}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=30,
)
#: keys the readers look for, so that generated objects reach past the first check.
known_keys = st.sampled_from(["id", "ts", "user", "text", "name", "type", "created_time", "createdDateTime",
                              "from", "data", "paging", "thread_ts", "edited", "files", "attachments",
                              "reactions", "members", "body", "content", "message", "replies", "created"])
shaped_objects = st.dictionaries(known_keys, json_values, max_size=8)


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


@st.composite
def broken(draw: st.DrawFn, original: bytes, is_json: bool) -> bytes:
    """`original` broken in one of several ways."""
    how = draw(st.sampled_from(["bytes", "truncate", "flip", "splice"] + ["json", "nest"] * is_json))
    if how == "bytes":
        return draw(st.binary(max_size=2000))
    if how == "truncate":
        return original[: draw(st.integers(0, max(len(original) - 1, 0)))]
    if how == "flip":
        data = bytearray(original)
        for _ in range(draw(st.integers(1, 8))):
            if data:
                data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
        return bytes(data)
    if how == "splice":
        at = draw(st.integers(0, len(original)))
        return original[:at] + draw(st.binary(min_size=1, max_size=50)) + original[at:]
    if how == "nest":
        return nested(draw(st.integers(200, 3000)))
    value = draw(st.one_of(json_values, st.lists(shaped_objects, max_size=5), shaped_objects))
    return json.dumps(value).encode()


@contextmanager
def scratch() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="rsemigrate-fuzz-") as folder:
        yield Path(folder)


def assert_answers(*args: object) -> None:
    """The command ends with an exit code of its interface, not with an exception."""
    result = run_cli(*args)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"rsemigrate {' '.join(map(str, args))}: traceback") from result.exception
    assert result.exit_code in (0, 1, 2), result.output
    if result.exit_code == 2:  # the answer, after any warning lines (an archive changed since sealing)
        answer = [line for line in result.output.splitlines() if not line.startswith("warning: ")]
        assert answer and answer[0].startswith(("Error: ", "Usage: ")), result.output


def files_of(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()
                  and p.name != "README.md")


@pytest.mark.parametrize("connector", sorted(SOURCES))
@FUZZ
@given(data=st.data())
def test_any_broken_file_of_an_export_is_an_answer(connector: str, data: st.DataObject) -> None:
    source = SOURCES[connector]
    name = data.draw(st.sampled_from(files_of(source)), label="file")
    original = (source / name).read_bytes()
    replacement = data.draw(broken(original, name.endswith(".json")), label="content")
    with scratch() as work:
        shutil.copytree(source, work / "export", ignore=shutil.ignore_patterns("README.md"))
        (work / "export" / name).write_bytes(replacement)
        assert_answers("export", connector, work / "export", "-o", work / "archive")


@FUZZ
@given(data=st.data())
def test_any_broken_zip_is_an_answer(data: st.DataObject) -> None:
    with scratch() as work:
        with zipfile.ZipFile(work / "export.zip", "w", zipfile.ZIP_DEFLATED) as zf:
            for name in files_of(SOURCES["slack"]):
                zf.write(SOURCES["slack"] / name, name)
        original = (work / "export.zip").read_bytes()
        (work / "export.zip").write_bytes(data.draw(broken(original, False), label="zip"))
        assert_answers("export", "slack", work / "export.zip", "-o", work / "archive")


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return archive_from_records(tmp_path_factory.mktemp("fuzz"), sample_records()).path


@FUZZ
@given(data=st.data())
def test_any_broken_file_of_an_archive_is_an_answer(archive: Path, data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(files_of(archive)), label="file")
    original = (archive / name).read_bytes()
    replacement = data.draw(broken(original, name.endswith((".json", ".jsonl"))), label="content")
    with scratch() as work:
        shutil.copytree(archive, work / "archive")
        (work / "archive" / name).write_bytes(replacement)
        for command in ("validate", "verify", "stats"):
            assert_answers(command, work / "archive")
        assert_answers("search", work / "archive", "hello", "--index", work / "index.sqlite")


@pytest.mark.parametrize(("name", "content"), [
    ("bag-info.txt", b"\x80"), ("manifest-sha256.txt", b"\xff" * 70), ("archive.json", nested(300)),
])
def test_what_fuzzing_found_in_archives_stays_fixed(archive: Path, name: str, content: bytes) -> None:
    with scratch() as work:
        shutil.copytree(archive, work / "archive")
        (work / "archive" / name).write_bytes(content)
        for command in ("validate", "verify", "stats"):
            assert_answers(command, work / "archive")


@FUZZ
@given(terms=st.binary(max_size=500) | st.text(max_size=300).map(str.encode))
@example(terms=b"\x000")  # found by this test: a NUL ended FTS5's quoted string
@example(terms=b"(")  # found by this test: a '(' ending the query failed an assertion
def test_any_terms_file_is_an_answer(archive: Path, terms: bytes) -> None:
    with scratch() as work:
        (work / "terms.txt").write_bytes(terms)
        assert_answers("hits", archive, "--terms", work / "terms.txt", "--index", work / "index.sqlite")
