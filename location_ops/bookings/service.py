"""Booking rules: book, cancel, release no-shows, availability, overviews, calendar feeds.

The one rule that matters most — no double booking — is not checked here: the
database refuses an overlapping active booking (see bookings/models.py), and
``book`` turns that refusal into ``BookingConflict``.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import case, null, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from location_ops.accounts.models import Role, User
from location_ops.bookings.models import ROOM_OVERLAP, WORKER_OVERLAP, Booking, BookingStatus, CalendarFeed
from location_ops.clock import LOCAL_TZ, REPORT_YEARS_AHEAD, check_day, local_instant, utcnow
from location_ops.config import Settings
from location_ops.contracts import service as contracts_service
from location_ops.contracts.models import Contract, ContractStatus
from location_ops.i18n import _
from location_ops.rooms import service as rooms_service
from location_ops.rooms.models import Room

log = logging.getLogger(__name__)

HOURLY = "hourly"


class BookingError(ValueError):
    """Bad input or a broken rule (400); the message is a sentence for people."""


class BookingForbidden(PermissionError):
    """The worker may not book (no active contract, house rules not accepted): 403."""


class BookingConflict(Exception):
    """The slot is taken, the worker already holds a room then, or the room is out of service: 409."""


class NotFound(LookupError):
    """No such booking, or not one the caller may see: 404."""



def local_date(instant: dt.datetime) -> dt.date:
    return instant.astimezone(LOCAL_TZ).date()


def check_view_day(day: dt.date) -> dt.date:
    """Return a day to show bookings or availability for; refuse one before 2000 or over two years ahead."""
    return check_day(day, what=_("The day"), years_ahead=REPORT_YEARS_AHEAD)


def _check_bookable_day(settings: Settings, day: dt.date, now: dt.datetime) -> None:
    today = local_date(now)
    last = today + dt.timedelta(days=settings.booking_horizon_days)
    if day < today:
        raise BookingError(_("That date is in the past; you can book from today (%(first)s) to %(last)s.")
                           % {"first": today.isoformat(), "last": last.isoformat()})
    if day > last:
        raise BookingError(_("You can book at most %(n)d days ahead: from today (%(first)s) to %(last)s.")
                           % {"n": settings.booking_horizon_days, "first": today.isoformat(),
                              "last": last.isoformat()})


@dataclass(frozen=True)
class Blocker:
    """What stands between a worker and booking on a day: a sentence, a short label and where to fix it."""

    #: "contract" or "house_rules"
    reason: str
    sentence: str
    label: str
    link: str


def booking_blockers(*, db_session: Session, worker_id: int, day: dt.date) -> list[Blocker]:
    """Why this worker cannot book on this day (no active contract, house rules to accept); empty when she can."""
    found = []
    if contracts_service.active_contract_on(db_session=db_session, worker_id=worker_id, day=day) is None:
        found.append(Blocker("contract", _("You need an active contract on that day to book a room. "
                                           "Ask the collective about your contract."),
                             _("No contract"), "/contract"))
    if contracts_service.house_rules_pending(db_session=db_session, worker_id=worker_id) is not None:
        found.append(Blocker("house_rules", _("Read and accept the house rules first: they are on your "
                                              "contract page."), _("Accept house rules"), "/contract#house-rules"))
    return found


def first_steps(*, db_session: Session, worker_id: int, today: dt.date) -> list[Blocker]:
    """What a worker must still do before she can book at all, for her start page (empty when nothing)."""
    found = booking_blockers(db_session=db_session, worker_id=worker_id, day=today)
    if found and found[0].reason == "contract":
        later = db_session.scalar(select(Contract.starts_on).where(
            Contract.worker_id == worker_id, Contract.status == ContractStatus.ACTIVE, Contract.starts_on > today)
            .order_by(Contract.starts_on).limit(1))
        if later is not None:
            found[0] = Blocker("contract_later", _("Your contract starts on %(day)s: you can book from that day.")
                               % {"day": later.isoformat()}, _("My contract"), "/contract")
    return found


def _check_worker(db_session: Session, worker: User, day: dt.date) -> None:
    if worker.role != Role.WORKER:
        raise BookingForbidden(_("Only workers book rooms."))
    blockers = booking_blockers(db_session=db_session, worker_id=worker.id, day=day)
    if blockers:
        raise BookingForbidden(blockers[0].sentence)


def _room(db_session: Session, room_id: int) -> Room:
    room = db_session.get(Room, room_id)
    if room is None or not room.active:
        raise BookingError(_("There is no room with that id to book."))
    return room


#: PostgreSQL: two concurrent inserts that each wait for the other's exclusion check.
DEADLOCK = "40P01"
DEADLOCK_RETRIES = 5


def _insert(db_session: Session, booking: Booking, room: Room) -> Booking:
    """Insert; the database refuses an overlap, which becomes a BookingConflict.

    On PostgreSQL two racing inserts can each wait for the other's uncommitted row
    (room constraint one way, worker constraint the other): a deadlock, which
    PostgreSQL breaks by failing one of them. The row locks below prevent that; should
    one happen anyway, retrying inside the savepoint meets the winner's committed row
    and ends in a clean refusal (or success).
    """
    # Queue racing inserts for the same room or worker behind each other (always room
    # first, then worker: one order, no deadlock). This decides nothing: the
    # constraint does; it only spares PostgreSQL a deadlock to detect (1 s each).
    # SQLite ignores it: writers are serialised there already.
    db_session.execute(select(Room.id).where(Room.id == booking.room_id).with_for_update(key_share=True))
    db_session.execute(select(User.id).where(User.id == booking.worker_id).with_for_update(key_share=True))
    fields = {column.key: getattr(booking, column.key) for column in Booking.__table__.columns if column.key != "id"}
    for attempt in range(DEADLOCK_RETRIES + 1):
        try:
            with db_session.begin_nested():
                db_session.add(booking)
                db_session.flush()
            break
        except OperationalError as exc:
            if getattr(exc.orig, "sqlstate", None) != DEADLOCK or attempt == DEADLOCK_RETRIES:
                raise
            booking = Booking(**fields)
        except IntegrityError as exc:
            _raise_conflict(exc, room)
    log.info("booking %s created: room %s, worker %s", booking.id, booking.room_id, booking.worker_id)
    return booking


def _raise_conflict(exc: IntegrityError, room: Room) -> None:
    text = str(exc.orig)
    if WORKER_OVERLAP in text:
        raise BookingConflict(_("You already have a room booked at that time. "
                                "One room per person at a time.")) from None
    if ROOM_OVERLAP in text:
        raise BookingConflict(_("Room %(n)d is already taken for that time. Choose another room or shift.")
                              % {"n": room.number}) from None
    raise exc


def _shift_slot(db_session: Session, settings: Settings, worker: User, room_id: int, day: dt.date, shift: str,
                now: dt.datetime) -> tuple[Room, rooms_service.ShiftSlot, int]:
    """The checks of ``book`` before the insert: who, which day, which room and shift; returns the price too."""
    _check_worker(db_session, worker, day)  # who may book comes before what: a 403 says nothing of the rest
    _check_bookable_day(settings, day, now)
    room = _room(db_session, room_id)
    try:
        slot = rooms_service.slot_for(db_session=db_session, day=day, shift_name=shift)
    except (rooms_service.NotFound, rooms_service.RoomsError) as exc:
        raise BookingError(str(exc)) from None
    if slot.starts_at <= now:
        raise BookingError(_("That shift has already started."))
    outage = rooms_service.room_out_of_service(db_session=db_session, room_id=room.id, starts_at=slot.starts_at,
                                               ends_at=slot.ends_at)
    if outage is not None:
        raise BookingConflict(_("Room %(n)d is out of service then.") % {"n": room.number})
    return room, slot, rooms_service.price_for(db_session=db_session, shift=slot.shift, room_id=room.id)


@dataclass(frozen=True)
class Quote:
    """What booking a shift would mean, shown before the booking is made: the price and the cancellation terms."""

    room: Room
    slot: rooms_service.ShiftSlot
    price_cents: int
    #: Until when cancelling is free.
    deadline: dt.datetime
    #: What cancelling costs after the deadline (the contract's late-cancellation share of the price).
    late_charge_cents: int
    percent: int
    #: "passed" (cancelling would cost right away), "soon" (free for less than an hour) or "" (free for longer).
    warning: str


#: A free cancellation that ends within this time is announced before booking.
DEADLINE_WARNING = dt.timedelta(hours=1)


def quote(*, db_session: Session, settings: Settings, worker: User, room_id: int, day: dt.date, shift: str,
          now: dt.datetime | None = None) -> Quote:
    """Check a booking as ``book`` would and say what it costs, and what cancelling it would cost, before it is made.

    The database still decides at ``book``; this also says beforehand when the room is taken or
    the worker holds another room then, so the confirmation does not offer what then fails.
    """
    now = now or utcnow()
    room, slot, price = _shift_slot(db_session, settings, worker, room_id, day, shift, now)
    overlapping = db_session.execute(
        select(Booking.worker_id, Room.number).join(Room, Room.id == Booking.room_id).where(
            Booking.status == BookingStatus.BOOKED, Booking.starts_at < slot.ends_at, Booking.ends_at > slot.starts_at,
            (Booking.room_id == room.id) | (Booking.worker_id == worker.id))).all()
    for worker_id, number in overlapping:
        if worker_id == worker.id:
            raise BookingConflict(_("You already have room %(n)d booked at that time. One room per person at "
                                    "a time.") % {"n": number})
    if overlapping:
        raise BookingConflict(_("Room %(n)d is already taken for that time. Choose another room or shift.")
                              % {"n": room.number})
    deadline = slot.starts_at - dt.timedelta(hours=settings.cancellation_deadline_hours)
    contract = contracts_service.active_contract_on(db_session=db_session, worker_id=worker.id, day=day)
    percent = contract.late_cancel_percent if contract is not None else 100
    warning = "passed" if now >= deadline else "soon" if deadline - now <= DEADLINE_WARNING else ""
    return Quote(room, slot, price, deadline, price * percent // 100, percent, warning)


def book(*, db_session: Session, settings: Settings, worker: User, room_id: int, day: dt.date, shift: str,
         now: dt.datetime | None = None) -> Booking:
    """Book a room for a shift on a local date, for a worker with an active contract."""
    now = now or utcnow()
    room, slot, price = _shift_slot(db_session, settings, worker, room_id, day, shift, now)
    booking = Booking(room_id=room.id, worker_id=worker.id, shift=slot.shift.name, day=day, starts_at=slot.starts_at,
                      ends_at=slot.ends_at, status=BookingStatus.BOOKED, price_cents=price, charge_cents=0,
                      created_at=now)
    return _insert(db_session, booking, room)


def book_hours(*, db_session: Session, settings: Settings, worker: User, room_id: int, day: dt.date,
               start: dt.time, hours: int, now: dt.datetime | None = None) -> Booking:
    """Rent a room by the hour (when the setting is on), at least ``hourly_min_hours``."""
    now = now or utcnow()
    _check_worker(db_session, worker, day)
    if not settings.hourly_rental:
        raise BookingError(_("Rooms are rented per shift only."))
    if hours < settings.hourly_min_hours or hours > 24:
        raise BookingError(_("Rent a room for at least %(n)d hours.") % {"n": settings.hourly_min_hours})
    _check_bookable_day(settings, day, now)
    room = _room(db_session, room_id)
    starts_at = local_instant(day, start)  # the DST rule of shifts, for hourly rentals too
    ends_at = starts_at + dt.timedelta(hours=hours)
    if starts_at <= now:
        raise BookingError(_("That time has already started."))
    if rooms_service.room_out_of_service(db_session=db_session, room_id=room.id, starts_at=starts_at,
                                         ends_at=ends_at) is not None:
        raise BookingConflict(_("Room %(n)d is out of service then.") % {"n": room.number})
    booking = Booking(room_id=room.id, worker_id=worker.id, shift=HOURLY, day=day, starts_at=starts_at,
                      ends_at=ends_at, status=BookingStatus.BOOKED, price_cents=hours * settings.hourly_rate_cents,
                      charge_cents=0, created_at=now)
    return _insert(db_session, booking, room)


# --- one's own bookings ------------------------------------------------------------------


def get_own(*, db_session: Session, worker_id: int, booking_id: int) -> Booking:
    """Return the worker's booking; another worker's booking is simply not found."""
    booking = db_session.get(Booking, booking_id)
    if booking is None or booking.worker_id != worker_id:
        raise NotFound(_("That booking does not exist."))
    return booking


@dataclass(frozen=True)
class CancelTerms:
    free: bool
    charge_cents: int
    percent: int
    deadline: dt.datetime


def cancel_terms(*, db_session: Session, settings: Settings, booking: Booking,
                 now: dt.datetime | None = None) -> CancelTerms:
    """What cancelling now costs: free until the deadline, then the contract's charge."""
    now = now or utcnow()
    deadline = booking.starts_at - dt.timedelta(hours=settings.cancellation_deadline_hours)
    contract = contracts_service.active_contract_on(db_session=db_session, worker_id=booking.worker_id,
                                                    day=booking.day)
    percent = contract.late_cancel_percent if contract is not None else 100
    if now < deadline:
        return CancelTerms(True, 0, percent, deadline)
    return CancelTerms(False, booking.price_cents * percent // 100, percent, deadline)


def cancel(*, db_session: Session, settings: Settings, worker_id: int, booking_id: int,
           now: dt.datetime | None = None) -> Booking:
    """Cancel one's own booking before it starts; after the deadline the contract's charge applies."""
    now = now or utcnow()
    booking = get_own(db_session=db_session, worker_id=worker_id, booking_id=booking_id)
    if booking.status != BookingStatus.BOOKED:
        raise BookingError(_("This booking is no longer active."))
    if booking.starts_at <= now:
        raise BookingError(_("This booking has already started; it can no longer be cancelled."))
    terms = cancel_terms(db_session=db_session, settings=settings, booking=booking, now=now)
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_at = now
    booking.charge_cents = terms.charge_cents
    db_session.flush()
    log.info("booking %s cancelled (late=%s)", booking.id, not terms.free)
    return booking


def release_no_shows(*, db_session: Session, now: dt.datetime, settings: Settings | None = None) -> int:
    """Release bookings not checked in ``no_show_release_minutes`` after their start; return how many.

    The room becomes free again for the rest of the shift and the contract's no-show
    charge is recorded on the booking.
    """
    minutes = settings.no_show_release_minutes if settings is not None else 60
    cutoff = now - dt.timedelta(minutes=minutes)
    # Locked (PostgreSQL) so reception's check-in and this release cannot both win.
    overdue = list(db_session.scalars(select(Booking).where(
        Booking.status == BookingStatus.BOOKED, Booking.checked_in_at.is_(None),
        Booking.starts_at <= cutoff).with_for_update()))
    if not overdue:
        return 0
    percents = contracts_service.no_show_percents(
        db_session=db_session, pairs={(booking.worker_id, booking.day) for booking in overdue})
    db_session.execute(update(Booking), [
        {"id": booking.id, "status": BookingStatus.NO_SHOW, "released_at": now,
         "charge_cents": booking.price_cents * percents.get((booking.worker_id, booking.day), 100) // 100}
        for booking in overdue])
    db_session.flush()
    log.info("released %d no-show booking(s): %s", len(overdue), [booking.id for booking in overdue][:50])
    return len(overdue)


def worker_bookings(*, db_session: Session, worker_id: int, since: dt.datetime | None = None,
                    limit: int = 100) -> list[tuple[Booking, int]]:
    """The worker's bookings (with room numbers), soonest first."""
    query = (select(Booking, Room.number).join(Room, Room.id == Booking.room_id)
             .where(Booking.worker_id == worker_id))
    if since is not None:
        query = query.where(Booking.ends_at > since)
    return [(b, n) for b, n in db_session.execute(query.order_by(Booking.starts_at).limit(limit))]


# --- availability (no names) -------------------------------------------------------------


@dataclass
class Cell:
    room: Room
    slot: rooms_service.ShiftSlot
    available: bool
    #: "free", "taken", "mine", "own_overlap" (the viewer holds another room then), "out_of_service", "past"
    state: str
    booking_id: int | None = None  # only for the caller's own booking
    price_cents: int = 0
    #: For "own_overlap": the number of the room the viewer holds then.
    own_room: int | None = None


@dataclass
class DayGrid:
    day: dt.date
    slots: list[rooms_service.ShiftSlot]
    rows: list[tuple[Room, list[Cell]]]


def availability(*, db_session: Session, first_day: dt.date, days: int = 1, viewer_id: int | None = None,
                 now: dt.datetime | None = None) -> list[DayGrid]:
    """Per day, room and shift: free or taken — never by whom (the viewer's own are marked)."""
    now = now or utcnow()
    check_view_day(first_day)
    rooms = rooms_service.list_rooms(db_session=db_session, active_only=True)
    shifts = rooms_service.list_shifts(db_session=db_session, active_only=True)
    rates = rooms_service.room_rates(db_session=db_session)
    day_slots = [(first_day + dt.timedelta(days=i)) for i in range(days)]
    slots_by_day = {day: rooms_service.slots_on(db_session=db_session, day=day, shifts=shifts) for day in day_slots}
    all_slots = [slot for slots in slots_by_day.values() for slot in slots]
    if not all_slots:
        return [DayGrid(day, [], [(room, []) for room in rooms]) for day in day_slots]
    start = min(slot.starts_at for slot in all_slots)
    end = max(slot.ends_at for slot in all_slots)
    held: dict[int, list[tuple[dt.datetime, dt.datetime, int, int]]] = defaultdict(list)
    own: list[tuple[dt.datetime, dt.datetime, int]] = []
    numbers = {room.id: room.number for room in rooms}
    for room_id, starts_at, ends_at, worker_id, booking_id in db_session.execute(
            select(Booking.room_id, Booking.starts_at, Booking.ends_at, Booking.worker_id, Booking.id).where(
                # A booking lasts at most a day, so its local start date narrows the search (indexed).
                Booking.day >= first_day - dt.timedelta(days=1), Booking.day <= day_slots[-1],
                Booking.status == BookingStatus.BOOKED, Booking.starts_at < end, Booking.ends_at > start)):
        held[room_id].append((starts_at, ends_at, worker_id, booking_id))
        if viewer_id is not None and worker_id == viewer_id:
            own.append((starts_at, ends_at, numbers.get(room_id, 0)))
    blocked: dict[int, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)
    for outage in rooms_service.outages_between(db_session=db_session, starts_at=start, ends_at=end):
        blocked[outage.room_id].append((outage.starts_at, outage.ends_at))
    grids = []
    for day in day_slots:
        rows = []
        for room in rooms:
            cells = []
            for slot in slots_by_day[day]:
                state, own_id = "free", None
                for starts_at, ends_at, worker_id, booking_id in held.get(room.id, ()):
                    if starts_at < slot.ends_at and ends_at > slot.starts_at:
                        if viewer_id is not None and worker_id == viewer_id:
                            state, own_id = "mine", booking_id
                        else:
                            state = "taken"
                        break
                if state == "free" and any(a < slot.ends_at and b > slot.starts_at
                                           for a, b in blocked.get(room.id, ())):
                    state = "out_of_service"
                if state == "free" and slot.starts_at <= now:
                    state = "past"
                own_room = None
                if state == "free":
                    # The worker constraint would refuse it: one room per person at a time.
                    own_room = next((number for a, b, number in own if a < slot.ends_at and b > slot.starts_at), None)
                    if own_room is not None:
                        state = "own_overlap"
                price = rates.get((slot.shift.id, room.id), slot.shift.price_cents)
                cells.append(Cell(room, slot, state == "free", state, own_id, price, own_room))
            rows.append((room, cells))
        grids.append(DayGrid(day, slots_by_day[day], rows))
    return grids


# --- staff views (with pseudonyms) ------------------------------------------------------


@dataclass
class StaffBooking:
    booking: Booking
    room_number: int
    pseudonym: str


def bookings_for_days(*, db_session: Session, days: list[dt.date],
                      include_cancelled: bool = False) -> list[StaffBooking]:
    """Bookings on these local dates with room numbers and pseudonyms (host and operator views)."""
    for day in days:
        check_view_day(day)
    query = (select(Booking, Room.number, User.username).join(Room, Room.id == Booking.room_id)
             .join(User, User.id == Booking.worker_id).where(Booking.day.in_(days)))
    if not include_cancelled:
        query = query.where(Booking.status != BookingStatus.CANCELLED)
    rows = db_session.execute(query.order_by(Booking.starts_at, Room.number))
    return [StaffBooking(b, n, u) for b, n, u in rows]


def host_bookings(*, db_session: Session, today: dt.date) -> dict[dt.date, list[StaffBooking]]:
    """Today's and tomorrow's bookings with pseudonyms, for the host and the reception board."""
    days = [today, today + dt.timedelta(days=1)]
    found = bookings_for_days(db_session=db_session, days=days)
    return {day: [row for row in found if row.booking.day == day] for day in days}


@dataclass(frozen=True)
class OverviewCell:
    pseudonym: str
    checked_in_at: dt.datetime | None


@dataclass
class OverviewDay:
    day: dt.date
    slots: list[rooms_service.ShiftSlot]
    rows: list[tuple[Room, list[OverviewCell | None]]]


def operator_overview(*, db_session: Session, first_day: dt.date, days: int = 7) -> list[OverviewDay]:
    """Rooms × shifts per day with who booked (operator); reads only the columns it shows."""
    check_view_day(first_day)
    rooms = rooms_service.list_rooms(db_session=db_session)
    shifts = rooms_service.list_shifts(db_session=db_session, active_only=True)
    dates = [first_day + dt.timedelta(days=i) for i in range(days)]
    # Shift bookings are matched by name, without comparing times; only hourly rentals
    # (rare, and only when switched on) need their times read and compared.
    by_shift: dict[tuple[int, dt.date, str], OverviewCell] = {}
    hourly: dict[tuple[int, dt.date], list[tuple[dt.datetime, dt.datetime, OverviewCell]]] = defaultdict(list)
    is_hourly = Booking.shift == HOURLY
    for room_id, day, shift, checked_in_at, username, starts_at, ends_at in db_session.execute(
            select(Booking.room_id, Booking.day, Booking.shift, Booking.checked_in_at, User.username,
                   case((is_hourly, Booking.starts_at), else_=null()).label("hourly_start"),
                   case((is_hourly, Booking.ends_at), else_=null()).label("hourly_end"))
            .join(User, User.id == Booking.worker_id)
            .where(Booking.day >= dates[0], Booking.day <= dates[-1], Booking.status == BookingStatus.BOOKED)):
        cell = OverviewCell(username, checked_in_at)
        if shift == HOURLY:
            hourly[(room_id, day)].append((starts_at, ends_at, cell))
        else:
            by_shift[(room_id, day, shift)] = cell
    result = []
    for day in dates:
        slots = rooms_service.slots_on(db_session=db_session, day=day, shifts=shifts)
        day_rows = []
        for room in rooms:
            extra = hourly.get((room.id, day), ())
            day_rows.append((room, [by_shift.get((room.id, day, slot.shift.name)) or next(
                (cell for starts_at, ends_at, cell in extra if starts_at < slot.ends_at and ends_at > slot.starts_at),
                None) for slot in slots]))
        result.append(OverviewDay(day, slots, day_rows))
    return result


# --- calendar feed ------------------------------------------------------------------------


def feed_of(*, db_session: Session, worker_id: int) -> CalendarFeed | None:
    return db_session.scalar(select(CalendarFeed).where(CalendarFeed.worker_id == worker_id))


def renew_feed(*, db_session: Session, worker_id: int) -> CalendarFeed:
    """Give the worker a new secret feed URL; the old one stops working."""
    feed = feed_of(db_session=db_session, worker_id=worker_id)
    token = secrets.token_urlsafe(32)
    if feed is None:
        feed = CalendarFeed(worker_id=worker_id, token=token, created_at=utcnow())
        db_session.add(feed)
    else:
        feed.token, feed.created_at = token, utcnow()
    db_session.flush()
    return feed


def revoke_feed(*, db_session: Session, worker_id: int) -> None:
    feed = feed_of(db_session=db_session, worker_id=worker_id)
    if feed is not None:
        db_session.delete(feed)
        db_session.flush()


def feed_worker(*, db_session: Session, token: str) -> int | None:
    if not token or len(token) > 64:
        return None
    return db_session.scalar(select(CalendarFeed.worker_id).where(CalendarFeed.token == token))


def _ics_text(value: str) -> str:
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def calendar_ics(*, db_session: Session, worker_id: int, now: dt.datetime | None = None) -> str:
    """An iCalendar feed of the worker's active bookings, in neutral words ("Room 4, 10:00–18:00")."""
    now = now or utcnow()
    since = now - dt.timedelta(days=31)
    rows = worker_bookings(db_session=db_session, worker_id=worker_id, since=since, limit=500)
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//planner//EN", "CALSCALE:GREGORIAN"]
    for booking, number in rows:
        if booking.status != BookingStatus.BOOKED:
            continue
        start_local, end_local = booking.starts_at.astimezone(LOCAL_TZ), booking.ends_at.astimezone(LOCAL_TZ)
        summary = _("Room %(n)d, %(start)s–%(end)s") % {"n": number, "start": start_local.strftime("%H:%M"),
                                                       "end": end_local.strftime("%H:%M")}
        lines += ["BEGIN:VEVENT", f"UID:b{booking.id}@planner", f"DTSTAMP:{stamp}",
                  f"DTSTART:{booking.starts_at.strftime('%Y%m%dT%H%M%SZ')}",
                  f"DTEND:{booking.ends_at.strftime('%Y%m%dT%H%M%SZ')}",
                  f"SUMMARY:{_ics_text(summary)}", "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return "\r\n".join(lines) + "\r\n"
