"""Two-step login (TOTP): enrolment, login with a code, the operator's obligation, resets."""

from __future__ import annotations

import re

import pyotp

from location_ops.accounts.models import User
from location_ops.clock import utcnow
from tests.accounts.helpers import attempt_count, audit_actions, session_count, stored_user
from tests.conftest import PASSWORD, csrf_from, login

ENROL_FIRST = "Your role requires two-step login. Set it up in the web app first."


def code(secret: str, offset_steps: int = 0) -> str:
    return pyotp.TOTP(secret).at(utcnow(), counter_offset=offset_steps)


def wrong(secret: str) -> str:
    right = code(secret)
    candidates = (f"{(int(right) + 500_000) % 1_000_000:06d}", "000000", "999999")
    return next(c for c in candidates if not pyotp.TOTP(secret).verify(c, for_time=utcnow(), valid_window=1))


def with_mfa(app, user: User) -> str:
    secret = pyotp.random_base32()
    with app.state.sessionmaker() as db_session:
        stored = db_session.get(User, user.id)
        stored.mfa_secret, stored.mfa_enabled = secret, True
        db_session.commit()
    return secret


def enrol(client) -> str:
    page = client.get("/account/mfa")
    assert page.status_code == 200
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page.text).group(1)
    response = client.post("/account/mfa", data={"code": code(secret), "csrf_token": csrf_from(page.text)},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    return secret


def test_enrolment_shows_a_qr_code_refuses_a_wrong_code_and_turns_on_with_the_right_one(client, make_user):
    user = make_user("host", "roos")
    login(client, "roos")
    page = client.get("/account/mfa")
    assert page.status_code == 200 and "<svg" in page.text and "style=" not in page.text  # strict CSP
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page.text).group(1)
    assert stored_user(client.app, user.id).mfa_secret == secret
    assert client.get("/account/mfa").text.count(secret) >= 1  # reloading keeps the same secret
    refused = client.post("/account/mfa", data={"code": wrong(secret), "csrf_token": csrf_from(page.text)})
    assert refused.status_code == 400 and "That code is not right" in refused.text
    assert not stored_user(client.app, user.id).mfa_enabled
    response = client.post("/account/mfa", data={"code": code(secret), "csrf_token": csrf_from(page.text)},
                           follow_redirects=False)
    assert response.status_code == 303
    assert stored_user(client.app, user.id).mfa_enabled
    assert ("mfa.enable", user.id, user.id) in audit_actions(client.app)
    assert client.get("/account/mfa", follow_redirects=False).headers["location"] == "/account"


def test_login_with_mfa_asks_for_the_code_and_counts_wrong_ones(client, make_user, settings):
    user = make_user("host", "noor")
    secret = with_mfa(client.app, user)
    response = login(client, "noor", next="/account")
    assert response.status_code == 303 and response.headers["location"].startswith("/login/mfa")
    pending = response.cookies["lo_session"]
    # The password alone opens nothing.
    assert client.get("/account", follow_redirects=False).headers["location"].startswith("/login")
    assert client.get("/api/v1/me").status_code == 401
    page = client.get(response.headers["location"])
    assert page.status_code == 200 and 'value="/account"' in page.text
    token = csrf_from(page.text)
    before = attempt_count(client.app)
    refused = client.post("/login/mfa", data={"code": wrong(secret), "csrf_token": token, "next": "/account"})
    assert refused.status_code == 400 and "That code is not right" in refused.text
    assert attempt_count(client.app) == before + 1
    ok = client.post("/login/mfa", data={"code": code(secret), "csrf_token": token, "next": "/account"},
                     follow_redirects=False)
    assert ok.status_code == 303 and ok.headers["location"] == "/account"
    assert ok.cookies["lo_session"] != pending
    assert session_count(client.app, user.id) == 1
    assert client.get("/account").status_code == 200
    assert "login.success" in [action for action, *_ in audit_actions(client.app)]


def test_wrong_codes_hit_the_rate_limit(client, make_user, settings):
    import datetime as dt

    from location_ops.clock import clock

    clock.freeze(dt.datetime(2026, 12, 1, 20, 0, tzinfo=dt.UTC))
    user = make_user("host", "mira")
    secret = with_mfa(client.app, user)
    location = login(client, "mira").headers["location"]
    token = csrf_from(client.get(location).text)
    for _ in range(settings.login_free_attempts):
        assert client.post("/login/mfa", data={"code": wrong(secret), "csrf_token": token}).status_code == 400
    throttled = client.post("/login/mfa", data={"code": code(secret), "csrf_token": token}, follow_redirects=False)
    assert throttled.status_code == 429 and "Too many attempts" in throttled.text
    assert client.get("/account", follow_redirects=False).status_code == 303
    clock.advance(dt.timedelta(seconds=1))
    ok = client.post("/login/mfa", data={"code": code(secret), "csrf_token": token}, follow_redirects=False)
    assert ok.status_code == 303


def test_mfa_page_without_a_pending_login_goes_back_to_login(client):
    assert client.get("/login/mfa", follow_redirects=False).headers["location"] == "/login"
    token = csrf_from(client.get("/login").text)
    response = client.post("/login/mfa", data={"code": "123456", "csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"


OPERATOR_PAGES = ["/", "/account", "/admin/users", "/admin/audit"]


def test_an_operator_without_mfa_is_sent_to_enrol_from_every_page(client, make_user):
    user = make_user("operator", "boss")
    response = login(client, "boss")
    assert response.status_code == 303
    for path in OPERATOR_PAGES:
        sent = client.get(path, follow_redirects=False)
        assert sent.status_code == 303 and sent.headers["location"] == "/account/mfa", path
    for path in ("/api/v1/me", "/api/v1/users"):
        refused = client.get(path)
        assert refused.status_code == 403 and refused.json() == {"detail": ENROL_FIRST}, path
    api = client.post("/api/v1/auth/login", json={"username": "boss", "password": PASSWORD})
    assert api.status_code == 403 and api.json() == {"detail": ENROL_FIRST}
    enrol(client)
    assert stored_user(client.app, user.id).mfa_enabled
    for path in OPERATOR_PAGES:
        assert client.get(path, follow_redirects=False).status_code == 200, path


def test_an_operator_cannot_turn_their_own_mfa_off(client, login_as):
    user = login_as("operator")
    token = csrf_from(client.get("/account").text)
    response = client.post("/account/mfa/disable", data={"csrf_token": token})
    assert response.status_code == 400 and "requires two-step login" in response.text
    assert stored_user(client.app, user.id).mfa_enabled


def test_api_login_with_mfa_needs_the_totp(client, make_user):
    user = make_user("host", "sara")
    secret = with_mfa(client.app, user)
    body = {"username": "sara", "password": PASSWORD}
    missing = client.post("/api/v1/auth/login", json=body)
    assert missing.status_code == 401 and "totp" in missing.json()["detail"]
    assert client.post("/api/v1/auth/login", json={**body, "totp": wrong(secret)}).status_code == 401
    assert client.post("/api/v1/auth/login", json={**body, "totp": code(secret)}).status_code == 200


def test_operator_resets_another_users_mfa(client, login_as, make_user, app):
    host = make_user("host", "lost-phone")
    with_mfa(app, host)
    from fastapi.testclient import TestClient

    host_client = TestClient(app)  # the host, logged in elsewhere (no `with`: the app runs already)
    host_secret = stored_user(app, host.id).mfa_secret
    location = login(host_client, "lost-phone").headers["location"]
    host_client.post("/login/mfa", data={"code": code(host_secret), "csrf_token": csrf_from(host_client.get(location).text)})
    assert host_client.get("/account").status_code == 200
    operator = login_as("operator")
    token = csrf_from(client.get("/admin/users").text)
    response = client.post(f"/admin/users/{host.id}/mfa-reset", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    reset = stored_user(app, host.id)
    assert not reset.mfa_enabled and reset.mfa_secret is None
    assert ("mfa.disable", operator.id, host.id) in audit_actions(app)
    assert host_client.get("/account", follow_redirects=False).status_code == 303  # sessions ended
    assert login(client, "lost-phone").headers["location"] == "/"  # password only, until set up again


def test_operator_resetting_own_mfa_gets_a_sentence_not_an_error(client, login_as):
    operator = login_as("operator")
    token = csrf_from(client.get("/admin/users").text)
    response = client.post(f"/admin/users/{operator.id}/mfa-reset", data={"csrf_token": token})
    assert response.status_code == 400 and "requires two-step login" in response.text
    assert stored_user(client.app, operator.id).mfa_enabled
    assert client.post("/admin/users/999999/mfa-reset", data={"csrf_token": token}).status_code == 404


def test_a_used_code_cannot_be_replayed(client, make_user):
    user = make_user("host", "replay")
    secret = with_mfa(client.app, user)
    used = code(secret)
    location = login(client, "replay").headers["location"]
    client.post("/login/mfa", data={"code": used, "csrf_token": csrf_from(client.get(location).text)})
    assert client.get("/account").status_code == 200
    client.cookies.clear()
    location = login(client, "replay").headers["location"]
    replay = client.post("/login/mfa", data={"code": used, "csrf_token": csrf_from(client.get(location).text)},
                         follow_redirects=False)
    assert replay.status_code == 400
    api = client.post("/api/v1/auth/login", json={"username": "replay", "password": PASSWORD, "totp": used})
    assert api.status_code == 401
