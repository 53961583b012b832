"""Reactions: imported up to the limit, by mapped people; otherwise a summary line."""

from rsemigrate.archive.records import Reaction
from transforms.reactions import ReactionPolicy, react

from .helpers import draft, users


def run(reactions, **policy):
    d = draft(reactions=reactions)
    return next(react([d], users(), ReactionPolicy(**policy)))


def test_reactions_by_mapped_people_are_imported_once_each():
    out = run(
        [Reaction("like", "u1"), Reaction("like", "u1"), Reaction("love", "u2")], kinds={"love": "heart"}
    )
    assert [(r.kind, r.user.source_id) for r in out.reactions] == [("like", "u1"), ("heart", "u2")]
    assert out.html == "" and not out.degradations


def test_reactions_of_unmapped_people_are_counted_in_a_line():
    out = run([Reaction("like", "u1"), Reaction("like", "u3"), Reaction("like", None)])
    assert len(out.reactions) == 1
    assert out.html == "<p><em>Reactions by people not migrated: like × 2</em></p>"
    assert [d.kind for d in out.degradations] == ["reaction-unmapped"]


def test_over_the_limit_everything_becomes_a_summary():
    out = run([Reaction("like", "u1"), Reaction("love", "u2"), Reaction("like", "u2")], limit=2)
    assert out.reactions == [] and out.html == "<p><em>Reactions: like × 2, love × 1</em></p>"
    assert [d.kind for d in out.degradations] == ["reactions-summary"]


def test_summary_and_skip_modes():
    assert run([Reaction("like", "u1")], mode="summary").html == "<p><em>Reactions: like × 1</em></p>"
    out = run([Reaction("like", "u1")], mode="skip")
    assert out.reactions == [] and out.html == "" and out.degradations[0].kind == "reactions-skipped"
