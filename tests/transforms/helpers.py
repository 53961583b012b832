"""Small builders for transform tests: messages, users and drafts without an archive."""

from rsemigrate.archive.records import Body, Mention, Message, Reaction, User
from rsemigrate.archive.timestamps import parse_timestamp
from transforms.draft import Draft
from transforms.identities import UserMap, UserMapping

USERS = [
    User("u1", "Ann Martin", "ann@contoso.com"),
    User("u2", "Bob Durand", "bob@contoso.com"),
    User("u3", "Chloé <Noemail>", None),
]


def msg(mid="m1", text="hello", fmt="yammer-plain", channel="c1", thread=None, reply_to=None, author="u1",
        at="2020-01-01T10:00:00Z", **extra):
    return Message(id=mid, channel_id=channel, thread_id=thread or mid, author_id=author,
                   created_at=parse_timestamp(at), body=Body(fmt, text), text=text,
                   kind=extra.pop("kind", "reply" if reply_to else "post"), reply_to_id=reply_to, **extra)


def draft(message=None, **kw):
    return Draft(message or msg(**kw), "c1")


def users(placeholder="placeholder@contoso.com", explicit=None, match_by_email=True, unresolved=()):
    return UserMap(USERS, UserMapping(explicit or {}, match_by_email, placeholder, frozenset(unresolved)))


def at(ms_text):
    return parse_timestamp(ms_text)


__all__ = ["Mention", "Reaction", "at", "draft", "msg", "users"]
