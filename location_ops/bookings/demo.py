"""Demo data for rentals: default shifts, house rules, active contracts, a few bookings."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from location_ops.bookings import service
from location_ops.clock import local_today, utcnow
from location_ops.config import Settings
from location_ops.contracts import service as contracts_service
from location_ops.contracts.models import ContractStatus
from location_ops.demo import SEEDERS
from location_ops.rooms import service as rooms_service

#: In the demo's language (Dutch), like everything the demo seeds.
DEMO_RULES = ("Wees vriendelijk voor elkaar en voor de gastvrouw.\n"
              "Laat de kamer aan het eind van je dienst schoon en netjes achter.\n"
              "Druk op de alarmknop zodra je je niet veilig voelt: er komt meteen iemand.")


def seed_rentals(*, db_session: Session, settings: Settings, users: dict) -> None:
    """Create the default shifts, house rules, contracts for roos, lila and maria, and bookings."""
    rooms_service.ensure_default_shifts(db_session=db_session)
    rules = contracts_service.publish_house_rules(db_session=db_session, text=DEMO_RULES)
    today = local_today()
    rooms = rooms_service.list_rooms(db_session=db_session, active_only=True)
    plan = {"roos": [(0, "evening", 0), (1, "day", 0)], "lila": [(1, "day", 1), (1, "evening", 2)],
            "maria": [(2, "day", 2)]}
    for name, wanted in plan.items():
        worker = users.get(name)
        if worker is None:
            continue
        contracts_service.create_contract(db_session=db_session, worker=worker,
                                          starts_on=today - dt.timedelta(days=30), status=ContractStatus.ACTIVE)
        contracts_service.accept_house_rules(db_session=db_session, worker_id=worker.id, version=rules.version)
        for offset, shift, room_index in wanted:
            if room_index >= len(rooms):
                continue
            try:
                service.book(db_session=db_session, settings=settings, worker=worker, room_id=rooms[room_index].id,
                             day=today + dt.timedelta(days=offset), shift=shift, now=utcnow())
            except (service.BookingError, service.BookingConflict):
                pass  # e.g. the evening has already started when the demo is seeded late at night
    db_session.flush()


SEEDERS.append(seed_rentals)
