"""Bookings: a room for a worker over ``[starts_at, ends_at)`` in UTC, and calendar feeds.

No two active bookings of a room overlap and a worker holds one room at a time. The
database enforces both (see migrations/versions/2026-11-28_rentals.py): a PostgreSQL
exclusion constraint over tstzrange, and on SQLite triggers that abort the insert or
update. The service never checks before inserting; it turns the refusal into a 409.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import CheckConstraint, Date, Enum, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from location_ops.db import Base, UTCDateTime
from location_ops.i18n import lazy

#: Names the database uses when it refuses an overlap (constraint names on
#: PostgreSQL, RAISE messages on SQLite).
ROOM_OVERLAP = "ex_bookings_room_overlap"
WORKER_OVERLAP = "ex_bookings_worker_overlap"


class BookingStatus(StrEnum):
    BOOKED = "booked"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"

    @property
    def label(self) -> str:
        return {BookingStatus.BOOKED: lazy("booked"), BookingStatus.CANCELLED: lazy("cancelled"),
                BookingStatus.NO_SHOW: lazy("no-show")}[self]


class Booking(Base):
    """A room rented by a worker for a shift (or hours). Only ``booked`` ones hold the room."""

    __tablename__ = "bookings"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="period"),
        Index("ix_bookings_room_id_starts_at", "room_id", "starts_at"),
        Index("ix_bookings_worker_id_starts_at", "worker_id", "starts_at"),
        Index("ix_bookings_day", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="RESTRICT"))
    worker_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    #: The shift template's name at booking time, or "hourly".
    shift: Mapped[str] = mapped_column(String(32))
    #: The local date the shift starts on (Europe/Amsterdam).
    day: Mapped[dt.date] = mapped_column(Date)
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    status: Mapped[BookingStatus] = mapped_column(
        Enum(BookingStatus, native_enum=False, length=16, create_constraint=False,
             values_callable=lambda members: [member.value for member in members]),
        default=BookingStatus.BOOKED,
    )
    price_cents: Mapped[int] = mapped_column(Integer)
    #: What a late cancellation or a no-show costs under the contract; 0 otherwise.
    charge_cents: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    released_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: Set by reception when the worker arrives.
    checked_in_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    checked_out_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class CalendarFeed(Base):
    """A worker's private calendar feed; a new token revokes the old URL."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
