"""Rooms, out-of-service periods, shift templates and their prices: the rules."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from location_ops.clock import local_instant
from location_ops.config import Settings
from location_ops.i18n import _
from location_ops.rooms.models import Room, RoomOutage, ShiftRate, ShiftTemplate, shift_label

#: DESIGN §10 defaults: (name, start, end, price in cents).
DEFAULT_SHIFTS = (("day", dt.time(10, 0), dt.time(18, 0), 8000), ("evening", dt.time(18, 0), dt.time(1, 0), 12000))


class RoomsError(ValueError):
    """A rule about rooms or shifts was broken; the message is a sentence for people.

    ``field``: the form field the refusal concerns, when it concerns one (shown at that field).
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class RoomsConflict(RoomsError):
    """Refused by what exists already: the room number is taken, or the location has its most rooms."""


class NotFound(LookupError):
    """The room or shift does not exist."""


# --- rooms ----------------------------------------------------------------------------


def list_rooms(*, db_session: Session, active_only: bool = False) -> list[Room]:
    query = select(Room).order_by(Room.number)
    if active_only:
        query = query.where(Room.active.is_(True))
    return list(db_session.scalars(query))


def get_room(*, db_session: Session, room_id: int) -> Room:
    room = db_session.get(Room, room_id)
    if room is None:
        raise NotFound(_("That room does not exist."))
    return room


def create_room(*, db_session: Session, settings: Settings, number: int, name: str = "") -> Room:
    """Add a room, refusing more than ``max_rooms`` or a number already in use."""
    count = db_session.scalar(select(func.count(Room.id)))
    if count >= settings.max_rooms:
        raise RoomsConflict(_("This location already has %(n)d rooms, the most allowed (setting max_rooms).")
                         % {"n": settings.max_rooms})
    if number < 1 or number > 999:
        raise RoomsError(_("A room number is a whole number from 1 to 999."), field="number")
    name = name.strip()[:64]  # empty: the label is "Room %(number)s" in the reader's language
    room = Room(number=number, name=name, active=True)
    db_session.add(room)
    try:
        with db_session.begin_nested():
            db_session.flush()
    except IntegrityError:
        raise RoomsConflict(_("Room number %(n)d exists already.") % {"n": number}, field="number") from None
    return room


def set_room_active(*, db_session: Session, room: Room, active: bool) -> None:
    room.active = active


def add_outage(*, db_session: Session, room: Room, starts_at: dt.datetime, ends_at: dt.datetime,
               reason: str) -> RoomOutage:
    """Take a room out of service for ``[starts_at, ends_at)``; bookings there are refused."""
    reason = reason.strip()
    if not reason:
        raise RoomsError(_("Give a reason for the out-of-service period."), field="reason")
    if ends_at <= starts_at:
        raise RoomsError(_("The out-of-service period must end after it starts."), field="ends")
    outage = RoomOutage(room_id=room.id, starts_at=starts_at, ends_at=ends_at, reason=reason[:200])
    db_session.add(outage)
    db_session.flush()
    return outage


def remove_outage(*, db_session: Session, outage_id: int) -> None:
    outage = db_session.get(RoomOutage, outage_id)
    if outage is None:
        raise NotFound(_("That out-of-service period does not exist."))
    db_session.delete(outage)


def outages(*, db_session: Session, since: dt.datetime | None = None) -> list[RoomOutage]:
    query = select(RoomOutage).order_by(RoomOutage.starts_at)
    if since is not None:
        query = query.where(RoomOutage.ends_at > since)
    return list(db_session.scalars(query))


def outages_between(*, db_session: Session, starts_at: dt.datetime, ends_at: dt.datetime) -> list[RoomOutage]:
    return list(db_session.scalars(select(RoomOutage).where(RoomOutage.starts_at < ends_at,
                                                            RoomOutage.ends_at > starts_at)))


def room_out_of_service(*, db_session: Session, room_id: int, starts_at: dt.datetime,
                        ends_at: dt.datetime) -> RoomOutage | None:
    return db_session.scalar(select(RoomOutage).where(
        RoomOutage.room_id == room_id, RoomOutage.starts_at < ends_at, RoomOutage.ends_at > starts_at).limit(1))


# --- shifts ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ShiftSlot:
    """One shift on one local date: its template and the true UTC range (always longer than zero)."""

    shift: ShiftTemplate
    day: dt.date
    starts_at: dt.datetime
    ends_at: dt.datetime

    @property
    def minutes(self) -> int:
        """The slot's true length in minutes (differs from the template's on a DST day)."""
        return int((self.ends_at - self.starts_at).total_seconds() // 60)

    @property
    def usual_minutes(self) -> int:
        """The length the template's wall-clock times give on a day without a DST change."""
        starts = self.shift.starts.hour * 60 + self.shift.starts.minute
        ends = self.shift.ends.hour * 60 + self.shift.ends.minute
        return (ends - starts) % (24 * 60) or 24 * 60


def local_range(day: dt.date, starts: dt.time, ends: dt.time) -> tuple[dt.datetime, dt.datetime]:
    """Return the UTC ``[start, end)`` of local times on ``day`` (end after midnight when ≤ start).

    Both ends go through ``local_instant`` and its DST rule, so a slot has its true
    length: an evening shift 18:00–01:00 is an hour shorter on the spring night and an
    hour longer on the autumn night; a 02:30–03:30 shift is 03:00–03:30 (30 minutes) on
    the spring day and 02:30 (summer time)–03:30 (winter time), two hours, on the
    autumn day, because the clock passes 02:30–03:00 twice. The result can be empty
    (a shift wholly inside the spring gap): ``slots_on`` does not offer such a slot.
    """
    end_day = day + dt.timedelta(days=1) if ends <= starts else day
    return local_instant(day, starts), local_instant(end_day, ends)


def list_shifts(*, db_session: Session, active_only: bool = False) -> list[ShiftTemplate]:
    query = select(ShiftTemplate).order_by(ShiftTemplate.starts, ShiftTemplate.id)
    if active_only:
        query = query.where(ShiftTemplate.active.is_(True))
    return list(db_session.scalars(query))


def get_shift(*, db_session: Session, name: str) -> ShiftTemplate:
    shift = db_session.scalar(select(ShiftTemplate).where(ShiftTemplate.name == name))
    if shift is None or not shift.active:
        raise NotFound(_("There is no shift called '%(name)s'.") % {"name": name[:32]})
    return shift


def slots_on(*, db_session: Session, day: dt.date, shifts: list[ShiftTemplate] | None = None) -> list[ShiftSlot]:
    """Return the shifts that run on a local date, with their UTC ranges.

    A shift whose range is empty on that date after the DST rule (one lying wholly in
    the hour skipped in spring) does not run that day and is not offered.
    """
    shifts = list_shifts(db_session=db_session, active_only=True) if shifts is None else shifts
    weekday = str(day.isoweekday())
    slots = []
    for shift in shifts:
        if weekday in shift.weekdays:
            start, end = local_range(day, shift.starts, shift.ends)
            if end > start:
                slots.append(ShiftSlot(shift, day, start, end))
    return slots


def slot_for(*, db_session: Session, day: dt.date, shift_name: str) -> ShiftSlot:
    shift = get_shift(db_session=db_session, name=shift_name)
    if str(day.isoweekday()) not in shift.weekdays:
        raise RoomsError(_("The %(name)s shift does not run on that day.") % {"name": shift_label(shift.name)})
    slots = slots_on(db_session=db_session, day=day, shifts=[shift])
    if not slots:
        raise RoomsError(_("The %(name)s shift does not run on %(day)s: its hours fall in the hour the clocks "
                           "skip when summer time starts, so it would last no time at all.")
                         % {"name": shift.name, "day": day.isoformat()})
    return slots[0]


def _check_shift_fields(name: str, weekdays: str, price_cents: int) -> tuple[str, str]:
    name = name.strip().lower()
    if not name or len(name) > 32 or not all(c.isalnum() or c in "-_" for c in name):
        raise RoomsError(_("A shift name is one short word (letters, digits, - or _)."), field="name")
    if name == "hourly":
        raise RoomsError(_("The name 'hourly' is reserved."), field="name")
    days = "".join(sorted(set(weekdays)))
    if not days or any(c not in "1234567" for c in days):
        raise RoomsError(_("Choose at least one weekday."), field="weekdays")
    if price_cents < 0:
        raise RoomsError(_("A price cannot be negative."), field="price")
    return name, days


def create_shift(*, db_session: Session, name: str, starts: dt.time, ends: dt.time, weekdays: str = "1234567",
                 price_cents: int) -> ShiftTemplate:
    """Add a shift template; ``ends`` before or at ``starts`` means it ends after midnight."""
    name, weekdays = _check_shift_fields(name, weekdays, price_cents)
    if starts == ends:
        raise RoomsError(_("A shift must not start and end at the same time."), field="ends")
    shift = ShiftTemplate(name=name, starts=starts, ends=ends, weekdays=weekdays, price_cents=price_cents,
                          active=True)
    db_session.add(shift)
    try:
        with db_session.begin_nested():
            db_session.flush()
    except IntegrityError:
        raise RoomsConflict(_("A shift called '%(name)s' exists already.") % {"name": name}, field="name") from None
    return shift


def get_shift_by_id(*, db_session: Session, shift_id: int) -> ShiftTemplate:
    """Return a shift template, active or not."""
    shift = db_session.get(ShiftTemplate, shift_id)
    if shift is None:
        raise NotFound(_("That shift does not exist."))
    return shift


def update_shift(*, db_session: Session, shift: ShiftTemplate, starts: dt.time | None = None,
                 ends: dt.time | None = None, weekdays: str | None = None, price_cents: int | None = None,
                 active: bool | None = None) -> None:
    """Change a shift template; a value left out (None) stays as it is. ``active=False`` deactivates it."""
    starts = shift.starts if starts is None else starts
    ends = shift.ends if ends is None else ends
    price_cents = shift.price_cents if price_cents is None else price_cents
    _name, weekdays = _check_shift_fields(shift.name, shift.weekdays if weekdays is None else weekdays,
                                          price_cents)
    if starts == ends:
        raise RoomsError(_("A shift must not start and end at the same time."), field="ends")
    shift.starts, shift.ends, shift.weekdays, shift.price_cents = starts, ends, weekdays, price_cents
    if active is not None:
        shift.active = active
    db_session.flush()


def ensure_default_shifts(*, db_session: Session) -> None:
    """Create DESIGN §10's default shifts when there are none."""
    if db_session.scalar(select(func.count(ShiftTemplate.id))):
        return
    for name, starts, ends, price in DEFAULT_SHIFTS:
        db_session.add(ShiftTemplate(name=name, starts=starts, ends=ends, weekdays="1234567", price_cents=price,
                                     active=True))
    db_session.flush()


def set_room_rate(*, db_session: Session, shift: ShiftTemplate, room: Room, price_cents: int | None) -> None:
    """Give a room its own price for a shift (None: back to the shift's price)."""
    rate = db_session.scalar(select(ShiftRate).where(ShiftRate.shift_id == shift.id, ShiftRate.room_id == room.id))
    if price_cents is None:
        if rate is not None:
            db_session.delete(rate)
        return
    if price_cents < 0:
        raise RoomsError(_("A price cannot be negative."), field="price")
    if rate is None:
        db_session.add(ShiftRate(shift_id=shift.id, room_id=room.id, price_cents=price_cents))
    else:
        rate.price_cents = price_cents
    db_session.flush()


def rates_of(*, db_session: Session, shift: ShiftTemplate) -> dict[int, int]:
    """Return {room_id: price_cents} for the rooms with their own price for this shift."""
    return dict(db_session.execute(select(ShiftRate.room_id, ShiftRate.price_cents)
                                   .where(ShiftRate.shift_id == shift.id).order_by(ShiftRate.room_id)).all())


def room_rates(*, db_session: Session) -> dict[tuple[int, int], int]:
    """Return {(shift_id, room_id): price_cents} for rooms with their own price."""
    return {(rate.shift_id, rate.room_id): rate.price_cents for rate in db_session.scalars(select(ShiftRate))}


def price_for(*, db_session: Session, shift: ShiftTemplate, room_id: int) -> int:
    rate = db_session.scalar(select(ShiftRate.price_cents).where(ShiftRate.shift_id == shift.id,
                                                                 ShiftRate.room_id == room_id))
    return shift.price_cents if rate is None else rate
