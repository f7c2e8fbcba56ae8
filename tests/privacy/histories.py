"""Two workers' full histories side by side, for the export and erasure tests.

Each worker gets an account, a contract, a house-rules acceptance, bookings (kept,
cancelled late, checked in and out), payments, a talk request with a note, a phone
alarm with a note, reception log entries of her check-in and check-out, a calendar
feed, a session, a failed login and audit events. The ids made for each are returned
per table, so that a test can say which rows are hers.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from location_ops.accounts import service as accounts_service
from location_ops.accounts.models import AuthSession, LoginAttempt, User
from location_ops.alarms.models import Alarm, AlarmEvent, AlarmState
from location_ops.bookings.models import Booking, BookingStatus, CalendarFeed
from location_ops.config import Settings
from location_ops.contracts.models import (Contract, ContractStatus, HouseRules, HouseRulesAcceptance, Payment,
                                           PaymentMethod)
from location_ops.privacy.models import AuditEvent
from location_ops.reception.models import LogEntry
from location_ops.rooms.models import Room
from location_ops.rota.models import TalkRequest, Visit

PASSWORD = "correct-horse-battery"
UTC = dt.UTC


@dataclass
class History:
    user: User
    pseudonym: str
    ids: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    feed_token: str = ""
    #: The id, readable without touching the session (which on SQLite would start a locking transaction).
    user_id: int = 0


def _at(day: int, hour: int = 12) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, tzinfo=UTC)


def seed(db: Session, settings: Settings, pseudonyms: tuple[str, ...] = ("Saffier", "Robijn")) -> dict:
    """Rooms, staff and one full history per pseudonym; returns {"host", "operator", "caseworker", names...}."""
    made = {}
    for role in ("host", "operator", "caseworker", "security"):
        made[role] = accounts_service.create_user(db_session=db, settings=settings, username=f"staff-{role}",
                                                  password=PASSWORD, role=role)
    rooms = [Room(number=number, name=f"Room {number}") for number in (1, 2)]
    db.add_all(rooms)
    rules = HouseRules(version=1, text="Be kind.", published_at=_at(1))
    db.add(rules)
    db.flush()
    visit = Visit(caseworker_id=made["caseworker"].id, weekday=2, starts_at=dt.time(14), ends_at=dt.time(16),
                  organisation="", valid_from=dt.date(2026, 11, 1), created_at=_at(1))
    db.add(visit)
    db.flush()
    for index, name in enumerate(pseudonyms):
        user = accounts_service.create_user(db_session=db, settings=settings, username=name, password=PASSWORD,
                                            role="worker")
        history = History(user=user, pseudonym=name, feed_token=f"feed-token-{index}-{'x' * 30}")
        room = rooms[index % len(rooms)]

        def keep(row, history=history):
            db.add(row)
            db.flush()
            history.ids[row.__tablename__].add(row.id)
            return row

        history.user_id = user.id
        history.ids["users"].add(user.id)
        keep(Contract(worker_id=user.id, status=ContractStatus.ACTIVE, starts_on=dt.date(2026, 10, 1),
                      created_at=_at(1)))
        keep(HouseRulesAcceptance(worker_id=user.id, version=1, accepted_at=_at(2)))
        bookings = []
        for day, status, charge in ((3, BookingStatus.BOOKED, 0), (10, BookingStatus.CANCELLED, 2000 + index),
                                    (17, BookingStatus.BOOKED, 0)):
            bookings.append(keep(Booking(
                room_id=room.id, worker_id=user.id, shift="day", day=dt.date(2026, 11, day),
                starts_at=_at(day, 9), ends_at=_at(day, 21), status=status, price_cents=4000 + 100 * index,
                charge_cents=charge, created_at=_at(1),
                checked_in_at=_at(day, 9) if status == BookingStatus.BOOKED else None,
                checked_out_at=_at(day, 20) if status == BookingStatus.BOOKED else None)))
        keep(Payment(worker_id=user.id, amount_cents=3000 + index, method=PaymentMethod.CASH,
                     paid_on=dt.date(2026, 11, 3), recorded_by_id=made["operator"].id, recorded_at=_at(3)))
        keep(Payment(worker_id=user.id, amount_cents=2500, method=PaymentMethod.BANK,
                     paid_on=dt.date(2026, 12, 1), recorded_by_id=made["operator"].id, recorded_at=_at(30)))
        keep(TalkRequest(worker_id=user.id, visit_id=visit.id, on_date=dt.date(2026, 11, 25), topics="health",
                         note=f"private note of {name}", visit_ends_at=_at(25, 15), created_at=_at(20)))
        alarm = keep(Alarm(state=AlarmState.RESOLVED, resolution="handled", room_id=room.id, source="phone",
                           raised_by_id=user.id, raised_at=_at(3, 14), acknowledged_at=_at(3, 14),
                           acknowledged_by_id=made["host"].id, resolved_at=_at(3, 15),
                           resolved_by_id=made["host"].id))
        keep(AlarmEvent(alarm_id=alarm.id, kind="raised", at=_at(3, 14), user_id=user.id,
                        note=f"alarm note by {name}"))
        keep(AlarmEvent(alarm_id=alarm.id, kind="resolved", at=_at(3, 15), user_id=made["host"].id,
                        note=f"host wrote about {name}"))
        for kind, hour in (("worker_in", 9), ("worker_out", 20)):
            keep(LogEntry(at=_at(3, hour), kind=kind, room_id=room.id, worker_id=user.id,
                          booking_id=bookings[0].id, author_id=made["host"].id))
        keep(CalendarFeed(worker_id=user.id, token=history.feed_token, created_at=_at(2)))
        keep(AuthSession(token_hash=f"{index:064d}", kind="web", user_id=user.id, csrf_token="c" * 64,
                         created_at=_at(2), last_seen_at=_at(2), expires_at=_at(2, 23)))
        keep(AuditEvent(at=_at(2), actor_id=user.id, action="login.success", target_type="user",
                        target_id=user.id))
        db.add(LoginAttempt(username_key=accounts_service.attempt_key(name), address="10.0.0.1", at=_at(1)))
        made[name] = history
    made["ids"] = {role: made[role].id for role in ("host", "operator", "caseworker", "security")}
    db.commit()
    return made
