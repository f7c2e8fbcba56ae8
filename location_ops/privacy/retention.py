"""Retention: what `location-ops purge` (and the app, daily) deletes.

Each capability registers a purger for its own data with ``register``; a purger
gets the session and settings and returns how many rows it removed.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from sqlalchemy import delete
from sqlalchemy.orm import Session

from location_ops.accounts import service as accounts_service
from location_ops.clock import utcnow
from location_ops.config import Settings
from location_ops.db import make_engine, make_sessionmaker
from location_ops.models import CAPABILITIES, import_capability_module
from location_ops.privacy.models import AuditEvent

log = logging.getLogger(__name__)

Purger = Callable[..., int]
PURGERS: dict[str, Purger] = {}


def register(name: str) -> Callable[[Purger], Purger]:
    """Register ``fn(*, db_session, settings) -> int`` under a name shown by `purge`."""

    def decorator(fn: Purger) -> Purger:
        PURGERS[name] = fn
        return fn

    return decorator


@register("expired sessions and old login attempts")
def _purge_sessions(*, db_session: Session, settings: Settings) -> int:
    return (accounts_service.purge_expired_sessions(db_session=db_session)
            + accounts_service.prune_attempts(db_session=db_session, settings=settings))


@register("audit events past their retention")
def _purge_audit(*, db_session: Session, settings: Settings) -> int:
    cutoff = utcnow() - dt.timedelta(days=settings.audit_retention_days)
    return db_session.execute(delete(AuditEvent).where(AuditEvent.at < cutoff)).rowcount


def purge(*, db_session: Session, settings: Settings) -> dict[str, int]:
    """Run every registered purger in one transaction each; return counts per purger."""
    for capability in CAPABILITIES:
        import_capability_module(capability, "retention")
    counts = {}
    for name, purger in PURGERS.items():
        counts[name] = purger(db_session=db_session, settings=settings)
        db_session.commit()
        log.info("purge %s: %d", name, counts[name])
    return counts


def purge_all(settings: Settings) -> dict[str, int]:
    engine = make_engine(settings.database_url)
    try:
        with make_sessionmaker(engine)() as db_session:
            return purge(db_session=db_session, settings=settings)
    finally:
        engine.dispose()
