"""`rsemigrate thread`: the whole conversation around a message, as a tree, files re-verified."""

from __future__ import annotations

import orjson


def test_reply_to_reply_nests_and_any_message_opens_the_thread(sample, cli) -> None:
    expected = [
        "Thread m1 in #Finance (Finance): 3 message(s) in the archive",
        "2019-01-01T10:00:00Z  Ann Smith <ann@example.com>  id m1",
        "│   Le budget de la Sécurité est validé",
        "└── 2019-01-02T10:00:00Z  Bob Martin <Bob.Martin@Example.org>  id m2",
        "    │   Réunion budget annulée",
        "    └── 2019-01-03T10:00:00Z  Ève Dupré <eve@example.fr>  id m3  [edited 2019-01-04T10:00:00Z]  ◀",
        "            La mise à jour du budget est prévue",
    ]
    assert cli.ok("thread", sample, "m3").stdout.splitlines() == expected
    from_root = cli.ok("thread", sample, "m1").stdout.splitlines()
    assert from_root[1].endswith("id m1  ◀") and from_root[5].endswith("[edited 2019-01-04T10:00:00Z]")


def test_thread_as_nested_json(sample, cli) -> None:
    document = orjson.loads(cli.ok("thread", sample, "m2", "--format", "json").stdout)
    assert (document["thread_id"], document["channel"], document["group"], document["messages"]) == (
        "m1", "Finance", "Finance", 3)
    root = document["root"]
    assert root["message_id"] == "m1"
    [m2] = root["replies"]
    [m3] = m2["replies"]
    assert (m2["message_id"], m3["message_id"], m3["edited_at"], m3["replies"]) == (
        "m2", "m3", "2019-01-04T10:00:00Z", [])


def test_orphan_reply_hangs_under_a_placeholder(sample, cli) -> None:
    lines = cli.ok("thread", sample, "m10").stdout.splitlines()
    assert lines[1:3] == [
        "[root not in archive: thread m0]",
        "└── 2019-03-04T10:00:00Z  Bob Martin <Bob.Martin@Example.org>  id m10  ◀",
    ]
    root = orjson.loads(cli.ok("thread", sample, "m0", "--format", "json").stdout)["root"]
    assert (root["placeholder"], root["message_id"]) == ("root not in archive", "m0")
    assert [reply["message_id"] for reply in root["replies"]] == ["m10"]


def test_deleted_message_is_marked_and_kept(sample, cli) -> None:
    lines = cli.ok("thread", sample, "m8").stdout.splitlines()
    assert lines[1].endswith("id m8  [DELETED 2019-03-05T10:00:00Z]  ◀")
    assert lines[2] == "    conforme ou pas ? budget"


def test_attachments_are_reverified(sample, cli) -> None:
    lines = cli.ok("thread", sample, "m4").stdout.splitlines()
    assert lines[3].startswith("    attachment incident.pdf: verified (sha256 ")
    assert lines[4] == ("    attachment https://example.com/plan: external (kept as a link, "
                        "not stored in the archive)")
    assert "attachment lost.xlsx: missing (not captured at export" in cli.ok("thread", sample, "m9").stdout


def test_a_changed_or_removed_stored_file_shows(build, cli) -> None:
    import hashlib

    archive = build.archive()
    stored = archive / "data" / "files" / hashlib.sha256(build.report).hexdigest()[:2] / hashlib.sha256(
        build.report).hexdigest()
    stored.write_bytes(b"tampered")
    [pdf, _] = orjson.loads(cli.ok("thread", archive, "m4", "--format", "json").stdout)["root"]["attachments"]
    assert pdf["status"] == "changed"
    assert hashlib.sha256(b"tampered").hexdigest() in pdf["detail"]
    stored.unlink()
    [pdf, _] = orjson.loads(cli.ok("thread", archive, "m4", "--format", "json").stdout)["root"]["attachments"]
    assert (pdf["status"], pdf["detail"].endswith("is gone")) == ("missing", True)


def test_lost_parents_and_reply_loops(build, cli) -> None:
    def records(files):
        yield from build.sample_records(files)
        m = build.message
        yield m("r1", "c-fin", "u-ann", "root", "2020-01-01")
        yield m("r3", "c-fin", "u-bob", "answers a lost reply", "2020-01-03", thread="r1", reply_to="r2")
        yield m("x1", "c-fin", "u-bob", "loop one", "2020-02-01", thread="x0", reply_to="x2")
        yield m("x2", "c-fin", "u-eve", "loop two", "2020-02-02", thread="x0", reply_to="x1")

    archive = build.archive(records)
    lines = cli.ok("thread", archive, "r3").stdout.splitlines()
    assert lines[3] == ("└── 2020-01-03T10:00:00Z  Bob Martin <Bob.Martin@Example.org>  id r3  "
                        "[answers r2, which is not in the archive]  ◀")
    loop = orjson.loads(cli.ok("thread", archive, "x1", "--format", "json").stdout)["root"]
    assert loop["placeholder"] == "root not in archive"
    assert [loop["replies"][0]["message_id"], loop["replies"][0]["replies"][0]["message_id"]] == ["x1", "x2"]


def test_unknown_message(sample, cli) -> None:
    result = cli.run("thread", sample, "nope")
    assert (result.exit_code, result.output) == (2, "Error: message 'nope' is not in the archive\n")
