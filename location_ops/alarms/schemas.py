"""JSON shapes of the alarms API."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, WithJsonSchema, WrapValidator

from location_ops.alarms import decoders
from location_ops.alarms.models import AlarmState, Resolution
from location_ops.forms import Line, Lines

#: A room id as the database can hold it.
RoomId = Annotated[int, Field(ge=1, le=2**31 - 1)]


def _room_or_none(value: Any, handler) -> int | None:
    """A room id, or None for anything that is not one: an alarm is never refused for its room."""
    if value is None or value == "":
        return None
    try:
        return handler(value)
    except ValidationError:
        return None


#: The room of an alarm being raised: a bad or unknown one raises it without a room.
AlarmRoom = Annotated[RoomId | None, WrapValidator(_room_or_none), WithJsonSchema({
    "description": "The room's id, when known. Anything that is not a room's id still raises the alarm, "
                   "without a room.", "title": "Room Id"})]


#: The ``state`` filter of GET /alarms: a state, or ``open`` for every alarm not yet resolved.
AlarmFilter = Literal[(*(state.value for state in AlarmState), "open")]

#: A device family this app decodes.
Family = Literal[tuple(decoders.FAMILIES)]

#: A device id as it appears in an MQTT topic: no topic separators or wildcards, no control
#: characters, and not only spaces (it is stored stripped).
DEVICE_ID_PATTERN = r"^[^/+#\x00-\x1f\x7f-\x9f]*[^/+#\s\x00-\x1f\x7f-\x9f][^/+#\x00-\x1f\x7f-\x9f]*$"


class AlarmRaiseIn(BaseModel):
    # Unknown keys are ignored, not refused: an alarm is never refused for what it carries.
    model_config = ConfigDict(strict=True)

    room_id: AlarmRoom = None
    # Not refused when long or with control characters: those are dropped, the rest kept (500 characters).
    note: str = Field(default="", description="A note; control characters are dropped and 500 characters kept.")


class AlarmRaiseForm(BaseModel):
    """The phone page's hold-to-raise form."""

    room_id: AlarmRoom = None


class AlarmAckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Lines = Field(default="", max_length=500)


class AlarmResolveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    resolution: Resolution = Field(description="handled, false_alarm or test")
    note: Lines = Field(default="", max_length=500)


class DeviceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    family: Family
    device_id: str = Field(min_length=1, max_length=128, pattern=DEVICE_ID_PATTERN)
    room_id: RoomId | None = None
    label: Line = Field(default="", max_length=64)


class TestModeIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    minutes: int = Field(ge=0, le=240)


class DeviceOut(BaseModel):
    id: int
    family: str
    device_id: str
    room_id: int | None
    room: str | None
    label: str
    registered: bool
    last_seen_at: str | None
    battery: int | None
    online: bool | None
    test_until: str | None
    last_test_at: str | None
