"""RSMF productions, read back with the stdlib e-mail parser and zipfile and checked against
Relativity's own schema, then compared message by message with the archive's selection."""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

import bagit
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rsemigrate.archive import Archive, verify
from rsemigrate.errors import ArchiveError
from rsemigrate.produce import LOADFILE_COLUMNS, Limits, Options, check_rsmf, produce, production
from rsemigrate.search import Selection
from tests.produce.conftest import (
    PDF,
    PNG,
    chosen,
    load_rows,
    production_files,
    schema_errors,
)


def make(tmp_path: Path, archive_path: Path, selection: Selection | None = None, name: str = "prod",
         **options) -> Path:
    selection = selection or Selection()
    archive, found = chosen(archive_path, selection)
    return produce(archive, tmp_path / name, selection, found, Options(**options)).path


def context_ids(event: dict) -> bool:
    return any(c["name"] == "context" for c in event.get("custom", ()))


def custom(event: dict, name: str) -> list[str]:
    return [c["value"] for c in event.get("custom", ()) if c["name"] == name]


def test_every_file_validates_against_relativitys_schema_with_zero_warnings(rich_archive, tmp_path):
    production = make(tmp_path, rich_archive, custodian="ann@example.com")
    files = production_files(production)
    assert files
    for read in files:
        assert schema_errors(read.manifest) == [], read.path
        assert check_rsmf(read.path.read_bytes()) == [], read.path
        assert read.attachments == ["rsmf.zip"]
        assert all(e["timestamp"].endswith("Z") for e in read.manifest["events"])


def test_round_trip_matches_the_archive_message_by_message(rich_archive, tmp_path):
    production = make(tmp_path, rich_archive)
    archive = Archive(rich_archive)
    messages = {m.id: m for m in archive.messages()}
    stored = {a.id: a for a in archive.attachments()}
    seen: Counter[str] = Counter()
    for read in production_files(production):
        for event in read.manifest["events"]:
            if context_ids(event):
                continue
            seen[event["id"]] += 1
            original = messages[event["id"]]
            assert event["body"] == original.text
            assert event["participant"] == original.author_id
            assert event["timestamp"] == original.created_at.utc
            assert custom(event, "reply_to_id") == ([original.reply_to_id] if original.reply_to_id else [])
            if original.reply_to_id and original.thread_id in messages:
                assert event["parent"] == original.thread_id  # the root, even for a reply to a reply
            else:
                assert "parent" not in event
            for item in event.get("attachments", ()):
                assert hashlib.sha256(read.zip_files[item["id"]]).hexdigest() in \
                    {stored[a].sha256 for a in original.attachment_ids}
            assert len(event.get("attachments", ())) == sum(
                stored[a].status == "present" for a in original.attachment_ids)
    assert seen == Counter(list(messages))  # every message exactly once


def test_everything_without_an_rsmf_field_is_kept_in_custom(rich_archive, tmp_path):
    production = make(tmp_path, rich_archive)
    events = {e["id"]: e for read in production_files(production) for e in read.manifest["events"]
              if not context_ids(e)}
    kickoff = events["m1"]
    assert custom(kickoff, "title") == ["Kickoff"]
    assert custom(kickoff, "kind") == ["post"]
    assert custom(kickoff, "source_id") == ["m1"]
    assert custom(kickoff, "mention") == ["user u-zoe Zoë Ñúñez"]
    assert custom(kickoff, "source.pinned") == ["true"]
    assert custom(kickoff, "attachment_missing") == ["f3 lost.xlsx"]
    assert custom(kickoff, "attachment_external") == ["l1 https://example.com/plan"]
    assert custom(kickoff, "reaction") == ["a-very-long-custom-reaction-name-over-thirty"]
    assert {r["value"]: (r["count"], r["participants"]) for r in kickoff["reactions"]} == {
        "thumbsup": (2, ["u-zoe", "u-ann"]),
        "a-very-long-custom-reaction-na": (1, ["u-zoe"])}
    names = {a["display"] for a in kickoff["attachments"]}
    assert names == {"../audit report.pdf", "chart.png"}
    zipped = {name for read in production_files(production) for name in read.zip_files}
    assert all("/" not in name and ".." not in name.split("_")[0] for name in zipped)
    assert events["m2"]["edits"] == [{"participant": "u-zoe", "timestamp": "2019-01-01T12:00:00Z"}]
    assert events["m5"]["deleted"] is True and custom(events["m5"], "deleted_by_id") == ["u-ann"]
    assert events["m4"]["type"] == "join"
    assert custom(events["m9"], "thread_root_not_in_file") == ["m0"]


def test_attachment_bytes_in_the_zip_are_the_archived_files(rich_archive, tmp_path):
    production = make(tmp_path, rich_archive, limits=Limits("none"))  # no root repeated as context
    contents = [data for read in production_files(production) for data in read.zip_files.values()]
    assert sorted(contents) == sorted([PDF, PNG, PNG])  # PNG is in the feed and in the DM


def test_a_day_slice_carries_the_thread_root_as_context(rich_archive, tmp_path):
    production = make(tmp_path, rich_archive)
    day2 = [r for r in production_files(production)
            if r.manifest["conversations"][0]["id"] == "c-fin" and r.headers["X-RSMF-EndDate"].startswith(
                "2019-01-02")]
    (read,) = day2
    context = [e for e in read.manifest["events"] if context_ids(e)]
    assert [e["id"] for e in context] == ["m1"]
    reply = next(e for e in read.manifest["events"] if e["id"] == "m3")
    assert reply["parent"] == "m1" and custom(reply, "reply_to_id") == ["m2"]


@pytest.mark.parametrize(("period", "expected"), [("day", 4), ("week", 3), ("month", 2), ("none", 1)])
def test_slices_share_one_event_collection_id_per_conversation(rich_archive, tmp_path, period, expected):
    production = make(tmp_path, rich_archive, limits=Limits(period))
    files = [r for r in production_files(production) if r.manifest["conversations"][0]["id"] == "c-fin"]
    assert len(files) == expected
    ids = {r.headers["X-RSMF-EventCollectionID"] for r in files}
    assert len(ids) == 1 and ids == {r.manifest["eventcollectionid"] for r in files}
    others = {r.headers["X-RSMF-EventCollectionID"] for r in production_files(production)} - ids
    assert len(others) == 1  # the DM has its own


def test_a_busy_period_is_split_below_the_event_limit(rich_archive, tmp_path):
    production = make(tmp_path, rich_archive, limits=Limits("none", max_events=3))
    files = production_files(production)
    assert all(len(r.manifest["events"]) <= 3 for r in files)
    selected = [e["id"] for r in files for e in r.manifest["events"] if not context_ids(e)]
    assert sorted(selected) == sorted(m.id for m in Archive(rich_archive).messages())
    assert any("part 2" in row["slice"] for row in load_rows(production))


def test_headers_match_the_manifest_and_are_seven_bit(rich_archive, tmp_path):
    production = make(tmp_path, rich_archive, custodian="Zoë Ñúñez")
    for read in production_files(production):
        raw = read.path.read_bytes()
        assert raw.isascii()
        assert b"=?utf-8?" in raw  # names in RFC 2047 encoded words
        manifest, headers = read.manifest, read.headers
        stamps = sorted(e["timestamp"] for e in manifest["events"])
        assert headers["X-RSMF-Version"] == manifest["version"] == "2.0.0"
        assert headers["X-RSMF-BeginDate"] == stamps[0] and headers["X-RSMF-EndDate"] == stamps[-1]
        assert int(headers["X-RSMF-EventCount"]) == len(manifest["events"])
        assert int(headers["X-RSMF-AttachmentCount"]) == sum(
            len(e.get("attachments", ())) for e in manifest["events"])
        assert int(headers["X-RSMF-ParticipantCount"]) == len(manifest["participants"])
        assert headers["X-RSMF-Custodian"] == "Zoë Ñúñez"
        assert headers["X-RSMF-Application"] == "test"
        conversation = manifest["conversations"][0]
        assert conversation.get("custodian") == ("u-zoe" if "u-zoe" in conversation["participants"] else None)
        assert headers["X-RSMF-Generator"].startswith("rsemigrate ")
        names = {p.get("display") for p in manifest["participants"]}
        assert set(headers["X-RSMF-Participants"].split(", ")) == names
        for event in manifest["events"]:
            assert event["body"] in read.text  # the transcript Relativity indexes


def test_producing_twice_gives_identical_files(rich_archive, tmp_path):
    first = make(tmp_path, rich_archive, name="one")
    second = make(tmp_path, rich_archive, name="two")
    assert [r.path.read_bytes() for r in production_files(first)] == \
        [r.path.read_bytes() for r in production_files(second)]


def test_a_zip_too_big_for_memory_is_built_in_a_scratch_file_with_the_same_bytes(rich_archive, tmp_path,
                                                                                  monkeypatch):
    in_memory = make(tmp_path, rich_archive, name="memory")
    scratch = []

    def spy(**kwargs):
        scratch.append(production.tempfile.mkstemp(**kwargs)[1])
        return open(scratch[-1], "w+b")

    monkeypatch.setattr(production, "_IN_MEMORY", 100)
    monkeypatch.setattr(production.tempfile, "TemporaryFile", spy)
    on_disk = make(tmp_path, rich_archive, name="disk")
    assert len(scratch) == len(production_files(on_disk)) > 1
    assert all(Path(p).parent.name.startswith(".disk.partial-") for p in scratch)
    assert [r.path.read_bytes() for r in production_files(on_disk)] == \
        [r.path.read_bytes() for r in production_files(in_memory)]


def test_load_file_rows_describe_each_file(rich_archive, tmp_path):
    production = make(tmp_path, rich_archive, prefix="ACME")
    rows = load_rows(production)
    assert tuple(rows[0]) == LOADFILE_COLUMNS
    assert [r["control_number"] for r in rows] == [f"ACME{n:06d}" for n in range(1, len(rows) + 1)]
    for row, read in zip(rows, production_files(production), strict=True):
        data = (production / row["path"]).read_bytes()
        assert row["path"] == f"data/rsmf/{row['control_number']}.rsmf"
        assert row["md5"] == hashlib.md5(data).hexdigest()
        assert row["sha256"] == hashlib.sha256(data).hexdigest()
        assert int(row["event_count"]) == len(read.manifest["events"])
        assert row["begin_date"] == read.headers["X-RSMF-BeginDate"]
        assert int(row["participant_count"]) == len(read.manifest["participants"])


def test_the_production_is_a_sealed_bag_naming_its_source(rich_archive, tmp_path):
    selection = Selection(query="audit", channels=("Finance",), since=date(2019, 1, 1), whole_threads=True)
    production = make(tmp_path, rich_archive, selection)
    assert verify(production) == []
    assert bagit.Bag(str(production)).is_valid()
    provenance = orjson.loads((production / "production.json").read_bytes())
    assert provenance["source"]["seal"] == Archive(rich_archive).seal()
    assert provenance["selection"]["query"] == "audit"
    assert provenance["selection"]["search_query"] == '(audit) in:"Finance" after:2019-01-01'
    assert provenance["selection"]["threads"] == "whole"
    assert provenance["tool"]["version"]
    assert provenance["counts"]["messages"] == 3  # m1, m2 (hits) and m3 (same thread)
    (production / "data" / "loadfile.csv").write_text("tampered")
    assert [f.kind for f in verify(production)] == ["changed", "oxum"]


def test_selection_whole_threads_brings_context_that_hits_alone_do_not(rich_archive, tmp_path):
    def ids(selection: Selection) -> set[str]:
        production = make(tmp_path, rich_archive, selection, name=str(len(list(tmp_path.iterdir()))))
        return {e["id"] for r in production_files(production) for e in r.manifest["events"]
                if not context_ids(e)}

    assert ids(Selection(query="needs")) == {"m2"}
    assert ids(Selection(query="needs", whole_threads=True)) == {"m1", "m2", "m3"}
    assert ids(Selection(people=("zoe@example.es",), channels=("c-dm",))) == {"m8", "m9"}
    assert ids(Selection(since=date(2019, 1, 9), until=date(2019, 1, 31))) == {"m5"}


def test_a_missing_stored_file_fails_without_leaving_a_production(rich_archive, tmp_path):
    copy = tmp_path / "archive"
    import shutil

    shutil.copytree(rich_archive, copy)
    archive = Archive(copy)
    victim = next(a for a in archive.attachments() if a.status == "present")
    archive.file_path(victim.sha256).unlink()
    with pytest.raises(ArchiveError, match="is missing"):
        produce(archive, tmp_path / "prod", Selection(), chosen(copy, Selection())[1])
    assert not (tmp_path / "prod").exists()
    assert not list(tmp_path.glob(".prod.partial-*"))


def reference(headers, body: str, zipped: bytes) -> bytes:
    """The same message laid out by the stdlib's own MIME classes and generator."""
    from email import charset, encoders
    from email.header import Header
    from email.mime.application import MIMEApplication
    from email.mime.multipart import MIMEMultipart
    from email.mime.text import MIMEText
    from email.policy import compat32

    from rsemigrate.produce.eml import fields

    message = MIMEMultipart("mixed", boundary=f"rsmf-{hashlib.sha256(zipped).hexdigest()[:32]}")
    for name, value in fields(headers).items():
        if value is not None:
            message[name] = value if value.isascii() else Header(value, "utf-8", header_name=name)
    utf8 = charset.Charset("utf-8")
    utf8.body_encoding = charset.QP
    attachment = MIMEApplication(zipped, "octet-stream", encoders.encode_base64, name="rsmf.zip")
    attachment.add_header("Content-Disposition", "attachment", filename="rsmf.zip")
    for part in (MIMEText(body, "plain", utf8), attachment):
        del part["MIME-Version"]
        message.attach(part)
    return message.as_bytes(policy=compat32.clone(linesep="\r\n", max_line_length=78))


@pytest.mark.parametrize("people", [
    (("Zoë Ñúñez", "zoe@example.es"), ("No Mail", None)),
    tuple((f"Person Number {n} Of A Long List", f"p{n}@example.com") for n in range(40)),
    tuple((f"Ŝtrange «name» {n}\r\nX-Injected: 1", None) for n in range(12)),
])
def test_the_written_message_is_byte_for_byte_the_stdlib_rendering(people):
    """Long, non-ASCII and hostile headers, a zip over several base64 blocks: what is written is
    exactly what the `email` package's generator writes, and parses back to the same values."""
    import io
    import os
    from email import message_from_bytes
    from email.policy import default

    from rsemigrate.produce.eml import Headers, message_chunks

    zipped = os.urandom(2_500_000)
    headers = Headers("2.0.0", "rsemigrate test", "2019-01-01T10:00:00Z", "2019-01-01T11:00:00Z", 2, 0,
                      people, "test", "c0ffee", "Zoë Ñúñez" if len(people) < 3 else None,
                      "Finance «2019-01-01»", "day 2019-01-01 UTC")
    body = "Zoë\n\nbody text with a very long line " + "x" * 200 + "\r\nand =equals= signs\n"
    written = b"".join(message_chunks(headers, body, io.BytesIO(zipped)))
    assert written == reference(headers, body, zipped)
    assert written.isascii() and all(len(line) <= 998 for line in written.split(b"\r\n"))
    assert b"\n" not in written.replace(b"\r\n", b"")
    parsed = message_from_bytes(written, policy=default)
    assert parsed["X-Injected"] is None
    assert parsed["X-RSMF-Participants"] == ", ".join(" ".join(n.split()) for n, _ in people)
    (attachment,) = [p for p in parsed.walk() if p.get_content_disposition() == "attachment"]
    assert attachment.get_payload(decode=True) == zipped


def test_a_slice_is_split_below_the_size_budget_and_the_defaults_stay_under_2_gb(rich_archive, tmp_path):
    from rsemigrate.produce.slicing import MAX_BYTES

    assert Limits().max_events == 10_000
    # base64 adds a third; 10% is left for the manifest's JSON around 10,000 events' text
    assert MAX_BYTES * 4 / 3 < 0.9 * 2 * 1024**3
    budget = len(PDF) + 10
    production = make(tmp_path, rich_archive, limits=Limits("none", max_bytes=budget))
    files = production_files(production)
    assert len(files) > 2
    for read in files:
        if len([e for e in read.manifest["events"] if not context_ids(e)]) > 1:  # one message may exceed
            assert sum(len(data) for data in read.zip_files.values()) <= budget
    selected = [e["id"] for r in files for e in r.manifest["events"] if not context_ids(e)]
    assert sorted(selected) == sorted(m.id for m in Archive(rich_archive).messages())


@settings(max_examples=2000, deadline=None)
@given(name=st.sampled_from(["To", "X-RSMF-Participants", "Subject"]),
       value=st.lists(st.sampled_from(["Ann", "Lee", "<ann.lee@example.com>", ",", ";", " ", "   ", ", ",
                                       "; ", "ab,", "cd;", "x" * 40, "y" * 90]), max_size=40).map("".join))
def test_ascii_folding_is_the_stdlib_header_folding(name, value):
    """The fast folding of long ASCII headers writes what `email.header.Header` writes."""
    from email.header import Header

    from rsemigrate.produce.eml import CRLF, LINE, fold_ascii

    assert fold_ascii(name, value) == Header(value, header_name=name).encode(linesep=CRLF, maxlinelen=LINE)


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.sampled_from(["a", " ", "  ", "\t", "=", ".", "\r", "\n", "\r\n", "ë", "€", "😀", "x" * 30,
                                 "y" * 74, "z" * 76, "\x0b", "\x85", "\x00", "=2E", ".\x00"]),
                max_size=30).map("".join))
def test_quoted_printable_is_the_stdlib_body_encoding(text):
    """The body's quoted-printable is byte for byte the `email` package's (UTF-8, QP), CRLF lines."""
    import re
    from email import charset

    from rsemigrate.produce.eml import CRLF, quoted_printable

    utf8 = charset.Charset("utf-8")
    utf8.body_encoding = charset.QP
    expected = re.sub(r"\r\n|\r|\n", CRLF, utf8.body_encode(text.encode())) if text else ""
    assert quoted_printable(text) == expected


@settings(max_examples=500, deadline=None)
@given(st.datetimes(min_value=datetime(1000, 1, 1), max_value=datetime(9999, 12, 31), timezones=st.just(UTC)))
def test_the_date_header_is_the_stdlib_formatting(stamp):
    from email.utils import format_datetime

    from rsemigrate.archive import format_utc
    from rsemigrate.produce.eml import rfc5322_date

    utc = format_utc(stamp)
    assert rfc5322_date(utc) == format_datetime(datetime.fromisoformat(utc))
