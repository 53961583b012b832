"""The index: built beside the archive (never inside it), trusted only while the seal matches."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import orjson
import pytest

from rsemigrate.archive import bag
from rsemigrate.archive.reader import Archive


def _meta(index) -> dict[str, str]:
    with sqlite3.connect(index) as db:
        return dict(db.execute("SELECT key, value FROM meta"))


def test_first_search_builds_the_index_beside_the_archive(build, cli) -> None:
    archive = build.archive()
    index = archive.parent / "archive.index.sqlite"
    assert not index.exists()
    result = cli.ok("search", archive, "budget", "--count")
    assert result.stdout == "5\n"
    assert "Indexed 10 messages" in result.stderr and "there is no index yet" in result.stderr
    assert index.is_file()
    meta = _meta(index)
    assert meta["seal"] == bag.seal_of(archive) and meta["format_version"] == "1.0"
    assert meta["messages"] == "10"


def test_the_bag_is_untouched(build, cli) -> None:
    archive = build.archive()
    before = sorted(p.relative_to(archive) for p in archive.rglob("*"))
    cli.ok("index", archive)
    cli.ok("search", archive, "budget")
    assert sorted(p.relative_to(archive) for p in archive.rglob("*")) == before
    assert bag.verify(archive) == []
    assert [p.name for p in archive.parent.iterdir() if p.name.startswith(".")] == []  # no partial file left


def test_an_unchanged_archive_is_not_reindexed(build, cli) -> None:
    archive = build.archive()
    index = archive.parent / "archive.index.sqlite"
    cli.ok("index", archive)
    built, stamp = _meta(index)["built_at"], index.stat().st_mtime_ns
    result = cli.ok("index", archive)
    assert result.stdout == f"Index is current (the archive's seal is unchanged): {index}\n"
    assert "Indexed" not in cli.ok("search", archive, "budget").stderr
    assert (_meta(index)["built_at"], index.stat().st_mtime_ns) == (built, stamp)
    assert "a rebuild was requested" in cli.ok("index", archive, "--force").stderr
    assert index.stat().st_mtime_ns != stamp


def test_a_changed_archive_is_reindexed(build, cli) -> None:
    import shutil

    archive = build.archive()
    cli.ok("index", archive)
    old_seal = _meta(archive.parent / "archive.index.sqlite")["seal"]

    def more(files):
        yield from build.sample_records(files)
        yield build.message("m11", "c-fin", "u-ann", "nouvelle note de frais", "2019-04-01")

    shutil.rmtree(archive)
    build.archive(more)  # a new export at the same path: a new seal
    result = cli.ok("search", archive, "frais", "--format", "json")
    assert "the archive has changed since the index was built" in result.stderr
    assert '"message_id": "m11"' in result.stdout
    assert _meta(archive.parent / "archive.index.sqlite")["seal"] not in (old_seal, "")


def test_an_index_from_another_schema_version_is_rebuilt(build, cli) -> None:
    archive = build.archive()
    index = archive.parent / "archive.index.sqlite"
    cli.ok("index", archive)
    with sqlite3.connect(index) as db:
        db.execute("UPDATE meta SET value = '0' WHERE key = 'schema_version'")
    assert "built by another version" in cli.ok("index", archive).stderr


def test_a_chosen_index_path(build, cli, tmp_path) -> None:
    archive = build.archive()
    chosen = tmp_path / "elsewhere" / "review.sqlite"
    chosen.parent.mkdir()
    assert cli.ok("search", archive, "budget", "--count", "--index", chosen).stdout == "5\n"
    assert chosen.is_file() and not (archive.parent / "archive.index.sqlite").exists()


def test_the_index_may_not_live_inside_the_archive(build, cli) -> None:
    archive = build.archive()
    result = cli.run("index", archive, "--index", archive / "data" / "index.sqlite")
    assert result.exit_code == 2
    assert "must live outside the archive folder" in result.output
    assert bag.verify(archive) == []


def test_an_unrelated_file_is_never_overwritten(build, cli, tmp_path) -> None:
    archive = build.archive()
    precious = tmp_path / "notes.sqlite"
    precious.write_text("my notes", encoding="utf-8")
    result = cli.run("index", archive, "--index", precious)
    assert result.exit_code == 2
    assert "is not an rsemigrate search index" in result.output and "Traceback" not in result.output
    assert precious.read_text(encoding="utf-8") == "my notes"
    with sqlite3.connect(tmp_path / "other.sqlite") as db:  # a database, but not an index
        db.execute("CREATE TABLE meta (key TEXT, value TEXT)")
    assert cli.run("index", archive, "--index", tmp_path / "other.sqlite").exit_code == 2


def replace_line(archive: Path, channel_id: str, n: int, text: bytes) -> str:
    """Overwrite message `n` of a channel in place (padded to the same length, so the index
    still holds); returns its location."""
    [span] = [s for s in Archive(archive).spans() if s.channel_id == channel_id]
    file = archive / "data" / span.file
    lines = file.read_bytes().splitlines(keepends=True)
    at = span.first_line - 1 + (n % span.count)
    lines[at] = text.ljust(len(lines[at]) - 1) + b"\n"
    file.write_bytes(b"".join(lines))
    return f"data/{span.file} line {at + 1}"


def test_an_unreadable_message_line_is_named(build, cli) -> None:
    archive = build.archive()
    where = replace_line(archive, "c-fin", 1, b'{"id": "m2", "channel_id": "c-fin"}')
    result = cli.run("index", archive)
    assert result.exit_code == 2
    assert result.output.startswith(f"Error: {where}: ")
    assert not (archive.parent / "archive.index.sqlite").exists()


@pytest.mark.parametrize("field", ["text", "created_at"])
def test_a_message_line_with_a_field_of_the_wrong_type_is_named(build, cli, field) -> None:
    """The fast decoder reads only some fields, typed: a wrong type gets the validator's error."""
    archive = build.archive()
    [span] = [s for s in Archive(archive).spans() if s.channel_id == "c-fin"]
    line = (archive / "data" / span.file).read_bytes().splitlines()[span.first_line - 1]
    where = replace_line(archive, "c-fin", 0, orjson.dumps({**orjson.loads(line), field: 5}))
    result = cli.run("index", archive)
    assert result.exit_code == 2
    assert result.output.startswith(f"Error: {where}: ") and field in result.output


@pytest.mark.parametrize("child_from", [0, 100_000], ids=["reader process", "in process"])
def test_unknown_authors_keep_their_id(build, cli, monkeypatch, child_from) -> None:
    """In a reader process too, which numbers people from users.jsonl as its parent does."""
    from rsemigrate.search.sqlite import read

    monkeypatch.setattr(read, "_CHILD_FROM", child_from)

    def records(files):
        yield from build.sample_records(files)
        yield build.message("g1", "c-fin", "u-ghost", "message from a departed user", "2019-05-01")
        yield build.message("g2", "c-gen", "u-ann", "message from a known user", "2019-05-02")

    archive = build.archive(records)
    [hit] = cli.hits(archive, "departed")
    assert (hit["author_name"], hit["author_email"]) == ("u-ghost", None)
    assert cli.ids(archive, "from:u-ghost") == ["g1"]
    [hit] = cli.hits(archive, "known")
    assert (hit["author_name"], hit["author_email"]) == ("Ann Smith", "ann@example.com")
    assert cli.ids(archive, "from:u-ann known") == ["g2"]


def test_large_archives_are_read_in_a_child_process(build, cli, monkeypatch) -> None:
    from rsemigrate.search.sqlite import read

    monkeypatch.setattr(read, "_CHILD_FROM", 0)  # what an archive of 100,000 messages gets
    archive = build.archive()
    assert cli.ids(archive, "budget") == ["m10", "m8", "m3", "m2", "m1"]
    assert cli.ids(archive, "from:ann is:private") == ["m7"]
    where = replace_line(archive, "c-gen", -1, b"not json")
    result = cli.run("index", archive, "--force")
    assert result.exit_code == 2
    assert result.output.startswith(f"Error: {where}: ")


@pytest.mark.parametrize("budget", [100_000, 200, 1])  # one read; read-ahead to the horizon; budget cap
def test_messages_are_numbered_in_time_order_across_channels(build, cli, monkeypatch, budget) -> None:
    from rsemigrate.archive.records import Body, Channel, Message, Timestamp
    from rsemigrate.search.sqlite import read

    monkeypatch.setattr(read, "_ROW_BUDGET", budget)
    rng = random.Random(budget)
    channels = [Channel(f"c{i}", "feed", f"channel {i}") for i in range(7)]
    messages = []
    for i in range(400):
        second = rng.randrange(150) if i % 5 else 75  # many messages in the same second
        stamp = Timestamp(f"2020-05-01T10:{second // 60:02d}:{second % 60:02d}Z", "raw")
        channel = channels[0].id if i % 3 == 0 else rng.choice(channels).id  # one busier channel
        messages.append(
            Message(
                id=f"x{rng.randrange(10**6)}-{i}",
                channel_id=channel,
                thread_id=f"t{i}",
                author_id="u-ann",
                created_at=stamp,
                body=Body("plain", "texte"),
                text="texte",
            )
        )

    def records(files):
        yield from build.sample_records(files)
        yield from channels
        yield from messages

    archive = build.archive(records)
    cli.ok("index", archive)
    with sqlite3.connect(archive.parent / "archive.index.sqlite") as db:
        ordered = db.execute(
            "SELECT message_id, at_us FROM message WHERE channel_seq > 3 ORDER BY seq"
        ).fetchall()
    assert [mid for mid, _ in ordered] == [
        m.id for m in sorted(messages, key=lambda m: (m.created_at.utc, m.id))
    ]
    assert [at for _, at in ordered] == sorted(at for _, at in ordered)


def test_missing_values_are_null_and_texts_stay_texts(build, cli) -> None:
    def records(files):
        yield from build.sample_records(files)
        yield build.message("z0", "c-fin", "u-ann", "titre zéro", "2019-06-01", title="0")
        yield build.message("z1", "c-fin", "u-ann", "titre vide", "2019-06-02", title="")

    archive = build.archive(records)
    cli.ok("index", archive)
    with sqlite3.connect(archive.parent / "archive.index.sqlite") as db:
        rows = {mid: row for mid, *row in db.execute(
            "SELECT message_id, title, reply_to_id, edited_at, deleted_at, deleted, edited, reply,"
            " has_attachment, private FROM message WHERE message_id IN ('z0', 'z1', 'm3', 'm4', 'm8')")}
    assert rows["z0"] == ["0", None, None, None, 0, 0, 0, 0, 0]
    assert rows["z1"] == ["", None, None, None, 0, 0, 0, 0, 0]
    assert rows["m3"] == [None, "m2", "2019-01-04T10:00:00Z", None, 0, 1, 1, 0, 0]
    assert rows["m4"][4:8] == [0, 0, 0, 1]
    assert rows["m8"] == [None, None, None, "2019-03-05T10:00:00Z", 1, 0, 0, 0, 1]


def test_a_reader_process_that_dies_is_an_error(build, cli, monkeypatch) -> None:
    from rsemigrate.search.sqlite import read

    monkeypatch.setattr(read, "_CHILD_FROM", 0)
    monkeypatch.setattr(read, "_CHILD_CODE", "import os; os._exit(3)")
    archive = build.archive()
    result = cli.run("index", archive)
    assert result.exit_code == 2
    assert "the index reader stopped unexpectedly (exit code 3)" in result.output
    assert not (archive.parent / "archive.index.sqlite").exists()
    assert [p.name for p in archive.parent.iterdir() if p.name.startswith(".")] == []


# read by the child process large archives get; in-process with slices cut by the row budget
@pytest.mark.parametrize(("budget", "child_from"), [(100_000, 0), (50, 10**9)])
def test_thousands_of_one_message_channels_are_merged_in_time_order(build, monkeypatch, budget,
                                                                     child_from) -> None:
    """The shape of a real network: a few busy communities beside thousands of private
    conversations of one message each, their times interleaved, many of them equal."""
    from rsemigrate.archive.records import Body, Channel, Message, Timestamp
    from rsemigrate.search.sqlite import read
    from rsemigrate.search.sqlite.backend import CHANNEL_LOOKUP
    from rsemigrate.search.sqlite.build import build_index

    monkeypatch.setattr(read, "_ROW_BUDGET", budget)
    monkeypatch.setattr(read, "_CHILD_FROM", child_from)
    rng = random.Random(13)
    busy = [Channel(f"feed{i}", "feed", f"community {i}") for i in range(3)]
    private = [Channel(f"dm{i}", "direct", f"conversation {i}", private=True) for i in range(3_000)]
    messages = []
    for i, channel in enumerate(busy * 400 + private):
        second = rng.randrange(3_600) if i % 7 else 1_800  # one instant shared by hundreds of messages
        stamp = Timestamp(f"2021-03-04T10:{second // 60:02d}:{second % 60:02d}Z", "raw")
        messages.append(Message(id=f"x{rng.randrange(10**9):09d}-{i}", channel_id=channel.id,
                                thread_id=f"t{i}",
                                author_id="u-ann", created_at=stamp, body=Body("plain", "mot"), text="mot"))

    def records(files):
        yield from build.sample_records(files)
        yield from busy + private
        yield from messages

    archive = Archive(build.archive(records))
    index = archive.path.parent / "archive.index.sqlite"
    report = build_index(archive, index, lambda *_: None)
    with sqlite3.connect(index) as db:
        ordered = db.execute("SELECT message_id, channel.channel_id FROM message JOIN channel"
                             " ON channel.seq = message.channel_seq WHERE channel.channel_id LIKE 'feed%'"
                             " OR channel.channel_id LIKE 'dm%' ORDER BY message.seq").fetchall()
        at = [at for (at,) in db.execute("SELECT at_us FROM message ORDER BY seq")]
        # `in:` on a channel page: found by index among the thousands, never by a scan of them
        lookup = [row[-1] for row in db.execute(f"EXPLAIN QUERY PLAN {CHANNEL_LOOKUP}", ("dm7",) * 4)]
    assert not [step for step in lookup if "SCAN" in step], lookup
    expected = sorted(messages, key=lambda m: (m.created_at.utc, m.id))
    assert ordered == [(m.id, m.channel_id) for m in expected]
    assert len(ordered) == 4_200 and report.messages == archive.header.counts.messages == 4_200 + 10
    assert len(at) == report.messages and at == sorted(at)  # the sample's own messages among them


def test_a_missing_message_file_is_a_clear_error(build, cli) -> None:
    archive = build.archive()
    (archive / "data" / "messages" / "00001.jsonl").unlink()
    result = cli.run("index", archive)
    assert result.exit_code == 2
    assert "00001.jsonl: missing, though data/message_index.jsonl lists messages in it" in result.output
