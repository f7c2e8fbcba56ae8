"""What the reception stores, who sees it and how long: visitor entries 30 days, the rest a year."""

from location_ops.i18n import lazy
from location_ops.privacy.declarations import STAFF, DataRule, declare
from location_ops.reception.models import EntryKind

VISITOR_KINDS = (EntryKind.VISITOR_IN.value, EntryKind.VISITOR_OUT.value)

declare(
    DataRule(
        table="reception_log_entries", variant="visitors",
        holds=lazy("Reception log, visitors: a room and a time, nothing about the visitor"),
        purpose=lazy("Safety: knowing who is in the building"),
        seen_by=STAFF, period="reception_visitor_retention_days", time_column="at",
        where=lambda rows: rows.c.kind.in_(VISITOR_KINDS)),
    DataRule(
        table="reception_log_entries", variant="other",
        holds=lazy("Reception log, other entries: check-ins and check-outs of workers, incidents, notes, "
                   "deliveries, handovers"),
        purpose=lazy("Safety and running the location: who is in which room, what happened"),
        seen_by=STAFF, period="reception_log_retention_days", time_column="at",
        where=lambda rows: rows.c.kind.not_in(VISITOR_KINDS),
        notice=lazy("When you checked in and out at reception, and for which room")),
    DataRule(
        table="reception_shifts",
        holds=lazy("Host shifts and shift handovers: which host worked from when to when, the handover entry"),
        purpose=lazy("Running the location: handing over open matters between hosts"),
        seen_by=STAFF, period="reception_log_retention_days", time_column="started_at",
        where=lambda rows: rows.c.open_key.is_(None)),
)
