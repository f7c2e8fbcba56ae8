"""Retention: what `location-ops purge` (and the app, daily) deletes, following the declarations.

Every table's rules are declared in its capability's ``retention.py`` (see
:mod:`location_ops.privacy.declarations`); this module applies them. A rule with a
period deletes (or, with ``clears``, blanks) the rows whose time column lies before
the cutoff; rows of rules that ``follow`` a table go first, with their parents.
"""

from __future__ import annotations

import logging

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from location_ops.clock import utcnow
from location_ops.config import Settings
from location_ops.db import make_engine, make_sessionmaker
from location_ops.i18n import lazy
from location_ops.privacy.declarations import OPERATOR, DataRule, declare, load, table

log = logging.getLogger(__name__)

declare(
    DataRule(
        table="audit_events", holds=lazy("Audit log: who (user id) did which action to which object, when, "
                                         "from which address"),
        purpose=lazy("Security: tracing misuse of accounts and data"), seen_by=OPERATOR,
        period="audit_retention_days", time_column="at"),
    DataRule(
        table="erasure_requests", holds=lazy("Erasure requests: whose account (id), who asked, when, and when it "
                                             "was erased"),
        purpose=lazy("Carrying out the right to erasure, and recording that an account became an anonymous key "
                     "for the bookkeeping"),
        seen_by=OPERATOR, kept_while=lazy("while the bookkeeping kept under the anonymous key is kept")),
)


def _purge_rule(db_session: Session, rule: DataRule, settings: Settings, now, counts: dict[str, int]) -> None:
    rows = table(rule.table)
    column = rows.c[rule.time_column]
    condition = column < (rule.cutoff(settings, now) if rule.period else now)
    if rule.where is not None:
        condition = condition & rule.where(rows)
    if rule.clears:
        blank = {name: "" for name in rule.clears}
        changed = or_(*(rows.c[name] != "" for name in rule.clears))
        counts[rule.key] = db_session.execute(update(rows).where(condition, changed).values(**blank)).rowcount or 0
        return
    primary = list(rows.primary_key.columns)[0]
    doomed = select(primary).where(condition)
    for child in load():
        if child.follows is not None and child.follows[1] == rule.table and not child.clears:
            child_rows = table(child.table)
            removed = db_session.execute(
                delete(child_rows).where(child_rows.c[child.follows[0]].in_(doomed))).rowcount or 0
            counts[child.key] = counts.get(child.key, 0) + removed
    counts[rule.key] = counts.get(rule.key, 0) + (db_session.execute(delete(rows).where(condition)).rowcount or 0)


def purge(*, db_session: Session, settings: Settings) -> dict[str, int]:
    """Apply every rule that deletes, one transaction each; return rows removed (or blanked) per rule."""
    counts: dict[str, int] = {}
    now = utcnow()
    for rule in load():
        if rule.time_column is None or rule.follows is not None and rule.period is None:
            continue
        _purge_rule(db_session, rule, settings, now, counts)
        db_session.commit()
        log.info("purge %s: %d", rule.key, counts[rule.key])
    return counts


def purge_all(settings: Settings) -> dict[str, int]:
    engine = make_engine(settings.database_url)
    try:
        with make_sessionmaker(engine)() as db_session:
            return purge(db_session=db_session, settings=settings)
    finally:
        engine.dispose()
