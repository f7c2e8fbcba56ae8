"""Audit log writes and reads."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from location_ops.clock import utcnow
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
