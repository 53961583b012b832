"""`rsemigrate report` end to end: the three formats agree, bad input fails cleanly, names can hide."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import orjson

from rsemigrate.report import build_report, render
from rsemigrate.report.build import ReportRequest
from rsemigrate.report.columns import GROUPS
from rsemigrate.testing import archive_from_records, run_cli

from .conftest import network

KEY = "a-test-key-of-32-characters-long"
NAMES = ("Ann Smith", "Bob Martin", "Carl Guest", "Dan Out", "ann@contoso.com", "bob@contoso.com")


def report_args(archive: Path, out: Path, *extra: object) -> list[object]:
    return ["report", archive, "-o", out, "--as-of", "2024-06-30", *extra]


def test_json_and_csv_carry_the_same_figures(triage_archive, rules_file, people_file, tmp_path):
    for name in ("t.json", "t.csv"):
        result = run_cli(*report_args(triage_archive, tmp_path / name, "--rules", rules_file,
                                      "--people", people_file))
        assert result.exit_code == 0, result.output
        assert "6 communities (2 dead-born, 1 essential, 1 active, 1 dormant, 1 test)" in result.output
    data = orjson.loads((tmp_path / "t.json").read_bytes())
    rows = list(csv.DictReader(io.StringIO((tmp_path / "t.csv").read_text(encoding="utf-8"))))
    columns = [c for group in GROUPS.values() for c in group]
    assert [r["id"] for r in rows] == [c["id"] for c in data["communities"]]
    for row, community in zip(rows, data["communities"], strict=True):
        assert (row["triage"], row["rule"]) == (community["triage"], community["rule"])
        for column in columns:
            expected = community[column.key]
            got = row[column.key]
            if expected is None:
                assert got == ""
            elif isinstance(expected, list):
                assert (got.split(";") if got else []) == expected
            elif isinstance(expected, bool):
                assert got == str(expected)
            else:
                assert type(expected)(got) == expected, (community["id"], column.key)


def test_the_format_follows_the_option_over_the_extension(triage_archive, tmp_path):
    result = run_cli(*report_args(triage_archive, tmp_path / "t.txt", "--format", "json"))
    assert result.exit_code == 0, result.output
    assert orjson.loads((tmp_path / "t.txt").read_bytes())["network"]["messages"] == 20
    assert run_cli(*report_args(triage_archive, tmp_path / "t.html")).exit_code == 0
    assert (tmp_path / "t.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_a_rules_file_with_an_unknown_or_wrong_key_names_it(triage_archive, tmp_path):
    rules = tmp_path / "bad.toml"
    rules.write_text("[essential]\nmin_autors = 3\n", encoding="utf-8")
    result = run_cli(*report_args(triage_archive, tmp_path / "t.json", "--rules", rules))
    assert result.exit_code == 2
    assert f"{rules}: essential.min_autors: Unexpected keyword argument" in result.output
    rules.write_text("[dormant]\nquiet_days = \"a year\"\n", encoding="utf-8")
    result = run_cli(*report_args(triage_archive, tmp_path / "t.json", "--rules", rules))
    assert result.exit_code == 2 and "dormant.quiet_days" in result.output
    assert not (tmp_path / "t.json").exists()


def test_a_people_file_without_a_role_names_its_line(triage_archive, tmp_path):
    people = tmp_path / "people.csv"
    people.write_text("email,role\nann@contoso.com,executive\nbob@contoso.com,\n", encoding="utf-8")
    result = run_cli(*report_args(triage_archive, tmp_path / "t.json", "--people", people))
    assert result.exit_code == 2
    assert f"{people}, line 3: needs an email and a role" in result.output


def test_a_corrupt_message_line_is_named_and_no_report_is_written(triage_archive, tmp_path):
    archive = tmp_path / "archive"
    shutil.copytree(triage_archive, archive)
    messages = archive / "data" / "messages" / "00001.jsonl"
    lines = messages.read_bytes().splitlines(keepends=True)
    lines[2] = b'{"id": "m3", "broken' + b" " * (len(lines[2]) - 21) + b"\n"  # same length: spans still hold
    messages.write_bytes(b"".join(lines))
    result = run_cli(*report_args(archive, tmp_path / "t.html"))
    assert result.exit_code == 2
    assert "data/messages/00001.jsonl line 3: not a JSON message" in result.output
    assert list(tmp_path.glob("t.html*")) == [] and list(tmp_path.glob(".t.html*")) == []


def test_pseudonymise_hides_every_name_and_email_with_stable_keyed_pseudonyms(
        triage_archive, people_file, tmp_path):
    result = run_cli(*report_args(triage_archive, tmp_path / "t.html", "--pseudonymise"))
    assert result.exit_code == 2 and "RSEMIGRATE_PSEUDONYM_KEY" in result.output
    outputs = {}
    for run, key in (("a", KEY), ("b", KEY), ("c", KEY[::-1])):
        for ext in ("html", "json", "csv"):
            out = tmp_path / f"{run}.{ext}"
            result = run_cli(*report_args(triage_archive, out, "--pseudonymise", "--people", people_file),
                             env={"RSEMIGRATE_PSEUDONYM_KEY": key})
            assert result.exit_code == 0, result.output
            text = out.read_text(encoding="utf-8")
            assert not [n for n in NAMES if n.lower() in text.lower()], ext
            assert KEY not in text and KEY[::-1] not in text
            outputs[run, ext] = text
    people = orjson.loads(outputs["a", "json"])["network"]["people"]
    alias = people[0]["name"]
    assert alias.startswith("P-") and people[0]["email"] == f"{alias.lower()}@pseudonym.invalid"
    assert outputs["a", "json"].count(alias) >= 1 and alias in outputs["a", "html"]
    help_b = orjson.loads(outputs["b", "json"])["communities"][0]["top_author"]
    help_a = orjson.loads(outputs["a", "json"])["communities"][0]["top_author"]
    help_c = orjson.loads(outputs["c", "json"])["communities"][0]["top_author"]
    assert help_a == help_b != help_c and help_a.startswith("P-")


def test_a_key_file_is_read_and_a_short_key_refused(triage_archive, tmp_path):
    key_file = tmp_path / "key"
    key_file.write_text("short\n", encoding="utf-8")
    out = tmp_path / "t.json"
    result = run_cli(*report_args(triage_archive, out, "--pseudonymise", "--key-file", key_file))
    assert result.exit_code == 2 and "at least 16 bytes" in result.output
    key_file.write_text(KEY + "\n", encoding="utf-8")
    assert run_cli(*report_args(triage_archive, out, "--pseudonymise", "--key-file", key_file)).exit_code == 0
    assert "Bob Martin" not in out.read_text(encoding="utf-8")


def test_hostile_names_are_escaped_never_run(tmp_path):
    from rsemigrate.archive import Group

    hostile = '<script>alert(1)</script><img src=x onerror="fetch(`http://192.0.2.1`)">'
    records = [r for r in network() if not (isinstance(r, Group) and r.id == "g-test")]
    records.append(Group("g-test", hostile))
    archive = archive_from_records(tmp_path, records).path
    page = render(build_report(ReportRequest(archive)), "html").decode()
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
