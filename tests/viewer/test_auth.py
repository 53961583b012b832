"""Sign-in: a users file of werkzeug password hashes, and HttpOnly SameSite cookies."""

from __future__ import annotations

import time

import pytest
from werkzeug.test import Client

from rsemigrate.errors import InputError
from rsemigrate.viewer import Sessions, add_user, read_users

from .conftest import make_viewer


@pytest.fixture
def users_file(tmp_path):
    path = tmp_path / "users.txt"
    add_user(path, "auditor", "correct horse")
    return path


def test_the_users_file_holds_salted_hashes_never_passwords(users_file):
    text = users_file.read_text()
    assert "correct horse" not in text and text.startswith("auditor:scrypt:")
    assert oct(users_file.stat().st_mode & 0o777) == "0o600"
    add_user(users_file, "second", "correct horse")
    hashes = list(read_users(users_file).values())
    assert len(hashes) == 2 and hashes[0] != hashes[1]  # salted
    with pytest.raises(InputError, match="already exists"):
        add_user(users_file, "auditor", "x")


def test_a_malformed_users_file_names_the_line(tmp_path):
    bad = tmp_path / "users.txt"
    bad.write_text("# readers\nauditor plain-password\n")
    with pytest.raises(InputError, match=r"users.txt line 2: expected NAME:HASH"):
        read_users(bad)


def test_pages_need_a_session_and_cookies_are_locked_down(archives, users_file, tmp_path):
    viewer = make_viewer([archives[0]], tmp_path / "log.jsonl", read_users(users_file))
    client = Client(viewer)
    for url in ("/", "/t/m1", "/a/hostile/file/a-pdf", "/search.json?q=budget"):
        response = client.get(url)
        assert response.status_code == 303 and response.headers["Location"].startswith("/login")
    wrong = client.post("/login", data={"user": "auditor", "password": "wrong", "next": "/t/m1"})
    assert wrong.status_code == 401 and "Wrong user name or password" in wrong.get_data(as_text=True)
    assert client.post("/login", data={"user": "nobody", "password": "x"}).status_code == 401
    right = client.post("/login", data={"user": "auditor", "password": "correct horse", "next": "/t/m1"})
    assert right.status_code == 303 and right.headers["Location"] == "/t/m1"
    cookie = right.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" not in cookie
    assert client.get("/t/m1").status_code == 200
    log = viewer.access_log.path.read_text()
    assert '"who":"auditor","action":"thread"' in log and '"action":"login","outcome":"refused"' in log
    client.post("/logout")
    assert client.get("/t/m1").status_code == 303


def test_behind_tls_the_cookie_is_secure_and_redirects_stay_on_site(archives, users_file, tmp_path):
    client = Client(make_viewer([archives[0]], tmp_path / "log.jsonl", read_users(users_file)))
    response = client.post("/login", data={"user": "auditor", "password": "correct horse",
                                           "next": "//evil.example/"},
                           headers={"X-Forwarded-Proto": "https"})
    assert "Secure" in response.headers["Set-Cookie"] and response.headers["Location"] == "/"


def test_sessions_keep_only_token_hashes_and_expire(users_file, tmp_path):
    from rsemigrate.viewer import SharedState

    state = SharedState(tmp_path / "state.sqlite")
    sessions = Sessions(read_users(users_file), state)
    token = sessions.login("auditor", "correct horse")
    assert token and sessions.user(token) == "auditor" and sessions.user(token + "x") is None
    state.close()
    assert token.encode() not in b"".join(p.read_bytes() for p in tmp_path.glob("state.sqlite*"))
    state.open_session("stale", "auditor", time.time() - 1)
    assert sessions.user("stale") is None
    other = SharedState(tmp_path / "state.sqlite")  # another connection, as another worker has
    assert other.session_user(token, time.time()) == "auditor"
    sessions.logout(token)
    assert sessions.user(token) is None
