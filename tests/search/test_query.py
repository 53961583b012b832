"""The query language: what parses into what, and how a bad query is reported."""

from __future__ import annotations

import pytest

from rsemigrate.archive.timestamps import utc_micros
from rsemigrate.search.query import (
    After,
    And,
    Before,
    Flag,
    From,
    In,
    Near,
    Not,
    Or,
    Phrase,
    QueryError,
    Word,
    parse,
)
from rsemigrate.search.sqlite.compile import fts


def test_words_are_anded_and_operators_are_capitals_only() -> None:
    assert parse("budget or réunion").root == And((Word("budget"), Word("or"), Word("réunion")))
    assert parse("budget OR réunion").root == Or((Word("budget"), Word("réunion")))
    assert parse("a AND b").root == And((Word("a"), Word("b")))


def test_or_binds_looser_than_and_and_parentheses_group() -> None:
    assert parse("a b OR c").root == Or((And((Word("a"), Word("b"))), Word("c")))
    assert parse("a (b OR c)").root == And((Word("a"), Or((Word("b"), Word("c")))))


def test_phrases_prefixes_negations_and_near() -> None:
    query = parse('"mise à jour" confor* -annulé NOT "pas ok" NEAR(audit "rapport final", 3)')
    assert query.root == And((
        Phrase("mise à jour"), Word("confor", prefix=True), Not(Word("annulé")), Not(Phrase("pas ok")),
        Near((Word("audit"), Phrase("rapport final")), 3),
    ))
    assert parse("NEAR(a b)").root == Near((Word("a"), Word("b")), 10)
    assert parse("e-mail").root == Word("e-mail")  # a hyphen inside a word is not a NOT


def test_filters_with_quoted_values_and_dates() -> None:
    query = parse('from:"Ann Smith" in:#général after:2019-01-01 before:2019-07-01T12:00:00+02:00 '
                  "has:attachment is:DELETED -is:private")
    assert query.root == And((
        From("Ann Smith"), In("#général"), After(utc_micros("2019-01-01T00:00:00Z")),
        Before(utc_micros("2019-07-01T10:00:00Z")), Flag("attachment"), Flag("deleted"), Not(Flag("private")),
    ))


@pytest.mark.parametrize(("text", "position", "reason"), [
    ("budget AND (réunion OR comité", 11, "never closed"),
    ("budget )", 7, "unexpected ')'"),
    ("OR budget", 0, "OR needs a search term"),
    ("budget OR", 7, "OR needs a search term"),
    ("budget AND", 7, "AND needs a search term on its right"),
    ('"mise à jour', 0, "quote is never closed"),
    ("sujet:budget", 0, "unknown filter 'sujet:'"),
    ("after:2019-02-30", 6, "is not a date"),
    ("before:yesterday", 7, "is not a date"),
    ("is:urgent", 3, "'is:' takes deleted or private or reply or edited"),
    ("has:", 0, "'has:' needs a value"),
    ("NEAR(audit)", 0, "at least two terms"),
    ("NEAR(audit incident, five)", 19, "whole number"),
    ("co*nf", 2, "'*' can only end a word"),
    ("budget &", 7, "no letters or digits"),
    ("()", 0, "empty parentheses"),
    ("(", 0, "never closed"),
    ("budget (", 7, "never closed"),
    ("budget -", 7, "no letters or digits"),
    ("NOT", 0, "must be followed by a term"),
])
def test_errors_say_what_and_point_where(text: str, position: int, reason: str) -> None:
    with pytest.raises(QueryError) as caught:
        parse(text)
    assert caught.value.position == position
    assert reason in caught.value.reason
    assert str(caught.value).splitlines()[1:] == [f"  {text}", "  " + " " * position + "^"]


def test_empty_query() -> None:
    with pytest.raises(QueryError, match="empty"):
        parse("   ")


def test_fts_translation_quotes_every_term() -> None:
    # Punctuation and FTS5 keywords inside terms can never become FTS5 syntax.
    assert fts(parse("l'équipe ver1.1").root) == '("l\'équipe" AND "ver1.1")'
    assert fts(parse("near* -annulé").root) == '(("near"*) NOT "annulé")'
    assert fts(parse('NEAR(audit "rapport final", 3)').root) == 'NEAR("audit" "rapport final", 3)'
    assert fts(parse("-budget").root) is None  # nothing to subtract from: done in SQL instead
    assert fts(parse("budget OR from:ann").root) is None


def test_malformed_query_on_the_command_line(sample, cli) -> None:
    result = cli.run("search", sample, "budget AND (réunion OR comité")
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        "Error: invalid query: this '(' is never closed",
        "  budget AND (réunion OR comité",
        "             ^",
    ]
    assert "Traceback" not in result.output


def test_fts5_errors_become_query_errors(sample) -> None:
    from rsemigrate.search import index_location, open_backend
    from rsemigrate.search.query import Query

    backend = open_backend(index_location(sample, None))
    try:
        broken = Query("NEAR(audit incident, -1)", Near((Word("audit"), Word("incident")), -1))
        with pytest.raises(QueryError, match="the search engine rejected it"):
            backend.search(broken, sort="newest", limit=20, offset=0)
    finally:
        backend.close()


@pytest.mark.parametrize("char", ["\x00", "\x1b", "\x7f", "\x9b"])
def test_a_control_character_is_an_error_shown_without_it(char: str) -> None:
    with pytest.raises(QueryError) as caught:
        parse(f"budget {char}x")
    assert caught.value.position == 7 and f"U+{ord(char):04X}" in caught.value.reason
    assert str(caught.value).splitlines()[1:] == ["  budget \ufffdx", "  " + " " * 7 + "^"]


def test_white_space_controls_separate_words() -> None:
    assert parse("budget\taudit\r\nincident").text == "budget\taudit\r\nincident"
