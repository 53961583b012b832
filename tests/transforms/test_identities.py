"""User mapping: CSV, precedence, placeholder with the original name shown."""

import pytest

from rsemigrate.errors import InputError
from transforms.identities import load_mapping_csv, map_authors

from .helpers import draft, users


def write(tmp_path, text):
    path = tmp_path / "users.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_mapping_csv_by_id_and_by_email(tmp_path):
    path = write(tmp_path, "source,target,note\nu1,ann.m@tenant.com,x\nBOB@contoso.com,bob@tenant.com,\n")
    assert load_mapping_csv(path) == {"u1": "ann.m@tenant.com", "bob@contoso.com": "bob@tenant.com"}


@pytest.mark.parametrize("text,line,needle", [
    ("id,upn\nu1,a@b\n", 1, "'source' and 'target'"),
    ("source,target\nu1,\n", 2, "both"),
    ("source,target\nu1,a@t\nu2,b@t\nu1,c@t\n", 4, "also on line 2"),
])
def test_a_bad_mapping_csv_names_file_and_line(tmp_path, text, line, needle):
    with pytest.raises(InputError) as err:
        load_mapping_csv(write(tmp_path, text))
    assert f"line {line}" in str(err.value) and needle in str(err.value) and "users.csv" in str(err.value)


def test_precedence_explicit_id_then_explicit_email_then_email_then_placeholder():
    m = users(explicit={"u1": "ann.x@tenant.com", "bob@contoso.com": "bob.x@tenant.com"})
    assert (m.identity("u1").target, m.identity("u1").method) == ("ann.x@tenant.com", "explicit")
    assert (m.identity("u2").target, m.identity("u2").method) == ("bob.x@tenant.com", "explicit")
    m = users()
    assert (m.identity("u1").target, m.identity("u1").method) == ("ann@contoso.com", "email")
    assert (m.identity("u3").target, m.identity("u3").method) == ("placeholder@contoso.com", "placeholder")
    assert m.identity("nobody").method == "placeholder" and m.identity("nobody").name == "unknown user nobody"
    assert users(placeholder=None).identity("u3").method == "none"
    assert users(match_by_email=False).identity("u1").method == "placeholder"


def test_an_unresolved_email_match_falls_back_to_the_placeholder():
    assert users(unresolved={"u1"}).identity("u1").method == "placeholder"


def test_placeholder_authors_get_an_escaped_attribution_line():
    d = draft(author="u3")
    d.html = "<p>hi</p>"
    out = next(map_authors([d], users()))
    assert out.author.target == "placeholder@contoso.com"
    assert out.html == "<p><em>Originally posted by Chloé &lt;Noemail&gt;</em></p><p>hi</p>"
    assert [x.kind for x in out.degradations] == ["placeholder-author"]


def test_mapped_authors_are_left_alone():
    d = draft(author="u1")
    d.html = "<p>hi</p>"
    out = next(map_authors([d], users()))
    assert out.html == "<p>hi</p>" and out.author.mapped and not out.degradations
