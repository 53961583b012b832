"""Tokens inside Yammer cells: mentions, attachment references, participants."""

import pytest

from connectors.yammer.markup import Token, attachment_tokens, link_card, participants, render
from rsemigrate.archive.records import Mention

NAMES = {"user": {"1": "Ann Smith"}, "group": {"9": "Sécurité"}, "tag": {"5": "réunion"}}


def test_mentions_of_each_kind_any_case_render_as_names_and_keep_raw_tokens():
    body = "[[User:1]] voir [[group:9]] et [[TAG:5]], merci [[user:1]] ; [[user:404]] [Tag:6:budget]"
    text, mentions = render(body, NAMES)
    assert text == "@Ann Smith voir @Sécurité et #réunion, merci @Ann Smith ; [[user:404]] #budget"
    assert mentions == [
        Mention("user", "[[User:1]]", "1", "Ann Smith"),
        Mention("group", "[[group:9]]", "9", "Sécurité"),
        Mention("tag", "[[TAG:5]]", "5", "réunion"),
        Mention("user", "[[user:1]]", "1", "Ann Smith"),
        Mention("user", "[[user:404]]", "404", None),
        Mention("tag", "[Tag:6:budget]", "6", "budget"),
    ]


def test_a_body_without_tokens_is_its_own_text():
    assert render("Réunion [à 10h]", NAMES) == ("Réunion [à 10h]", [])


def test_attachment_tokens_respect_brackets_commas_and_quotes():
    card = ('opengraphobject:[77 : https://ex.com/a,b?q=1,2 : title="Budget, v2 [final]" : '
            'description="Chiffres, tableaux"]')
    tokens, leftover = attachment_tokens(f"uploadedfile:123, page:45,{card} , ymodule:poll:9")
    assert [t.raw for t in tokens] == ["uploadedfile:123", "page:45", card, "ymodule:poll:9"]
    assert [t.id for t in tokens] == ["uploadedfile:123", "page:45", "opengraphobject:77", "ymodule:poll:9"]
    assert leftover == ""
    parsed = link_card(tokens[2].value)
    assert parsed is not None
    assert (parsed.url, parsed.title, parsed.description) == (
        "https://ex.com/a,b?q=1,2", "Budget, v2 [final]", "Chiffres, tableaux")


def test_an_old_link_card_has_no_title_and_text_that_is_no_token_is_returned():
    tokens, leftover = attachment_tokens("opengraphobject:[12 : https://ex.com/x], garbage, uploadedfile:1")
    assert link_card(tokens[0].value).title is None  # type: ignore[union-attr]
    assert [t.id for t in tokens] == ["opengraphobject:12", "uploadedfile:1"]
    assert leftover == "garbage"


def test_an_unparsable_link_card_keeps_its_whole_value_as_id():
    token = Token("opengraphobject", "[no separator]", "opengraphobject:[no separator]")
    assert (token.id, token.card) == ("opengraphobject:[no separator]", None)


def test_participants_split_users_from_other_tokens():
    assert participants(" user:1,user:22 ,group:3,") == (["1", "22"], ["group:3"])


@pytest.mark.parametrize(("cell", "expected"), [
    ("user:1", (["1"], [])), ("user:1,user:22", (["1", "22"], [])), ("", ([], [])),
    ("User:1,user:2", (["1", "2"], [])), ("user:1, user:2", (["1", "2"], [])),
    ("user:,user:2", (["2"], ["user:"])), ("user:1,user:x", (["1", "x"], [])),
])
def test_participants_of_the_usual_form_and_of_any_other(cell, expected):
    assert participants(cell) == expected
