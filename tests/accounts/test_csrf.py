"""CSRF: forms need the token (field or htmx header); bearer calls need none; cookie API calls need the header."""

from __future__ import annotations

from sqlalchemy import select

from location_ops.accounts.models import User
from location_ops.clock import utcnow
from tests.accounts.helpers import read, session_count
from tests.conftest import PASSWORD, api_token, csrf_from, page_csrf

EXPIRED = "This form has expired. Go back, reload the page and try again."


def usernames(app) -> set[str]:
    return set(read(app, lambda s: s.scalars(select(User.username)).all()))


def new_user_form(**extra) -> dict:
    return {"username": "newcomer", "password": "long-enough-password", "role": "worker", **extra}


def test_admin_form_without_or_with_a_wrong_token_is_refused_and_changes_nothing(client, login_as):
    login_as("operator")
    for data in (new_user_form(), new_user_form(csrf_token="wrong-token-" + "x" * 30), new_user_form(csrf_token="")):
        response = client.post("/admin/users", data=data, follow_redirects=False)
        assert response.status_code == 403
        assert EXPIRED in response.text
        assert "newcomer" not in usernames(client.app)
    token = csrf_from(client.get("/admin/users").text)
    assert client.post("/admin/users", data=new_user_form(csrf_token=token), follow_redirects=False).status_code == 303
    assert "newcomer" in usernames(client.app)


def test_another_sessions_token_does_not_work(app, client, login_as, make_user):
    login_as("operator")
    from fastapi.testclient import TestClient

    make_user("worker", "other")
    other = TestClient(app)  # no `with`: the app is already started (a second lifespan would leak a bridge)
    other_token = csrf_from(other.get("/login").text)  # a valid pre-login token, but not this session's
    response = client.post("/admin/users", data=new_user_form(csrf_token=other_token), follow_redirects=False)
    assert response.status_code == 403


def test_htmx_header_carries_the_token(client, login_as):
    login_as("operator")
    token = csrf_from(client.get("/admin/users").text)
    response = client.post("/admin/users", data=new_user_form(), headers={"X-CSRF-Token": token, "HX-Request": "true"},
                           follow_redirects=False)
    assert response.status_code == 303
    assert "newcomer" in usernames(client.app)


def test_logout_and_login_need_the_token(client, make_user):
    make_user("host", "roos")
    response = client.post("/login", data={"username": "roos", "password": PASSWORD}, follow_redirects=False)
    assert response.status_code == 403 and EXPIRED in response.text
    assert session_count(client.app) == 0 and "lo_session" not in response.cookies
    response = client.post("/login", data={"username": "roos", "password": PASSWORD, "csrf_token": "x" * 43},
                           follow_redirects=False)
    assert response.status_code == 403 and session_count(client.app) == 0
    response = client.post("/login", data={"username": "roos", "password": PASSWORD,
                                           "csrf_token": page_csrf(client)}, follow_redirects=False)
    assert response.status_code == 303
    assert client.post("/logout", follow_redirects=False).status_code == 403
    assert session_count(client.app) == 1


def test_a_planted_pre_login_cookie_is_refused(client, make_user):
    make_user("host", "roos")
    planted = "p" * 43  # an attacker's own value, long enough to pass for a token
    client.cookies.set("lo_csrf", planted)
    response = client.post("/login", data={"username": "roos", "password": PASSWORD, "csrf_token": planted},
                           follow_redirects=False)
    assert response.status_code == 403 and EXPIRED in response.text
    assert session_count(client.app) == 0
    # The app replaces the planted cookie with one it signed; with that, the form's token works.
    replaced = response.headers["set-cookie"]
    assert replaced.startswith("lo_csrf=") and planted not in replaced
    client.cookies.clear()
    response = client.post("/login", data={"username": "roos", "password": PASSWORD,
                                           "csrf_token": page_csrf(client)}, follow_redirects=False)
    assert response.status_code == 303


def test_a_text_plain_cross_site_form_is_refused(client, login_as):
    login_as("operator")
    token = csrf_from(client.get("/admin/users").text)
    body = f"username=newcomer&password=long-enough-password&role=worker&csrf_token={token}"
    response = client.post("/admin/users", content=body, headers={"Content-Type": "text/plain"},
                           follow_redirects=False)
    assert response.status_code in (400, 403)
    assert "newcomer" not in usernames(client.app)


def test_bearer_api_calls_need_no_csrf_token(client, login_as, make_user):
    operator = login_as("operator")
    client.cookies.clear()
    with client.app.state.sessionmaker() as db_session:
        import pyotp

        secret = db_session.get(User, operator.id).mfa_secret
    # The code used at login_as's form login is spent; the next one is still in the window.
    headers = api_token(client, operator.username, totp=pyotp.TOTP(secret).at(utcnow(), counter_offset=1))
    response = client.post("/api/v1/users", json={"username": "newcomer", "password": "long-enough-password",
                                                  "role": "worker"}, headers=headers)
    assert response.status_code == 201, response.text


def test_cookie_authenticated_unsafe_api_call_needs_the_header(client, login_as):
    login_as("operator")
    body = {"username": "newcomer", "password": "long-enough-password", "role": "worker"}
    refused = client.post("/api/v1/users", json=body)
    assert refused.status_code == 403 and refused.json() == {"detail": EXPIRED}
    assert "newcomer" not in usernames(client.app)
    token = csrf_from(client.get("/account").text)
    assert client.post("/api/v1/users", json=body, headers={"X-CSRF-Token": "wrong"}).status_code == 403
    assert client.post("/api/v1/users", json=body, headers={"X-CSRF-Token": token}).status_code == 201
