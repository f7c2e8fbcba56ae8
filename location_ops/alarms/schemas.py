"""JSON shapes of the alarms API."""

from __future__ import annotations

from pydantic import BaseModel, Field


class AlarmRaiseIn(BaseModel):
    room_id: int | None = Field(default=None, description="The room, when known.")
    note: str = Field(default="", max_length=500)


class AlarmAckIn(BaseModel):
    note: str = Field(default="", max_length=500)


class AlarmResolveIn(BaseModel):
    resolution: str = Field(description="handled, false_alarm or test")
    note: str = Field(default="", max_length=500)


class DeviceIn(BaseModel):
    family: str = Field(max_length=32)
    device_id: str = Field(max_length=128)
    room_id: int | None = None
    label: str = Field(default="", max_length=64)


class TestModeIn(BaseModel):
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
