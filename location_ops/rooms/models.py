"""Rooms of the location, their out-of-service periods, shift templates and rates."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from location_ops import i18n
from location_ops.db import Base, UTCDateTime


class Room(Base):
    """A work room. Its number is what people say ("room 4") and what the board shows."""

    __tablename__ = "rooms"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    #: The operator's own name for the room; empty for the usual "Room 4" in the reader's language.
    name: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    @property
    def label(self) -> str:
        """What people read: "Kamer 4" / "Room 4" in the reader's language, or the operator's own name."""
        return room_label(self.number, self.name)


#: The default shifts (DESIGN §10) carry short names used in the API and URLs; people read these labels.
DEFAULT_SHIFT_LABELS = {"day": i18n.lazy("Day"), "evening": i18n.lazy("Evening")}


def shift_label(name: str) -> str:
    """Show a shift's name: translated for the defaults, the operator's own names capitalised."""
    return i18n.gettext(DEFAULT_SHIFT_LABELS[name]) if name in DEFAULT_SHIFT_LABELS else name.capitalize()


def _default_names(number: int) -> set[str]:
    """The names a room got by default (before labels were built at display time), in every language."""
    names = {f"Room {number}"}
    for language in i18n.available_languages():
        names.add(i18n.translations(language).gettext("Room %(number)s") % {"number": number})
    return names


def room_label(number: int, name: str = "") -> str:
    """A room's label: its own name, or "Room %(number)s" translated when it has none (or a default one)."""
    name = (name or "").strip()
    if not name or name in _default_names(number):
        return i18n.gettext("Room %(number)s") % {"number": number}
    return name


class RoomOutage(Base):
    """A period ``[starts_at, ends_at)`` in which a room cannot be booked, with a reason."""

    __tablename__ = "room_outages"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(String(200))


class ShiftTemplate(Base):
    """A shift the operator offers: local start and end (end may pass midnight), weekdays, price."""

    __tablename__ = "shift_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Short name used in the API and URLs ("day", "evening").
    name: Mapped[str] = mapped_column(String(32), unique=True)
    starts: Mapped[dt.time] = mapped_column(Time)
    ends: Mapped[dt.time] = mapped_column(Time)
    #: ISO weekdays it runs on, as digits: "1234567" is every day, "67" the weekend.
    weekdays: Mapped[str] = mapped_column(String(7), default="1234567")
    #: Price per shift in euro cents, unless a room has its own rate.
    price_cents: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ShiftRate(Base):
    """A room's own price for a shift, where rooms differ."""

    __tablename__ = "shift_rates"
    __table_args__ = (UniqueConstraint("shift_id", "room_id", name="uq_shift_rates_shift_room"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("shift_templates.id", ondelete="CASCADE"))
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"))
    price_cents: Mapped[int] = mapped_column(Integer)
