"""Login and logout through the form and the API: same answer and same work for every failure."""

from __future__ import annotations

import argon2.low_level
import pytest

from tests.accounts.helpers import session_count
from tests.conftest import PASSWORD, csrf_from, login


def test_login_success_redirects_and_sets_secure_cookie_flags(client, make_user):
    user = make_user("host", "Roos")
    response = login(client, "roos", PASSWORD, next="/account")
    assert response.status_code == 303
    assert response.headers["location"] == "/account"
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("lo_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    page = client.get("/account")
    assert page.status_code == 200
    assert user.username in page.text


def test_wrong_password_and_unknown_user_get_the_same_answer(client, make_user):
    make_user("worker", "lila")
    wrong = login(client, "lila", "not-the-password")
    unknown = login(client, "nobody-here", "not-the-password")
    assert wrong.status_code == unknown.status_code == 400
    assert "Wrong username or password" in wrong.text
    assert wrong.text.replace("lila", "X") == unknown.text.replace("nobody-here", "X")
    assert "lo_session" not in client.cookies
    assert client.get("/account", follow_redirects=False).status_code == 303


def test_api_login_success_gives_a_bearer_token_that_works(client, make_user):
    user = make_user("caseworker", "Anna")
    response = client.post("/api/v1/auth/login", json={"username": "ANNA", "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 3600
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200 and me.json()["id"] == user.id
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer not-a-token"}).status_code == 401


def test_api_login_same_answer_for_unknown_user_and_wrong_password(client, make_user):
    make_user("host", "mira")
    wrong = client.post("/api/v1/auth/login", json={"username": "mira", "password": "not-the-password"})
    unknown = client.post("/api/v1/auth/login", json={"username": "nobody", "password": "not-the-password"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"detail": "Wrong username or password."}
    assert wrong.headers.get("www-authenticate") == unknown.headers.get("www-authenticate")


@pytest.fixture
def argon2_verifications(monkeypatch) -> list[bytes]:
    """Spy on argon2's verify: every hash check the login makes, with the hash it checked against."""
    seen: list[bytes] = []
    real = argon2.low_level.verify_secret

    def spy(hash_, secret, type_):
        seen.append(hash_)
        return real(hash_, secret, type_)

    monkeypatch.setattr(argon2.low_level, "verify_secret", spy)
    return seen


def _params(hash_: bytes) -> str:
    # $argon2id$v=19$m=1024,t=1,p=1$salt$digest -> "argon2id v=19 m=1024,t=1,p=1"
    return " ".join(hash_.decode().split("$")[1:4])


@pytest.mark.parametrize("via", ["form", "api"])
def test_unknown_user_and_wrong_password_do_the_same_hashing_work(client, make_user, argon2_verifications, via):
    make_user("worker", "sanne")
    client.post("/api/v1/auth/login", json={"username": "warm-up", "password": "x"})  # dummy hash made once
    argon2_verifications.clear()

    def attempt(username):
        if via == "form":
            return login(client, username, "not-the-password").status_code
        return client.post("/api/v1/auth/login", json={"username": username, "password": "not-the-password"}).status_code

    # The form also takes an over-long name (the API's schema refuses it with a 422 before any work).
    for username in ("sanne", "nobody-at-all", *(["x" * 200] if via == "form" else [])):
        before = len(argon2_verifications)
        assert attempt(username) in (400, 401)
        assert len(argon2_verifications) == before + 1, f"{username!r}: not exactly one hash check"
    # All three were checked against a hash of the same cost.
    assert len({_params(h) for h in argon2_verifications}) == 1


def test_logout_ends_the_session_server_side(client, make_user):
    make_user("host", "noor")
    assert login(client, "noor").status_code == 303
    old_cookie = client.cookies["lo_session"]
    page = client.get("/account")
    response = client.post("/logout", data={"csrf_token": csrf_from(page.text)}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert session_count(client.app) == 0
    client.cookies.set("lo_session", old_cookie)
    replay = client.get("/account", follow_redirects=False)
    assert replay.status_code == 303 and replay.headers["location"].startswith("/login")


def test_a_long_client_address_is_kept_within_its_column(app, make_user):
    from fastapi.testclient import TestClient

    from tests.accounts.helpers import attempt_count

    make_user("host", "roos")
    with TestClient(app, client=("2001:db8:" + "a" * 100, 50000)) as proxied:
        assert proxied.post("/api/v1/auth/login", json={"username": "roos", "password": "wrong"}).status_code == 401
        assert proxied.post("/api/v1/auth/login", json={"username": "roos", "password": PASSWORD}).status_code == 200
    assert attempt_count(app) == 1
