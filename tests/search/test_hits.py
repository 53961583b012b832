"""`rsemigrate hits`: per-term hits, unique hits and threads, from a terms file."""

from __future__ import annotations

import csv
import io

import orjson

TERMS = """# review terms, one query a line
budget

audit OR incident
from:ann
introuvable
"""


def test_csv_report(sample, cli, tmp_path) -> None:
    terms = tmp_path / "terms.txt"
    terms.write_text(TERMS, encoding="utf-8")
    rows = list(csv.reader(io.StringIO(cli.ok("hits", sample, "--terms", terms).stdout)))
    # budget: m1 m2 m3 m8 m10; audit OR incident: m4 m5 m6; from:ann: m1 m4 m7.
    assert rows == [
        ["line", "term", "hits", "unique_hits", "threads"],
        ["2", "budget", "5", "4", "3"],
        ["4", "audit OR incident", "3", "2", "3"],
        ["5", "from:ann", "3", "1", "3"],
        ["6", "introuvable", "0", "0", "0"],
    ]


def test_json_report_to_a_file(sample, cli, tmp_path) -> None:
    terms = tmp_path / "terms.txt"
    terms.write_text(TERMS, encoding="utf-8")
    out = tmp_path / "report.json"
    cli.ok("hits", sample, "--terms", terms, "--format", "json", "-o", out)
    report = orjson.loads(out.read_bytes())
    assert report["archive"] == str(sample) and len(report["seal"]) == 64
    budget, audit, ann, nothing = report["terms"]
    assert (budget["term"], budget["hits"], budget["unique_hits"], budget["thread_ids"]) == (
        "budget", 5, 4, ["m0", "m1", "m8"])
    assert audit["thread_ids"] == ["m4", "m5", "m6"] and ann["thread_ids"] == ["m1", "m4", "m7"]
    assert (nothing["hits"], nothing["thread_ids"]) == (0, [])
    assert report["any_term"] == {"hits": 9, "threads": 7}


def test_a_bad_term_names_its_line(sample, cli, tmp_path) -> None:
    terms = tmp_path / "terms.txt"
    terms.write_text("budget\n\n(audit OR\n", encoding="utf-8")
    result = cli.run("hits", sample, "--terms", terms)
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        f"Error: {terms} line 3: invalid query: OR needs a search term on both sides",
        "  (audit OR",
        "         ^",
    ]


def test_an_empty_terms_file(sample, cli, tmp_path) -> None:
    terms = tmp_path / "terms.txt"
    terms.write_text("# nothing yet\n\n", encoding="utf-8")
    result = cli.run("hits", sample, "--terms", terms)
    assert (result.exit_code, "no search terms" in result.output) == (2, True)
