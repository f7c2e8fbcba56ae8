"""Reception rules: the room board, check-in and check-out, the append-only log, shift handover.

Other capabilities' rules are called, never repeated: bookings (the booking and its
database constraint), rooms (out of service), alarms (open alarms, device warnings),
hygiene (``mark_needs_cleaning``, ``check_in_gate``), rota (``visits_on``). Functions take
a keyword-only ``db_session`` and never commit: the route does, then announces.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from location_ops.accounts.models import Role, User
from location_ops.alarms import service as alarms_service
from location_ops.alarms.models import Alarm, Device
from location_ops.bookings import service as bookings_service
from location_ops.bookings.models import Booking, BookingStatus
from location_ops.clock import LOCAL_TZ, REPORT_YEARS_AHEAD, check_day
from location_ops.config import Settings
from location_ops.contracts.models import Contract, ContractStatus
from location_ops.events import emit
from location_ops.formatting import fmt_date
from location_ops.hygiene import service as hygiene_service
from location_ops.hygiene.models import HygieneRound, RoundKind
from location_ops.i18n import _, lazy
from location_ops.reception.models import MANUAL_KINDS, ROOM_KINDS, EntryKind, HostShift, LogEntry
from location_ops.rooms import service as rooms_service
from location_ops.rooms.models import Room, RoomOutage
from location_ops.rota import service as rota_service

log = logging.getLogger(__name__)

#: Who receives the board's live events.
AUDIENCE = frozenset({Role.HOST, Role.OPERATOR})
TEXT_MAX = 2000
OPEN = "open"


class ReceptionError(Exception):
    """A rule said no; the message is a translated sentence, ``status`` the HTTP status.

    ``field``: the form field the refusal concerns, when it concerns one (shown at that field).
    """

    def __init__(self, message: str, status: int = 400, *, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.field = field


class NotFound(ReceptionError):
    def __init__(self, message: str) -> None:
        super().__init__(message, 404)


def _hhmm(value: dt.datetime) -> str:
    return value.astimezone(LOCAL_TZ).strftime("%H:%M")


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The UTC range of a local date (23 or 25 hours around a DST change)."""
    start = dt.datetime.combine(day, dt.time(0), tzinfo=LOCAL_TZ).astimezone(dt.UTC)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=LOCAL_TZ).astimezone(dt.UTC)
    return start, end


def local_day(instant: dt.datetime) -> dt.date:
    return instant.astimezone(LOCAL_TZ).date()


# --- the board --------------------------------------------------------------------------------


class TileState(StrEnum):
    """What a room tile shows, strongest first: an open alarm overrides everything."""

    ALARM = "alarm"
    OUT_OF_SERVICE = "out_of_service"
    OCCUPIED = "occupied"
    NEEDS_CLEANING = "needs_cleaning"
    BOOKED = "booked"
    #: Not free: a booking or an outage holds it for (part of) the period a walk-in would get.
    HELD = "held"
    FREE = "free"

    @property
    def label(self) -> str:
        return {TileState.ALARM: lazy("ALARM"), TileState.OUT_OF_SERVICE: lazy("Out of service"),
                TileState.OCCUPIED: lazy("Occupied"), TileState.NEEDS_CLEANING: lazy("Needs cleaning"),
                TileState.BOOKED: lazy("Not arrived"), TileState.HELD: lazy("Not free"),
                TileState.FREE: lazy("Free")}[self]


@dataclass
class Tile:
    room: Room
    state: TileState
    #: The checked-in, not checked-out booking in the room.
    occupant: bookings_service.StaffBooking | None = None
    #: The next booking of today (or one running now) still to check in.
    expected: bookings_service.StaffBooking | None = None
    #: Tomorrow's first booking, when nothing more comes today.
    next_booking: bookings_service.StaffBooking | None = None
    expected_late: bool = False
    #: How the occupant arrived: "early", "late" or "".
    arrived: str = ""
    alarm: Alarm | None = None
    outage: RoomOutage | None = None
    needs_cleaning: bool = False
    hygiene_hold: bool = False
    warnings: list[alarms_service.DeviceWarning] = field(default_factory=list)
    #: Whether "Give room" would succeed now (as far as the room decides: not who gets it).
    can_give: bool = False
    #: Until when a booking (or an outage) that is not on the tile otherwise holds the room.
    held_until: dt.datetime | None = None
    #: "booking" or "outage": what holds the room until ``held_until``.
    held_by: str = ""
    #: Giving is refused until the hygiene round is done (or a failed item is cleared).
    clean_first: bool = False


@dataclass
class Board:
    now: dt.datetime
    today: dt.date
    tiles: list[Tile]
    visits: list[rota_service.Occurrence]
    #: Warnings not about one room's device (the bridge, unassigned buttons).
    warnings: list[alarms_service.DeviceWarning]
    shift: HostShift | None
    shift_host: str | None
    #: Room numbers whose daily round / weekly clean is overdue: one line for the board, not a badge per tile.
    overdue_daily: list[int] = field(default_factory=list)
    overdue_weekly: list[int] = field(default_factory=list)
    #: Why no room can be given now (no shift now or soon), or "".
    give_closed: str = ""

    @property
    def visits_over(self) -> list[rota_service.Occurrence]:
        return [visit for visit in self.visits if visit.ends_at <= self.now]

    @property
    def visits_coming(self) -> list[rota_service.Occurrence]:
        return [visit for visit in self.visits if visit.ends_at > self.now]


def _is_late(settings: Settings, booking: Booking, now: dt.datetime) -> bool:
    return now > booking.starts_at + dt.timedelta(minutes=settings.reception_late_minutes)


def rooms_needing_cleaning(*, db_session: Session) -> set[int]:
    """Rooms with an open turnover round (hygiene's ``open_round`` for every room at once, for the board)."""
    return set(db_session.scalars(select(HygieneRound.room_id).where(
        HygieneRound.kind == RoundKind.TURNOVER, HygieneRound.status.in_(hygiene_service.OPEN_STATUSES))))


def board(*, db_session: Session, settings: Settings, now: dt.datetime) -> Board:
    """Everything the reception board shows, in a fixed small number of queries."""
    today = local_day(now)
    rooms = rooms_service.list_rooms(db_session=db_session, active_only=True)
    rows = bookings_service.bookings_for_days(
        db_session=db_session, days=[today - dt.timedelta(days=1), today, today + dt.timedelta(days=1)])
    by_room: dict[int, list[bookings_service.StaffBooking]] = {}
    for row in rows:
        if row.booking.status == BookingStatus.BOOKED:
            by_room.setdefault(row.booking.room_id, []).append(row)
    alarms = {}
    for alarm in alarms_service.open_alarms(db_session=db_session):
        if alarm.room_id is not None:
            alarms.setdefault(alarm.room_id, alarm)
    slot = _current_slot(db_session, now)
    give_from, give_until = _give_period(slot, now)
    outages, later_outages = {}, {}
    for outage in rooms_service.outages_between(db_session=db_session, starts_at=now,
                                                ends_at=max(give_until or now, now) + dt.timedelta(seconds=1)):
        if outage.starts_at <= now:
            outages[outage.room_id] = outage
        else:
            later_outages.setdefault(outage.room_id, outage)
    holds = {hold.room_id for hold in hygiene_service.open_holds(db_session=db_session)}
    overdue_daily, overdue_weekly = [], []
    for entry in hygiene_service.overdue_rounds(db_session=db_session, now=now, settings=settings):
        (overdue_daily if entry.kind == RoundKind.DAILY else overdue_weekly).append(entry.room_number)
    dirty = rooms_needing_cleaning(db_session=db_session)
    device_rooms = dict(db_session.execute(select(Device.id, Device.room_id)).all())
    room_warnings: dict[int, list[alarms_service.DeviceWarning]] = {}
    general = []
    for warning in alarms_service.device_warnings(db_session=db_session, now=now, settings=settings):
        if warning.kind == "bridge":
            continue  # the staff alarm banner (base.html) already says so, on every page
        room_id = device_rooms.get(warning.device_pk) if warning.device_pk is not None else None
        if room_id is None:
            general.append(warning)
        else:
            room_warnings.setdefault(room_id, []).append(warning)
    tiles = []
    for room in rooms:
        tile = Tile(room=room, state=TileState.FREE, alarm=alarms.get(room.id), outage=outages.get(room.id),
                    hygiene_hold=room.id in holds, warnings=room_warnings.get(room.id, []))
        tile.needs_cleaning = room.id in dirty
        for row in by_room.get(room.id, ()):
            booking = row.booking
            if booking.checked_in_at is not None and booking.checked_out_at is None:
                tile.occupant = tile.occupant or row
            elif (booking.checked_in_at is None and booking.ends_at > now and booking.day <= today
                  and tile.expected is None):
                tile.expected = row
            elif booking.checked_in_at is None and booking.day > today and tile.next_booking is None:
                tile.next_booking = row
        if tile.occupant is not None:
            tile.arrived = _timing_in(settings, tile.occupant.booking, tile.occupant.booking.checked_in_at)
        if tile.expected is not None:
            tile.expected_late = _is_late(settings, tile.expected.booking, now)
            tile.next_booking = None
        if tile.alarm is not None:
            tile.state = TileState.ALARM
        elif tile.outage is not None or tile.hygiene_hold:
            tile.state = TileState.OUT_OF_SERVICE
        elif tile.occupant is not None:
            tile.state = TileState.OCCUPIED
        elif tile.needs_cleaning:
            tile.state = TileState.NEEDS_CLEANING
        elif tile.expected is not None:
            tile.state = TileState.BOOKED
        if tile.state in (TileState.FREE, TileState.NEEDS_CLEANING) and give_from is not None:
            _decide_give(tile, by_room.get(room.id, ()), later_outages.get(room.id), give_from, give_until,
                         settings)
        tiles.append(tile)
    shift, host = db_session.execute(
        select(HostShift, User.username).outerjoin(User, User.id == HostShift.host_id)
        .where(HostShift.open_key == OPEN)).first() or (None, None)
    give_closed = ""
    if give_from is None:
        give_closed = (_("No shift runs now or later today: no room can be given.") if slot is None else
                       _("The next shift starts at %(time)s: rooms can be given from two hours before.")
                       % {"time": _hhmm(slot.starts_at)})
    return Board(now=now, today=today, tiles=tiles, warnings=general, shift=shift, shift_host=host,
                 visits=rota_service.visits_on(db_session=db_session, day=today),
                 overdue_daily=overdue_daily, overdue_weekly=overdue_weekly, give_closed=give_closed)


#: A room is given for a running shift, or for one that starts within this time (see ``walk_in``).
GIVE_AHEAD = dt.timedelta(hours=2)


def _give_period(slot: rooms_service.ShiftSlot | None,
                 now: dt.datetime) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The period ``walk_in`` would book now, or (None, None) when it would refuse whatever the room."""
    if slot is None or slot.starts_at > now + GIVE_AHEAD:
        return None, None
    if slot.starts_at > now:
        return slot.starts_at, slot.ends_at
    return now.replace(second=0, microsecond=0), slot.ends_at


def _decide_give(tile: Tile, rows, outage: RoomOutage | None, give_from: dt.datetime, give_until: dt.datetime,
                 settings: Settings) -> None:
    """Offer "Give room" only when ``walk_in`` would not be refused for the room itself.

    The same rules as the booking's database constraint (an active booking overlapping the
    period) and ``walk_in``'s own checks (hygiene gate, out of service during the period).
    """
    if tile.hygiene_hold or (tile.needs_cleaning and settings.hygiene_block_check_in):
        tile.clean_first = True
        return
    holding = [row.booking.ends_at for row in rows
               if row.booking.status == BookingStatus.BOOKED and row.booking.starts_at < give_until
               and row.booking.ends_at > give_from]
    if holding:
        tile.held_until, tile.held_by = max(holding), "booking"
    elif outage is not None and outage.starts_at < give_until:
        tile.held_until, tile.held_by = outage.starts_at, "outage"
    if tile.held_until is not None:
        if tile.state == TileState.FREE:
            tile.state = TileState.HELD
        return
    tile.can_give = True


# --- check-in and check-out -----------------------------------------------------------------


@dataclass
class Arrival:
    """The result of a check-in: the booking, its log entry and the hygiene gate's answer."""

    booking: Booking
    entry: LogEntry
    pseudonym: str
    room_number: int
    gate: str  # "ok" or "warn"


def _booking_row(db_session: Session, booking_id: int) -> tuple[Booking, Room, str]:
    row = db_session.execute(
        select(Booking, Room, User.username).join(Room, Room.id == Booking.room_id)
        .join(User, User.id == Booking.worker_id).where(Booking.id == booking_id)).first()
    if row is None:
        raise NotFound(_("This booking does not exist."))
    return row[0], row[1], row[2]


def _timing_in(settings: Settings, booking: Booking, now: dt.datetime) -> str:
    if now < booking.starts_at:
        return "early"
    return "late" if _is_late(settings, booking, now) else ""


def _timing_out(settings: Settings, booking: Booking, now: dt.datetime) -> str:
    grace = dt.timedelta(minutes=settings.reception_late_minutes)
    if now < booking.ends_at - grace:
        return "early"
    return "late" if now > booking.ends_at + grace else ""


def check_in_preview(*, db_session: Session, settings: Settings, booking_id: int, now: dt.datetime) -> dict:
    """What a check-in now would mean (for the confirm step): timing and the hygiene gate; raises if refused."""
    booking, room, pseudonym = _booking_row(db_session, booking_id)
    _check_arrival(db_session, settings, booking, room, pseudonym, now)
    gate = hygiene_service.check_in_gate(db_session=db_session, room_id=room.id, now=now, settings=settings)
    return {"booking": booking, "room": room, "pseudonym": pseudonym, "gate": gate,
            "timing": _timing_in(settings, booking, now)}


def check_out_preview(*, db_session: Session, settings: Settings, booking_id: int, now: dt.datetime) -> dict:
    """What a check-out now would mean (for the confirm step): early or late; raises if refused."""
    booking, room, pseudonym = _booking_row(db_session, booking_id)
    if booking.checked_in_at is None or booking.checked_out_at is not None:
        raise ReceptionError(_("%(name)s is not checked in to room %(n)d.") % {"name": pseudonym, "n": room.number},
                             409)
    return {"booking": booking, "room": room, "pseudonym": pseudonym, "timing": _timing_out(settings, booking, now),
            "releases": now < booking.ends_at}


def _check_arrival(db_session: Session, settings: Settings, booking: Booking, room: Room, pseudonym: str,
                   now: dt.datetime) -> None:
    if booking.status == BookingStatus.CANCELLED:
        raise ReceptionError(_("This booking was cancelled; it cannot be checked in."), 409)
    if booking.status == BookingStatus.NO_SHOW:
        raise ReceptionError(_("This booking was released as a no-show; give the room again if it is free."), 409)
    if booking.checked_in_at is not None:
        raise ReceptionError(_("%(name)s is already checked in to room %(n)d (since %(time)s).")
                             % {"name": pseudonym, "n": room.number, "time": _hhmm(booking.checked_in_at)}, 409)
    today = local_day(now)
    running = booking.starts_at <= now < booking.ends_at
    if booking.day != today and not running:
        raise ReceptionError(_("This booking is for %(day)s, not today: only today's bookings can be checked in.")
                             % {"day": fmt_date(booking.day)}, 409)
    if booking.ends_at <= now:
        raise ReceptionError(_("This booking ended at %(time)s; it can no longer be checked in.")
                             % {"time": _hhmm(booking.ends_at)}, 409)
    occupant = db_session.execute(
        select(User.username).join(Booking, Booking.worker_id == User.id).where(
            Booking.room_id == room.id, Booking.id != booking.id, Booking.checked_in_at.is_not(None),
            Booking.checked_out_at.is_(None), Booking.status == BookingStatus.BOOKED,
            # The board's window: an older forgotten check-out must not lock the room for good.
            Booking.day >= today - dt.timedelta(days=1))).scalar()
    if occupant is not None:
        raise ReceptionError(_("Room %(n)d is still occupied by %(name)s: check them out first.")
                             % {"n": room.number, "name": occupant}, 409)
    if rooms_service.room_out_of_service(db_session=db_session, room_id=room.id, starts_at=now,
                                         ends_at=now + dt.timedelta(seconds=1)) is not None:
        raise ReceptionError(_("Room %(n)d is out of service now.") % {"n": room.number}, 409)


def check_in(*, db_session: Session, settings: Settings, booking_id: int, host_id: int,
             now: dt.datetime) -> Arrival:
    """Check a worker in for today's booking: mark early or late, consult the hygiene gate, log it."""
    booking, room, pseudonym = _booking_row(db_session, booking_id)
    _check_arrival(db_session, settings, booking, room, pseudonym, now)
    gate = hygiene_service.check_in_gate(db_session=db_session, room_id=room.id, now=now, settings=settings)
    if gate == "block":
        raise ReceptionError(_("Room %(n)d cannot be checked in: its hygiene round must be done first "
                               "(or a failed item holds it out of service).") % {"n": room.number}, 409)
    # The condition in the UPDATE makes a second, concurrent check-in find nothing to change.
    changed = db_session.execute(
        update(Booking).where(Booking.id == booking.id, Booking.checked_in_at.is_(None),
                              Booking.status == BookingStatus.BOOKED)
        .values(checked_in_at=now).execution_options(synchronize_session=False)).rowcount
    if changed != 1:
        raise ReceptionError(_("%(name)s is already checked in.") % {"name": pseudonym}, 409)
    db_session.refresh(booking)
    entry = _append(db_session, kind=EntryKind.WORKER_IN, now=now, room_id=room.id, author_id=host_id,
                    worker_id=booking.worker_id, booking_id=booking.id,
                    timing=_timing_in(settings, booking, now))
    log.info("booking %s checked in (entry %s)", booking.id, entry.id)
    return Arrival(booking, entry, pseudonym, room.number, gate)


def check_out(*, db_session: Session, settings: Settings, booking_id: int, host_id: int,
              now: dt.datetime) -> Arrival:
    """Check a worker out: the room then needs cleaning (hygiene's turnover round); log it."""
    booking, room, pseudonym = _booking_row(db_session, booking_id)
    if booking.checked_in_at is None:
        raise ReceptionError(_("%(name)s is not checked in to room %(n)d.") % {"name": pseudonym, "n": room.number},
                             409)
    if booking.checked_out_at is not None:
        raise ReceptionError(_("%(name)s was already checked out of room %(n)d at %(time)s.")
                             % {"name": pseudonym, "n": room.number, "time": _hhmm(booking.checked_out_at)}, 409)
    timing = _timing_out(settings, booking, now)
    values: dict = {"checked_out_at": now}
    if now < booking.ends_at:
        # Leaving early releases the rest of the booking: the room can be given again. The
        # booking's end moves to the check-out (whole minutes, as a walk-in starts on one), so the
        # overlap constraint no longer counts the rest; the price stays as booked.
        values["ends_at"] = max(now.replace(second=0, microsecond=0), booking.starts_at + dt.timedelta(minutes=1))
        values["released_at"] = now
    changed = db_session.execute(
        update(Booking).where(Booking.id == booking.id, Booking.checked_out_at.is_(None))
        .values(**values).execution_options(synchronize_session=False)).rowcount
    if changed != 1:
        raise ReceptionError(_("%(name)s was already checked out.") % {"name": pseudonym}, 409)
    db_session.refresh(booking)
    hygiene_service.mark_needs_cleaning(db_session=db_session, room_id=room.id, now=now, by_user_id=host_id)
    entry = _append(db_session, kind=EntryKind.WORKER_OUT, now=now, room_id=room.id, author_id=host_id,
                    worker_id=booking.worker_id, booking_id=booking.id, timing=timing)
    log.info("booking %s checked out (entry %s)", booking.id, entry.id)
    return Arrival(booking, entry, pseudonym, room.number, "ok")


def _current_slot(db_session: Session, now: dt.datetime) -> rooms_service.ShiftSlot | None:
    """The shift running now, else the next one today."""
    today = local_day(now)
    slots = (rooms_service.slots_on(db_session=db_session, day=today - dt.timedelta(days=1))
             + rooms_service.slots_on(db_session=db_session, day=today))
    running = [slot for slot in slots if slot.starts_at <= now < slot.ends_at]
    if running:
        return min(running, key=lambda slot: slot.ends_at)
    coming = [slot for slot in slots if slot.starts_at > now and slot.day == today]
    return min(coming, key=lambda slot: slot.starts_at) if coming else None


@dataclass(frozen=True)
class Candidate:
    """A worker a room can be given to: an active account with a contract active today."""

    id: int
    pseudonym: str


def give_candidates(*, db_session: Session, now: dt.datetime) -> list[Candidate]:
    """The workers with an active account and a contract active today, by pseudonym: whom a room can be given."""
    today = now.astimezone(LOCAL_TZ).date()
    rows = db_session.execute(select(User.id, User.username).where(
        User.role == Role.WORKER, User.active.is_(True),
        User.id.in_(select(Contract.worker_id).where(
            Contract.status == ContractStatus.ACTIVE, Contract.starts_on <= today,
            or_(Contract.ends_on.is_(None), Contract.ends_on >= today)))).order_by(User.username_key))
    return [Candidate(id=worker_id, pseudonym=name) for worker_id, name in rows]


def walk_in(*, db_session: Session, settings: Settings, worker_id: int, room_id: int, host_id: int,
            now: dt.datetime) -> Arrival:
    """Give a worker without a booking a free room now: book it through the bookings rules, then check in.

    A shift that has not begun is booked with ``bookings.service.book``; a running one from
    now to its end with the same checks (active contract, house rules, out of service) and
    the same database constraint (``bookings.service._insert``). One transaction: if the
    check-in is refused, the caller rolls the booking back too. Refusals that concern the
    worker name the form field ``worker_id``.
    """
    worker = db_session.get(User, worker_id)
    if worker is None or worker.role != Role.WORKER or not worker.active:
        raise ReceptionError(_("Choose a worker from the list."), 400, field="worker_id")
    room = db_session.get(Room, room_id)
    if room is None or not room.active:
        raise ReceptionError(_("There is no room with that id."), 404)
    gate = hygiene_service.check_in_gate(db_session=db_session, room_id=room.id, now=now, settings=settings)
    if gate == "block":
        raise ReceptionError(_("Room %(n)d cannot be given: its hygiene round must be done first.")
                             % {"n": room.number}, 409)
    slot = _current_slot(db_session, now)
    if slot is None:
        raise ReceptionError(_("No shift runs now or later today: there is nothing to book."), 409)
    try:
        if slot.starts_at > now:
            booking = bookings_service.book(db_session=db_session, settings=settings, worker=worker,
                                            room_id=room.id, day=slot.day, shift=slot.shift.name, now=now)
        else:
            bookings_service._check_worker(db_session, worker, slot.day)
            if rooms_service.room_out_of_service(db_session=db_session, room_id=room.id, starts_at=now,
                                                 ends_at=slot.ends_at) is not None:
                raise bookings_service.BookingConflict(_("Room %(n)d is out of service then.") % {"n": room.number})
            starts_at = now.replace(second=0, microsecond=0)
            booking = Booking(room_id=room.id, worker_id=worker.id, shift=slot.shift.name, day=slot.day,
                              starts_at=starts_at, ends_at=slot.ends_at, status=BookingStatus.BOOKED,
                              price_cents=rooms_service.price_for(db_session=db_session, shift=slot.shift,
                                                                  room_id=room.id),
                              charge_cents=0, created_at=now)
            booking = bookings_service._insert(db_session, booking, room)
    except bookings_service.BookingForbidden as exc:
        # No contract, house rules not accepted: about the worker chosen.
        raise ReceptionError(str(exc), 403, field="worker_id") from None
    except bookings_service.BookingConflict as exc:
        raise ReceptionError(str(exc), 409) from None
    except bookings_service.BookingError as exc:
        raise ReceptionError(str(exc), 400) from None
    if booking.starts_at > now + GIVE_AHEAD:
        # Booked for a later shift today: it is checked in when the worker comes back.
        raise ReceptionError(_("The next shift starts at %(time)s; book it under Bookings instead.")
                             % {"time": _hhmm(booking.starts_at)}, 409)
    return check_in(db_session=db_session, settings=settings, booking_id=booking.id, host_id=host_id, now=now)


# --- the log ----------------------------------------------------------------------------------


def _append(db_session: Session, *, kind: EntryKind, now: dt.datetime, room_id: int | None, author_id: int | None,
            text: str = "", worker_id: int | None = None, booking_id: int | None = None, timing: str = "",
            corrects_id: int | None = None) -> LogEntry:
    entry = LogEntry(at=now, kind=kind.value, room_id=room_id, author_id=author_id, text=text, worker_id=worker_id,
                     booking_id=booking_id, timing=timing, corrects_id=corrects_id)
    db_session.add(entry)
    db_session.flush()
    return entry


def parse_kind(value: str) -> EntryKind:
    try:
        return EntryKind(value.strip())
    except ValueError:
        raise ReceptionError(_("'%(kind)s' is not a kind of log entry.") % {"kind": value[:20]}, 422, field="kind") from None


def add_entry(*, db_session: Session, kind: str, room_id: int | None, text: str, author_id: int,
              now: dt.datetime, corrects_id: int | None = None) -> LogEntry:
    """Append a log entry by hand (visitor, incident, note, delivery) or a correction of any entry.

    A visitor entry is a room and a time, nothing more: text is refused. A correction keeps
    the kind of the entry it corrects; for a visitor entry it may leave out the room, which
    says the original was a mistake.
    """
    entry_kind = parse_kind(kind)
    text = (text or "").strip()
    original = None
    if corrects_id is not None:
        original = db_session.get(LogEntry, corrects_id)
        if original is None:
            raise NotFound(_("The entry to correct does not exist."))
        if original.kind != entry_kind:
            raise ReceptionError(_("A correction keeps the kind of the entry it corrects (%(kind)s).")
                                 % {"kind": EntryKind(original.kind).label}, 422, field="kind")
    elif entry_kind not in MANUAL_KINDS:
        raise ReceptionError(_("Worker in and out are written by check-in and check-out, handovers by ending "
                               "a shift; they cannot be added by hand."), 422, field="kind")
    if room_id is not None and db_session.get(Room, room_id) is None:
        raise ReceptionError(_("There is no room with id %(id)s.") % {"id": room_id}, 422, field="room")
    if entry_kind.is_visitor:
        if text:
            raise ReceptionError(_("A visitor entry holds a room and a time only: leave the text empty."), 422, field="text")
        if room_id is None and original is None:
            raise ReceptionError(_("Choose the room the visitor came for."), 422, field="room")
    elif entry_kind in ROOM_KINDS and room_id is None and original is None:
        raise ReceptionError(_("Choose a room."), 422, field="room")
    if len(text) > TEXT_MAX:
        raise ReceptionError(_("The text is too long (at most %(n)d characters).") % {"n": TEXT_MAX}, 422, field="text")
    needs_text = entry_kind in (EntryKind.INCIDENT, EntryKind.NOTE) or (
        original is not None and not entry_kind.is_visitor)
    if needs_text and not text:
        raise ReceptionError(_("Write what happened."), 422, field="text")
    entry = _append(db_session, kind=entry_kind, now=now, room_id=room_id, author_id=author_id, text=text,
                    corrects_id=corrects_id,
                    worker_id=original.worker_id if original is not None else None,
                    booking_id=original.booking_id if original is not None else None)
    log.info("reception log entry %s (%s) by user %s", entry.id, entry.kind, author_id)
    return entry


@dataclass
class EntryView:
    entry: LogEntry
    room_number: int | None
    author: str | None
    worker: str | None
    corrected_by: list[int] = field(default_factory=list)

    @property
    def kind(self) -> EntryKind:
        return EntryKind(self.entry.kind)


def list_entries(*, db_session: Session, day: dt.date | None = None, kind: str | None = None,
                 room_id: int | None = None, limit: int = 500) -> list[EntryView]:
    """Log entries, newest first, filtered by local day, kind and room; with who corrected them."""
    author, worker = aliased(User), aliased(User)
    query = (select(LogEntry, Room.number, author.username, worker.username)
             .outerjoin(Room, Room.id == LogEntry.room_id)
             .outerjoin(author, author.id == LogEntry.author_id)
             .outerjoin(worker, worker.id == LogEntry.worker_id))
    if day is not None:
        check_day(day, what=_("The day"), years_ahead=REPORT_YEARS_AHEAD)
        start, end = day_bounds(day)
        query = query.where(LogEntry.at >= start, LogEntry.at < end)
    if kind:
        query = query.where(LogEntry.kind == parse_kind(kind).value)
    if room_id is not None:
        query = query.where(LogEntry.room_id == room_id)
    rows = db_session.execute(query.order_by(LogEntry.at.desc(), LogEntry.id.desc()).limit(limit)).all()
    views = [EntryView(entry, number, author_name, worker_name) for entry, number, author_name, worker_name in rows]
    ids = [view.entry.id for view in views]
    if ids:
        corrections: dict[int, list[int]] = {}
        # No ORDER BY: with one, SQLite walks the whole table by id instead of using the index.
        for entry_id, corrects in sorted(db_session.execute(
                select(LogEntry.id, LogEntry.corrects_id).where(LogEntry.corrects_id.in_(ids)))):
            corrections.setdefault(corrects, []).append(entry_id)
        for view in views:
            view.corrected_by = corrections.get(view.entry.id, [])
    return views


def get_entry(*, db_session: Session, entry_id: int) -> EntryView:
    entry = db_session.get(LogEntry, entry_id)
    if entry is None:
        raise NotFound(_("This log entry does not exist."))
    number = db_session.scalar(select(Room.number).where(Room.id == entry.room_id)) if entry.room_id else None
    names = alarms_service.user_names(db_session=db_session, ids=[entry.author_id, entry.worker_id])
    corrected = list(db_session.scalars(select(LogEntry.id).where(LogEntry.corrects_id == entry.id)))
    return EntryView(entry, number, names.get(entry.author_id), names.get(entry.worker_id), corrected)


def entry_json(view: EntryView) -> dict:
    entry = view.entry
    return {"id": entry.id, "at": entry.at.isoformat(), "kind": entry.kind, "room_id": entry.room_id,
            "room": view.room_number, "text": entry.text, "timing": entry.timing, "booking_id": entry.booking_id,
            "worker": view.worker, "author": view.author, "corrects_id": entry.corrects_id,
            "corrected_by": view.corrected_by}


# --- shifts and handover ------------------------------------------------------------------------


def current_shift(*, db_session: Session) -> HostShift | None:
    return db_session.scalar(select(HostShift).where(HostShift.open_key == OPEN))


@dataclass
class Handover:
    """What the next host sees first: open alarms, rooms to clean, the last handover and notes since."""

    alarms: list[Alarm]
    rooms_to_clean: list[int]
    overdue: list[hygiene_service.OverdueRound]
    last_handover: EntryView | None
    notes: list[EntryView]
    last_shift: HostShift | None
    #: The notes are those since this moment: the start of the last shift, or the last 24 hours.
    since: dt.datetime


def handover(*, db_session: Session, settings: Settings, now: dt.datetime) -> Handover:
    """What is open for the host who starts a shift now."""
    last_shift = db_session.scalar(select(HostShift).where(HostShift.ended_at.is_not(None))
                                   .order_by(HostShift.ended_at.desc()).limit(1))
    last = None
    if last_shift is not None and last_shift.handover_entry_id is not None:
        last = get_entry(db_session=db_session, entry_id=last_shift.handover_entry_id)
    since = last_shift.started_at if last_shift is not None else now - dt.timedelta(hours=24)
    notes = [view for view in list_entries(db_session=db_session, limit=50)
             if view.entry.at >= since and view.entry.kind in (EntryKind.NOTE, EntryKind.INCIDENT,
                                                              EntryKind.DELIVERY)]
    rooms = rooms_service.list_rooms(db_session=db_session, active_only=True)
    dirty = rooms_needing_cleaning(db_session=db_session)
    to_clean = [room.number for room in rooms if room.id in dirty]
    return Handover(alarms=alarms_service.open_alarms(db_session=db_session), rooms_to_clean=to_clean,
                    overdue=hygiene_service.overdue_rounds(db_session=db_session, now=now, settings=settings),
                    last_handover=last, notes=notes, last_shift=last_shift, since=since)


def start_shift(*, db_session: Session, host_id: int, now: dt.datetime) -> HostShift:
    """Start the host's shift; one shift is open at a time (a unique key in the database)."""
    open_shift = current_shift(db_session=db_session)
    if open_shift is not None:
        name = db_session.scalar(select(User.username).where(User.id == open_shift.host_id)) or "?"
        raise ReceptionError(_("A shift is already open (%(name)s since %(time)s). It must be ended with a "
                               "handover note first.") % {"name": name, "time": _hhmm(open_shift.started_at)}, 409)
    shift = HostShift(host_id=host_id, started_at=now, open_key=OPEN)
    try:
        with db_session.begin_nested():
            db_session.add(shift)
            db_session.flush()
    except IntegrityError:
        raise ReceptionError(_("Another host started a shift just now."), 409) from None
    log.info("reception shift %s started by user %s", shift.id, host_id)
    return shift


def end_shift(*, db_session: Session, host_id: int, note: str, now: dt.datetime) -> HostShift:
    """End the open shift with a handover note (written to the log as a handover entry)."""
    shift = current_shift(db_session=db_session)
    if shift is None:
        raise ReceptionError(_("No shift is open."), 409)
    note = (note or "").strip()
    if not note:
        raise ReceptionError(_("Write a handover note: what the next host must know (or “nothing special”)."))
    if len(note) > TEXT_MAX:
        raise ReceptionError(_("The text is too long (at most %(n)d characters).") % {"n": TEXT_MAX})
    entry = _append(db_session, kind=EntryKind.HANDOVER, now=now, room_id=None, author_id=host_id, text=note)
    changed = db_session.execute(
        update(HostShift).where(HostShift.id == shift.id, HostShift.open_key == OPEN)
        .values(open_key=None, ended_at=now, ended_by_id=host_id, handover_entry_id=entry.id)
        .execution_options(synchronize_session=False)).rowcount
    if changed != 1:
        raise ReceptionError(_("This shift was ended just now by someone else."), 409)
    db_session.refresh(shift)
    log.info("reception shift %s ended by user %s (entry %s)", shift.id, host_id, entry.id)
    return shift


def count_entries(*, db_session: Session) -> int:
    return db_session.scalar(select(func.count(LogEntry.id))) or 0


# --- live screens -------------------------------------------------------------------------------


def announce(db_session: Session, *, room_ids: list[int] | tuple[int, ...] = (), entry: LogEntry | None = None) -> None:
    """Tell the board and log screens (host, operator) what changed, at commit: ids only, never text."""
    for room_id in room_ids:
        emit(db_session, "room", {"room_id": room_id}, audience=AUDIENCE)
    if entry is not None:
        emit(db_session, "log", {"id": entry.id, "kind": entry.kind, "room_id": entry.room_id}, audience=AUDIENCE)
