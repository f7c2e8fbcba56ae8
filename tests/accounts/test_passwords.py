"""Passwords: argon2id, upgraded on login when the cost settings change, a minimum length."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from location_ops.app import create_app
from tests.accounts.helpers import audit_actions, stored_user
from tests.conftest import PASSWORD, api_token, csrf_from, login


def argon2_params(hash_: str) -> dict[str, int]:
    # $argon2id$v=19$m=1024,t=1,p=1$salt$digest
    return {key: int(value) for key, value in (part.split("=") for part in hash_.split("$")[3].split(","))}


def test_passwords_are_stored_as_argon2id_with_the_configured_cost(app, make_user, settings):
    user = make_user("worker", "lila")
    stored = stored_user(app, user.id).password_hash
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert argon2_params(stored) == {"m": settings.argon2_memory_kib, "t": settings.argon2_time_cost, "p": 1}


@pytest.mark.parametrize("change", [{"argon2_time_cost": 2}, {"argon2_memory_kib": 2048}])
def test_an_old_hash_is_upgraded_at_login_when_the_cost_changes(app, make_user, settings, change):
    user = make_user("host", "roos")
    old = stored_user(app, user.id).password_hash
    stronger = settings.model_copy(update=change)
    with TestClient(create_app(stronger)) as client:
        assert login(client, "roos").status_code == 303
    new = stored_user(app, user.id).password_hash
    assert new != old and new.startswith("$argon2id$")
    assert argon2_params(new) == {"m": stronger.argon2_memory_kib, "t": stronger.argon2_time_cost, "p": 1}
    assert ("user.password_rehash", None, user.id) in audit_actions(app)
    # The new hash still takes the same password, and a hash at today's cost is left alone.
    with TestClient(create_app(stronger)) as client:
        assert login(client, "roos").status_code == 303
    assert stored_user(app, user.id).password_hash == new


def test_a_failed_login_does_not_upgrade_the_hash(app, make_user, settings):
    user = make_user("host", "noor")
    old = stored_user(app, user.id).password_hash
    with TestClient(create_app(settings.model_copy(update={"argon2_time_cost": 2}))) as client:
        assert login(client, "noor", "wrong-password").status_code == 400
    assert stored_user(app, user.id).password_hash == old


def test_too_short_a_password_is_refused_with_a_sentence(client, login_as, settings):
    operator = login_as("operator")
    token = csrf_from(client.get("/admin/users").text)
    short = "x" * (settings.password_min_length - 1)
    page = client.post("/admin/users", data={"username": "newcomer", "password": short, "role": "worker",
                                             "csrf_token": token})
    assert page.status_code == 400
    assert f"The password must be at least {settings.password_min_length} characters long." in page.text
    assert 'value="newcomer"' in page.text  # the form keeps what was typed, except the password
    client.cookies.clear()
    import pyotp

    from location_ops.clock import utcnow

    secret = stored_user(client.app, operator.id).mfa_secret
    headers = api_token(client, operator.username, totp=pyotp.TOTP(secret).at(utcnow(), counter_offset=1))
    response = client.post("/api/v1/users", json={"username": "newcomer", "password": short, "role": "worker"},
                           headers=headers)
    assert response.status_code == 400
    assert response.json() == {"detail": f"The password must be at least {settings.password_min_length} characters long."}
