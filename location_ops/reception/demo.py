"""Demo data: yesterday's shift with its handover note, a delivery, a visitor, a worker checked in."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from location_ops import demo
from location_ops.bookings.models import Booking, BookingStatus
from location_ops.clock import utcnow
from location_ops.reception import service
from location_ops.reception.models import EntryKind, HostShift
from location_ops.rooms.models import Room


def seed_reception(*, db_session, settings, users) -> None:
    host = users.get("host")
    if host is None:
        return
    now = utcnow()
    yesterday = now - dt.timedelta(days=1)
    handover = service._append(db_session, kind=EntryKind.HANDOVER, now=yesterday, room_id=None, author_id=host.id,
                               text="Rustige dienst. De douche in kamer 2 lekt; de conciërge weet ervan.")
    db_session.add(HostShift(host_id=host.id, started_at=yesterday - dt.timedelta(hours=8), ended_at=yesterday,
                             ended_by_id=host.id, open_key=None, handover_entry_id=handover.id))
    service.add_entry(db_session=db_session, kind="delivery", room_id=None, text="Beddengoed en handdoeken geleverd",
                      author_id=host.id, now=now - dt.timedelta(hours=2))
    room = db_session.scalar(select(Room).order_by(Room.number).limit(1))
    if room is not None:
        service.add_entry(db_session=db_session, kind="visitor_in", room_id=room.id, text="", author_id=host.id,
                          now=now - dt.timedelta(minutes=40))
    running = db_session.scalar(select(Booking).where(
        Booking.status == BookingStatus.BOOKED, Booking.starts_at <= now, Booking.ends_at > now,
        Booking.checked_in_at.is_(None)).order_by(Booking.starts_at).limit(1))
    if running is not None:
        try:
            service.check_in(db_session=db_session, settings=settings, booking_id=running.id, host_id=host.id,
                             now=now)
        except service.ReceptionError:
            pass  # the demo still starts; the board shows the booking as not arrived


demo.SEEDERS.append(seed_reception)
