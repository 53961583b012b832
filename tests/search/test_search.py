"""`rsemigrate search`: every feature of the query language, against a corpus with known answers."""

from __future__ import annotations

import csv
import io

import orjson
import pytest

from rsemigrate.search.render import FIELDS


@pytest.mark.parametrize(("query", "expected"), [
    ("budget", ["m10", "m8", "m3", "m2", "m1"]),                   # a word; newest first
    ("budget réunion", ["m2"]),                                    # words are ANDed
    ('"mise à jour"', ["m3"]),                                     # phrase
    ('"jour mise"', []),                                           # ... in that order only
    ("réunion OR sécurité", ["m2", "m1"]),                         # OR
    ("budget -annulée", ["m10", "m8", "m3", "m1"]),                # -word
    ("budget NOT annulée", ["m10", "m8", "m3", "m1"]),             # NOT
    ("confor*", ["m8", "m7"]),                                     # prefix
    ('"mise à j"*', ["m3"]),                                       # phrase ending in a prefix
    ("NEAR(audit incident, 3)", ["m5", "m4"]),                     # NEAR: m6 has them 17 apart
    ("NEAR(audit incident, 20)", ["m6", "m5", "m4"]),
    ("audit incident", ["m6", "m5", "m4"]),
    ("(réunion OR validé) budget", ["m2", "m1"]),                  # parentheses
    ("budget (validé OR prévue) -sécurité", ["m3"]),
    ("incident.pdf", ["m4"]),                                      # attachment names are searchable
    ("plan", ["m9", "m4"]),                                        # ... and link URLs without a name
])
def test_query_features(sample, cli, query: str, expected: list[str]) -> None:
    assert cli.ids(sample, query) == expected


@pytest.mark.parametrize(("query", "expected"), [
    ("securite", ["m1"]), ("SÉCURITÉ", ["m1"]), ("reunion annulee", ["m2"]), ("comite", ["m9"]),
    ('"mise a jour"', ["m3"]), ("prevu*", ["m3"]),
])
def test_case_and_accents_are_ignored(sample, cli, query: str, expected: list[str]) -> None:
    assert cli.ids(sample, query) == expected


@pytest.mark.parametrize(("query", "expected"), [
    ("from:ann@example.com", ["m7", "m4", "m1"]),          # e-mail
    ("from:ANN", ["m7", "m4", "m1"]),                      # part before @ / one word of the name
    ('from:"ann smith"', ["m7", "m4", "m1"]),              # full name, case-insensitive
    ("from:bob.martin@example.org", ["m10", "m8", "m5", "m2"]),
    ("from:eve", ["m9", "m6", "m3"]),                      # accents ignored: Ève
    ("from:u-eve", ["m9", "m6", "m3"]),                    # user id
    ("from:nobody", []),
    ("in:finance", ["m10", "m3", "m2", "m1"]),             # group or channel name
    ('in:"comite de direction"', ["m9", "m6", "m5", "m4"]),
    ("in:#general", ["m9", "m6", "m5", "m4"]),
    ("in:c-dm", ["m8", "m7"]),                             # channel id
    ("after:2019-03-02", ["m10", "m9", "m8"]),             # on or after that day (UTC)
    ("before:2019-01-03", ["m2", "m1"]),                   # strictly before that day
    ("after:2019-02-02T10:00:00Z before:2019-02-03T10:00:00Z", ["m5"]),
    ("after:2019-02-02T11:00:00+01:00 before:2019-02-02T10:00:01Z", ["m5"]),
    ("has:attachment", ["m9", "m4"]),
    ("is:deleted", ["m8"]),
    ("is:private", ["m8", "m7"]),
    ("is:reply", ["m10", "m3", "m2"]),
    ("is:edited", ["m9", "m3"]),
    ("-is:reply -is:private", ["m9", "m6", "m5", "m4", "m1"]),
    ("from:ann is:private", ["m7"]),                       # filter-only queries combine
    ("budget from:bob -is:deleted", ["m10", "m2"]),        # text and filters
    ("budget OR from:ann", ["m10", "m8", "m7", "m4", "m3", "m2", "m1"]),
    ("-budget", ["m9", "m7", "m6", "m5", "m4"]),           # negation alone
])
def test_filters(sample, cli, query: str, expected: list[str]) -> None:
    assert cli.ids(sample, query) == expected


def test_a_query_may_start_with_a_minus(sample, cli) -> None:
    assert cli.ids(sample, "-budget", "--limit", "2") == ["m9", "m7"]
    assert cli.ok("search", sample, "--count", "--", "-budget").stdout == "5\n"


def test_sort_orders(sample, cli) -> None:
    assert cli.ids(sample, "budget", "--sort", "oldest") == ["m1", "m2", "m3", "m8", "m10"]
    ranked = cli.ids(sample, "budget OR réunion", "--sort", "relevance")
    assert ranked[0] == "m2" and sorted(ranked) == sorted(["m1", "m2", "m3", "m8", "m10"])
    assert cli.ids(sample, "is:reply", "--sort", "relevance") == ["m10", "m3", "m2"]  # no text: newest


def test_limit_offset_and_count(sample, cli) -> None:
    assert cli.ids(sample, "budget", "--limit", "2") == ["m10", "m8"]
    assert cli.ids(sample, "budget", "--limit", "2", "--offset", "2") == ["m3", "m2"]
    assert cli.ids(sample, "budget", "--offset", "9") == []
    assert cli.ok("search", sample, "budget", "--count").stdout == "5\n"
    assert cli.ok("search", sample, "is:private OR is:deleted", "--count").stdout == "2\n"


def test_json_hits(sample, cli) -> None:
    [hit] = cli.hits(sample, "incident.pdf")
    assert list(hit) == list(FIELDS)
    assert hit == {
        "message_id": "m4", "thread_id": "m4", "reply_to_id": None, "channel": "général",
        "group": "Comité de direction", "author_name": "Ann Smith", "author_email": "ann@example.com",
        "created_at": "2019-02-01T10:00:00Z", "snippet": "[incident.pdf] https://example.com/plan",
        "deleted": False, "private": False, "attachments": ["incident.pdf", "https://example.com/plan"],
    }
    [reply] = cli.hits(sample, "annulée")
    assert (reply["thread_id"], reply["reply_to_id"]) == ("m1", "m1")
    assert reply["snippet"] == "Réunion budget [annulée]"
    [deleted] = cli.hits(sample, "conforme")
    assert (deleted["deleted"], deleted["private"], deleted["group"]) == (True, True, None)


def test_filter_only_hits_show_the_start_of_the_text(sample, cli) -> None:
    [hit] = cli.hits(sample, "is:deleted")
    assert hit["snippet"] == "conforme ou pas ? budget"


def test_csv_hits(sample, cli) -> None:
    rows = list(csv.reader(io.StringIO(cli.ok("search", sample, "audit", "--format", "csv").stdout)))
    assert rows[0] == list(FIELDS)
    assert [row[0] for row in rows[1:]] == ["m6", "m5", "m4"]
    m4 = dict(zip(rows[0], rows[3], strict=True))
    assert (m4["deleted"], m4["reply_to_id"]) == ("false", "")
    assert m4["attachments"] == "incident.pdf; https://example.com/plan"


def test_table_marks_matches_and_flags(sample, cli) -> None:
    result = cli.ok("search", sample, "conforme")
    lines = result.stdout.splitlines()
    assert lines[0] == ("2019-03-02T10:00:00Z  Bob Martin <Bob.Martin@Example.org>  #Ann, Bob  id m8"
                        "  [deleted]  [private]")
    assert lines[1] == "    [conforme] ou pas ? budget"
    assert "(1-1 result, newest first)" in result.stderr


def test_no_results_is_not_an_error(sample, cli) -> None:
    assert orjson.loads(cli.ok("search", sample, "introuvable", "--format", "json").stdout) == []
    assert "no results" in cli.ok("search", sample, "introuvable").stderr


@pytest.mark.parametrize("query", [
    "budget from:bob", "budget is:reply", "audit OR incident in:général", "confor* is:private",
    "budget -annulée from:ann OR from:bob", "budget after:2019-01-02",
])
def test_both_query_plans_agree(sample, monkeypatch, query: str) -> None:
    """Walking FTS5's matches and probing FTS5 for each filtered row give the same pages."""
    from rsemigrate.search import index_location, open_backend
    from rsemigrate.search.query import parse
    from rsemigrate.search.sqlite import backend as sqlite_backend

    index = open_backend(index_location(sample, None))
    parsed = parse(query)

    def page() -> tuple[list[tuple[str, str]], object]:
        hits = index.search(parsed, sort="newest", limit=20, offset=0)
        return [(hit.message_id, hit.snippet.raw) for hit in hits], index.facets(parsed, cap=1000, top=10)

    try:
        by_text, text_facets = page()
        monkeypatch.setattr(sqlite_backend, "_FEW_MATCHES", 0)  # always probe from the filters
        index.close()  # forgets the plan it chose for this query
        by_filters, filter_facets = page()
        assert by_text == by_filters
        assert text_facets == filter_facets and text_facets.counted == len(by_text)
        assert index.count(parsed) == len(by_text)
    finally:
        index.close()


def test_a_name_that_matches_nobody_is_warned_about(sample, cli) -> None:
    """Zero results for `from:bobb` must not read as "Bob never wrote about it"."""
    result = cli.run("search", sample, "budget (from:bobb OR in:nowhere) from:ann", "--count")
    assert result.exit_code == 0 and result.stdout == "0\n"
    assert result.stderr.splitlines() == [
        "warning: from:bobb matches nobody in this archive, so it selects nothing; check the spelling",
        "warning: in:nowhere matches no channel or group in this archive, so it selects nothing; "
        "check the spelling"]
    assert cli.run("search", sample, "from:ann in:general", "--count").stderr == ""


def test_hit_reports_warn_per_term_line(sample, cli, tmp_path) -> None:
    terms = tmp_path / "terms.txt"
    terms.write_text("# audit\nbudget\nfrom:nobody-here\n", encoding="utf-8")
    result = cli.run("hits", sample, "--terms", terms)
    assert result.exit_code == 0
    assert result.stderr == (f"warning: {terms} line 3: from:nobody-here matches nobody in this archive, "
                             "so it selects nothing; check the spelling\n")
