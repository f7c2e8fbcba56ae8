"""Audit log writes and reads."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from location_ops.accounts.models import User
from location_ops.clock import check_day, local_instant, utcnow
from location_ops.i18n import _, lazy
from location_ops.privacy.models import AuditEvent

#: What each recorded action is called on the audit page (the code stays in the data and the API).
ACTION_LABELS = {
    "login.success": lazy("Logged in"), "login.password_ok": lazy("Password right, second step asked"),
    "login.failure": lazy("Login failed"), "login.api": lazy("Logged in to the API"), "logout": lazy("Logged out"),
    "mfa.enable": lazy("Two-step login switched on"), "mfa.disable": lazy("Two-step login switched off"),
    "user.create": lazy("User created"), "user.role_change": lazy("Role changed"),
    "user.password_change": lazy("Password changed"), "user.password_rehash": lazy("Password storage renewed"),
    "contract.create": lazy("Contract created"), "contract.draft": lazy("Contract set to draft"),
    "contract.active": lazy("Contract made active"), "contract.suspended": lazy("Contract suspended"),
    "contract.ended": lazy("Contract ended"), "house_rules.publish": lazy("House rules published"),
    "payment.record": lazy("Payment recorded"),
    "privacy.export": lazy("Own data downloaded"), "privacy.erasure_requested": lazy("Erasure asked for"),
    "privacy.erasure_withdrawn": lazy("Erasure request withdrawn"), "privacy.erasure_done": lazy("Account erased"),
}
TARGET_LABELS = {"user": lazy("User %(id)s"), "contract": lazy("Contract %(id)s"),
                 "house_rules": lazy("House rules %(id)s"), "payment": lazy("Payment %(id)s")}


def action_label(action: str) -> str:
    """The action in the reader's language; an action without a label shows its code."""
    return _(ACTION_LABELS[action]) if action in ACTION_LABELS else action


def target_label(event: AuditEvent) -> str:
    if not event.target_type:
        return ""
    label = TARGET_LABELS.get(event.target_type)
    if label is None:
        return f"{event.target_type} {event.target_id or ''}".strip()
    return _(label) % {"id": event.target_id or ""}


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


AUDIT_PAGE_SIZE = 50


@dataclass(frozen=True)
class AuditPage:
    """One page of audit events that match a filter, newest first."""

    events: list[AuditEvent]
    page: int
    pages: int
    total: int


def search(*, db_session: Session, action: str = "", person_id: int | None = None, day: dt.date | None = None,
           page: int = 1, page_size: int = AUDIT_PAGE_SIZE) -> AuditPage:
    """Audit events by action, by person (who acted, or whom it was about) and by local day, paged."""
    query = select(AuditEvent)
    if action:
        query = query.where(AuditEvent.action == action)
    if person_id is not None:
        query = query.where(or_(AuditEvent.actor_id == person_id,
                                (AuditEvent.target_type == "user") & (AuditEvent.target_id == person_id)))
    if day is not None:
        check_day(day, what=_("The day"), years_ahead=2)
        start = local_instant(day, dt.time(0))
        end = local_instant(day + dt.timedelta(days=1), dt.time(0))
        query = query.where(AuditEvent.at >= start, AuditEvent.at < end)
    total = db_session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // page_size))
    page = min(page, pages)
    events = db_session.scalars(query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
                                .offset((page - 1) * page_size).limit(page_size))
    return AuditPage(events=list(events), page=page, pages=pages, total=total)


def actions(*, db_session: Session) -> list[str]:
    """Every action the audit holds, for the filter."""
    return list(db_session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))


def people(*, db_session: Session) -> list[User]:
    """Accounts to filter the audit by."""
    return list(db_session.scalars(select(User).order_by(User.username_key)))
