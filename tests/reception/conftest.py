"""Reception fixtures: rooms and shifts, workers with contracts, today's bookings, a host logged in."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session

from location_ops.accounts import service as accounts_service
from location_ops.accounts.models import Role, User
from location_ops.bookings.models import Booking, BookingStatus
from location_ops.clock import LOCAL_TZ, clock, utcnow
from location_ops.contracts import service as contracts_service
from location_ops.contracts.models import ContractStatus
from location_ops.rooms import service as rooms_service
from location_ops.rooms.models import Room

#: Tuesday 1 December 2026, 10:20 at the location: the day shift (10:00-18:00) has begun,
#: the no-show release (60 min) has not, the daily hygiene round (due 12:00) is not overdue.
NOW = dt.datetime(2026, 12, 1, 10, 20, tzinfo=LOCAL_TZ)
TODAY = NOW.date()
_HASH: dict[str, str] = {}


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=LOCAL_TZ).astimezone(dt.UTC)


@dataclass
class Place:
    """Arrange reception state through the services, in the app's own database."""

    app: object
    settings: object
    rooms: dict[int, int]

    def session(self) -> Session:
        return self.app.state.sessionmaker()

    def worker(self, name: str | None = None, *, contract: bool = True) -> User:
        from tests.conftest import PASSWORD

        if "hash" not in _HASH:
            _HASH["hash"] = accounts_service.hash_password(PASSWORD, self.settings)
        name = name or f"w{uuid.uuid4().hex[:6]}"
        with self.session() as db_session:
            user = User(username=name, username_key=name.lower(), role=Role.WORKER, password_hash=_HASH["hash"],
                        mfa_enabled=False, active=True, created_at=utcnow())
            db_session.add(user)
            db_session.flush()
            if contract:
                contracts_service.create_contract(db_session=db_session, worker=user,
                                                  starts_on=TODAY - dt.timedelta(days=30),
                                                  status=ContractStatus.ACTIVE)
            db_session.commit()
            return user

    def booking(self, worker: User, room_number: int, *, day: dt.date = TODAY, shift: str = "day") -> int:
        starts, ends = (10, 18) if shift == "day" else (18, 1)
        starts_at = at(day, starts)
        ends_at = at(day + dt.timedelta(days=1) if ends < starts else day, ends)
        with self.session() as db_session:
            booking = Booking(room_id=self.rooms[room_number], worker_id=worker.id, shift=shift, day=day,
                              starts_at=starts_at, ends_at=ends_at, status=BookingStatus.BOOKED, price_cents=8000,
                              charge_cents=0, created_at=starts_at - dt.timedelta(days=2))
            db_session.add(booking)
            db_session.commit()
            return booking.id

    def get_booking(self, booking_id: int) -> Booking:
        with self.session() as db_session:
            return db_session.get(Booking, booking_id)


@pytest.fixture(autouse=True)
def now():
    # Frozen before the app starts: its no-show releaser must not see the real date first and
    # release a booking the test made for "today".
    clock.freeze(NOW)
    return clock.now()


@pytest.fixture
def place(app, settings, now) -> Place:
    with app.state.sessionmaker() as db_session:
        made = [Room(number=n, name=f"Room {n}", active=True) for n in range(1, 6)]
        db_session.add_all(made)
        rooms_service.ensure_default_shifts(db_session=db_session)
        db_session.commit()
        rooms = {room.number: room.id for room in made}
    return Place(app, settings, rooms)


@pytest.fixture
def host(login_as, client):
    """The test client, logged in as a host with a shift started; returns the host user."""
    from tests.conftest import csrf_from

    user = login_as(Role.HOST)
    token = csrf_from(client.get("/reception/shift").text)
    assert client.post("/reception/shift/start", data={"csrf_token": token},
                       follow_redirects=False).status_code == 303
    return user


@pytest.fixture
def host_without_shift(login_as, client):
    return login_as(Role.HOST)


def csrf(client, path: str = "/reception") -> str:
    from tests.conftest import csrf_from

    return csrf_from(client.get(path).text)


@pytest.fixture
def login_operator(client, make_user):
    """Log the client in as an operator while the clock is frozen (the code is for the frozen time)."""

    def do() -> User:
        import pyotp

        from location_ops.clock import clock as the_clock
        from tests.conftest import csrf_from, login

        user = make_user(Role.OPERATOR)
        secret = pyotp.random_base32()
        with client.app.state.sessionmaker() as db_session:
            stored = db_session.get(User, user.id)
            stored.mfa_secret, stored.mfa_enabled = secret, True
            db_session.commit()
        response = login(client, user.username)
        token = csrf_from(client.get(response.headers["location"]).text)
        response = client.post("/login/mfa", data={"code": pyotp.TOTP(secret).at(the_clock.now()),
                                                   "csrf_token": token}, follow_redirects=False)
        assert response.status_code == 303, response.text
        return user

    return do


@pytest.fixture
def settings(settings):
    """English pages, so the tests can read the sentences people get."""
    return settings.model_copy(update={"default_language": "en"})
