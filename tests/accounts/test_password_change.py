"""Changing one's own password, and an operator setting a new one for someone who forgot it."""

from sqlalchemy import func, select

from location_ops.accounts.models import AuthSession, Role
from location_ops.privacy.models import AuditEvent
from tests.conftest import PASSWORD, csrf_from, login

NEW = "a-brand-new-password"


def _sessions(db, user_id):
    count = db.scalar(select(func.count()).select_from(AuthSession).where(AuthSession.user_id == user_id))
    db.rollback()  # end the read: on SQLite an open transaction holds the write lock
    return count


def test_own_password_change_needs_the_current_one_and_logs_out_other_devices(client, login_as, app, db):
    from fastapi.testclient import TestClient

    user = login_as(Role.WORKER, "ana")
    other_device = TestClient(app)
    assert login(other_device, "ana").status_code == 303
    assert _sessions(db, user.id) == 2
    token = csrf_from(client.get("/account").text)

    wrong = client.post("/account/password", data={"csrf_token": token, "current": "not-it", "new": NEW, "repeat": NEW})
    assert wrong.status_code == 400 and "current password is not right" in wrong.text
    differ = client.post("/account/password", data={"csrf_token": token, "current": PASSWORD, "new": NEW,
                                                     "repeat": NEW + "x"})
    assert differ.status_code == 400 and "differ" in differ.text
    short = client.post("/account/password", data={"csrf_token": token, "current": PASSWORD, "new": "short",
                                                    "repeat": "short"})
    assert short.status_code == 400 and "at least" in short.text

    done = client.post("/account/password", data={"csrf_token": token, "current": PASSWORD, "new": NEW, "repeat": NEW},
                       follow_redirects=False)
    assert done.status_code == 303
    assert client.get("/account").status_code == 200  # this device stays logged in
    assert other_device.get("/account", follow_redirects=False).status_code == 303  # the other is logged out
    assert _sessions(db, user.id) == 1
    client.cookies.clear()
    assert login(client, "ana", PASSWORD).status_code == 400
    assert login(client, "ana", NEW).status_code == 303


def test_operator_sets_a_new_password_and_the_user_is_logged_out(client, login_as, make_user, app, db):
    from fastapi.testclient import TestClient

    worker = make_user(Role.WORKER, "forgetful")
    worker_device = TestClient(app)
    assert login(worker_device, "forgetful").status_code == 303
    operator = login_as(Role.OPERATOR)
    token = csrf_from(client.get("/admin/users").text)
    short = client.post(f"/admin/users/{worker.id}/password", data={"csrf_token": token, "password": "short"})
    assert short.status_code == 400 and "at least" in short.text
    missing = client.post("/admin/users/999999/password", data={"csrf_token": token, "password": NEW})
    assert missing.status_code == 404
    done = client.post(f"/admin/users/{worker.id}/password", data={"csrf_token": token, "password": NEW},
                       follow_redirects=False)
    assert done.status_code == 303
    assert worker_device.get("/account", follow_redirects=False).status_code == 303
    assert login(TestClient(app), "forgetful", NEW).status_code == 303
    audit = db.scalars(select(AuditEvent).where(AuditEvent.action == "user.password_change")).all()
    assert [(event.actor_id, event.target_id) for event in audit] == [(operator.id, worker.id)]
