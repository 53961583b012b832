"""Mention rewriting: mapped people become <at> mentions; everyone else plain text with the name."""

from rsemigrate.archive.records import Mention
from transforms.markup import convert_bodies
from transforms.mentions import resolve_mentions

from .helpers import draft, users


def render(n, text):
    return f'<at id="{n}">{text}</at>'


def run(d, **kw):
    return next(resolve_mentions(convert_bodies([d]), users(**kw), render))


def test_yammer_user_tokens_become_mentions_with_a_mentions_array():
    d = draft(text="Hi [[user:u1]] and [[user:u2]], again [[user:u1]]",
              mentions=[Mention("user", "[[user:u1]]", "u1", "Ann Martin")])
    out = run(d)
    assert out.html == ('<p>Hi <at id="0">Ann Martin</at> and <at id="1">Bob Durand</at>, '
                        'again <at id="2">Ann Martin</at></p>')
    assert [(m.id, m.text, m.user.target) for m in out.mentions] == [
        (0, "Ann Martin", "ann@contoso.com"),
        (1, "Bob Durand", "bob@contoso.com"),
        (2, "Ann Martin", "ann@contoso.com"),
    ]


def test_unmapped_and_placeholder_mentions_are_plain_text_with_the_name():
    out = run(draft(text="ping [[user:u3]] and [[user:u9]]",
                    mentions=[Mention("user", "[[user:u9]]", "u9", "Zoé <Gone>")]))
    assert out.html == "<p>ping @Chloé &lt;Noemail&gt; and @Zoé &lt;Gone&gt;</p>"
    assert out.mentions == [] and [d.kind for d in out.degradations] == ["unmapped-mention"] * 2


def test_tags_and_groups_become_text():
    out = run(draft(text="[[tag:7]] [[group:8]]", mentions=[Mention("tag", "[[tag:7]]", "7", "security")]))
    assert out.html == "<p>#security group 8</p>" and out.mentions == []


def test_slack_mentions_in_mrkdwn():
    out = run(draft(text="<@u1> see <#C1|general> <!here>", fmt="slack-mrkdwn"))
    assert out.html == '<p><at id="0">Ann Martin</at> see #general @here</p>'


def test_markdown_keeps_mentions_inside_markup():
    out = run(draft(text="**[[user:u2]]**", fmt="markdown", mentions=[Mention("user", "[[user:u2]]", "u2")]))
    assert out.html.strip() == '<p><strong><at id="0">Bob Durand</at></strong></p>'
