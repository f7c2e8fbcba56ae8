"""JSON shapes of the rentals API: rooms, shifts, contracts, bookings."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from location_ops.forms import MAX_ID, Day, Line


class RoomIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    number: int = Field(ge=1, le=999)
    name: Line = Field(default="", max_length=64)


class RoomOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    number: int
    name: str
    active: bool


class RoomDetailOut(RoomOut):
    #: The room's hygiene state; for staff only (None for a worker).
    hygiene: dict | None = None


class ShiftAvailability(BaseModel):
    room_id: int
    room_number: int
    shift: str
    date: dt.date
    start: dt.datetime
    end: dt.datetime
    available: bool
    price_cents: int


class ContractIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    username: Line = Field(max_length=64)
    # Dates arrive in JSON as strings: parsed from ISO text, not strict.
    starts_on: Day = Field(strict=False, description="YYYY-MM-DD")
    ends_on: Day | None = Field(default=None, strict=False, description="YYYY-MM-DD, or none")
    # A new contract starts as a draft or active; suspending and ending come later.
    status: Literal["draft", "active"] = Field(default="active", description="draft or active")
    late_cancel_percent: int = Field(default=50, ge=0, le=100)
    no_show_percent: int = Field(default=100, ge=0, le=100)
    notice_days: int = Field(default=14, ge=0, le=365)


class ContractOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    worker_id: int
    status: str
    starts_on: dt.date
    ends_on: dt.date | None
    late_cancel_percent: int
    no_show_percent: int
    notice_days: int


class BookingIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    room_id: int = Field(ge=1, le=MAX_ID)
    date: Day = Field(strict=False, description="Local date YYYY-MM-DD (Europe/Amsterdam)")
    shift: Line = Field(min_length=1, max_length=32, description="Shift name, e.g. day or evening; 'hourly' with start and hours")
    start: dt.time | None = Field(default=None, strict=False, description="HH:MM, for hourly rental")
    hours: int | None = Field(default=None, ge=1, le=24, description="for hourly rental")


class BookingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    room_id: int
    shift: str
    day: dt.date
    starts_at: dt.datetime
    ends_at: dt.datetime
    status: str
    price_cents: int
    charge_cents: int
    checked_in_at: dt.datetime | None


class StaffBookingOut(BookingOut):
    worker: str
