"""Retention of alarms: resolved alarms go after `alarm_retention_days` (DESIGN §2: a year)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete
from sqlalchemy.orm import Session

from location_ops.alarms.models import Alarm, AlarmEvent
from location_ops.clock import utcnow
from location_ops.config import Settings
from location_ops.privacy import retention


@retention.register("resolved alarms")
def purge_alarms(*, db_session: Session, settings: Settings) -> int:
    """Delete alarms resolved longer ago than the retention period, with their events."""
    cutoff = utcnow() - dt.timedelta(days=settings.alarm_retention_days)
    old = [row for row in db_session.scalars(
        Alarm.__table__.select().with_only_columns(Alarm.id).where(Alarm.resolved_at < cutoff))]
    if not old:
        return 0
    db_session.execute(delete(AlarmEvent).where(AlarmEvent.alarm_id.in_(old)))
    db_session.execute(delete(Alarm).where(Alarm.id.in_(old)))
    return len(old)
