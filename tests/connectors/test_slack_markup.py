"""mrkdwn entities into mentions and plain text (connectors/slack/markup.py)."""

from connectors.slack.markup import render

USERS = {"U1": "Ann Lee"}
CHANNELS = {"C1": "general"}


def kinds(text: str) -> list[tuple[str, str | None, str | None]]:
    return [(m.kind, m.target_id, m.name) for m in render(text, USERS, CHANNELS)[1]]


def test_user_mentions_with_and_without_label_use_the_directory_name():
    assert render("hi <@U1> and <@U2|bob>", USERS, CHANNELS)[0] == "hi @Ann Lee and @bob"
    assert kinds("<@U1> <@U2|bob>") == [("user", "U1", "Ann Lee"), ("user", "U2", "bob")]


def test_channel_mentions_with_and_without_label():
    assert render("<#C1> <#C2|random>", USERS, CHANNELS)[0] == "#general #random"


def test_here_channel_everyone_in_both_spellings():
    assert (
        render("<!here> <@here> <!channel> <!everyone>", USERS, CHANNELS)[0]
        == "@here @here @channel @everyone"
    )
    assert [k for k, _, _ in kinds("<!here> <@here> <!channel> <!everyone>")] == [
        "here",
        "here",
        "all",
        "all",
    ]


def test_subteam_mentions():
    assert kinds("<!subteam^S9|@design>") == [("usergroup", "S9", "design")]
    assert render("<!subteam^S9>", USERS, CHANNELS)[0] == "@S9"


def test_links_with_and_without_label_keep_the_url_as_target():
    assert (
        render("<https://x.example/a?b=1&amp;c=2|docs> <https://y.example>", USERS, CHANNELS)[0]
        == "docs https://y.example"
    )
    assert kinds("<https://x.example/a?b=1&amp;c=2|docs>") == [
        ("link", "https://x.example/a?b=1&c=2", "docs")
    ]


def test_escapes_are_undone_in_text_only():
    text, mentions = render("a &lt;b&gt; &amp; c", USERS, CHANNELS)
    assert (text, mentions) == ("a <b> & c", [])


def test_dates_and_unknown_specials_show_their_fallback_and_are_no_mention():
    assert render("<!date^1392734382^{date_short}|Feb 18, 2014>", USERS, CHANNELS) == ("Feb 18, 2014", [])


def test_a_repeated_entity_is_one_mention():
    assert len(render("<@U1> <@U1>", USERS, CHANNELS)[1]) == 1
