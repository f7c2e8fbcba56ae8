"""The register of processing (GDPR Art. 30) and the privacy notice, made from the declarations."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from location_ops.accounts.models import Role
from location_ops.config import Settings
from location_ops.i18n import _
from location_ops.privacy.declarations import DataRule, load, table

#: The order roles are named in.
ROLE_ORDER = (Role.WORKER, Role.HOST, Role.OPERATOR, Role.CASEWORKER, Role.SECURITY)


@dataclass(frozen=True)
class RegisterLine:
    """One kind of data as the data page and the notice show it."""

    rule: DataRule
    holds: str
    purpose: str
    seen_by: list[str]
    kept: str
    blanks: str | None
    stored: int | None


def _seen_by(rule: DataRule, *, for_worker: bool) -> list[str]:
    if not rule.seen_by:
        return [_("nobody: only the program uses it")]
    names = []
    for role in ROLE_ORDER:
        if role in rule.seen_by:
            if role is Role.WORKER:
                if for_worker:
                    names.append(_("you") if rule.workers_see_own_only else _("workers"))
                else:
                    names.append(_("the worker herself (own only)") if rule.workers_see_own_only else _("workers"))
            else:
                names.append(_(role.label).lower())
    return names


def _stored(db_session: Session, rule: DataRule) -> int:
    rows = table(rule.table)
    query = select(func.count()).select_from(rows)
    if rule.where is not None:
        query = query.where(rule.where(rows))
    for name in rule.clears:
        query = query.where(rows.c[name] != "")
    return db_session.scalar(query) or 0


def data_register(*, db_session: Session, settings: Settings) -> list[RegisterLine]:
    """Every kind of data: what, why, who sees it, how long it is kept, how many rows are stored now."""
    return [RegisterLine(rule=rule, holds=_(rule.holds), purpose=_(rule.purpose),
                         seen_by=_seen_by(rule, for_worker=False), kept=rule.kept_text(settings),
                         blanks=rule.clears_text(), stored=_stored(db_session, rule))
            for rule in load()]


def privacy_notice(*, settings: Settings) -> list[RegisterLine]:
    """What is kept about a worker, who sees it and how long, in the current language."""
    return [RegisterLine(rule=rule, holds=_(rule.notice), purpose=_(rule.purpose),
                         seen_by=_seen_by(rule, for_worker=True), kept=rule.kept_text(settings),
                         blanks=rule.clears_text(), stored=None)
            for rule in load() if rule.notice]
