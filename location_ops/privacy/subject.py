"""Which rows are about a person: the one place that her export and her erasure both read.

Every column that points at ``users.id`` is declared here, grouped by capability, with
what her export does with the rows it points at (include them or not) and what her
erasure does (delete them, keep them under the anonymous key, or forget her in them).
``tests/privacy/test_subject.py`` walks the metadata and fails for a foreign key to
users that is not declared, so a new table cannot slip past export and erasure.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Table, or_, select
from sqlalchemy.orm import Session

from location_ops.db import Base
from location_ops.i18n import lazy


class Erase(StrEnum):
    #: The rows go.
    DELETE = "delete"
    #: The rows stay under her id, which erasure turns into an anonymous key (bookkeeping,
    #: safety records, the audit's ids); ``clear`` names columns emptied on the way.
    KEEP = "keep"
    #: The rows stay but no longer point at her: the column becomes NULL, ``clear`` is emptied.
    FORGET = "forget"


@dataclass(frozen=True)
class SubjectColumn:
    """A column that holds a person's user id, and what export and erasure do with its rows."""

    capability: str
    table: str
    column: str
    export: bool
    erase: Erase
    #: Columns emptied (NULL, or "" where the column cannot be NULL) when she is erased.
    clear: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChildRows:
    """Rows about her through a parent: ``table.column`` points at a row of ``parent`` about her."""

    table: str
    column: str
    parent: str
    #: Columns emptied when she is erased (the parent's erasure decides whether the rows stay).
    clear: tuple[str, ...] = ()


#: Secrets never leave the database, not even in her own export.
SECRET_COLUMNS = frozenset({
    ("users", "password_hash"), ("users", "mfa_secret"), ("users", "mfa_last_step"),
    ("auth_sessions", "token_hash"), ("auth_sessions", "csrf_token"),
    ("calendar_feeds", "token"), ("caseworker_profiles", "feed_token_hash"),
})

SUBJECT_COLUMNS: list[SubjectColumn] = []
CHILD_ROWS: list[ChildRows] = []

#: What each table is, as her export names it.
TABLE_LABELS = {
    "users": lazy("Your account"),
    "auth_sessions": lazy("Signed-in devices"),
    "audit_events": lazy("Actions recorded in the audit log"),
    "erasure_requests": lazy("Erasure requests"),
    "contracts": lazy("Contracts"),
    "house_rules_acceptances": lazy("House rules you accepted"),
    "payments": lazy("Payments"),
    "bookings": lazy("Bookings"),
    "calendar_feeds": lazy("Calendar feed"),
    "reception_log_entries": lazy("Reception log: your check-ins and check-outs"),
    "reception_shifts": lazy("Reception shifts"),
    "alarms": lazy("Alarms"),
    "alarm_events": lazy("Steps of alarms"),
    "hygiene_templates": lazy("Checklists you made"),
    "hygiene_rounds": lazy("Hygiene rounds"),
    "hygiene_round_results": lazy("Hygiene checklist results"),
    "hygiene_supply_needs": lazy("Supplies restocked"),
    "hygiene_holds": lazy("Room holds cleared"),
    "caseworker_profiles": lazy("Caseworker profile"),
    "visits": lazy("Visits"),
    "talk_requests": lazy("Talk requests"),
    "announcements": lazy("Announcements"),
}


def declare(capability: str, table: str, column: str, *, export: bool = True, erase: Erase,
            clear: tuple[str, ...] = ()) -> None:
    """Declare that ``table.column`` holds a person's user id."""
    SUBJECT_COLUMNS.append(SubjectColumn(capability, table, column, export, erase, clear))


def declare_children(table: str, column: str, parent: str, *, clear: tuple[str, ...] = ()) -> None:
    """Declare rows that are about her because their parent row is."""
    CHILD_ROWS.append(ChildRows(table, column, parent, clear))


# --- accounts ---
declare("accounts", "auth_sessions", "user_id", erase=Erase.DELETE)
# --- privacy: the audit keeps ids (who did what to which object), never names ---
declare("privacy", "audit_events", "actor_id", erase=Erase.KEEP)
declare("privacy", "erasure_requests", "worker_id", erase=Erase.KEEP)
declare("privacy", "erasure_requests", "requested_by_id", erase=Erase.FORGET)
# --- contracts: bookkeeping, kept as amounts under the anonymous key ---
declare("contracts", "contracts", "worker_id", erase=Erase.KEEP)
declare("contracts", "house_rules_acceptances", "worker_id", erase=Erase.DELETE)
declare("contracts", "payments", "worker_id", erase=Erase.KEEP)
declare("contracts", "payments", "recorded_by_id", erase=Erase.FORGET)
# --- bookings: amounts stay; when she came and went (check-in) goes ---
declare("bookings", "bookings", "worker_id", erase=Erase.KEEP, clear=("checked_in_at", "checked_out_at"))
declare("bookings", "calendar_feeds", "worker_id", erase=Erase.DELETE)
# --- reception: the log stays as it was written and shows "former worker" ---
declare("reception", "reception_log_entries", "worker_id", erase=Erase.KEEP)
declare("reception", "reception_log_entries", "author_id", erase=Erase.DELETE)
declare("reception", "reception_shifts", "host_id", erase=Erase.FORGET)
declare("reception", "reception_shifts", "ended_by_id", erase=Erase.FORGET)
# --- alarms: the safety record stays (room, times, states); notes about her go ---
declare("alarms", "alarms", "raised_by_id", erase=Erase.KEEP)
declare("alarms", "alarms", "acknowledged_by_id", erase=Erase.FORGET)
declare("alarms", "alarms", "resolved_by_id", erase=Erase.FORGET)
declare("alarms", "alarm_events", "user_id", erase=Erase.FORGET, clear=("note",))
declare_children("alarm_events", "alarm_id", "alarms", clear=("note",))
# --- hygiene: the inspection record stays; notes she wrote go ---
declare("hygiene", "hygiene_templates", "created_by_id", erase=Erase.FORGET)
declare("hygiene", "hygiene_rounds", "created_by_id", erase=Erase.FORGET)
declare("hygiene", "hygiene_rounds", "done_by_id", erase=Erase.FORGET)
declare("hygiene", "hygiene_round_results", "by_id", erase=Erase.FORGET, clear=("note",))
declare("hygiene", "hygiene_supply_needs", "restocked_by_id", erase=Erase.FORGET)
declare("hygiene", "hygiene_holds", "cleared_by_id", erase=Erase.FORGET)
# --- rota ---
declare("rota", "caseworker_profiles", "user_id", erase=Erase.DELETE)
declare("rota", "visits", "caseworker_id", erase=Erase.DELETE)
declare("rota", "talk_requests", "worker_id", erase=Erase.DELETE)
declare("rota", "announcements", "author_id", erase=Erase.FORGET)


def table(name: str) -> Table:
    return Base.metadata.tables[name]


def exported_columns(name: str) -> list:
    """The columns of a table that her export shows (all but secrets)."""
    return [column for column in table(name).columns if (name, column.name) not in SECRET_COLUMNS]


def rows_about(*, db_session: Session, user_id: int) -> dict[str, list[dict]]:
    """Every row about her, per table (her account first), secrets left out, in id order."""
    found: dict[str, dict[object, dict]] = {"users": {}}
    for declared in [SubjectColumn("accounts", "users", "id", True, Erase.KEEP), *SUBJECT_COLUMNS]:
        if not declared.export:
            continue
        source = table(declared.table)
        columns = exported_columns(declared.table)
        query = select(*columns).where(source.c[declared.column] == user_id)
        bucket = found.setdefault(declared.table, {})
        for row in db_session.execute(query).mappings():
            bucket[_key(source, row)] = dict(row)
    for child in CHILD_ROWS:
        # Only through parents about her (an alarm she raised), not ones she merely handled as staff:
        # another person's alarm steps are not hers to take.
        source = table(child.table)
        bucket = found.setdefault(child.table, {})
        query = select(*exported_columns(child.table)).where(
            source.c[child.column].in_(subject_parent_ids(child.parent, user_id)))
        for row in db_session.execute(query).mappings():
            bucket[_key(source, row)] = dict(row)
    return {name: [bucket[key] for key in sorted(bucket, key=_sortable)] for name, bucket in found.items() if bucket}


def subject_parent_ids(parent: str, user_id: int):
    """A query of the ids of ``parent`` rows whose subject she is (a column that keeps or deletes, not forgets)."""
    source = table(parent)
    columns = [item.column for item in SUBJECT_COLUMNS if item.table == parent and item.erase != Erase.FORGET]
    return select(source.c.id).where(or_(*(source.c[column] == user_id for column in columns)))


def _key(source: Table, row) -> tuple:
    return tuple(row[column.name] for column in source.primary_key.columns)


def _sortable(key: tuple) -> tuple:
    return tuple((value is None, value) for value in key)
