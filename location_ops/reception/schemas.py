"""JSON shapes of the reception log API."""

from __future__ import annotations

from pydantic import BaseModel, Field


class LogEntryIn(BaseModel):
    kind: str = Field(max_length=16, description="visitor_in, visitor_out, incident, note or delivery "
                      "(a correction: the kind of the entry it corrects)")
    room_id: int | None = Field(default=None, description="The room; required for visitor entries.")
    text: str = Field(default="", max_length=2000, description="Free text; must be empty for visitor entries.")
    corrects_id: int | None = Field(default=None, description="The entry this one corrects (which stays as it was).")


class LogEntryOut(BaseModel):
    id: int
    at: str
    kind: str
    room_id: int | None
    room: int | None = Field(description="The room's number.")
    text: str
    timing: str = Field(description="Worker in/out: early, late or empty.")
    booking_id: int | None
    worker: str | None = Field(description="Worker in/out: the pseudonym.")
    author: str | None
    corrects_id: int | None
    corrected_by: list[int]
