"""Rota fixtures: a caseworker with a profile and a weekly visit, bearer tokens per role."""

from __future__ import annotations

import datetime as dt
import uuid

import pyotp
import pytest

from location_ops.accounts.models import Role, User
from location_ops.clock import LOCAL_TZ, clock
from location_ops.rota import service
from tests.conftest import PASSWORD

#: Monday 19 October 2026, 09:00 in Utrecht: the week before the October DST change.
MONDAY = dt.date(2026, 10, 19)
NOW = dt.datetime(2026, 10, 19, 9, 0, tzinfo=LOCAL_TZ)


@pytest.fixture
def frozen():
    clock.freeze(NOW)
    return NOW


@pytest.fixture
def tokens(client, make_user):
    """``tokens(role) -> (user, headers)``: a new user of the role and a bearer token for them."""

    def make(role: Role | str, username: str | None = None):
        user = make_user(role, username or f"{role}-{uuid.uuid4().hex[:6]}")
        body = {"username": user.username, "password": PASSWORD}
        if Role(role) == Role.OPERATOR:
            secret = pyotp.random_base32()
            with client.app.state.sessionmaker() as db_session:
                stored = db_session.get(User, user.id)
                stored.mfa_secret, stored.mfa_enabled = secret, True
                db_session.commit()
            body["totp"] = pyotp.TOTP(secret).at(clock.now())
        response = client.post("/api/v1/auth/login", json=body)
        assert response.status_code == 200, response.text
        return user, {"Authorization": f"Bearer {response.json()['access_token']}"}

    return make


@pytest.fixture
def plan(app):
    """``plan(caseworker, weekday=0, start=14, end=16, name=...) -> visit id`` (with a profile)."""

    def make(caseworker: User, weekday: int = 0, start: dt.time = dt.time(14), end: dt.time = dt.time(16),
             name: str | None = None, valid_from: dt.date = dt.date(2026, 1, 5)) -> int:
        with app.state.sessionmaker() as db_session:
            user = db_session.get(User, caseworker.id)
            service.update_profile(db_session=db_session, user=user, display_name=name or user.username,
                                   introduction="Ask me about money and housing.", languages=["nl", "ro"],
                                   organisation="Belle")
            visit = service.create_visit(db_session=db_session, actor=user, caseworker_id=user.id, weekday=weekday,
                                         starts_at=start, ends_at=end, valid_from=valid_from,
                                         backdate=True)
            db_session.commit()
            return visit.id

    return make
