"""Rota rules: recurring visits and their exceptions, talk requests, announcements, profiles.

Visits are stored as local wall-clock times (Europe/Amsterdam) and turned into UTC
instants per date, so a 14:00 visit is 14:00 local on both sides of a DST change.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from location_ops.accounts.models import Role, User
from location_ops.clock import LOCAL_TZ, local_today, utcnow
from location_ops.i18n import _, lazy
from location_ops.rota.models import (
    Announcement, CaseworkerProfile, ChangeKind, TalkRequest, Visit, VisitChange,
)

log = logging.getLogger(__name__)

NOTE_MAX = 1000
REASON_MAX = 200

#: Topics a worker can choose for a talk, with their English msgid.
TOPICS: dict[str, str] = {
    "health": lazy("Health"),
    "money_tax": lazy("Money and tax"),
    "housing": lazy("Housing"),
    "changing_work": lazy("Changing work"),
    "violence_pressure": lazy("Violence or pressure"),
    "papers_registration": lazy("Papers and registration"),
    "just_chat": lazy("Just a chat"),
}

#: Languages a caseworker can say they speak (codes; names come from Babel).
LANGUAGE_CHOICES = ("nl", "en", "es", "ro", "bg", "hu", "pl", "pt", "fr", "de", "it", "ru", "uk",
                    "th", "tr", "ar", "zh")


class RotaError(ValueError):
    """A rota rule was broken; the message is a sentence for the user. ``status`` is the HTTP answer.

    ``field``: the form field the refusal concerns, when it concerns one (shown at that field).
    """

    def __init__(self, message: str, status: int = 400, *, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.field = field


class NotFound(RotaError):
    """The object does not exist, or the caller may not know that it does."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or _("This item does not exist."), 404)


# --- time ---------------------------------------------------------------------------


def local_instant(day: dt.date, at: dt.time) -> dt.datetime:
    """The UTC instant of a local wall-clock time on a date at the location."""
    return dt.datetime.combine(day, at, tzinfo=LOCAL_TZ).astimezone(dt.UTC)


def week_label(monday: dt.date) -> str:
    year, week, _day = monday.isocalendar()
    return f"{year}-W{week:02d}"


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


# --- profiles -----------------------------------------------------------------------------


def get_profile(*, db_session: Session, user_id: int) -> CaseworkerProfile | None:
    return db_session.get(CaseworkerProfile, user_id)


def ensure_profile(*, db_session: Session, user: User) -> CaseworkerProfile:
    """Return the caseworker's profile, creating an empty one named after the account."""
    if Role(user.role) != Role.CASEWORKER:
        raise NotFound()
    profile = db_session.get(CaseworkerProfile, user.id)
    if profile is None:
        profile = CaseworkerProfile(user_id=user.id, display_name=user.username, introduction="", languages="",
                                    organisation="")
        db_session.add(profile)
        db_session.flush()
    return profile


def update_profile(*, db_session: Session, user: User, display_name: str, introduction: str,
                   languages: list[str], organisation: str) -> CaseworkerProfile:
    """Set what workers see of a caseworker."""
    display_name = display_name.strip()
    if not display_name:
        raise RotaError(_("A name is required."), field="display_name")
    if len(display_name) > 64:
        raise RotaError(_("The name can be at most %(n)d characters long.") % {"n": 64}, field="display_name")
    if len(introduction) > 600:
        raise RotaError(_("The introduction can be at most %(n)d characters long.") % {"n": 600},
                        field="introduction")
    if len(organisation.strip()) > 128:
        raise RotaError(_("The organisation can be at most %(n)d characters long.") % {"n": 128},
                        field="organisation")
    unknown = [code for code in languages if code not in LANGUAGE_CHOICES]
    if unknown:
        raise RotaError(_("Unknown language."), field="languages")
    profile = ensure_profile(db_session=db_session, user=user)
    profile.display_name = display_name
    profile.introduction = introduction.strip()
    profile.languages = ",".join(dict.fromkeys(languages))
    profile.organisation = organisation.strip()
    return profile


def _profiles(db_session: Session, user_ids: set[int]) -> dict[int, CaseworkerProfile]:
    if not user_ids:
        return {}
    rows = db_session.scalars(select(CaseworkerProfile).where(CaseworkerProfile.user_id.in_(user_ids)))
    return {profile.user_id: profile for profile in rows}


# --- visits and their changes ---------------------------------------------------------------


@dataclass(frozen=True)
class Occurrence:
    """One visit on one date, after the exceptions are applied."""

    visit_id: int
    #: The key of the occurrence: its regular date (or the extra visit's date).
    on_date: dt.date
    #: The date it actually happens (differs from on_date when moved).
    day: dt.date
    starts_at: dt.datetime  # UTC
    ends_at: dt.datetime  # UTC
    local_start: dt.time
    local_end: dt.time
    caseworker_id: int
    caseworker_name: str
    introduction: str
    languages: tuple[str, ...]
    organisation: str
    #: "regular", "moved", "extra" or "cancelled".
    status: str
    reason: str

    @property
    def cancelled(self) -> bool:
        return self.status == ChangeKind.CANCELLED

    @property
    def window(self) -> str:
        return f"{self.local_start:%H:%M}–{self.local_end:%H:%M}"

    def is_past(self, now: dt.datetime) -> bool:
        return self.ends_at <= now


def _check_window(starts_at: dt.time, ends_at: dt.time, field: str = "ends_at") -> None:
    if ends_at <= starts_at:
        raise RotaError(_("The visit must end after it starts (on the same day)."), field=field)


def _check_caseworker(db_session: Session, caseworker_id: int) -> User:
    user = db_session.get(User, caseworker_id)
    if user is None or Role(user.role) != Role.CASEWORKER:
        raise RotaError(_("Choose a caseworker for this visit."), field="caseworker_id")
    return user


def create_visit(*, db_session: Session, actor: User, caseworker_id: int, weekday: int, starts_at: dt.time,
                 ends_at: dt.time, organisation: str = "", valid_from: dt.date | None = None,
                 valid_until: dt.date | None = None, backdate: bool = False) -> Visit:
    """Add a weekly visit from today on. Caseworkers add their own; operators anyone's.

    ``backdate`` lets the demo and tests arrange visits that began earlier; people cannot.
    """
    if Role(actor.role) == Role.CASEWORKER and caseworker_id != actor.id:
        raise RotaError(_("You can only plan your own visits."), 403)
    caseworker = _check_caseworker(db_session, caseworker_id)
    if weekday not in range(7):
        raise RotaError(_("Choose a day of the week."), field="weekday")
    _check_window(starts_at, ends_at)
    valid_from = valid_from or local_today()
    if valid_from < local_today() and not backdate:
        raise RotaError(_("A weekly visit cannot start in the past: choose today (%(today)s) or a later date.")
                        % {"today": local_today().isoformat()})
    if valid_until is not None and valid_until < valid_from:
        raise RotaError(_("The last date cannot be before the first date."), field="valid_from")
    if len(organisation.strip()) > 128:
        raise RotaError(_("The organisation can be at most %(n)d characters long.") % {"n": 128},
                        field="organisation")
    if not organisation.strip():
        profile = get_profile(db_session=db_session, user_id=caseworker.id)
        organisation = profile.organisation if profile else ""
    visit = Visit(caseworker_id=caseworker.id, weekday=weekday, starts_at=starts_at, ends_at=ends_at,
                  organisation=organisation.strip(), valid_from=valid_from, valid_until=valid_until,
                  created_at=utcnow())
    db_session.add(visit)
    db_session.flush()
    log.info("visit %d created by user %d", visit.id, actor.id)
    return visit


def editable_visit(*, db_session: Session, actor: User, visit_id: int) -> Visit:
    """The visit if this user may change it (own visit, or operator); else NotFound."""
    visit = db_session.get(Visit, visit_id)
    if visit is None:
        raise NotFound(_("That visit does not exist."))
    if Role(actor.role) == Role.OPERATOR:
        return visit
    if Role(actor.role) == Role.CASEWORKER and visit.caseworker_id == actor.id:
        return visit
    raise NotFound(_("That visit does not exist."))


def end_visit(*, db_session: Session, actor: User, visit_id: int) -> None:
    """Stop a weekly visit: past dates stay in the rota, future ones go (with their talk requests)."""
    visit = editable_visit(db_session=db_session, actor=actor, visit_id=visit_id)
    today = local_today()
    if visit.valid_from >= today:
        db_session.delete(visit)
    else:
        visit.valid_until = today - dt.timedelta(days=1)
        db_session.execute(delete(TalkRequest).where(TalkRequest.visit_id == visit.id,
                                                     TalkRequest.on_date >= today))
        db_session.execute(delete(VisitChange).where(VisitChange.visit_id == visit.id,
                                                     VisitChange.on_date >= today))
    log.info("visit %d ended by user %d", visit_id, actor.id)


def _is_regular_date(visit: Visit, day: dt.date) -> bool:
    return (day.weekday() == visit.weekday and day >= visit.valid_from
            and (visit.valid_until is None or day <= visit.valid_until))


def add_change(*, db_session: Session, actor: User, visit_id: int, kind: str, on_date: dt.date,
               reason: str = "", new_date: dt.date | None = None, new_starts_at: dt.time | None = None,
               new_ends_at: dt.time | None = None) -> VisitChange:
    """Cancel or move one occurrence of a visit, or add an extra visit, with a reason."""
    visit = editable_visit(db_session=db_session, actor=actor, visit_id=visit_id)
    try:
        kind = ChangeKind(kind)
    except ValueError:
        raise RotaError(_("Choose cancel, move or extra."), field="kind") from None
    reason = reason.strip()
    if len(reason) > REASON_MAX:
        raise RotaError(_("The reason can be at most %(n)d characters long.") % {"n": REASON_MAX}, field="reason")
    if on_date < local_today():
        raise RotaError(_("That date has passed."), field="on_date")
    change = VisitChange(visit_id=visit.id, on_date=on_date, kind=kind, reason=reason, created_at=utcnow())
    if kind == ChangeKind.EXTRA:
        if _is_regular_date(visit, on_date):
            raise RotaError(_("There is already a regular visit on that date."), 409, field="on_date")
        change.new_date = on_date
        change.new_starts_at = new_starts_at or visit.starts_at
        change.new_ends_at = new_ends_at or visit.ends_at
    else:
        if not _is_regular_date(visit, on_date):
            raise RotaError(_("There is no regular visit on that date."), field="on_date")
        if kind == ChangeKind.MOVED:
            change.new_date = new_date or on_date
            change.new_starts_at = new_starts_at or visit.starts_at
            change.new_ends_at = new_ends_at or visit.ends_at
            if change.new_date < local_today():
                raise RotaError(_("A visit cannot be moved into the past."), field="new_date")
            if abs((change.new_date - on_date).days) > 31:
                raise RotaError(_("A visit can be moved by at most a month."), field="new_date")
    if change.new_starts_at is not None:
        _check_window(change.new_starts_at, change.new_ends_at, field="new_ends_at")
    try:
        with db_session.begin_nested():
            db_session.add(change)
    except IntegrityError:
        raise RotaError(_("That date already has a change. Remove it first."), 409, field="on_date") from None
    if kind == ChangeKind.MOVED:
        # The talk requests follow their visit to its new time (and so does their retention).
        new_end = local_instant(change.new_date, change.new_ends_at)
        for talk in db_session.scalars(select(TalkRequest).where(TalkRequest.visit_id == visit.id,
                                                                 TalkRequest.on_date == on_date)):
            talk.visit_ends_at = new_end
    log.info("visit %d change %s on %s by user %d", visit.id, kind.value, on_date.isoformat(), actor.id)
    return change


def remove_change(*, db_session: Session, actor: User, change_id: int) -> None:
    """Undo a cancellation, move or extra visit."""
    change = db_session.get(VisitChange, change_id)
    if change is None:
        raise NotFound(_("That change does not exist."))
    visit = editable_visit(db_session=db_session, actor=actor, visit_id=change.visit_id)
    if change.kind == ChangeKind.EXTRA:
        db_session.execute(delete(TalkRequest).where(TalkRequest.visit_id == visit.id,
                                                     TalkRequest.on_date == change.on_date))
    else:
        regular_end = local_instant(change.on_date, visit.ends_at)
        for talk in db_session.scalars(select(TalkRequest).where(TalkRequest.visit_id == visit.id,
                                                                 TalkRequest.on_date == change.on_date)):
            talk.visit_ends_at = regular_end
    db_session.delete(change)


def occurrences(*, db_session: Session, first: dt.date, last: dt.date,
                caseworker_id: int | None = None) -> list[Occurrence]:
    """All visits between two local dates (inclusive), exceptions applied, in time order."""
    query = select(Visit).where(Visit.valid_from <= last + dt.timedelta(days=31),
                                or_(Visit.valid_until.is_(None), Visit.valid_until >= first - dt.timedelta(days=31)))
    if caseworker_id is not None:
        query = query.where(Visit.caseworker_id == caseworker_id)
    visits = {visit.id: visit for visit in db_session.scalars(query)}
    if not visits:
        return []
    changes = db_session.scalars(select(VisitChange).where(
        VisitChange.visit_id.in_(visits),
        or_(VisitChange.on_date.between(first, last), VisitChange.new_date.between(first, last)),
    ))
    by_key = {(change.visit_id, change.on_date): change for change in changes}
    profiles = _profiles(db_session, {visit.caseworker_id for visit in visits.values()})

    def make(visit: Visit, on_date: dt.date, day: dt.date, start: dt.time, end: dt.time, status: str,
             reason: str) -> Occurrence:
        profile = profiles.get(visit.caseworker_id)
        return Occurrence(
            visit_id=visit.id, on_date=on_date, day=day, starts_at=local_instant(day, start),
            ends_at=local_instant(day, end), local_start=start, local_end=end,
            caseworker_id=visit.caseworker_id,
            caseworker_name=profile.display_name if profile else visit.caseworker.username,
            introduction=profile.introduction if profile else "",
            languages=tuple(profile.language_codes) if profile else (),
            organisation=visit.organisation or (profile.organisation if profile else ""),
            status=status, reason=reason,
        )

    found: list[Occurrence] = []
    day = first
    while day <= last:
        for visit in visits.values():
            if not _is_regular_date(visit, day):
                continue
            change = by_key.get((visit.id, day))
            if change is None:
                found.append(make(visit, day, day, visit.starts_at, visit.ends_at, "regular", ""))
            elif change.kind == ChangeKind.CANCELLED:
                found.append(make(visit, day, day, visit.starts_at, visit.ends_at, "cancelled", change.reason))
        day += dt.timedelta(days=1)
    for (visit_id, on_date), change in by_key.items():
        visit = visits[visit_id]
        if change.kind == ChangeKind.CANCELLED or change.new_date is None:
            continue
        if not first <= change.new_date <= last:
            continue
        if change.kind == ChangeKind.MOVED and not _is_regular_date(visit, on_date):
            continue  # the series was shortened after the move: the occurrence is gone
        found.append(make(visit, on_date, change.new_date, change.new_starts_at, change.new_ends_at,
                          change.kind.value, change.reason))
    found.sort(key=lambda occurrence: (occurrence.starts_at, occurrence.caseworker_name, occurrence.visit_id))
    return found


def find_occurrence(*, db_session: Session, visit_id: int, on_date: dt.date) -> Occurrence | None:
    """The occurrence of a visit with this key, wherever it was moved to."""
    change = db_session.scalar(select(VisitChange).where(VisitChange.visit_id == visit_id,
                                                         VisitChange.on_date == on_date))
    day = change.new_date if change is not None and change.new_date is not None else on_date
    for occurrence in occurrences(db_session=db_session, first=day, last=day):
        if occurrence.visit_id == visit_id and occurrence.on_date == on_date:
            return occurrence
    return None


def visits_on(*, db_session: Session, day: dt.date, include_cancelled: bool = False) -> list[Occurrence]:
    """Who visits on a local date, for the reception board: names and times, never who asked for a talk."""
    return [occurrence for occurrence in occurrences(db_session=db_session, first=day, last=day)
            if include_cancelled or not occurrence.cancelled]


def week_of(*, db_session: Session, monday: dt.date, caseworker_id: int | None = None) -> list[Occurrence]:
    return occurrences(db_session=db_session, first=monday, last=monday + dt.timedelta(days=6),
                       caseworker_id=caseworker_id)


def list_visits(*, db_session: Session, actor: User) -> list[Visit]:
    """The weekly visits this user may edit, current and future ones."""
    query = select(Visit).where(or_(Visit.valid_until.is_(None), Visit.valid_until >= local_today()))
    if Role(actor.role) != Role.OPERATOR:
        query = query.where(Visit.caseworker_id == actor.id)
    return list(db_session.scalars(query.order_by(Visit.weekday, Visit.starts_at, Visit.id)))


def list_changes(*, db_session: Session, visit_ids: list[int]) -> list[VisitChange]:
    if not visit_ids:
        return []
    return list(db_session.scalars(select(VisitChange).where(
        VisitChange.visit_id.in_(visit_ids), or_(VisitChange.on_date >= local_today(),
                                                 VisitChange.new_date >= local_today()))
        .order_by(VisitChange.on_date)))


def caseworkers(*, db_session: Session) -> list[User]:
    return list(db_session.scalars(select(User).where(User.role == Role.CASEWORKER, User.active.is_(True))
                                   .order_by(User.username_key)))


# --- talk requests -------------------------------------------------------------------------------


def _clean_topics(topics: list[str]) -> list[str]:
    topics = [topic.strip() for topic in topics if topic.strip()]
    if not topics:
        raise RotaError(_("Choose at least one topic."), 422, field="topics")
    unknown = [topic for topic in topics if topic not in TOPICS]
    if unknown:
        raise RotaError(_("Unknown topic '%(topic)s'. Choose from: %(topics)s.")
                        % {"topic": unknown[0][:40], "topics": ", ".join(TOPICS)}, 422)
    return list(dict.fromkeys(topics))


def create_talk_request(*, db_session: Session, worker: User, visit_id: int, on_date: dt.date,
                        topics: list[str], note: str = "") -> TalkRequest:
    """A worker asks for a private talk at one visit. Checks everything before writing anything."""
    if Role(worker.role) != Role.WORKER:
        raise RotaError(_("Only workers can ask for a talk."), 403)
    clean = _clean_topics(topics)
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise RotaError(_("The note can be at most %(n)d characters long.") % {"n": NOTE_MAX}, 422, field="note")
    occurrence = find_occurrence(db_session=db_session, visit_id=visit_id, on_date=on_date)
    if occurrence is None:
        raise NotFound(_("There is no visit on that date."))
    if occurrence.cancelled:
        raise RotaError(_("This visit is cancelled. Choose another visit."), 409)
    if occurrence.is_past(utcnow()):
        raise RotaError(_("This visit has already taken place. Choose a coming visit."), 409)
    talk = TalkRequest(worker_id=worker.id, visit_id=visit_id, on_date=on_date, topics=",".join(clean),
                       note=note, visit_ends_at=occurrence.ends_at, created_at=utcnow())
    try:
        with db_session.begin_nested():
            db_session.add(talk)
    except IntegrityError:
        raise RotaError(_("You already asked for a talk at this visit."), 409) from None
    # Ids only: never the note, never the pseudonym.
    log.info("talk request %d for visit %d", talk.id, visit_id)
    return talk


def _visible_talks_query(user: User):
    role = Role(user.role)
    query = select(TalkRequest)
    if role == Role.WORKER:
        return query.where(TalkRequest.worker_id == user.id)
    if role == Role.CASEWORKER:
        return query.join(Visit, TalkRequest.visit_id == Visit.id).where(Visit.caseworker_id == user.id)
    # Nobody else ever sees a talk request, whatever the route says.
    return query.where(False)


def talk_requests_for(*, db_session: Session, user: User, include_past: bool = True) -> list[TalkRequest]:
    """The talk requests this user may see: a worker's own, or those addressed to a caseworker."""
    query = _visible_talks_query(user)
    if not include_past:
        query = query.where(TalkRequest.visit_ends_at > utcnow())
    return list(db_session.scalars(query.order_by(TalkRequest.visit_ends_at, TalkRequest.id)).unique())


def get_talk_request(*, db_session: Session, user: User, talk_id: int) -> TalkRequest:
    """One talk request if this user may see it; else NotFound (never a hint that it exists)."""
    talk = db_session.scalar(_visible_talks_query(user).where(TalkRequest.id == talk_id))
    if talk is None:
        raise NotFound(_("That talk request does not exist."))
    return talk


def withdraw_talk_request(*, db_session: Session, worker: User, talk_id: int) -> None:
    """The worker takes the request back: it is deleted, not marked."""
    if Role(worker.role) != Role.WORKER:
        raise NotFound(_("That talk request does not exist."))
    talk = get_talk_request(db_session=db_session, user=worker, talk_id=talk_id)
    db_session.delete(talk)
    log.info("talk request %d withdrawn", talk_id)


# --- calendar feed ------------------------------------------------------------------------------


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_feed_token(*, db_session: Session, user: User) -> str:
    """Make a new secret feed URL token for a caseworker; the previous one stops working."""
    profile = ensure_profile(db_session=db_session, user=user)
    token = secrets.token_urlsafe(32)
    profile.feed_token_hash = _hash_token(token)
    log.info("calendar feed issued for user %d", user.id)
    return token


def revoke_feed_token(*, db_session: Session, user: User) -> None:
    profile = ensure_profile(db_session=db_session, user=user)
    profile.feed_token_hash = None
    log.info("calendar feed revoked for user %d", user.id)


def feed_owner(*, db_session: Session, token: str) -> User | None:
    """The caseworker whose feed this token opens, or None."""
    if not token or len(token) > 100:
        return None
    profile = db_session.scalar(select(CaseworkerProfile).where(
        CaseworkerProfile.feed_token_hash == _hash_token(token)))
    if profile is None or not profile.user.active or Role(profile.user.role) != Role.CASEWORKER:
        return None
    return profile.user


def _ical_text(value: str) -> str:
    return (value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n"))


def _fold(line: str) -> str:
    encoded = line.encode()
    if len(encoded) <= 75:
        return line
    parts, current = [], b""
    for char in line:
        piece = char.encode()
        if len(current) + len(piece) > (75 if not parts else 74):
            parts.append(current.decode())
            current = b""
        current += piece
    parts.append(current.decode())
    return "\r\n ".join(parts)


def calendar_feed(*, db_session: Session, caseworker: User, summary: str) -> str:
    """An iCalendar of the caseworker's visits (two weeks back, twelve ahead), neutral wording."""
    today = local_today()
    found = occurrences(db_session=db_session, first=today - dt.timedelta(days=14),
                        last=today + dt.timedelta(weeks=12), caseworker_id=caseworker.id)
    stamp = utcnow().strftime("%Y%m%dT%H%M%SZ")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//location-ops//rota//EN", "CALSCALE:GREGORIAN",
             "METHOD:PUBLISH"]
    for occurrence in found:
        lines += [
            "BEGIN:VEVENT",
            f"UID:visit-{occurrence.visit_id}-{occurrence.on_date:%Y%m%d}@location-ops",
            f"DTSTAMP:{stamp}",
            f"DTSTART:{occurrence.starts_at:%Y%m%dT%H%M%SZ}",
            f"DTEND:{occurrence.ends_at:%Y%m%dT%H%M%SZ}",
            f"SUMMARY:{_ical_text(summary)}",
            "STATUS:" + ("CANCELLED" if occurrence.cancelled else "CONFIRMED"),
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(_fold(line) + "\r\n" for line in lines)


# --- announcements -----------------------------------------------------------------------------


def post_announcement(*, db_session: Session, author: User, title: str, body: str = "",
                      show_until: dt.date | None = None) -> Announcement:
    """Post news for workers."""
    title, body = title.strip(), body.strip()
    if not title:
        raise RotaError(_("A title is required."), field="title")
    if len(title) > 120:
        raise RotaError(_("The title can be at most %(n)d characters long.") % {"n": 120}, field="title")
    if len(body) > 2000:
        raise RotaError(_("The text can be at most %(n)d characters long.") % {"n": 2000}, field="body")
    if show_until is not None and show_until < local_today():
        raise RotaError(_("The last day to show it has passed."), field="show_until")
    announcement = Announcement(author_id=author.id, title=title, body=body, show_until=show_until,
                                created_at=utcnow())
    db_session.add(announcement)
    db_session.flush()
    log.info("announcement %d posted by user %d", announcement.id, author.id)
    return announcement


def current_announcements(*, db_session: Session, limit: int = 20) -> list[Announcement]:
    """Announcements still showing today, newest first."""
    return list(db_session.scalars(
        select(Announcement).where(or_(Announcement.show_until.is_(None), Announcement.show_until >= local_today()))
        .order_by(Announcement.created_at.desc(), Announcement.id.desc()).limit(limit)))


def remove_announcement(*, db_session: Session, actor: User, announcement_id: int) -> None:
    """Remove an announcement: the author's own, or any for an operator."""
    announcement = db_session.get(Announcement, announcement_id)
    if announcement is None or (Role(actor.role) != Role.OPERATOR and announcement.author_id != actor.id):
        raise NotFound(_("That announcement does not exist."))
    db_session.delete(announcement)


# --- what a worker's start page shows --------------------------------------------------------------


@dataclass
class StartContent:
    announcements: list[Announcement]
    visits: list[Occurrence]


def start_content(*, db_session: Session) -> StartContent:
    """Announcements and who visits this week: for /rota and the worker start page."""
    monday = monday_of(local_today())
    now = utcnow()
    visits = [occurrence for occurrence in week_of(db_session=db_session, monday=monday)
              if not occurrence.is_past(now)]
    return StartContent(announcements=current_announcements(db_session=db_session, limit=5), visits=visits)
