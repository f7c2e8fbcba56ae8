"""Demo data: the demo caseworker's profile, a weekly visit, and an announcement.

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
        introduction="I have worked with sex workers for ten years. Ask me about money and tax, housing, "
                     "health, or anything else — what you tell me stays between us.",
    )
    today = local_today()
    service.create_visit(db_session=db_session, actor=caseworker, caseworker_id=caseworker.id,
                         weekday=today.weekday(), starts_at=dt.time(14), ends_at=dt.time(16),
                         organisation="Belle", valid_from=today - dt.timedelta(days=28),
                         backdate=True)
    service.post_announcement(
        db_session=db_session, author=caseworker, title="Easter lunch on Thursday",
        body="Everyone is welcome in the kitchen from 12:30. Bring a friend from the location if you like.",
        show_until=today + dt.timedelta(days=14),
    )


if seed_rota not in SEEDERS:
    SEEDERS.append(seed_rota)
