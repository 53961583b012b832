"""The Teams body helpers on their own: plain text, `<at>` spans and mentions, inline images,
emptied bodies, system event lines, and the layout's names."""

import pytest

from connectors.teams.source import wire
from connectors.teams.source.events import describe
from connectors.teams.source.markup import at_spans, inline_images, is_emptied, parse
from connectors.teams.source.mentions import mentions

HOSTED = "https://graph.microsoft.com/v1.0/chats/19:x@thread.v2/messages/1/hostedContents/aWQ9eF8w=/$value"


def person(i: int, text: str, user: str | None) -> dict:
    return {
        "id": i,
        "mentionText": text,
        "mentioned": {"user": {"id": user, "displayName": text} if user else None},
    }


def test_plain_text_keeps_blocks_lines_and_emoji_and_drops_placeholders():
    body = (
        '<div><p>Hello <b>team</b>,</p><p>line one<br>line two</p><attachment id="a1"></attachment>'
        f'<p><img alt="😀" src="https://statics.teams.cdn.office.net/x.png"> <img src="{HOSTED}" '
        'alt="image"></p>'
        "<ul><li>first</li><li>second</li></ul></div>"
    )
    assert parse(body).text == "Hello team,\nline one\nline two\n😀 [image]\nfirst\nsecond"


def test_a_text_body_is_its_own_plain_text():
    assert parse("  5 < 6 & <b>not markup</b>  ", html=False).text == "5 < 6 & <b>not markup</b>"


def test_inline_images_are_found_once_each_in_order():
    body = f'<img src="{HOSTED}"><img src="https://example.com/a.png"><img src="{HOSTED}">'
    assert inline_images(body) == ["aWQ9eF8w="]


@pytest.mark.parametrize(("body", "emptied"), [
    ("", True), ("<p></p>", True), ("<div>&nbsp;</div>", True), ("<p>x</p>", False),
    ('<attachment id="1"></attachment>', False), (f'<img src="{HOSTED}">', False),
])
def test_an_emptied_body(body, emptied):
    assert is_emptied(body) is emptied


def test_adjacent_spans_of_different_people_stay_two_mentions():
    body = '<p><at id="0">Ann</at> <at id="1">Bob</at> and <at id="2">Ann</at></p>'
    found, problems = mentions(body, at_spans(body), [person(0, "Ann", "u1"), person(1, "Bob", "u2"),
                                                      person(2, "Ann", "u1")], "m", "here")
    assert [(m.target_id, m.raw) for m in found] == [
        ("u1", '<at id="0">Ann</at>'),
        ("u2", '<at id="1">Bob</at>'),
        ("u1", '<at id="2">Ann</at>'),
    ]
    assert problems == []


def test_an_entry_without_a_span_keeps_its_mention_text():
    found, _ = mentions("<p>no spans</p>", [], [person(0, "Ann", "u1")], "m", "here")
    assert [(m.kind, m.target_id, m.raw) for m in found] == [("user", "u1", "Ann")]


def test_an_unknown_event_type_still_reads_as_a_line():
    detail = {"@odata.type": "#microsoft.graph.tabUpdatedEventMessageDetail",
              "initiator": {"user": {"id": "u1", "displayName": None}}}
    assert describe(detail, {"u1": "Ann"}.get) == "Ann: tab updated"
    assert describe(None, {}.get) == "System event"


def test_a_person_the_directory_does_not_know_is_named_by_id():
    detail = {"@odata.type": "#microsoft.graph.membersLeftEventMessageDetail", "members": [{"id": "u9"}]}
    assert describe(detail, {}.get) == "user u9 left"


@pytest.mark.parametrize("ident",
                         ["e6b3f2a0-5c1d-4b7e-9a2f-3d4c5b6a7e81", "ann@contoso.com", "1709542800123"])
def test_safe_ids_are_their_own_folder_name(ident):
    assert wire.folder_key(ident) == ident


@pytest.mark.parametrize("ident", ["19:7a1b@thread.tacv2", "../../etc", "a/b", "x" * 200, "con."])
def test_other_ids_become_a_safe_name_with_a_digest(ident):
    key = wire.folder_key(ident)
    assert "/" not in key and ":" not in key and not key.startswith(".") and len(key) <= 80
    assert key != wire.folder_key(ident + "x")


def test_a_sharing_url_round_trips():
    url = "https://contoso.sharepoint.com/sites/HR/Shared%20Documents/Salaries%202024.xlsx"
    share = wire.share_id(url)
    assert share.startswith("u!") and "=" not in share and wire.shared_url(share) == url
