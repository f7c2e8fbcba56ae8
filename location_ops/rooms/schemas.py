"""JSON shapes of the shift-templates API: shifts, their weekdays and prices, rooms' own rates."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, BaseModel, ConfigDict, Field, PlainSerializer


from location_ops.forms import integral
#: Most a shift may cost, in cents (the forms' limit: € 99 999,99).
MAX_PRICE_CENTS = 9_999_999


def _wall_clock(value: str) -> dt.time:
    hours, minutes = value.split(":")
    return dt.time(int(hours), int(minutes))


#: A local wall-clock time (Europe/Amsterdam) written HH:MM.
WallClock = Annotated[
    str,
    Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", min_length=5, max_length=5,
          description="Local time HH:MM (Europe/Amsterdam)", examples=["10:00"]),
    AfterValidator(_wall_clock),  # the pattern has admitted only HH:MM
]
WallClockOut = Annotated[dt.time, PlainSerializer(lambda value: value.strftime("%H:%M"), return_type=str)]
Weekday = Annotated[int, Field(ge=1, le=7), BeforeValidator(integral)]
Weekdays = Annotated[list[Weekday], Field(min_length=1, max_length=7,
                                          description="ISO weekdays it runs on: 1 is Monday, 7 Sunday")]
Price = Annotated[int, Field(ge=0, le=MAX_PRICE_CENTS, description="Price per shift in euro cents"),
                  BeforeValidator(integral)]


def weekday_digits(weekdays: list[int]) -> str:
    """The weekdays as the model stores them ("1234567")."""
    return "".join(str(day) for day in weekdays)


class ShiftTemplateIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z0-9_-]{1,32}$", min_length=1, max_length=32,
                      description="One short word used in bookings and the API, e.g. day; 'hourly' is reserved")
    starts: WallClock
    ends: WallClock = Field(description="Local time HH:MM; at or before the start means after midnight")
    weekdays: Weekdays = Field(default_factory=lambda: [1, 2, 3, 4, 5, 6, 7])
    price_cents: Price


class ShiftTemplateChange(BaseModel):
    """What to change; a field left out stays as it is. ``"active": false`` deactivates the shift."""

    model_config = ConfigDict(strict=True, extra="forbid")

    starts: WallClock | None = None
    ends: WallClock | None = None
    weekdays: Weekdays | None = None
    price_cents: Price | None = None
    active: bool | None = Field(default=None, description="false: no longer offered for booking")


class RoomRateIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    price_cents: Price


class RoomRateOut(BaseModel):
    room_id: int
    price_cents: int


class ShiftTemplateOut(BaseModel):
    id: int
    name: str
    starts: WallClockOut
    ends: WallClockOut
    weekdays: list[int]
    price_cents: int
    active: bool
    #: Rooms with their own price for this shift; the others cost ``price_cents``.
    rates: list[RoomRateOut]
