"""Hygiene rules: templates and their versions, doing a round, room state, supplies, the record.

Functions other capabilities call (reception at check-out and check-in, the board):
``mark_needs_cleaning``, ``room_hygiene_state``, ``check_in_gate``, ``overdue_rounds``,
``hygiene_json``. All take a keyword-only ``db_session`` and never commit: the caller does.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import re
from dataclasses import dataclass, field

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from location_ops.accounts.models import Role
from location_ops.bookings.models import Booking, BookingStatus
from location_ops.clock import LOCAL_TZ, REPORT_YEARS_AHEAD, check_day
from location_ops.config import Settings, get_settings
from location_ops.hygiene.defaults import DEFAULT_TEMPLATES
from location_ops.hygiene.models import (
    ChecklistItem, ChecklistTemplate, HygieneHold, HygieneRound, ItemResult, RoundKind, RoundResult, RoundStatus,
    SupplyNeed,
)
from location_ops.i18n import _, current_language
from location_ops.rooms.models import Room

log = logging.getLogger(__name__)

NOTE_MAX = 500
TEXT_MAX = 200
OPEN_STATUSES = (RoundStatus.PENDING, RoundStatus.IN_PROGRESS, RoundStatus.PAUSED)


class HygieneError(ValueError):
    """A rule was broken; the message is a sentence for people. ``status`` is the HTTP status to answer."""

    status = 400


class Conflict(HygieneError):
    status = 409


class NotFound(HygieneError):
    status = 404


class NotAllowed(HygieneError):
    status = 403


@dataclass(frozen=True)
class Actor:
    """Who is doing something: a role and a user id. Workers are recorded by role only."""

    role: Role
    user_id: int

    @property
    def recorded_id(self) -> int | None:
        return None if self.role == Role.WORKER else self.user_id


def _settings(settings: Settings | None) -> Settings:
    return settings if settings is not None else get_settings()


def _kind(value: str) -> RoundKind:
    try:
        return RoundKind(value)
    except ValueError:
        raise HygieneError(_("'%(kind)s' is not a kind of round.") % {"kind": str(value)[:20]}) from None


# --- templates -------------------------------------------------------------------------


def ensure_templates(*, db_session: Session, now: dt.datetime) -> None:
    """Install the default checklist for every kind that has none yet (first use on an empty database)."""
    present = set(db_session.scalars(select(ChecklistTemplate.kind).distinct()))
    for kind, rows in DEFAULT_TEMPLATES.items():
        if RoundKind(kind) in present:
            continue
        template = ChecklistTemplate(kind=RoundKind(kind), version=1, current=True, created_at=now)
        template.items = [ChecklistItem(key=key, position=position, text_nl=text_nl, text_en=text_en, supply=supply)
                          for position, (key, text_nl, text_en, supply) in enumerate(rows, start=1)]
        db_session.add(template)
    db_session.flush()


def current_template(*, db_session: Session, kind: RoundKind | str, now: dt.datetime) -> ChecklistTemplate:
    """Return the version of ``kind`` that new rounds use."""
    kind = _kind(kind)
    query = select(ChecklistTemplate).where(ChecklistTemplate.kind == kind, ChecklistTemplate.current.is_(True))
    template = db_session.scalar(query)
    if template is None:
        ensure_templates(db_session=db_session, now=now)
        template = db_session.scalar(query)
    return template


def template_versions(*, db_session: Session, kind: RoundKind | str) -> list[ChecklistTemplate]:
    kind = _kind(kind)
    return list(db_session.scalars(select(ChecklistTemplate).where(ChecklistTemplate.kind == kind)
                                   .order_by(ChecklistTemplate.version.desc())))


@dataclass
class ItemDraft:
    """An item as the operator typed it; ``key`` is empty for a new item."""

    text_nl: str
    text_en: str
    supply: bool = False
    key: str = ""


def _new_key(text: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:30] or "item"
    key, n = base, 2
    while key in taken:
        key, n = f"{base}_{n}", n + 1
    return key


def save_template(*, db_session: Session, kind: RoundKind | str, drafts: list[ItemDraft], by_user_id: int,
                  now: dt.datetime) -> ChecklistTemplate:
    """Store the items as a new version of ``kind`` (the old version stays for the rounds done against it).

    Returns the current template unchanged when nothing differs.
    """
    kind = _kind(kind)
    cleaned: list[ItemDraft] = []
    for draft in drafts:
        text_nl, text_en = draft.text_nl.strip(), draft.text_en.strip()
        if not text_nl and not text_en:
            continue
        if len(text_nl) > TEXT_MAX or len(text_en) > TEXT_MAX:
            raise HygieneError(_("An item text is at most %(n)d characters.") % {"n": TEXT_MAX})
        cleaned.append(ItemDraft(text_nl or text_en, text_en or text_nl, draft.supply, draft.key.strip()[:40]))
    if not cleaned:
        raise HygieneError(_("A checklist needs at least one item."))
    if len(cleaned) > 40:
        raise HygieneError(_("A checklist has at most 40 items."))
    old = current_template(db_session=db_session, kind=kind, now=now)
    old_keys = {item.key for item in old.items}
    same = [(i.key, i.text_nl, i.text_en, i.supply) for i in old.items] == \
        [(d.key, d.text_nl, d.text_en, d.supply) for d in cleaned]
    if same:
        return old
    taken: set[str] = set()
    items = []
    for position, draft in enumerate(cleaned, start=1):
        keep = draft.key in old_keys and draft.key not in taken
        key = draft.key if keep else _new_key(draft.text_en, taken | old_keys)
        taken.add(key)
        items.append(ChecklistItem(key=key, position=position, text_nl=draft.text_nl, text_en=draft.text_en,
                                   supply=draft.supply))
    latest = db_session.scalar(select(func.max(ChecklistTemplate.version)).where(ChecklistTemplate.kind == kind))
    db_session.execute(update(ChecklistTemplate).where(ChecklistTemplate.kind == kind).values(current=False))
    template = ChecklistTemplate(kind=kind, version=(latest or 0) + 1, current=True, created_at=now,
                                 created_by_id=by_user_id)
    template.items = items
    db_session.add(template)
    db_session.flush()
    log.info("hygiene template kind=%s version=%s by user_id=%s", kind.value, template.version, by_user_id)
    return template


# --- who may do which room ---------------------------------------------------------------


def _room(db_session: Session, room_id: int) -> Room:
    room = db_session.get(Room, room_id)
    if room is None:
        raise NotFound(_("That room does not exist."))
    return room


def worker_room_after_shift(*, db_session: Session, worker_id: int, now: dt.datetime,
                            settings: Settings | None = None) -> dict[int, dt.datetime]:
    """Rooms (id → when the worker's shift there ended) whose round this worker may do now.

    Only when the operator allows it (``hygiene_worker_rounds``): the worker's booking of the
    room is over (ended or checked out), ended within ``hygiene_worker_window_hours``, and
    nobody has had the room since.
    """
    settings = _settings(settings)
    if not settings.hygiene_worker_rounds:
        return {}
    since = now - dt.timedelta(hours=settings.hygiene_worker_window_hours)
    own = db_session.scalars(select(Booking).where(
        Booking.worker_id == worker_id, Booking.status == BookingStatus.BOOKED,
        Booking.starts_at <= now, Booking.ends_at >= since - dt.timedelta(days=1)))
    found: dict[int, dt.datetime] = {}
    for booking in own:
        ended = booking.ends_at
        if booking.checked_out_at is not None and booking.checked_out_at < ended:
            ended = booking.checked_out_at
        if ended > now or ended < since:
            continue
        later = db_session.scalar(select(func.count(Booking.id)).where(
            Booking.room_id == booking.room_id, Booking.id != booking.id,
            Booking.status == BookingStatus.BOOKED, Booking.starts_at > booking.starts_at,
            Booking.starts_at <= now))
        if not later:
            found[booking.room_id] = ended
    return found


def accessible_rooms(*, db_session: Session, actor: Actor, now: dt.datetime,
                     settings: Settings | None = None) -> list[Room]:
    """The rooms this actor may do rounds in: all active rooms for staff, the own room after shift for a worker."""
    if actor.role in (Role.HOST, Role.OPERATOR):
        return list(db_session.scalars(select(Room).where(Room.active.is_(True)).order_by(Room.number)))
    if actor.role != Role.WORKER:
        return []
    ids = worker_room_after_shift(db_session=db_session, worker_id=actor.user_id, now=now, settings=settings)
    if not ids:
        return []
    return list(db_session.scalars(select(Room).where(Room.id.in_(ids)).order_by(Room.number)))


def _check_room(db_session: Session, actor: Actor, room_id: int, now: dt.datetime,
                settings: Settings | None) -> Room:
    if actor.role in (Role.HOST, Role.OPERATOR):
        return _room(db_session, room_id)
    if actor.role == Role.WORKER:
        if room_id in worker_room_after_shift(db_session=db_session, worker_id=actor.user_id, now=now,
                                              settings=settings):
            return _room(db_session, room_id)
    # Another worker's room, or no access at all: do not reveal that it exists.
    raise NotFound(_("That room does not exist."))


def workers_allowed(settings: Settings | None = None) -> bool:
    return _settings(settings).hygiene_worker_rounds


# --- rounds ------------------------------------------------------------------------------


def open_round(*, db_session: Session, room_id: int, kind: RoundKind) -> HygieneRound | None:
    return db_session.scalar(select(HygieneRound).where(
        HygieneRound.room_id == room_id, HygieneRound.kind == kind, HygieneRound.status.in_(OPEN_STATUSES))
        .order_by(HygieneRound.created_at.desc()).limit(1))


def mark_needs_cleaning(*, db_session: Session, room_id: int, now: dt.datetime, by_user_id: int | None) -> HygieneRound:
    """Start a pending turnover round for the room (called at check-out); reuse one that is still open."""
    _room(db_session, room_id)
    existing = open_round(db_session=db_session, room_id=room_id, kind=RoundKind.TURNOVER)
    if existing is not None:
        return existing
    template = current_template(db_session=db_session, kind=RoundKind.TURNOVER, now=now)
    hygiene_round = HygieneRound(room_id=room_id, kind=RoundKind.TURNOVER, template_id=template.id,
                                 status=RoundStatus.PENDING, reason="checkout", created_at=now,
                                 created_by_id=by_user_id)
    db_session.add(hygiene_round)
    db_session.flush()
    log.info("hygiene turnover round id=%s pending for room_id=%s", hygiene_round.id, room_id)
    return hygiene_round


def start_round(*, db_session: Session, room_id: int, kind: RoundKind | str, actor: Actor, now: dt.datetime,
                settings: Settings | None = None) -> HygieneRound:
    """Open the room's round of this kind: the one already open, or a new one on the current template."""
    kind = _kind(kind)
    _check_room(db_session, actor, room_id, now, settings)
    if actor.role == Role.WORKER and kind != RoundKind.TURNOVER:
        raise NotAllowed(_("After your shift you can do the turnover round of your room; the other rounds are "
                           "done by the staff."))
    hygiene_round = open_round(db_session=db_session, room_id=room_id, kind=kind)
    if hygiene_round is None:
        template = current_template(db_session=db_session, kind=kind, now=now)
        hygiene_round = HygieneRound(room_id=room_id, kind=kind, template_id=template.id, status=RoundStatus.PENDING,
                                     reason="manual", created_at=now, created_by_id=actor.recorded_id)
        db_session.add(hygiene_round)
        db_session.flush()
    if hygiene_round.status in (RoundStatus.PENDING, RoundStatus.PAUSED):
        _set_status(db_session, hygiene_round, RoundStatus.IN_PROGRESS, now)
    return hygiene_round


def get_round(*, db_session: Session, round_id: int, room_id: int, actor: Actor, now: dt.datetime,
              settings: Settings | None = None) -> HygieneRound:
    """Return the round if it belongs to this room and the actor may see it; else NotFound."""
    room = _check_room(db_session, actor, room_id, now, settings)
    hygiene_round = db_session.get(HygieneRound, round_id)
    if hygiene_round is None:
        raise NotFound(_("That round does not exist."))
    if hygiene_round.room_id != room.id:
        raise NotFound(_("That round is not a round of room %(number)s.") % {"number": room.number})
    if actor.role == Role.WORKER and hygiene_round.kind != RoundKind.TURNOVER:
        raise NotFound(_("That round does not exist."))
    return hygiene_round


def _set_status(db_session: Session, hygiene_round: HygieneRound, status: RoundStatus, now: dt.datetime) -> None:
    hygiene_round.status = status
    if status == RoundStatus.IN_PROGRESS and hygiene_round.started_at is None:
        hygiene_round.started_at = now
    hygiene_round.paused_at = now if status == RoundStatus.PAUSED else None
    db_session.flush()


def _check_open(hygiene_round: HygieneRound, db_session: Session | None = None) -> None:
    if db_session is not None:
        # Lock the round (PostgreSQL; SQLite writers are serialised already) and read its status fresh,
        # so an answer cannot slip in while another tablet completes the round.
        status = db_session.scalar(select(HygieneRound.status).where(HygieneRound.id == hygiene_round.id)
                                   .with_for_update())
        if status == RoundStatus.COMPLETED:
            raise Conflict(_("This round is already completed; start a new round to record changes."))
    if hygiene_round.status == RoundStatus.COMPLETED:
        raise Conflict(_("This round is already completed; start a new round to record changes."))


def record_item(*, db_session: Session, hygiene_round: HygieneRound, item_id: int, result: str, actor: Actor,
                now: dt.datetime, note: str = "", low_stock: bool = False,
                out_of_service: bool = False) -> RoundResult:
    """Record (or change) the answer to one item of an open round.

    A failed item needs a note; it may put the room out of service (a hold until staff clear it).
    A supply item may be marked low: it goes on the shopping list until restocked.
    """
    _check_open(hygiene_round, db_session)
    item = next((item for item in hygiene_round.template.items if item.id == item_id), None)
    if item is None:
        raise NotFound(_("That item is not on this round's checklist."))
    try:
        outcome = ItemResult(result)
    except ValueError:
        raise HygieneError(_("Choose done or not in order for this item.")) from None
    note = note.strip()
    if len(note) > NOTE_MAX:
        raise HygieneError(_("The note is at most %(n)d characters.") % {"n": NOTE_MAX})
    if outcome == ItemResult.FAILED and not note:
        raise HygieneError(_("Write a short note on what is wrong with '%(item)s'.")
                           % {"item": item.text(current_language())})
    if outcome == ItemResult.OK:
        out_of_service = False
    if low_stock and not item.supply:
        raise HygieneError(_("Only supplies can be marked as running low."))
    if hygiene_round.status != RoundStatus.IN_PROGRESS:
        _set_status(db_session, hygiene_round, RoundStatus.IN_PROGRESS, now)
    answer = next((r for r in hygiene_round.results if r.item_id == item.id), None)
    if answer is None:
        answer = RoundResult(round_id=hygiene_round.id, item_id=item.id)
        hygiene_round.results.append(answer)
    answer.result, answer.note, answer.low_stock, answer.out_of_service = outcome, note, low_stock, out_of_service
    answer.at, answer.by_role, answer.by_id = now, actor.role.value, actor.recorded_id
    _sync_hold(db_session, hygiene_round, item, out_of_service, now)
    _sync_supply(db_session, hygiene_round, item, low_stock, now)
    db_session.flush()
    return answer


def _sync_hold(db_session: Session, hygiene_round: HygieneRound, item: ChecklistItem, wanted: bool,
               now: dt.datetime) -> None:
    hold = db_session.scalar(select(HygieneHold).where(HygieneHold.round_id == hygiene_round.id,
                                                       HygieneHold.item_id == item.id))
    if wanted and hold is None:
        db_session.add(HygieneHold(room_id=hygiene_round.room_id, round_id=hygiene_round.id, item_id=item.id,
                                   created_at=now))
        log.info("hygiene hold room_id=%s round_id=%s item_id=%s", hygiene_round.room_id, hygiene_round.id, item.id)
    elif not wanted and hold is not None and hold.cleared_at is None:
        db_session.delete(hold)


def _sync_supply(db_session: Session, hygiene_round: HygieneRound, item: ChecklistItem, wanted: bool,
                 now: dt.datetime) -> None:
    mine = db_session.scalar(select(SupplyNeed).where(SupplyNeed.round_id == hygiene_round.id,
                                                      SupplyNeed.item_id == item.id))
    if wanted and mine is None:
        already = db_session.scalar(select(SupplyNeed.id).where(
            SupplyNeed.room_id == hygiene_round.room_id, SupplyNeed.item_key == item.key,
            SupplyNeed.restocked_at.is_(None)).limit(1))
        if already is None:
            db_session.add(SupplyNeed(room_id=hygiene_round.room_id, item_key=item.key, item_id=item.id,
                                      round_id=hygiene_round.id, marked_at=now))
    elif not wanted and mine is not None and mine.restocked_at is None:
        db_session.delete(mine)


def pause_round(*, db_session: Session, hygiene_round: HygieneRound, now: dt.datetime) -> None:
    """Pause an open round; the answers so far are kept."""
    _check_open(hygiene_round)
    _set_status(db_session, hygiene_round, RoundStatus.PAUSED, now)


def resume_round(*, db_session: Session, hygiene_round: HygieneRound, now: dt.datetime) -> None:
    _check_open(hygiene_round)
    _set_status(db_session, hygiene_round, RoundStatus.IN_PROGRESS, now)


def missing_items(hygiene_round: HygieneRound) -> list[ChecklistItem]:
    answered = {result.item_id for result in hygiene_round.results}
    return [item for item in hygiene_round.template.items if item.id not in answered]


def complete_round(*, db_session: Session, hygiene_round: HygieneRound, actor: Actor, now: dt.datetime) -> None:
    """Complete a round whose items are all answered. Completing twice is refused (409)."""
    _check_open(hygiene_round)
    missing = missing_items(hygiene_round)
    if missing:
        raise HygieneError(_("%(n)d item(s) still need an answer before the round is done.") % {"n": len(missing)})
    # Conditional update: two tablets completing at once cannot both succeed.
    done = db_session.execute(update(HygieneRound).where(
        HygieneRound.id == hygiene_round.id, HygieneRound.status.in_(OPEN_STATUSES)).values(
        status=RoundStatus.COMPLETED, completed_at=now, paused_at=None, done_by_role=actor.role.value,
        done_by_id=actor.recorded_id).execution_options(synchronize_session=False))
    if done.rowcount != 1:
        raise Conflict(_("This round is already completed; start a new round to record changes."))
    db_session.refresh(hygiene_round)
    log.info("hygiene round id=%s completed room_id=%s", hygiene_round.id, hygiene_round.room_id)


def rounds_for(*, db_session: Session, room_ids: list[int] | None = None, day: dt.date | None = None,
               limit: int = 200) -> list[HygieneRound]:
    """Rounds, newest first, of these rooms (all when None) created or completed on a local day."""
    query = select(HygieneRound)
    if room_ids is not None:
        query = query.where(HygieneRound.room_id.in_(room_ids))
    if day is not None:
        check_day(day, what=_("The day"), years_ahead=REPORT_YEARS_AHEAD)
        start, end = _day_bounds(day)
        query = query.where(((HygieneRound.created_at >= start) & (HygieneRound.created_at < end))
                            | ((HygieneRound.completed_at >= start) & (HygieneRound.completed_at < end)))
    return list(db_session.scalars(query.order_by(HygieneRound.created_at.desc(), HygieneRound.id.desc())
                                   .limit(limit)))


# --- room state and the clock ---------------------------------------------------------------


def _day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, dt.time(0), tzinfo=LOCAL_TZ).astimezone(dt.UTC)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=LOCAL_TZ).astimezone(dt.UTC)
    return start, end


def daily_deadline(day: dt.date, settings: Settings | None = None) -> dt.datetime:
    """When the daily round of a local day is due."""
    return dt.datetime.combine(day, _settings(settings).hygiene_daily_due_time, tzinfo=LOCAL_TZ).astimezone(dt.UTC)


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.isoweekday() - 1)


def weekly_deadline(day: dt.date, settings: Settings | None = None) -> dt.datetime:
    """When the weekly deep clean of the ISO week containing ``day`` is due."""
    settings = _settings(settings)
    due_day = week_start(day) + dt.timedelta(days=settings.hygiene_weekly_due_weekday - 1)
    return daily_deadline(due_day, settings)


@dataclass(frozen=True)
class OverdueRound:
    room_id: int
    room_number: int
    kind: RoundKind
    due_at: dt.datetime


def _completed_since(db_session: Session, kind: RoundKind, since: dt.datetime, room_ids: list[int]) -> set[int]:
    return set(db_session.scalars(select(HygieneRound.room_id).where(
        HygieneRound.kind == kind, HygieneRound.status == RoundStatus.COMPLETED,
        HygieneRound.completed_at >= since, HygieneRound.room_id.in_(room_ids)).distinct()))


def overdue_rounds(*, db_session: Session, now: dt.datetime, settings: Settings | None = None,
                   room_ids: list[int] | None = None) -> list[OverdueRound]:
    """Daily and weekly rounds past their deadline and not yet done, per active room (for the board)."""
    settings = _settings(settings)
    query = select(Room).where(Room.active.is_(True)).order_by(Room.number)
    if room_ids is not None:
        query = query.where(Room.id.in_(room_ids))
    rooms = list(db_session.scalars(query))
    if not rooms:
        return []
    ids = [room.id for room in rooms]
    today = now.astimezone(LOCAL_TZ).date()
    found: list[OverdueRound] = []
    due_daily = daily_deadline(today, settings)
    if now >= due_daily:
        done = _completed_since(db_session, RoundKind.DAILY, _day_bounds(today)[0], ids)
        found += [OverdueRound(room.id, room.number, RoundKind.DAILY, due_daily) for room in rooms
                  if room.id not in done]
    due_weekly = weekly_deadline(today, settings)
    if now >= due_weekly:
        done = _completed_since(db_session, RoundKind.WEEKLY, _day_bounds(week_start(today))[0], ids)
        found += [OverdueRound(room.id, room.number, RoundKind.WEEKLY, due_weekly) for room in rooms
                  if room.id not in done]
    return sorted(found, key=lambda entry: (entry.room_number, entry.kind != RoundKind.DAILY))


@dataclass(frozen=True)
class RoomHygieneState:
    room_id: int
    needs_cleaning: bool
    #: The open turnover round's status ("pending", "in_progress", "paused") or None.
    turnover: RoundStatus | None
    turnover_round_id: int | None
    daily_overdue: bool
    weekly_overdue: bool
    out_of_service_by_hygiene: bool
    holds: list[HygieneHold] = field(default_factory=list)


def open_holds(*, db_session: Session, room_id: int | None = None) -> list[HygieneHold]:
    query = select(HygieneHold).where(HygieneHold.cleared_at.is_(None)).order_by(HygieneHold.created_at)
    if room_id is not None:
        query = query.where(HygieneHold.room_id == room_id)
    return list(db_session.scalars(query))


def room_hygiene_state(*, db_session: Session, room_id: int, now: dt.datetime,
                       settings: Settings | None = None) -> RoomHygieneState:
    """The room's hygiene state: needs cleaning (turnover open), overdue rounds, out of service by hygiene."""
    room = _room(db_session, room_id)
    turnover = open_round(db_session=db_session, room_id=room_id, kind=RoundKind.TURNOVER)
    overdue = {entry.kind for entry in overdue_rounds(db_session=db_session, now=now, settings=settings,
                                                        room_ids=[room.id])}
    holds = open_holds(db_session=db_session, room_id=room_id)
    return RoomHygieneState(
        room_id=room_id, needs_cleaning=turnover is not None,
        turnover=turnover.status if turnover is not None else None,
        turnover_round_id=turnover.id if turnover is not None else None,
        daily_overdue=RoundKind.DAILY in overdue, weekly_overdue=RoundKind.WEEKLY in overdue,
        out_of_service_by_hygiene=bool(holds), holds=holds)


def room_hygiene_states(*, db_session: Session, now: dt.datetime, settings: Settings | None = None,
                        room_ids: list[int] | None = None) -> dict[int, RoomHygieneState]:
    """The hygiene state of every active room (or these rooms) in four queries: for the board."""
    query = select(Room.id).where(Room.active.is_(True))
    if room_ids is not None:
        query = select(Room.id).where(Room.id.in_(room_ids))
    ids = list(db_session.scalars(query))
    if not ids:
        return {}
    turnovers: dict[int, HygieneRound] = {}
    for hygiene_round in db_session.scalars(select(HygieneRound).where(
            HygieneRound.room_id.in_(ids), HygieneRound.kind == RoundKind.TURNOVER,
            HygieneRound.status.in_(OPEN_STATUSES)).order_by(HygieneRound.created_at)):
        turnovers[hygiene_round.room_id] = hygiene_round  # the newest open one wins
    overdue: dict[int, set[RoundKind]] = {}
    for entry in overdue_rounds(db_session=db_session, now=now, settings=settings, room_ids=ids):
        overdue.setdefault(entry.room_id, set()).add(entry.kind)
    holds: dict[int, list[HygieneHold]] = {}
    for hold in db_session.scalars(select(HygieneHold).where(HygieneHold.room_id.in_(ids),
                                                             HygieneHold.cleared_at.is_(None))
                                   .order_by(HygieneHold.created_at)):
        holds.setdefault(hold.room_id, []).append(hold)
    states = {}
    for room_id in ids:
        turnover = turnovers.get(room_id)
        kinds = overdue.get(room_id, set())
        states[room_id] = RoomHygieneState(
            room_id=room_id, needs_cleaning=turnover is not None,
            turnover=turnover.status if turnover is not None else None,
            turnover_round_id=turnover.id if turnover is not None else None,
            daily_overdue=RoundKind.DAILY in kinds, weekly_overdue=RoundKind.WEEKLY in kinds,
            out_of_service_by_hygiene=room_id in holds, holds=holds.get(room_id, []))
    return states


def check_in_gate(*, db_session: Session, room_id: int, now: dt.datetime, settings: Settings | None = None) -> str:
    """Whether the next check-in of the room may go ahead: "ok", "warn" or "block".

    Blocked while a failed item holds the room out of service; while the turnover round is
    not done, "warn" (default) or "block" (setting ``hygiene_block_check_in``).
    """
    settings = _settings(settings)
    state = room_hygiene_state(db_session=db_session, room_id=room_id, now=now, settings=settings)
    if state.out_of_service_by_hygiene:
        return "block"
    if state.needs_cleaning:
        return "block" if settings.hygiene_block_check_in else "warn"
    return "ok"


def hygiene_json(*, db_session: Session, room_id: int, now: dt.datetime, settings: Settings | None = None) -> dict:
    """The room's hygiene state as JSON for ``GET /api/v1/rooms/{id}``."""
    state = room_hygiene_state(db_session=db_session, room_id=room_id, now=now, settings=settings)
    return {
        "needs_cleaning": state.needs_cleaning,
        "turnover": None if state.turnover is None else {"round_id": state.turnover_round_id,
                                                         "status": state.turnover.value},
        "daily_overdue": state.daily_overdue,
        "weekly_overdue": state.weekly_overdue,
        "out_of_service_by_hygiene": state.out_of_service_by_hygiene,
    }


def clear_hold(*, db_session: Session, room_id: int, by_user_id: int, now: dt.datetime) -> int:
    """Put a room back in service after a hygiene hold; return how many holds were cleared."""
    _room(db_session, room_id)
    cleared = db_session.execute(update(HygieneHold).where(
        HygieneHold.room_id == room_id, HygieneHold.cleared_at.is_(None)).values(
        cleared_at=now, cleared_by_id=by_user_id).execution_options(synchronize_session=False)).rowcount
    if not cleared:
        raise Conflict(_("This room is not out of service because of hygiene."))
    log.info("hygiene holds cleared room_id=%s by user_id=%s", room_id, by_user_id)
    return cleared


# --- supplies -----------------------------------------------------------------------------


@dataclass
class ShoppingLine:
    key: str
    item: ChecklistItem
    needs: list[SupplyNeed]


def shopping_list(*, db_session: Session) -> list[ShoppingLine]:
    """Supplies marked low and not yet restocked, grouped by supply."""
    lines: dict[str, ShoppingLine] = {}
    for need in db_session.scalars(select(SupplyNeed).where(SupplyNeed.restocked_at.is_(None))
                                   .order_by(SupplyNeed.item_key, SupplyNeed.marked_at)):
        lines.setdefault(need.item_key, ShoppingLine(need.item_key, need.item, [])).needs.append(need)
    return list(lines.values())


def restock(*, db_session: Session, by_user_id: int, now: dt.datetime, need_id: int | None = None,
            item_key: str | None = None) -> int:
    """Mark one need (or every open need of a supply) as restocked; return how many."""
    query = update(SupplyNeed).where(SupplyNeed.restocked_at.is_(None))
    if need_id is not None:
        query = query.where(SupplyNeed.id == need_id)
    elif item_key is not None:
        query = query.where(SupplyNeed.item_key == item_key)
    else:
        raise HygieneError(_("Choose what was restocked."))
    count = db_session.execute(query.values(restocked_at=now, restocked_by_id=by_user_id)
                               .execution_options(synchronize_session=False)).rowcount
    if not count:
        raise NotFound(_("That supply is not on the shopping list (any more)."))
    return count


# --- the record ---------------------------------------------------------------------------


def done_by_label(role: str | None, user_id: int | None) -> str:
    """Who did it, for the record: a role and a user id for staff, just "worker" for a worker."""
    if not role:
        return ""
    label = _(Role(role).label)
    if role == Role.WORKER.value or user_id is None:
        return label
    return _("%(role)s (user %(id)d)") % {"role": label, "id": user_id}


@dataclass
class Expectation:
    """One daily or weekly round that was due: on time, late or missed."""

    room_number: int
    kind: RoundKind
    period: dt.date  # the day (daily) or the Monday (weekly)
    due_at: dt.datetime
    done_at: dt.datetime | None

    @property
    def outcome(self) -> str:
        if self.done_at is None:
            return "missed"
        return "on_time" if self.done_at <= self.due_at else "late"


@dataclass
class MonthReport:
    year: int
    month: int
    rooms: list[Room]
    expectations: list[Expectation]
    rounds: list[HygieneRound]
    failures: list[tuple[HygieneRound, RoundResult, ChecklistItem]]
    open_turnovers: int
    room_numbers: dict[int, int] = field(default_factory=dict)

    def count(self, kind: RoundKind, outcome: str) -> int:
        return sum(1 for e in self.expectations if e.kind == kind and e.outcome == outcome)

    def rounds_of(self, kind: RoundKind) -> int:
        return sum(1 for r in self.rounds if r.kind == kind)

    def per_room(self) -> list[dict]:
        """Per room: counts of on time / late / missed daily and weekly rounds, and the missed periods."""
        rows = []
        for room in self.rooms:
            mine = [e for e in self.expectations if e.room_number == room.number]
            row = {"room_number": room.number}
            for kind in (RoundKind.DAILY, RoundKind.WEEKLY):
                of_kind = [e for e in mine if e.kind == kind]
                row[kind.value] = {outcome: sum(1 for e in of_kind if e.outcome == outcome)
                                   for outcome in ("on_time", "late", "missed")}
                row[kind.value]["missed_periods"] = [e.period for e in of_kind if e.outcome == "missed"]
            rows.append(row)
        return rows

    def late(self) -> list[Expectation]:
        return [e for e in self.expectations if e.outcome == "late"]




def monthly_report(*, db_session: Session, year: int, month: int, now: dt.datetime,
                   settings: Settings | None = None) -> MonthReport:
    """Rounds of a month: daily and weekly rounds on time / late / missed, every completed round, failed items."""
    settings = _settings(settings)
    first = dt.date(year, month, 1)
    after = dt.date(year + (month == 12), month % 12 + 1, 1)
    start, end = _day_bounds(first)[0], _day_bounds(after)[0]
    rooms = list(db_session.scalars(select(Room).where(Room.active.is_(True)).order_by(Room.number)))
    by_id = {room.id: room for room in rooms}
    # Weekly rounds of weeks that overlap the month are needed to judge those weeks.
    window_start = _day_bounds(week_start(first))[0]
    completed = list(db_session.scalars(select(HygieneRound).where(
        HygieneRound.status == RoundStatus.COMPLETED, HygieneRound.completed_at >= window_start,
        HygieneRound.completed_at < end + dt.timedelta(days=7)).order_by(HygieneRound.completed_at)))
    first_done: dict[tuple[int, RoundKind, dt.date], dt.datetime] = {}
    for hygiene_round in completed:
        day = hygiene_round.completed_at.astimezone(LOCAL_TZ).date()
        period = day if hygiene_round.kind == RoundKind.DAILY else week_start(day)
        first_done.setdefault((hygiene_round.room_id, hygiene_round.kind, period), hygiene_round.completed_at)
    expectations: list[Expectation] = []
    # Nothing was due before hygiene rounds existed here (the first checklist's install date).
    installed = db_session.scalar(select(func.min(ChecklistTemplate.created_at)))
    day = max(first, installed.astimezone(LOCAL_TZ).date()) if installed is not None else after
    while day < after:
        due = daily_deadline(day, settings)
        if due <= now:
            for room in rooms:
                expectations.append(Expectation(room.number, RoundKind.DAILY, day, due,
                                                first_done.get((room.id, RoundKind.DAILY, day))))
        due_weekly = weekly_deadline(day, settings)
        if due_weekly.astimezone(LOCAL_TZ).date() == day and due_weekly <= now:
            for room in rooms:
                expectations.append(Expectation(room.number, RoundKind.WEEKLY, week_start(day), due_weekly,
                                                first_done.get((room.id, RoundKind.WEEKLY, week_start(day)))))
        day += dt.timedelta(days=1)
    rounds = [r for r in completed if start <= r.completed_at < end]
    failures = []
    for hygiene_round in rounds:
        items = {item.id: item for item in hygiene_round.template.items}
        for result in hygiene_round.results:
            if result.result == ItemResult.FAILED:
                failures.append((hygiene_round, result, items[result.item_id]))
    open_turnovers = db_session.scalar(select(func.count(HygieneRound.id)).where(
        HygieneRound.kind == RoundKind.TURNOVER, HygieneRound.status.in_(OPEN_STATUSES),
        HygieneRound.created_at >= start, HygieneRound.created_at < end)) or 0
    report = MonthReport(year, month, rooms, expectations, rounds, failures, open_turnovers)
    report.room_numbers = {room_id: room.number for room_id, room in by_id.items()}
    report.room_numbers.update({r.room_id: db_session.get(Room, r.room_id).number for r in rounds
                                if r.room_id not in by_id})
    return report


def report_csv(report: MonthReport, language: str) -> str:
    """The month's record as CSV: one line per due round and per completed round, then failed items."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["section", "room", "kind", "period", "due_at", "done_at", "outcome", "template_version",
                     "done_by", "item", "note", "out_of_service"])

    def local(value):
        return value.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M") if value else ""

    for e in report.expectations:
        writer.writerow(["due", e.room_number, e.kind.value, e.period.isoformat(), local(e.due_at),
                         local(e.done_at), e.outcome, "", "", "", "", ""])
    for r in report.rounds:
        writer.writerow(["round", report.room_numbers.get(r.room_id, ""), r.kind.value, "", "", local(r.completed_at),
                         "done", r.template.version, done_by_label(r.done_by_role, r.done_by_id), "", "", ""])
    for r, result, item in report.failures:
        writer.writerow(["failed_item", report.room_numbers.get(r.room_id, ""), r.kind.value, "", "",
                         local(result.at), "failed", r.template.version, done_by_label(result.by_role, result.by_id),
                         item.text(language), _csv_safe(result.note), "yes" if result.out_of_service else "no"])
    return out.getvalue()


def _csv_safe(text: str) -> str:
    """Keep a spreadsheet from running a note as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
