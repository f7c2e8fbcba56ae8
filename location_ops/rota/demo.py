"""Demo data: the demo caseworker's profile, a weekly visit, and an announcement — in Dutch, in any season.

The wegwijzer needs no demo seeding: its first entries come with the migration, in every install.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from location_ops.accounts.models import User
from location_ops.clock import local_today
from location_ops.config import Settings
from location_ops.demo import SEEDERS
from location_ops.rota import service


def seed_rota(*, db_session: Session, settings: Settings, users: dict[str, User]) -> None:
    caseworker = users.get("casework")
    if caseworker is None:
        return
    service.update_profile(
        db_session=db_session, user=caseworker, display_name="Sanne", languages=["nl", "en", "es"],
        organisation="Belle",
        introduction="Ik werk al tien jaar met sekswerkers. Vraag me over geld en belasting, wonen, "
                     "gezondheid of iets anders — wat je me vertelt, blijft tussen ons.",
    )
    today = local_today()
    service.create_visit(db_session=db_session, actor=caseworker, caseworker_id=caseworker.id,
                         weekday=today.weekday(), starts_at=dt.time(14), ends_at=dt.time(16),
                         organisation="Belle", valid_from=today - dt.timedelta(days=28),
                         backdate=True)
    service.post_announcement(
        db_session=db_session, author=caseworker, title="Samen lunchen op donderdag",
        body="Iedereen is welkom in de keuken vanaf 12:30. Neem gerust een collega van de locatie mee.",
        show_until=today + dt.timedelta(days=14),
    )


if seed_rota not in SEEDERS:
    SEEDERS.append(seed_rota)
