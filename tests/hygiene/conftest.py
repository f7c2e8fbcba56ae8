"""Hygiene fixtures: rooms, a frozen clock, a booking that just ended, answering a whole round."""

from __future__ import annotations

import datetime as dt

import pytest

from location_ops.accounts.models import Role
from location_ops.bookings.models import Booking, BookingStatus
from location_ops.clock import LOCAL_TZ, clock
from location_ops.hygiene import service
from location_ops.hygiene.models import ItemResult
from location_ops.rooms.models import Room

#: Monday 16 November 2026, 09:00 in Utrecht (before the daily and weekly deadlines of 12:00).
MONDAY_9 = dt.datetime(2026, 11, 16, 9, 0, tzinfo=LOCAL_TZ)


@pytest.fixture
def now():
    clock.freeze(MONDAY_9)
    return clock.now()


@pytest.fixture
def rooms(db):
    """Rooms 1-3 active, room 9 inactive; returned as {number: id}."""
    made = [Room(number=n, name=f"Room {n}", active=n != 9) for n in (1, 2, 3, 9)]
    db.add_all(made)
    db.commit()
    return {room.number: room.id for room in made}


def add_booking(db, *, room_id: int, worker_id: int, starts_at: dt.datetime, ends_at: dt.datetime,
                checked_out_at: dt.datetime | None = None) -> Booking:
    booking = Booking(room_id=room_id, worker_id=worker_id, shift="day",
                      day=starts_at.astimezone(LOCAL_TZ).date(), starts_at=starts_at, ends_at=ends_at,
                      status=BookingStatus.BOOKED, price_cents=8000, created_at=starts_at - dt.timedelta(days=1),
                      checked_in_at=starts_at, checked_out_at=checked_out_at)  # checked in: never a released no-show
    db.add(booking)
    db.commit()
    return booking


def answer_all(db, hygiene_round, actor, now, result=ItemResult.OK.value):
    for item in hygiene_round.template.items:
        service.record_item(db_session=db, hygiene_round=hygiene_round, item_id=item.id, result=result,
                            actor=actor, now=now, note="" if result == "ok" else "broken")


@pytest.fixture
def host(make_user):
    user = make_user(Role.HOST)
    return service.Actor(Role.HOST, user.id)


@pytest.fixture(autouse=True)
def _english(request):
    """Assert on the English sentences: the service in English, the test client asking for English."""
    from location_ops import i18n

    i18n.set_language("en")
    if "client" in request.fixturenames:
        request.getfixturevalue("client").headers["Accept-Language"] = "en"
    yield
    i18n.set_language("nl")
