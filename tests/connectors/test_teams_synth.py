"""The synthetic Teams collection the export benchmark relies on: exported whole (every channel
and chat holds the messages the generator wrote, nothing quarantined, no field unmapped),
reproducible, and holding the cases the connector must handle at volume."""

from collections import Counter
from pathlib import Path

import pytest

from bench.teams_synth import Written, write_synthetic_collection
from connectors.teams import connector
from rsemigrate.archive.reader import Archive
from rsemigrate.export.exporter import run_export

#: a small expansion, so that many threads have /replies pages, some of them several.
EXPANDED = 10


def exported(folder: Path, shape: str) -> tuple[Written, Archive]:
    written = write_synthetic_collection(
        folder / "collection", 3000, users=120, channels=20, seed=7, shape=shape, expanded_replies=EXPANDED
    )  # type: ignore[arg-type]
    return written, Archive(run_export(connector, folder / "collection", folder / "archive").path)


@pytest.fixture(scope="module")
def realistic(tmp_path_factory: pytest.TempPathFactory) -> tuple[Written, Archive]:
    return exported(tmp_path_factory.mktemp("teams-synth"), "realistic")


@pytest.fixture(scope="module")
def flat(tmp_path_factory: pytest.TempPathFactory) -> tuple[Written, Archive]:
    return exported(tmp_path_factory.mktemp("teams-synth-flat"), "flat")


@pytest.mark.parametrize("shape", ["realistic", "flat"])
def test_every_channel_and_chat_holds_what_the_generator_wrote(shape, request):
    written, archive = request.getfixturevalue(shape)
    assert sum(written.messages.values()) == archive.header.counts.messages == 3000
    assert Counter(m.channel_id for m in archive.messages()) == +Counter(written.messages)
    assert {c.id for c in archive.channels()} == written.messages.keys()
    assert len(written.messages) == written.channels + written.chats
    assert archive.header.counts.groups == written.teams


@pytest.mark.parametrize("shape", ["realistic", "flat"])
def test_nothing_is_quarantined_or_unmapped_only_the_people_who_left_are_reported(shape, request):
    _, archive = request.getfixturevalue(shape)
    report = list(archive.report())
    assert report  # every 101st person left: rebuilt from their messages
    assert {(r.action, r.record_type) for r in report} == {("degraded", "user")}
    rebuilt = {u.id for u in archive.users() if u.origin == "message" and not u.bot}
    assert rebuilt == {r.record_id for r in report}


def test_the_realistic_shape_is_mostly_tiny_chats_beside_a_few_busy_channels(realistic):
    written, archive = realistic
    chats = [n for key, n in written.messages.items() if not key.endswith("@thread.tacv2")]
    assert len(chats) == written.chats > 250 and all(2 <= n <= 5 for n in chats[:-1])
    assert sum(chats) == round(3000 * 0.35) == archive.header.counts.private_messages
    kinds = Counter(c.kind for c in archive.channels())
    assert kinds["direct"] > kinds["group_direct"] > 0 and kinds["channel"] == written.channels == 20
    channels = sorted(
        (n for key, n in written.messages.items() if key.endswith("@thread.tacv2")), reverse=True
    )
    assert channels[0] > 5 * channels[len(channels) // 2]  # power-law activity


def test_it_holds_the_cases_that_cost_at_volume(realistic):
    written, archive = realistic
    messages = list(archive.messages())
    assert Counter(m.kind for m in messages).keys() == {"post", "reply", "system"}
    assert any(m.deleted_at for m in messages) and any(m.edited_at for m in messages)
    assert any(m.reactions for m in messages) and any(m.title for m in messages)
    assert Counter(x.kind for m in messages for x in m.mentions).keys() == {"user", "channel"}
    assert {(a.kind, a.status) for a in archive.attachments()} == {
        ("file", "external"),
        ("image", "external"),
        ("image", "present"),
        ("module", "external"),
    }
    events = {m.source["eventDetail"]["@odata.type"] for m in messages if m.kind == "system"}
    assert "#microsoft.graph.callEndedEventMessageDetail" in events and len(events) >= 3
    replies = Counter(m.thread_id for m in messages if m.kind == "reply")
    assert max(replies.values()) > 2 * EXPANDED  # read from /replies pages, past the expansion


def test_threads_past_the_expansion_are_saved_as_reply_pages(tmp_path):
    write_synthetic_collection(
        tmp_path, 3000, users=120, channels=20, seed=7, shape="realistic", expanded_replies=EXPANDED
    )
    pages = Counter(p.parent for p in tmp_path.glob("teams/*/channels/*/replies/*/page-*.json"))
    assert pages and max(pages.values()) >= 2


def test_the_same_seed_writes_the_same_bytes(tmp_path):
    for name in ("a", "b"):
        write_synthetic_collection(tmp_path / name, 500, users=30, channels=6, seed=1, shape="realistic")
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert len(files) > 50
    assert files == sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*") if p.is_file())
    assert all((tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes() for f in files)
