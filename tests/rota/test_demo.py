"""The demo seeder gives the demo caseworker a profile, a weekly visit and an announcement."""

from __future__ import annotations

from location_ops.accounts.models import User
from location_ops.clock import local_today
from location_ops.rota import service
from location_ops.rota.demo import seed_rota


def test_demo_caseworker_visits_weekly(app, settings, make_user, db):
    caseworker = db.get(User, make_user("caseworker", "casework").id)
    seed_rota(db_session=db, settings=settings, users={"casework": caseworker})
    db.commit()
    today = local_today()
    [visit] = service.visits_on(db_session=db, day=today)
    assert (visit.caseworker_name, visit.window) == ("Sanne", "14:00–16:00")
    assert [a.title for a in service.current_announcements(db_session=db)] == ["Samen lunchen op donderdag"]
    db.rollback()
