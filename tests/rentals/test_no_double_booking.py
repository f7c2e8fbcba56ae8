"""The database itself refuses double bookings: a room overlap or a worker in two rooms."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.exc import IntegrityError

from location_ops.bookings import service
from location_ops.bookings.models import Booking, BookingStatus
from location_ops.clock import utcnow
from tests.rentals.conftest import TOMORROW


def _row(room_id, worker_id, start, hours, status=BookingStatus.BOOKED) -> Booking:
    starts_at = dt.datetime.combine(TOMORROW, dt.time(10), tzinfo=dt.UTC) + dt.timedelta(hours=start)
    return Booking(room_id=room_id, worker_id=worker_id, shift="day", day=TOMORROW, starts_at=starts_at,
                   ends_at=starts_at + dt.timedelta(hours=hours), status=status, price_cents=8000, charge_cents=0,
                   created_at=utcnow())


def _insert(db, booking) -> None:
    db.add(booking)
    try:
        db.commit()
    except IntegrityError:
        db.rollback()
        raise


def test_database_refuses_an_overlapping_room_booking_inserted_directly(rentals, db):
    room, _other = rentals.rooms(2)
    a, b = rentals.worker(), rentals.worker()
    _insert(db, _row(room.id, a.id, 0, 8))
    with pytest.raises(IntegrityError) as refused:
        _insert(db, _row(room.id, b.id, 7, 2))  # one hour of overlap is enough
    assert "ex_bookings_room_overlap" in str(refused.value)
    _insert(db, _row(room.id, b.id, 8, 7))  # [start, end): back to back is fine
    assert db.query(Booking).count() == 2


def test_database_refuses_a_worker_in_two_rooms_at_once(rentals, db):
    room_a, room_b = rentals.rooms(2)
    worker = rentals.worker()
    _insert(db, _row(room_a.id, worker.id, 0, 8))
    with pytest.raises(IntegrityError) as refused:
        _insert(db, _row(room_b.id, worker.id, 4, 8))
    assert "ex_bookings_worker_overlap" in str(refused.value)


def test_cancelled_and_no_show_bookings_do_not_hold_the_room(rentals, db):
    room, = rentals.rooms(1)
    a, b, c = rentals.worker(), rentals.worker(), rentals.worker()
    _insert(db, _row(room.id, a.id, 0, 8, BookingStatus.CANCELLED))
    _insert(db, _row(room.id, b.id, 0, 8, BookingStatus.NO_SHOW))
    _insert(db, _row(room.id, c.id, 0, 8))
    assert db.query(Booking).filter_by(status=BookingStatus.BOOKED).count() == 1


def test_reviving_a_cancelled_booking_into_a_taken_slot_is_refused_by_update(rentals, db):
    room, = rentals.rooms(1)
    a, b = rentals.worker(), rentals.worker()
    cancelled = _row(room.id, a.id, 0, 8, BookingStatus.CANCELLED)
    _insert(db, cancelled)
    _insert(db, _row(room.id, b.id, 0, 8))
    cancelled.status = BookingStatus.BOOKED
    with pytest.raises(IntegrityError):
        db.commit()
    db.rollback()
    # Moving a booking onto another's time is refused too.
    own = _row(room.id, a.id, 9, 2)
    _insert(db, own)
    own.starts_at -= dt.timedelta(hours=3)
    with pytest.raises(IntegrityError):
        db.commit()


def test_the_service_turns_the_refusal_into_a_readable_conflict(rentals, app, settings):
    room, = rentals.rooms(1)
    first, second = rentals.worker(), rentals.worker()
    with app.state.sessionmaker() as db_session:
        service.book(db_session=db_session, settings=settings, worker=first, room_id=room.id, day=TOMORROW,
                     shift="day")
        db_session.commit()
        with pytest.raises(service.BookingConflict, match="Room 1 is already taken"):
            service.book(db_session=db_session, settings=settings, worker=second, room_id=room.id, day=TOMORROW,
                         shift="day")
