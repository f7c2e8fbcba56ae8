"""The reception log (append-only) and the host's shifts with their handover notes.

A log entry is never changed: the database refuses an update of what an entry says
(a trigger on its content columns, see migrations/versions/2026-11-28_reception.py),
and no route changes or deletes one. A mistake is corrected by a new entry that
points to the original (``corrects_id``). Only retention removes entries.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from location_ops.db import Base, UTCDateTime
from location_ops.i18n import lazy


class EntryKind(StrEnum):
    WORKER_IN = "worker_in"
    WORKER_OUT = "worker_out"
    VISITOR_IN = "visitor_in"
    VISITOR_OUT = "visitor_out"
    INCIDENT = "incident"
    NOTE = "note"
    DELIVERY = "delivery"
    HANDOVER = "handover"

    @property
    def label(self) -> str:
        return {
            EntryKind.WORKER_IN: lazy("Worker in"), EntryKind.WORKER_OUT: lazy("Worker out"),
            EntryKind.VISITOR_IN: lazy("Visitor arrived"), EntryKind.VISITOR_OUT: lazy("Visitor left"),
            EntryKind.INCIDENT: lazy("Incident"), EntryKind.NOTE: lazy("Note"),
            EntryKind.DELIVERY: lazy("Delivery"), EntryKind.HANDOVER: lazy("Handover"),
        }[self]

    @property
    def is_visitor(self) -> bool:
        return self in (EntryKind.VISITOR_IN, EntryKind.VISITOR_OUT)


#: Kinds a host writes by hand; worker in/out come from check-in/out, handover from ending a shift.
MANUAL_KINDS = (EntryKind.VISITOR_IN, EntryKind.VISITOR_OUT, EntryKind.INCIDENT, EntryKind.NOTE,
                EntryKind.DELIVERY)
#: Kinds that need a room.
ROOM_KINDS = (EntryKind.WORKER_IN, EntryKind.WORKER_OUT, EntryKind.VISITOR_IN, EntryKind.VISITOR_OUT)


class LogEntry(Base):
    """One line of the reception log: what, when, which room, by whom. Never edited."""

    __tablename__ = "reception_log_entries"
    __table_args__ = (
        Index("ix_reception_log_entries_at", "at"),
        Index("ix_reception_log_entries_kind_at", "kind", "at"),
        Index("ix_reception_log_entries_room_id_at", "room_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(16))
    room_id: Mapped[int | None] = mapped_column(ForeignKey("rooms.id", ondelete="RESTRICT"))
    #: Worker in/out only: whose booking (a pseudonym is shown, never stored here).
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id", ondelete="SET NULL"))
    #: Worker in/out: "early", "late" or "".
    timing: Mapped[str] = mapped_column(String(8), default="")
    #: Free text (notes, incidents, deliveries, handovers). Never in application logs; empty for visitors.
    text: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: Set on a correction: the entry it corrects (which stays as it was).
    corrects_id: Mapped[int | None] = mapped_column(
        ForeignKey("reception_log_entries.id", ondelete="SET NULL"), index=True)

    @property
    def entry_kind(self) -> EntryKind:
        return EntryKind(self.kind)


class HostShift(Base):
    """A host's shift at reception: started, ended with a handover note (also a log entry)."""

    __tablename__ = "reception_shifts"

    id: Mapped[int] = mapped_column(primary_key=True)
    host_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: "open" while the shift runs, NULL after: unique, so only one shift is open at a time.
    open_key: Mapped[str | None] = mapped_column(String(8), unique=True)
    handover_entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("reception_log_entries.id", ondelete="SET NULL"))
