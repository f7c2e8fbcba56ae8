"""Audit log writes and reads."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from location_ops.clock import utcnow
from location_ops.privacy.models import AuditEvent


def audit(
    *,
    db_session: Session,
    action: str,
    actor_id: int | None = None,
    target_type: str | None = None,
    target_id: int | None = None,
    address: str | None = None,
) -> AuditEvent:
    """Record a security-relevant action in the caller's transaction."""
    event = AuditEvent(
        at=utcnow(), actor_id=actor_id, action=action,
        target_type=target_type, target_id=target_id, address=address,
    )
    db_session.add(event)
    return event


def recent(*, db_session: Session, limit: int = 200) -> list[AuditEvent]:
    """Return the newest audit events first."""
    return list(db_session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)))
