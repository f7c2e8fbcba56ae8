"""Rentals fixtures: rooms, the default shifts, workers with contracts, a frozen clock."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session

from location_ops.accounts import service as accounts_service
from location_ops.accounts.models import Role, User
from location_ops.clock import LOCAL_TZ, clock, utcnow
from location_ops.contracts import service as contracts_service
from location_ops.contracts.models import ContractStatus
from location_ops.rooms import service as rooms_service
from location_ops.rooms.models import Room

#: A Tuesday morning at the location; tests move the clock from here.
NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=LOCAL_TZ)
TODAY = NOW.date()
TOMORROW = TODAY + dt.timedelta(days=1)
_HASH: dict[str, str] = {}


@dataclass
class Rentals:
    """Arrange rentals state through the services, in the app's own database."""

    app: object
    settings: object

    def session(self) -> Session:
        return self.app.state.sessionmaker()

    def rooms(self, count: int = 3) -> list[Room]:
        with self.session() as db_session:
            rooms = [rooms_service.create_room(db_session=db_session, settings=self.settings, number=n)
                     for n in range(1, count + 1)]
            rooms_service.ensure_default_shifts(db_session=db_session)
            db_session.commit()
            return rooms

    def worker(self, username: str | None = None, *, contract: str | None = "active",
               starts_on: dt.date = TODAY - dt.timedelta(days=10), ends_on: dt.date | None = None,
               late_cancel_percent: int = 50, no_show_percent: int = 100) -> User:
        """A worker (with a cheap fixed password hash) and, unless None, a contract in that state."""
        from tests.conftest import PASSWORD

        if "hash" not in _HASH:
            _HASH["hash"] = accounts_service.hash_password(PASSWORD, self.settings)
        name = username or f"w{uuid.uuid4().hex[:8]}"
        with self.session() as db_session:
            user = User(username=name, username_key=name.lower(), role=Role.WORKER, password_hash=_HASH["hash"],
                        mfa_enabled=False, active=True, created_at=utcnow())
            db_session.add(user)
            db_session.flush()
            if contract is not None:
                made = contracts_service.create_contract(
                    db_session=db_session, worker=user, starts_on=starts_on, ends_on=ends_on,
                    status=ContractStatus.ACTIVE if contract != "draft" else ContractStatus.DRAFT,
                    late_cancel_percent=late_cancel_percent, no_show_percent=no_show_percent)
                if contract in ("suspended", "ended"):
                    contracts_service.change_status(db_session=db_session, contract=made,
                                                    status=ContractStatus(contract))
            db_session.commit()
            return user

    def worker_tokens(self, count: int) -> list[dict]:
        """``count`` workers with active contracts and API tokens, made in one transaction."""
        from tests.conftest import PASSWORD

        if "hash" not in _HASH:
            _HASH["hash"] = accounts_service.hash_password(PASSWORD, self.settings)
        headers = []
        with self.session() as db_session:
            for _index in range(count):
                name = f"w{uuid.uuid4().hex[:8]}"
                user = User(username=name, username_key=name, role=Role.WORKER, password_hash=_HASH["hash"],
                            mfa_enabled=False, active=True, created_at=utcnow())
                db_session.add(user)
                db_session.flush()
                contracts_service.create_contract(db_session=db_session, worker=user,
                                                  starts_on=TODAY - dt.timedelta(days=10), status=ContractStatus.ACTIVE)
                token, _auth = accounts_service.start_session(db_session=db_session, settings=self.settings,
                                                              user=user, kind="api", mfa_passed=True)
                headers.append({"Authorization": f"Bearer {token}"})
            db_session.commit()
        return headers

    def token(self, user: User) -> dict:
        with self.session() as db_session:
            token, _auth = accounts_service.start_session(db_session=db_session, settings=self.settings,
                                                          user=db_session.get(User, user.id), kind="api",
                                                          mfa_passed=True)
            db_session.commit()
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def rentals(app, settings) -> Rentals:
    clock.freeze(NOW)
    return Rentals(app, settings)


@pytest.fixture
def login_staff(client, make_user):
    """Log the client in as a host or operator while the clock is frozen (TOTP at the frozen time)."""
    import pyotp

    from tests.conftest import csrf_from, login

    def do(role: str, username: str | None = None) -> User:
        user = make_user(role, username)
        secret = pyotp.random_base32()
        if Role(role) in accounts_service.MFA_REQUIRED:
            with client.app.state.sessionmaker() as db_session:
                stored = db_session.get(User, user.id)
                stored.mfa_secret, stored.mfa_enabled = secret, True
                db_session.commit()
        response = login(client, user.username)
        if Role(role) in accounts_service.MFA_REQUIRED:
            token = csrf_from(client.get(response.headers["location"]).text)
            response = client.post("/login/mfa", data={"code": pyotp.TOTP(secret).at(utcnow()), "csrf_token": token},
                                   follow_redirects=False)
        assert response.status_code == 303, response.text
        return user

    return do


@pytest.fixture(autouse=True)
def _english(request) -> None:
    """Assertions read the English sentences; a test may still pick another language by cookie."""
    from location_ops import i18n

    i18n.set_language("en")  # for services called directly in the test
    if "client" in request.fixturenames:
        request.getfixturevalue("client").headers["Accept-Language"] = "en"
