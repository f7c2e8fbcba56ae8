"""User administration: the users API and pages for operators, role changes, the audit log."""

from __future__ import annotations

import pyotp
import pytest

from location_ops.clock import utcnow
from location_ops.accounts.models import User
from tests.accounts.helpers import audit_actions, read, session_count, stored_user
from tests.conftest import PASSWORD, api_token, csrf_from, login

NEW = {"username": "Newcomer", "password": "long-enough-password", "role": "worker"}


@pytest.fixture
def operator_headers(client, make_user):
    secret = pyotp.random_base32()
    operator = make_user("operator", "boss", mfa_secret=secret, mfa_enabled=True)
    return operator, api_token(client, "boss", totp=pyotp.TOTP(secret).at(utcnow()))


def test_operator_lists_and_creates_users(client, operator_headers):
    operator, headers = operator_headers
    created = client.post("/api/v1/users", json={**NEW, "language": "en"}, headers=headers)
    assert created.status_code == 201
    body = created.json()
    assert body["username"] == "Newcomer" and body["role"] == "worker" and body["language"] == "en"
    assert "password" not in str(body) and "hash" not in str(body) and "mfa_secret" not in body
    listed = client.get("/api/v1/users", headers=headers)
    assert listed.status_code == 200
    assert {u["username"] for u in listed.json()} == {"boss", "Newcomer"}
    assert ("user.create", operator.id, body["id"]) in audit_actions(client.app)
    # The new account can log in.
    client.cookies.clear()
    assert login(client, "newcomer", "long-enough-password").status_code == 303


def test_duplicate_usernames_are_refused_whatever_the_case(client, operator_headers):
    _operator, headers = operator_headers
    assert client.post("/api/v1/users", json=NEW, headers=headers).status_code == 201
    for name in ("Newcomer", "NEWCOMER", " newcomer "):
        duplicate = client.post("/api/v1/users", json={**NEW, "username": name}, headers=headers)
        assert duplicate.status_code == 409, name
        assert duplicate.json() == {"detail": "That username is taken."}


def test_unknown_role_and_bad_usernames_are_refused(client, operator_headers):
    _operator, headers = operator_headers
    unknown = client.post("/api/v1/users", json={**NEW, "role": "admin"}, headers=headers)
    assert unknown.status_code == 422 and "role" in unknown.json()["detail"]
    for name, status in (("", 400), ("   ", 400), ("two\nlines", 422), ("x" * 65, 422)):
        response = client.post("/api/v1/users", json={**NEW, "username": name}, headers=headers)
        assert response.status_code == status, name
        assert isinstance(response.json()["detail"], str)
    listed = client.get("/api/v1/users", headers=headers).json()
    assert [u["username"] for u in listed] == ["boss"]


def test_other_roles_are_refused_and_nobody_without_a_token(client, make_user):
    assert client.get("/api/v1/users").status_code == 401
    assert client.post("/api/v1/users", json=NEW).status_code == 401
    for role in ("host", "worker", "caseworker", "security"):
        make_user(role, f"someone-{role}")
        headers = api_token(client, f"someone-{role}")
        listed = client.get("/api/v1/users", headers=headers)
        assert listed.status_code == 403 and listed.json() == {"detail": "You do not have access to this page."}
        assert client.post("/api/v1/users", json=NEW, headers=headers).status_code == 403
        login(client, f"someone-{role}")
        page = client.get("/admin/users")
        assert page.status_code == 403 and "You do not have access to this page." in page.text, role
    assert "Newcomer" not in {u.username for u in read(client.app, lambda s: s.query(User).all())}


def test_usernames_are_shown_escaped(client, login_as, app):
    # Such a name is refused now (letters, digits, . - _ only), but one stored before that rule is still shown.
    with app.state.sessionmaker() as db_session:
        db_session.add(User(username="<b>bold</b>", username_key="<b>bold</b>", role="worker", password_hash="x",
                            mfa_enabled=False, active=True, created_at=utcnow()))
        db_session.commit()
    login_as("operator")
    page = client.get("/admin/users").text
    assert "&lt;b&gt;bold&lt;/b&gt;" in page and "<b>bold</b>" not in page


def test_role_change_ends_the_users_sessions_and_is_audited(app, client, login_as, make_user):
    from fastapi.testclient import TestClient

    host = make_user("host", "reception")
    tablet = TestClient(app)  # no `with`: the app runs already
    login(tablet, "reception")
    api = api_token(tablet, "reception")
    assert tablet.get("/account").status_code == 200
    operator = login_as("operator")
    token = csrf_from(client.get("/admin/users").text)
    response = client.post(f"/admin/users/{host.id}/role", data={"role": "worker", "csrf_token": token},
                           follow_redirects=False)
    assert response.status_code == 303
    assert stored_user(app, host.id).role == "worker"
    assert session_count(app, host.id) == 0
    assert tablet.get("/account", follow_redirects=False).status_code == 303
    assert tablet.get("/api/v1/me", headers=api).status_code == 401
    assert ("user.role_change", operator.id, host.id) in audit_actions(app)
    bad = client.post(f"/admin/users/{host.id}/role", data={"role": "boss", "csrf_token": token})
    assert bad.status_code == 400 and "Unknown role" in bad.text
    own = client.post(f"/admin/users/{operator.id}/role", data={"role": "worker", "csrf_token": token})
    assert own.status_code == 400 and stored_user(app, operator.id).role == "operator"
    missing = client.post("/admin/users/999999/role", data={"role": "worker", "csrf_token": token})
    assert missing.status_code == 404


def test_audit_log_lists_security_events_with_ids_and_codes_only(app, client, login_as, make_user):
    worker = make_user("worker", "Zonnebloem")
    login(client, "Zonnebloem", "wrong-password-typed")
    login(client, "nobody-Vlinder", "another-wrong-one")
    client.cookies.clear()
    operator = login_as("operator")
    token = csrf_from(client.get("/admin/users").text)
    client.post(f"/admin/users/{worker.id}/role", data={"role": "host", "csrf_token": token})
    page = client.get("/admin/audit")
    assert page.status_code == 200
    for action in ("user.create", "login.failure", "login.password_ok", "login.success", "user.role_change"):
        assert f'data-action="{action}"' in page.text, action
    # The viewer names existing accounts (operators see them on the users page too, and an
    # erased worker shows as a former worker); a name typed at login that is no account, and
    # any typed password, never appear: the audit stores ids and codes only.
    for secret in ("Vlinder", "vlinder", "wrong-password-typed", "another-wrong-one", PASSWORD):
        assert secret not in page.text, secret
    actions = audit_actions(app)
    assert ("login.failure", None, worker.id) in actions and ("login.failure", None, None) in actions
