"""Small helpers for the account tests: read the database in short transactions."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import func, select

from location_ops.accounts.models import AuthSession, LoginAttempt, User
from location_ops.privacy.models import AuditEvent

T = TypeVar("T")


def read(app, fn: Callable) -> T:
    """Run ``fn(db_session)`` in its own short transaction (SQLite holds a write lock per transaction)."""
    with app.state.sessionmaker() as db_session:
        result = fn(db_session)
        db_session.commit()  # read only; commit keeps loaded objects usable (no expiry)
        return result


def session_count(app, user_id: int | None = None) -> int:
    query = select(func.count()).select_from(AuthSession)
    if user_id is not None:
        query = query.where(AuthSession.user_id == user_id)
    return read(app, lambda s: s.scalar(query))


def attempt_count(app) -> int:
    return read(app, lambda s: s.scalar(select(func.count()).select_from(LoginAttempt)))


def audit_actions(app) -> list[tuple[str, int | None, int | None]]:
    """(action, actor_id, target_id) of every audit event, oldest first."""
    return read(app, lambda s: [(e.action, e.actor_id, e.target_id)
                                for e in s.scalars(select(AuditEvent).order_by(AuditEvent.id))])


def stored_user(app, user_id: int) -> User:
    return read(app, lambda s: s.get(User, user_id))
