"""Retention of the platform's own data: audit events, sessions, login attempts."""

import datetime as dt

from sqlalchemy import func, select

from location_ops.clock import clock, utcnow
from location_ops.privacy.models import AuditEvent
from location_ops.privacy.retention import purge
from location_ops.privacy.service import audit


def test_audit_events_go_after_their_retention_period_and_not_before(app, settings, db):
    clock.freeze(dt.datetime(2026, 1, 10, 12, tzinfo=dt.UTC))
    audit(db_session=db, action="login.success", actor_id=None)
    db.commit()
    clock.advance(dt.timedelta(days=settings.audit_retention_days - 1))
    audit(db_session=db, action="login.failure", actor_id=None)
    db.commit()
    purge(db_session=db, settings=settings)
    assert db.scalar(select(func.count()).select_from(AuditEvent)) == 2
    clock.advance(dt.timedelta(days=2))
    counts = purge(db_session=db, settings=settings)
    assert counts["audit_events"] == 1
    remaining = db.scalars(select(AuditEvent.action)).all()
    assert remaining == ["login.failure"]
    assert utcnow() > dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
