"""Matrix rendering: localparts, pills, the plain-text fallback, digests, transaction ids."""

from connectors.matrix.appservice import Namespaces
from connectors.matrix.poster import transaction_id
from connectors.matrix.render import UserIds, content_digest, encode_localpart, pill, plain_text
from transforms.draft import Identity

NS = Namespaces("example.org", "rse_", "rse_", "rsemigrate", ("@jane:example.org",))


def test_localparts_are_lower_case_and_reversible():
    assert encode_localpart("Ann.Smith@Contoso.com") == "ann.smith=40contoso.com"
    assert encode_localpart("é=x y") == "=c3=a9=3dx=20y"


def test_user_ids_assert_existing_accounts_and_name_virtual_users():
    ids = UserIds(NS)
    assert ids(Identity("u1", "Jane", "@jane:example.org", "explicit")) == "@jane:example.org"
    assert ids(Identity("u2", "Bob", "bob@corp.com", "email")) == "@rse_bob=40corp.com:example.org"
    assert NS.is_virtual("@rse_bob=40corp.com:example.org") and not NS.is_virtual("@jane:example.org")


def test_plain_text_keeps_blocks_lists_links_and_pill_names():
    html = ('<p>Hi ' + pill("@jane:example.org", "Jane") + '</p><ul><li>one</li><li>two</li></ul>'
            '<p><a href="https://x.org/a">the doc</a> and <a href="https://x.org">https://x.org</a></p>')
    assert plain_text(html) == "Hi Jane\n\n• one\n\n• two\n\nthe doc (https://x.org/a) and https://x.org"


def test_digest_ignores_what_only_the_homeserver_or_the_send_knows():
    planned = {"msgtype": "m.file", "body": "a.txt"}  # as frozen: relations are added when sent
    sent = planned | {"url": "mxc://x/y", "m.relates_to": {"rel_type": "m.thread", "event_id": "$e",
                                                          "is_falling_back": True,
                                                          "m.in_reply_to": {"event_id": "$f"}}}
    assert content_digest(planned) == content_digest(sent)
    assert content_digest(planned) != content_digest(planned | {"body": "b.txt"})


def test_digest_keeps_a_reactions_key():
    like = {"m.relates_to": {"rel_type": "m.annotation", "key": "👍"}}
    sent = {"m.relates_to": {"rel_type": "m.annotation", "key": "👍", "event_id": "$e"}}
    assert content_digest(like) == content_digest(sent)
    assert content_digest(like) != content_digest({"m.relates_to": {"rel_type": "m.annotation", "key": "❤️"}})


def test_transaction_ids_depend_on_room_and_key_only():
    assert transaction_id("#a:x", "m1") == transaction_id("#a:x", "m1")
    assert (
        len({transaction_id("#a:x", "m1"), transaction_id("#a:x", "m2"), transaction_id("#b:x", "m1")}) == 3
    )
