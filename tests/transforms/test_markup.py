"""Body conversion: each source markup to allow-listed HTML; nothing executable survives."""

import pytest
from bs4 import BeautifulSoup

from transforms.markup import BASIC, AllowList, convert_bodies, sanitize, to_html

from .helpers import draft

NASTY = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<a href=\"JaVaScRiPt&#58;alert(1)\">x</a>",
    "<a href=\" java\tscript:alert(1)\">x</a>",
    "<svg onload=alert(1)><script>alert(1)</script></svg>",
    "<iframe src=https://evil.example></iframe>",
    "<style>body{}</style><p style=\"x\" onclick=\"alert(1)\">p</p>",
    "<!-- <script>alert(1)</script> -->",
    "[x](javascript:alert(1))",
    "<scr<script>ipt>alert(1)</script>",
    "<<script>script>alert(1)<</script>/script>",
    "<a href='data:text/html,<script>alert(1)</script>'>x</a>",
    "<object data=x></object><embed src=x>",
    "<form action=x><input></form>",
    "<@U1> <javascript:alert(1)|click>",
]


def html_of(fmt, text):
    return to_html(fmt, text, BASIC)[0].html


@pytest.mark.parametrize("fmt", ["plain", "yammer-plain", "markdown", "slack-mrkdwn", "html", "weird-format"])
@pytest.mark.parametrize("text", NASTY)
def test_no_script_survives_any_format(fmt, text):
    """Escaped text may mention <script>; no element, handler or URL in the output may run it."""
    soup = BeautifulSoup(html_of(fmt, text), "html.parser")
    for el in soup.find_all(True):
        assert el.name in BASIC.tags, el
        assert all(not key.lower().startswith("on") for key in el.attrs), el
        for key in ("href", "src"):
            if key in el.attrs:
                assert el[key].strip().lower().startswith(("http:", "https:", "mailto:")), el
    # and the serialisation re-parses to the same elements (no parser differential).
    again = BeautifulSoup(str(soup), "html.parser")
    assert [e.name for e in again.find_all(True)] == [e.name for e in soup.find_all(True)]


def test_plain_text_is_escaped_with_paragraphs_breaks_and_links():
    out = html_of("yammer-plain", "a < b & c\nnext line\n\nsee https://example.com/x?a=1&b=2.")
    assert out == (
        "<p>a &lt; b &amp; c<br>next line</p>"
        '<p>see <a href="https://example.com/x?a=1&amp;b=2">https://example.com/x?a=1&amp;b=2</a>.</p>'
    )


def test_markdown_renders_and_its_raw_html_is_escaped():
    out = html_of("markdown", "**bold** and <b>raw</b>\n\n- one\n- two")
    assert "<strong>bold</strong>" in out and "&lt;b&gt;raw&lt;/b&gt;" in out
    assert "<ul>" in out and "<li>one</li>" in out


def test_slack_mrkdwn_styles_links_quotes_and_entities():
    out = html_of(
        "slack-mrkdwn", "*bold* _it_ ~gone~ `x<y` &lt;tag&gt; <https://a.example/?q=1|the site>\n&gt; quoted"
    )
    assert "<b>bold</b>" in out and "<i>it</i>" in out and "<s>gone</s>" in out
    assert "<code>x&lt;y</code>" in out and "&lt;tag&gt;" in out
    assert '<a href="https://a.example/?q=1">the site</a>' in out
    assert "<blockquote>quoted</blockquote>" in out


def test_html_outside_the_allow_list_is_unwrapped_and_counted():
    allow = AllowList(tags=frozenset({"p", "b"}))
    result = sanitize('<p class="x"><font color=red>hi</font> <b>there</b><i>!</i></p>', allow)
    assert result.html == "<p>hi <b>there</b>!</p>" and result.removed == 2


def test_teams_attachment_markers_are_dropped_not_counted():
    """The file itself is attached again from `attachment_ids`; its marker is no lost markup."""
    body = '<p>Spec.</p><attachment id="3f25"></attachment><ATTACHMENT id="b"/><attachment>kept</attachment>'
    result, known = to_html("teams-html", body, BASIC)
    assert known and (result.html, result.removed) == ("<p>Spec.</p>kept", 1)
    assert to_html("html", body, BASIC)[0].removed == 3  # other HTML keeps the strict count


def test_inline_images_become_links():
    result = sanitize('<p><img src="https://x.example/cat.png" alt="a cat"></p>', BASIC)
    assert result.html == '<p><a href="https://x.example/cat.png">a cat</a></p>' and result.images == 1


def test_convert_bodies_records_degradations_and_protects_mentions():
    d = draft(text="<b>hi</b> [[user:u2]]", fmt="yammer-html")
    d.message.body.content += "<script>x</script>"
    out = next(convert_bodies([d]))
    assert out.html.startswith("<b>hi</b> \ue0000\ue001")
    assert [m.target_id for m in out.refs] == ["u2"]
    assert [x.kind for x in out.degradations] == ["unsafe-markup"]
    unknown = next(convert_bodies([draft(text="<b>x</b>", fmt="mystery")]))
    assert unknown.html == "<p>&lt;b&gt;x&lt;/b&gt;</p>" and unknown.degradations[0].kind == "unknown-format"


def test_private_use_sentinels_in_the_source_cannot_forge_a_mention():
    out = next(convert_bodies([draft(text="\ue0000\ue001 hello")]))
    assert "\ue000" not in out.html and out.refs == []
