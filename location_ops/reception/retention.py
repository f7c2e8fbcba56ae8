"""Retention of the reception log: visitor entries after 30 days, the rest after a year (settings)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from location_ops.clock import utcnow
from location_ops.config import Settings
from location_ops.privacy import retention
from location_ops.reception import service


@retention.register("reception log entries and host shifts")
def purge_reception_log(*, db_session: Session, settings: Settings) -> int:
    """Delete log entries (and host shifts) past their retention period."""
    return service.purge_entries(db_session=db_session, settings=settings, now=utcnow())
